// Collated cases for police: read, list, record outcomes. Plain C++ over
// protos; the gRPC adapter is case_service.h.
//
// Status transitions UpdateCase allows (setting the current status again is
// allowed and changes nothing else):
//   OPEN                -> UNDER_INVESTIGATION, CRIME_RECORDED, NON_CRIME_INCIDENT,
//                          NO_FURTHER_ACTION, CLOSED
//   UNDER_INVESTIGATION -> CRIME_RECORDED, NON_CRIME_INCIDENT, NO_FURTHER_ACTION, CLOSED
//   CRIME_RECORDED      -> UNDER_INVESTIGATION, NO_FURTHER_ACTION, CLOSED
//   NON_CRIME_INCIDENT  -> CRIME_RECORDED (reclassified), NO_FURTHER_ACTION, CLOSED
//   NO_FURTHER_ACTION   -> OPEN (reopened), CLOSED
//   CLOSED              -> OPEN (reopened)
// A case can be CRIME_RECORDED only with a crime reference.
#ifndef HIRS_SERVICES_CASES_CASES_H_
#define HIRS_SERVICES_CASES_CASES_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/bad_request.h"
#include "hirs/v1/case_service.pb.h"
#include "services/auth/principals.h"
#include "services/collation/collator.h"
#include "services/collation/keyed_hasher.h"
#include "services/collation/model.h"
#include "storage/lock_manager.h"
#include "storage/store.h"

namespace hirs::cases {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;
// ListCaseReports' pages: reports are up to about 22 KB each.
inline constexpr int kDefaultReportPageSize = 20;
// The longest reason kept with a review decision.
inline constexpr size_t kMaxReviewReasonBytes = 1000;
inline constexpr int kMaxReportPageSize = 100;
// Reports GetCase carries (the oldest): with the report id sample, at most
// about 190 KB whatever the case's size.
inline constexpr int kGetCaseReports = 8;
inline constexpr size_t kMaxOutcomeNoteBytes = 4000;
inline constexpr int kMaxMergeSources = 50;

// Thread safe.
class Cases {
 public:
  // Every pointer is borrowed and must outlive the object. `locks` are
  // shared with intake.
  Cases(storage::Store* store, storage::CaseLocks* locks, const collation::Collator* collator,
        const collation::KeyedHasher* hasher, std::function<absl::Time()> clock = absl::Now);

  // The case with its explanations and its reports, each report redacted
  // for `reader` (auth::RedactReport). INVALID_ARGUMENT for a malformed id,
  // NOT_FOUND when there is no such case.
  absl::StatusOr<hirs::v1::Case> GetCase(const auth::Principal& reader, absl::string_view case_id) const;

  // A page of cases matching the filter (filter.h), newest case first
  // (case id order, which is creation order), without explanations or
  // reports. page_size 0 means 50; above 1000 means 1000; negative is
  // INVALID_ARGUMENT. The next_page_token is bound to the filter and the
  // caller. A call examines a bounded number of cases, so a page may hold
  // fewer than page_size cases and still carry a next_page_token. Cases
  // created after the first page never appear on later pages; no case
  // appears twice.
  absl::StatusOr<hirs::v1::ListCasesResponse> ListCases(const auth::Principal& reader,
                                                        const hirs::v1::ListCasesRequest& request) const;

  // Changes the fields named in update_mask (status, crime_reference,
  // outcome_note) when etag is the case's current etag. INVALID_ARGUMENT for
  // a bad request (every field at fault named), NOT_FOUND, ABORTED for a
  // stale etag, FAILED_PRECONDITION for a transition the table above does
  // not allow. Writes a CASE_UPDATED change event.
  absl::StatusOr<hirs::v1::Case> UpdateCase(const auth::Principal& caller, const hirs::v1::UpdateCaseRequest& request);

  // Moves every report of the source cases (at most kMaxMergeSources) into
  // the target, which keeps its id and police fields; the sources cease to
  // exist. Fingerprints and indexes follow in the same atomic write, with a
  // CASES_MERGED event. Returns the merged case (no reports).
  // INVALID_ARGUMENT, NOT_FOUND naming the missing case.
  absl::StatusOr<hirs::v1::Case> MergeCases(const auth::Principal& caller, const hirs::v1::MergeCasesRequest& request);

