// Report intake: validate, normalise, deduplicate retries, collate and store
// a report in one atomic write. Plain C++ over protos; the gRPC adapter is
// reporting_service.h.
#ifndef HIRS_SERVICES_INTAKE_INTAKE_H_
#define HIRS_SERVICES_INTAKE_INTAKE_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/reporting_service.pb.h"
#include "services/collation/collator.h"
#include "services/collation/keyed_hasher.h"
#include "services/intake/postcode.h"
#include "storage/lock_manager.h"
#include "storage/store.h"

namespace hirs::intake {

struct SubmitResult {
  std::string report_id;
  std::string case_id;
  hirs::v1::CollationOutcome collation = hirs::v1::COLLATION_OUTCOME_UNSPECIFIED;
  double match_score = 0;
  std::string receipt;
};

// Adds to `batch` a review item asking a person whether report
// `explanation.report_id()`, in case `explanation.case_id()`, belongs to
// one of `explanation.candidate_case_ids()`. Review ids sort by creation
// time: the queue reads oldest first.
void PutReviewItem(const hirs::v1::CollationExplanation& explanation, absl::Time now, storage::WriteBatch* batch);

// Thread safe. Concurrent submissions of one incident yield one case: every
// submission holds the locks of its blocking keys and idempotency keys from
// the look-up to the write, and the lock of a case while changing it.
//
// A NEEDS_REVIEW decision starts a case of its own for the report and opens
// a review item (kReview) naming the candidate cases; cases of the same
// victim the report does not join are linked (Case.linked_case_ids,
// repeat_victim).
class Intake {
 public:
  // Every pointer is borrowed and must outlive the Intake. `locks` are
  // shared with every other writer of cases (the case service).
  Intake(storage::Store* store, storage::CaseLocks* locks, const collation::Collator* collator,
         const DistrictRouter* router, const collation::KeyedHasher* hasher,
         std::function<absl::Time()> clock = absl::Now);

  // Stores and collates one report submitted by reporting centre `centre_id`
  // (the caller's principal id; it becomes Report.reporting_centre).
  // On success the report, its case, fingerprints, idempotency records,
  // indexes and change event are durable. Errors, each leaving the store
  // unchanged:
  //   INVALID_ARGUMENT  with google.rpc.BadRequest violations for every bad field
  //   ALREADY_EXISTS    request_id was used before with a different report
  //   UNAVAILABLE       the store cannot write now; retrying is safe
  // A retry (same request_id and report, or the byte-identical report) is
  // OK with collation ALREADY_RECEIVED and the first answer's ids.
  //
  // `also_write`, if set, is called with the result a success will return
  // and the batch that records it, just before that batch is written, and
  // may add to it (the call's audit entry). It is not called when the
  // submission writes nothing (most retries) or fails before its write.
  //
  // The report belongs to `centre_id`; `submitted_by` (the person or
  // system that sent it; "": the centre itself) is kept as its provenance.
  using AlsoWrite = std::function<void(const SubmitResult& result, storage::WriteBatch* batch)>;
  absl::StatusOr<SubmitResult> Submit(absl::string_view centre_id, const hirs::v1::SubmitReportRequest& request,
                                      const AlsoWrite& also_write = nullptr, absl::string_view submitted_by = "");

 private:
  // Submit's steps: Plan (validate, normalise, plan collation: no lock, no
  // I/O), Known (idempotency, under the keys' locks), the collator's
  // Decide, Place (the case it joins, read under its lock; a separation a
  // person made, or a non-crime incident's rules, may change the decision
  // or the report), Compose (the one batch that stores it all).
  struct Submission;
  absl::StatusOr<Submission> Plan(absl::string_view centre_id, const hirs::v1::SubmitReportRequest& request) const;
  absl::StatusOr<std::optional<SubmitResult>> Known(const Submission& s, const AlsoWrite& also_write) const;
  absl::Status Place(Submission& s) const;
  SubmitResult Compose(Submission& s, storage::WriteBatch* batch);
  absl::StatusOr<SubmitResult> AlreadyReceived(const hirs::store::v1::RequestRecord& record) const;
  std::string Receipt(const hirs::store::v1::StoredReport& stored) const;

  storage::Store* const store_;
  const collation::Collator* const collator_;
  const DistrictRouter* const router_;
  const collation::KeyedHasher* const hasher_;
  const std::function<absl::Time()> clock_;
  storage::CaseLocks* const locks_;
};

}  // namespace hirs::intake

#endif  // HIRS_SERVICES_INTAKE_INTAKE_H_
