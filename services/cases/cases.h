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
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hirs/v1/case_service.pb.h"
#include "services/auth/principals.h"
#include "services/collation/keyed_hasher.h"
#include "storage/lock_manager.h"
#include "storage/store.h"

namespace hirs::cases {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;
inline constexpr size_t kMaxOutcomeNoteBytes = 4000;

// Thread safe.
class Cases {
 public:
  // Every pointer is borrowed and must outlive the object. `locks` are
  // shared with intake.
  Cases(storage::Store* store, storage::CaseLocks* locks, const collation::KeyedHasher* hasher,
        std::function<absl::Time()> clock = absl::Now);

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

 private:
  storage::Store* const store_;
  storage::CaseLocks* const locks_;
  const collation::KeyedHasher* const hasher_;
  const std::function<absl::Time()> clock_;
};

// Whether UpdateCase may move a case from `from` to `to`.
bool StatusTransitionAllowed(hirs::v1::CaseStatus from, hirs::v1::CaseStatus to);

}  // namespace hirs::cases

#endif  // HIRS_SERVICES_CASES_CASES_H_