  // Takes a report out of its case into a new case, and records that the
  // two cases are separate (a later report matching both goes to review).
  // FAILED_PRECONDITION when the report is alone in its case. A
  // REPORT_SPLIT event names both cases.
  absl::StatusOr<hirs::v1::SplitReportResponse> SplitReport(const auth::Principal& caller,
                                                            const hirs::v1::SplitReportRequest& request);

  // Every report of a case with its explanation, oldest first, paged
  // (page_size default 20, at most 100; tokens bound to the reader and
  // case), redacted as GetCase. INVALID_ARGUMENT naming the field;
  // NOT_FOUND for an unknown case.
  absl::StatusOr<hirs::v1::ListCaseReportsResponse> ListCaseReports(
      const auth::Principal& reader, const hirs::v1::ListCaseReportsRequest& request) const;

  // A case's change events, newest first, paged as ListCaseReports.
  // INVALID_ARGUMENT naming the field; NOT_FOUND for an unknown case.
  absl::StatusOr<hirs::v1::ListCaseEventsResponse> ListCaseEvents(const auth::Principal& reader,
                                                                  const hirs::v1::ListCaseEventsRequest& request) const;

  // Open review items, oldest first, with their explanations; page tokens
  // as ListCases'.
  absl::StatusOr<hirs::v1::ListReviewItemsResponse> ListReviewItems(
      const auth::Principal& reader, const hirs::v1::ListReviewItemsRequest& request) const;

  // MERGE: the item's report's case is merged into target_case_id (one of
  // the item's candidates). KEEP_SEPARATE: its case and every candidate are
  // recorded as separate. Either way the item is closed, in one write.
  // FAILED_PRECONDITION when the item was resolved before.
  // (The decision is kept with the caller's reason, at most
  // kMaxReviewReasonBytes, and their id.)
  absl::StatusOr<hirs::v1::ReviewItem> ResolveReviewItem(const auth::Principal& caller,
                                                         const hirs::v1::ResolveReviewItemRequest& request);

 private:
  // Reads the reports of `members` into `reports` and the members into
  // `explanations`, both redacted for `reader`.
  absl::Status FillReports(const auth::Principal& reader, std::vector<hirs::v1::CollationExplanation> members,
                           google::protobuf::RepeatedPtrField<hirs::v1::Report>* reports,
                           google::protobuf::RepeatedPtrField<hirs::v1::CollationExplanation>* explanations) const;
  struct Locked;
  // Locks `case_ids` and the fingerprints of the reports that will move
  // (every report of `moving_cases`, and `moving_report`), and reads the
  // cases under the locks.
  absl::StatusOr<Locked> LockForMove(const std::vector<std::string>& case_ids,
                                     const std::vector<std::string>& moving_cases,
                                     const std::string& moving_report) const;
  // Adds the merge of `sources` into `target` to `batch`, the reports that
  // move marked as placed `by` that person. REQUIRES: `locked` holds them
  // all.
  absl::StatusOr<hirs::store::v1::StoredCase> Merge(Locked& locked, const std::string& target,
                                                    const std::vector<std::string>& sources, const std::string& by,
                                                    absl::Time now, storage::WriteBatch* batch) const;
  // Records in `batch` that `a` and the `others` are separate cases.
  void Separate(Locked& locked, const std::string& a, const std::vector<std::string>& others, absl::Time now,
                storage::WriteBatch* batch) const;

  storage::Store* const store_;
  storage::CaseLocks* const locks_;
  const collation::Collator* const collator_;
  const collation::KeyedHasher* const hasher_;
  const std::function<absl::Time()> clock_;
  absl::Mutex review_mu_;
};

// Review decisions as labelled pairs for MatchModel::FromLabelled: the
// level vector of each resolved item's explanation, read against `model`,
// and whether it was merged (the same incident) or kept separate.
struct LabelledPairs {
  std::vector<collation::LevelVector> pairs;
  std::vector<bool> is_match;
};
inline constexpr size_t kMinReviewDecisions = 100;
inline constexpr size_t kMinEachDecision = 20;
absl::StatusOr<LabelledPairs> ReviewDecisions(const storage::Store& store, const collation::MatchModel& model);

// Whether UpdateCase may move a case from `from` to `to`.
bool StatusTransitionAllowed(hirs::v1::CaseStatus from, hirs::v1::CaseStatus to);

}  // namespace hirs::cases

#endif  // HIRS_SERVICES_CASES_CASES_H_
