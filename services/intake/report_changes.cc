#include "services/intake/report_changes.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/bad_request.h"
#include "common/civil_time.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/collation/case_aggregate.h"
#include "services/records/case_records.h"
#include "services/records/personal_data.h"

namespace hirs::intake {
namespace {

using hirs::store::v1::StoredCase;
using hirs::store::v1::StoredReport;
using storage::Family;

// The report id and the reason every change names.
std::vector<FieldViolation> CheckIdAndReason(const std::string& report_id, const std::string& reason) {
  std::vector<FieldViolation> violations;
  if (!IsWellFormedId("rpt_", report_id)) {
    violations.push_back({"report_id", "is not a report id (\"rpt_\" followed by 26 characters)"});
  }
  if (reason.empty()) {
    violations.push_back(
        {"reason", "is required: say why, e.g. \"the victim asked on 2 December\" (no personal data)"});
  } else if (reason.size() > kMaxReasonBytes || !IsValidUtf8(reason)) {
    violations.push_back({"reason", absl::StrCat("must be valid UTF-8 of at most ", kMaxReasonBytes, " bytes")});
  }
  return violations;
}

// Removes the review items still waiting for a decision on `report_id`.
absl::Status DropPendingReviews(const storage::Store& store, const std::string& report_id, storage::WriteBatch* batch) {
  return store.Scan(Family::kReview, "", 0, [&](absl::string_view key, absl::string_view value) {
    hirs::v1::ReviewItem item;
    if (item.ParseFromArray(value.data(), static_cast<int>(value.size())) && item.report_id() == report_id &&
        item.decision() == hirs::v1::REVIEW_DECISION_UNSPECIFIED) {
      batch->Delete(Family::kReview, key);
    }
    return true;
  });
}

// `before` without `report_id`'s report: rebuilt from the reports that
// stay, and CLOSED when none does (it then leaves district extracts).
absl::StatusOr<StoredCase> CaseWithout(const storage::Store& store, const StoredCase& before,
                                       const std::vector<std::string>& others, absl::Time now) {
  ASSIGN_OR_RETURN(StoredCase after, collation::RebuildCaseFrom(store, before, others, now));
  if (before.has_non_crime_since()) *after.mutable_non_crime_since() = before.non_crime_since();
  if (before.has_personal_data_removed_at())
    *after.mutable_personal_data_removed_at() = before.personal_data_removed_at();
  if (others.empty()) after.mutable_case_()->set_status(hirs::v1::CLOSED);
  return after;
}

}  // namespace

struct ReportChanges::Locked {
  storage::LockManager::Guard keys;
  storage::LockManager::Guard cases;
  StoredReport report;
  StoredCase case_before;
};

ReportChanges::ReportChanges(storage::Store* store, storage::CaseLocks* locks, const collation::Collator* collator,
                             std::function<absl::Time()> clock)
    : store_(store), locks_(locks), collator_(collator), clock_(std::move(clock)) {}

absl::StatusOr<ReportChanges::Locked> ReportChanges::LockReport(const auth::Principal& caller,
                                                                const std::string& report_id) const {
  // The report's case can change (a merge) between the read and the locks:
  // then the round is repeated.
  for (int attempt = 0; attempt < 5; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<StoredReport> read,
                     storage::ReadProto<StoredReport>(*store_, Family::kReports, report_id));
    if (!read.has_value() || (caller.role != hirs::v1::ADMIN && read->report().reporting_centre() != caller.scope)) {
      return absl::NotFoundError(absl::StrCat("report ", report_id, " not found"));
    }
    if (read->report().has_withdrawal()) {
      return absl::FailedPreconditionError(
          absl::StrCat("report ", report_id, " was withdrawn on ",
                       absl::FormatTime(absl::RFC3339_sec, ToAbslTime(read->report().withdrawal().withdraw_time()),
                                        absl::UTCTimeZone()),
                       "; it can no longer change"));
    }
    ASSIGN_OR_RETURN(std::vector<std::string> keys, collator_->StoredKeys(report_id, *store_));
    Locked locked{locks_->keys.Lock(keys), locks_->cases.Lock({read->case_id()}), {}, {}};
    ASSIGN_OR_RETURN(std::optional<StoredReport> again,
                     storage::ReadProto<StoredReport>(*store_, Family::kReports, report_id));
    if (!again.has_value() || again->case_id() != read->case_id() || again->report().has_withdrawal()) continue;
    ASSIGN_OR_RETURN(std::optional<StoredCase> c, records::ReadCase(*store_, again->case_id()));
    if (!c.has_value()) return absl::DataLossError(absl::StrCat("the case of report ", report_id, " is not stored"));
    locked.report = std::move(*again);
    locked.case_before = std::move(*c);
    return locked;
  }
  return absl::AbortedError(absl::StrCat("report ", report_id, " kept changing meanwhile; retry"));
}

