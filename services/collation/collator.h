// The collation interface: how a report is matched to a case. Intake calls
// it under its locks and writes what it decides; implementations only read
// the store. The exact matcher of ExactCollator is the first implementation;
// a probabilistic matcher replaces it without touching intake or storage.
#ifndef HIRS_SERVICES_COLLATION_COLLATOR_H_
#define HIRS_SERVICES_COLLATION_COLLATOR_H_

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
};

// A report as collation sees it. Borrowed: the pointees outlive the call.
struct CollationInput {
  const hirs::v1::Report* report;
  const hirs::store::v1::NormalisedFields* normalised;
};

// What to store for a report and what to lock before deciding.
struct CollationPlan {
  // Stored as fingerprint + case_id -> report_id once the report is placed.
  std::vector<Fingerprint> fingerprints;
  // Keys the caller must hold (storage::LockManager) across Decide and the
  // write, covering every key Decide reads and every fingerprint stored, so
  // that two reports that could match each other are never decided at once.
  std::vector<std::string> lock_keys;
};

struct Decision {
  // NEW_CASE, ATTACHED_TO_CASE or NEEDS_REVIEW.
  hirs::v1::CollationOutcome outcome = hirs::v1::NEW_CASE;
  // ATTACHED_TO_CASE: the case to join. NEEDS_REVIEW: candidates are in the
  // explanation. Otherwise empty.
  std::string case_id;
  double score = 0;
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
  virtual absl::StatusOr<Decision> Decide(const CollationInput& input, const CollationPlan& plan,
                                          const storage::Store& store) const = 0;
};

}  // namespace hirs::collation

#endif  // HIRS_SERVICES_COLLATION_COLLATOR_H_
