// The collation interface: how a report is matched to a case. Intake calls
// Plan, takes plan.lock_keys, calls Decide, and writes the decision in one
// batch together with what Record adds. Implementations only read the store
// in Decide and own the layout of what they Record (fingerprints, features,
// counters), so a different matcher plugs in without touching intake or
// storage.
#ifndef HIRS_SERVICES_COLLATION_COLLATOR_H_
#define HIRS_SERVICES_COLLATION_COLLATOR_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/types.pb.h"
#include "storage/store.h"

namespace hirs::collation {

// One keyed fingerprint of a report.
struct Fingerprint {
  std::string kind;   // e.g. "crime_reference"; for explanations only
  std::string value;  // storage::kFingerprintBytes bytes of HMAC
  // At most this many cases are read through this key when looking up
  // (0: the matcher's max_per_key).
  size_t max_cases = 0;
};

// A report as collation sees it. Borrowed: the pointees outlive the call.
struct CollationInput {
  const hirs::v1::Report* report;
  const hirs::store::v1::NormalisedFields* normalised;
  // The submitting centre's principal id.
  std::string reporting_centre;
};

// What Decide reads and Record writes for one report.
struct CollationPlan {
  hirs::store::v1::MatchFeatures features;
  // Stored as fingerprint + case_id -> report_id once the report is placed.
  std::vector<Fingerprint> stored;
  // Looked up to find candidates.
  std::vector<Fingerprint> lookup;
  // Keys the caller must hold (storage::LockManager) across Decide and the
  // write: every key looked up or stored, so that two reports that could
  // find each other are never decided at the same time.
  std::vector<std::string> lock_keys;
};

struct Decision {
  // NEW_CASE, ATTACHED_TO_CASE or NEEDS_REVIEW.
  hirs::v1::CollationOutcome outcome = hirs::v1::NEW_CASE;
  // ATTACHED_TO_CASE: the case to join; otherwise empty (the report starts a
  // case of its own; for NEEDS_REVIEW the candidates are in the
  // explanation's candidate_case_ids).
  std::string case_id;
  // The best candidate's score (log2 likelihood ratio), 0 without one.
  double score = 0;
  // Earlier cases of the same victim (repeat victimisation) that the report
  // does not join: its case links to them.
  std::vector<std::string> linked_case_ids;
  // Why; report_id and case_id are filled in by the caller.
  hirs::v1::CollationExplanation explanation;
};

// Implementations are immutable after construction and thread safe.
class Collator {
 public:
  virtual ~Collator() = default;

  virtual CollationPlan Plan(const CollationInput& input) const = 0;

  // Decides where the report goes, reading candidates from `store`.
  // REQUIRES: the caller holds plan.lock_keys.
  virtual absl::StatusOr<Decision> Decide(const CollationPlan& plan, const storage::Store& store) const = 0;

  // Adds what the collator keeps about a placed report to `batch`;
  // `outcome` is the decision's (after the caller's own checks).
  virtual void Record(const CollationPlan& plan, const std::string& report_id, const std::string& case_id,
                      hirs::v1::CollationOutcome outcome, storage::WriteBatch* batch) const = 0;

  // Adds to `batch` what follows from a person having placed a report that
  // was sent to review (its review item resolved): the case it started is
  // no longer provisional.
  virtual absl::Status Settle(const std::string& report_id, const storage::Store& store,
                              storage::WriteBatch* batch) const = 0;

  // The keys a placed report is stored under (its CollationPlan's stored
  // fingerprints), derived again from what Record kept. Merges and splits
  // lock them (with storage::CaseLocks::keys) before moving the report.
  virtual absl::StatusOr<std::vector<std::string>> StoredKeys(const std::string& report_id,
                                                              const storage::Store& store) const = 0;

  // Adds to `batch` the move of a placed report, stored under `stored_keys`,
  // from case `from` to case `to`, so that later reports find it in `to`.
  // A case is stored once per key, whichever of its reports holds it:
  // `staying` maps the keys of reports that stay in `from` to one of them,
  // so that `from` keeps those keys (empty when every report leaves).
  virtual void Move(const std::vector<std::string>& stored_keys, const std::string& report_id, const std::string& from,
                    const std::string& to, const std::map<std::string, std::string>& staying,
                    storage::WriteBatch* batch) const = 0;

  // Adds to `batch` the removal of what the collator keeps about reports
  // `report_ids` of case `case_id` that is personal data
  // (auth/redaction.h): identity and free-text features, and the
  // fingerprints no other report of the case (`other_report_ids`) gives. What compares incidents (time,
  // place, motivations, types, centre) stays.
  virtual absl::Status Forget(const std::vector<std::string>& report_ids,
                              const std::vector<std::string>& other_report_ids, const std::string& case_id,
                              const storage::Store& store, storage::WriteBatch* batch) const = 0;

  // Adds to `batch` the removal of everything the collator keeps about
  // report `report_id` of case `case_id` (a withdrawn report): its
  // features, and the case's fingerprints no other report of the case
  // (`other_report_ids`) gives. No later report is compared with it.
  virtual absl::Status Drop(const std::string& report_id, const std::vector<std::string>& other_report_ids,
                            const std::string& case_id, const storage::Store& store,
                            storage::WriteBatch* batch) const = 0;
};

}  // namespace hirs::collation

#endif  // HIRS_SERVICES_COLLATION_COLLATOR_H_