absl::StatusOr<hirs::v1::Report> ReportChanges::Withdraw(const auth::Principal& caller,
                                                         const hirs::v1::WithdrawReportRequest& request) {
  std::vector<FieldViolation> violations = CheckIdAndReason(request.report_id(), request.reason());
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  ASSIGN_OR_RETURN(Locked locked, LockReport(caller, request.report_id()));
  const absl::Time now = clock_();
  const std::string& id = request.report_id();
  const std::string case_id = locked.report.case_id();
  ASSIGN_OR_RETURN(std::vector<std::string> others, collation::MemberIdsExcept(*store_, case_id, {id}));
  ASSIGN_OR_RETURN(StoredCase after, CaseWithout(*store_, locked.case_before, others, now));
  storage::WriteBatch batch;
  RETURN_IF_ERROR(collator_->Drop(id, others, case_id, *store_, &batch));
  collation::DeleteMember(case_id, id, &batch);
  RETURN_IF_ERROR(DropPendingReviews(*store_, id, &batch));
  records::PutCase(&locked.case_before, after, {{hirs::v1::CaseEvent::REPORT_WITHDRAWN, {}, {id}}}, now, &batch);
  StoredReport& stored = locked.report;
  records::ClearStoredReport(now, &stored);
  hirs::v1::Withdrawal* w = stored.mutable_report()->mutable_withdrawal();
  *w->mutable_withdraw_time() = ToTimestamp(now);
  w->set_withdrawn_by(caller.id);
  w->set_reason(request.reason());
  w->set_case_id(case_id);
  stored.clear_case_id();
  batch.Put(Family::kReports, id, stored.SerializeAsString());
  RETURN_IF_ERROR(store_->Write(std::move(batch)));
  return std::move(*stored.mutable_report());
}

absl::StatusOr<hirs::v1::Report> ReportChanges::UpdateConsent(const auth::Principal& caller,
                                                              const hirs::v1::UpdateConsentRequest& request) {
  std::vector<FieldViolation> violations = CheckIdAndReason(request.report_id(), request.reason());
  if (!request.has_consent()) {
    violations.push_back({"consent",
                          "is required: the whole consent from now on (share_with_police, "
                          "contact_victim, anonymous)"});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  ASSIGN_OR_RETURN(Locked locked, LockReport(caller, request.report_id()));
  StoredReport& stored = locked.report;
  const hirs::v1::Consent before = stored.report().consent();
  if (google::protobuf::util::MessageDifferencer::Equals(before, request.consent()))
    return std::move(*stored.mutable_report());  // nothing changes
  const absl::Time now = clock_();
  const std::string& id = request.report_id();
  hirs::v1::ConsentChange* change = stored.mutable_report()->add_consent_changes();
  *change->mutable_change_time() = ToTimestamp(now);
  change->set_changed_by(caller.id);
  *change->mutable_before() = before;
  *change->mutable_after() = request.consent();
  change->set_reason(request.reason());
  *stored.mutable_report()->mutable_consent() = request.consent();
  storage::WriteBatch batch;
  if (request.consent().anonymous() && !before.anonymous()) {
    // Anonymous from now on: what identifies the victim goes, and with it
    // what collation derived from it.
    records::ClearStoredIdentity(&stored);
    ASSIGN_OR_RETURN(std::vector<std::string> others, collation::MemberIdsExcept(*store_, stored.case_id(), {id}));
    RETURN_IF_ERROR(collator_->Forget({id}, others, stored.case_id(), *store_, &batch));
  }
  StoredCase after = locked.case_before;
  collation::StampChange(now, &after);
  records::PutCase(&locked.case_before, after, {{hirs::v1::CaseEvent::CONSENT_CHANGED, {}, {id}}}, now, &batch);
  batch.Put(Family::kReports, id, stored.SerializeAsString());
  RETURN_IF_ERROR(store_->Write(std::move(batch)));
  return std::move(*stored.mutable_report());
}

}  // namespace hirs::intake
