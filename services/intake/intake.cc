#include "services/intake/intake.h"

#include "absl/strings/str_cat.h"
#include "common/bad_request.h"
#include "common/civil_time.h"
#include "common/field_behavior.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "hirs/v1/case_service.pb.h"
#include "services/collation/case_aggregate.h"
#include "services/intake/normalise.h"
#include "services/intake/validation.h"
#include "services/records/case_records.h"
#include "services/records/personal_data.h"
#include "storage/keys.h"

namespace hirs::intake {
namespace {

using hirs::store::v1::RequestRecord;
using hirs::store::v1::StoredCase;
using hirs::store::v1::StoredReport;
using storage::Family;

}  // namespace

Intake::Intake(storage::Store* store, storage::CaseLocks* locks, const collation::Collator* collator,
               const DistrictRouter* router, const collation::KeyedHasher* hasher, std::function<absl::Time()> clock)
    : store_(store), collator_(collator), router_(router), hasher_(hasher), clock_(std::move(clock)), locks_(locks) {}

std::string Intake::Receipt(const StoredReport& stored) const {
  const std::string received =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", ToAbslTime(stored.report().received_at()), absl::UTCTimeZone());
  const std::string digest = collation::Hex(stored.content_sha256());
  const std::string mac = collation::Hex(
      hasher_->Mac("receipt", {stored.report().report_id(), received, stored.content_sha256()}).substr(0, 16));
  return absl::StrCat("hirs-receipt/v1 ", stored.report().report_id(), " ", received, " sha256:", digest, " mac:", mac);
}

absl::StatusOr<SubmitResult> Intake::AlreadyReceived(const RequestRecord& record) const {
  ASSIGN_OR_RETURN(std::optional<StoredReport> stored,
                   storage::ReadProto<StoredReport>(*store_, Family::kReports, record.report_id()));
  if (!stored.has_value()) {
    return absl::DataLossError("an idempotency record points at a report that is not stored");
  }
  SubmitResult result;
  result.report_id = record.report_id();
  result.case_id = stored->case_id();  // current case: it may have been merged since
  result.collation = hirs::v1::ALREADY_RECEIVED;
  result.match_score = stored->match_score();
  result.receipt = Receipt(*stored);
  return result;
}

// A submission as it passes through the steps of Submit.
struct Intake::Submission {
  absl::Time now;
  std::string centre_id;
  std::string content_key;  // idempotency by content, and by request_id:
  std::string request_key;  // "" without one
  StoredReport stored;      // the report as it will be stored
  collation::CollationPlan plan;
  collation::Decision decision;
  // The case the report joins, as read under its lock (none: a new case).
  std::optional<StoredCase> before;
  storage::LockManager::Guard case_guard;
};

void PutReviewItem(const hirs::v1::CollationExplanation& explanation, absl::Time now, storage::WriteBatch* batch) {
  hirs::v1::ReviewItem item;
  item.set_review_id(NewId("rev_", now));
  item.set_report_id(explanation.report_id());
  item.set_case_id(explanation.case_id());
  *item.mutable_candidate_case_ids() = explanation.candidate_case_ids();
  *item.mutable_explanation() = explanation;
  *item.mutable_created_at() = ToTimestamp(now);
  batch->Put(Family::kReview, item.review_id(), item.SerializeAsString());
}

absl::StatusOr<Intake::Submission> Intake::Plan(absl::string_view centre_id,
                                                const hirs::v1::SubmitReportRequest& request) const {
  Submission s;
  s.now = clock_();
  std::vector<FieldViolation> violations = ValidateSubmitRequest(request, s.now);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  s.centre_id = std::string(centre_id);
  s.stored.set_request_id(request.request_id());
  hirs::v1::Report& report = *s.stored.mutable_report() = request.report();
  ClearOutputOnlyFields(&report);
  s.stored.set_content_sha256(collation::Sha256(report.SerializeAsString()));
  *s.stored.mutable_normalised() = Normalise(report, *router_);
  s.plan = collator_->Plan(collation::CollationInput{&report, &s.stored.normalised(), s.centre_id});
  s.content_key = storage::ContentKey(centre_id, s.stored.content_sha256());
  if (!request.request_id().empty()) s.request_key = storage::RequestKey(centre_id, request.request_id());
  return s;
}

absl::StatusOr<std::optional<SubmitResult>> Intake::Known(const Submission& s, const AlsoWrite& also_write) const {
  if (!s.request_key.empty()) {
    ASSIGN_OR_RETURN(std::optional<RequestRecord> seen,
                     storage::ReadProto<RequestRecord>(*store_, Family::kRequests, s.request_key));
    if (seen.has_value()) {
      if (seen->content_sha256() != s.stored.content_sha256()) {
        return absl::AlreadyExistsError(absl::StrCat("request_id \"", s.stored.request_id(),
                                                     "\" was already used for a different report (", seen->report_id(),
                                                     "); use a new request_id for a new report"));
      }
      return AlreadyReceived(*seen);
    }
  }
  ASSIGN_OR_RETURN(std::optional<RequestRecord> same_content,
                   storage::ReadProto<RequestRecord>(*store_, Family::kRequests, s.content_key));
  if (!same_content.has_value()) return std::nullopt;
  ASSIGN_OR_RETURN(SubmitResult result, AlreadyReceived(*same_content));
  if (!s.request_key.empty()) {
    // Remember the new key too, so a retry under it is recognised directly.
    storage::WriteBatch batch;
    batch.Put(Family::kRequests, s.request_key, same_content->SerializeAsString());
    if (also_write) also_write(result, &batch);
    RETURN_IF_ERROR(store_->Write(std::move(batch)));
  }
  return result;
}

absl::Status Intake::Place(Submission& s) const {
  collation::Decision& decision = s.decision;
  if (decision.outcome == hirs::v1::ATTACHED_TO_CASE) {
    s.case_guard = locks_->cases.Lock({decision.case_id});
    ASSIGN_OR_RETURN(s.before, records::ReadCase(*store_, decision.case_id));
    if (!s.before.has_value()) {
      return absl::UnavailableError("the matching case changed during collation; retry the submission");
    }
    if (collation::SeparatedFromAnotherCandidate(*s.before, decision.explanation.candidate_case_ids())) {
      decision.outcome = hirs::v1::NEEDS_REVIEW;
      decision.explanation.set_outcome(hirs::v1::NEEDS_REVIEW);
      decision.case_id.clear();
      s.before.reset();
      s.case_guard = storage::LockManager::Guard();  // not writing it after all
    }
  }
  const hirs::v1::Report& r = s.stored.report();
  if (s.before.has_value() && s.before->case_().status() == hirs::v1::NON_CRIME_INCIDENT && r.school_related()) {
    // A school-related report keeps no victim personal data in a non-crime
    // incident (services/retention/retention.h): it is stored without it,
    // and collation keeps only what the redacted report gives.
    records::ClearStoredReport(s.now, &s.stored);
    s.plan = collator_->Plan(collation::CollationInput{&r, &s.stored.normalised(), s.centre_id});
  }
  return absl::OkStatus();
}

SubmitResult Intake::Compose(Submission& s, storage::WriteBatch* batch) {
  const collation::Decision& decision = s.decision;
  StoredCase c;
  if (s.before.has_value()) {
    c = *s.before;
  } else {
    c = collation::NewCase(NewId("case_", s.now));
    s.case_guard = locks_->cases.Lock({c.case_().case_id()});
  }
  const std::string& report_id = s.stored.report().report_id();
  s.stored.set_collation(decision.outcome);
  s.stored.set_case_id(c.case_().case_id());
  collation::AddReportToCase(s.stored, s.now, &c);
  collation::LinkRepeatVictimCases(decision.linked_case_ids, &c);
  hirs::v1::CollationExplanation member = decision.explanation;
  member.set_report_id(report_id);
  member.set_case_id(c.case_().case_id());
  member.set_outcome(decision.outcome);

  batch->Put(Family::kReports, report_id, s.stored.SerializeAsString());
  batch->Put(Family::kCentreReports, storage::CentreReportKey(s.stored.report().reporting_centre(), report_id), "");
  collation::PutMember(c.case_().case_id(), s.stored.report().reporting_centre(), member, batch);
  const auto kind = s.before.has_value() ? hirs::v1::CaseEvent::REPORT_ATTACHED : hirs::v1::CaseEvent::CASE_CREATED;
  records::PutCase(s.before.has_value() ? &*s.before : nullptr, c, {{kind, {}, {report_id}}}, s.now, batch);
  collator_->Record(s.plan, report_id, c.case_().case_id(), decision.outcome, batch);
  if (decision.outcome == hirs::v1::NEEDS_REVIEW) PutReviewItem(member, s.now, batch);
  RequestRecord record;
  record.set_report_id(report_id);
  record.set_case_id(c.case_().case_id());
  record.set_content_sha256(s.stored.content_sha256());
  *record.mutable_received_at() = s.stored.report().received_at();
  const std::string record_bytes = record.SerializeAsString();
  batch->Put(Family::kRequests, s.content_key, record_bytes);
  if (!s.request_key.empty()) batch->Put(Family::kRequests, s.request_key, record_bytes);
  SubmitResult result;
  result.report_id = report_id;
  result.case_id = c.case_().case_id();
  result.collation = decision.outcome;
  result.match_score = decision.score;
  result.receipt = Receipt(s.stored);
  return result;
}

absl::StatusOr<SubmitResult> Intake::Submit(absl::string_view centre_id, const hirs::v1::SubmitReportRequest& request,
                                            const AlsoWrite& also_write, absl::string_view submitted_by) {
  ASSIGN_OR_RETURN(Submission s, Plan(centre_id, request));
  std::vector<std::string> lock_keys = s.plan.lock_keys;
  lock_keys.push_back(s.content_key);
  if (!s.request_key.empty()) lock_keys.push_back(s.request_key);
  storage::LockManager::Guard key_guard = locks_->keys.Lock(lock_keys);

  ASSIGN_OR_RETURN(std::optional<SubmitResult> known, Known(s, also_write));
  if (known.has_value()) return *std::move(known);

  ASSIGN_OR_RETURN(s.decision, collator_->Decide(s.plan, *store_));
  hirs::v1::Report& r = *s.stored.mutable_report();
  r.set_report_id(NewId("rpt_", s.now));
  r.set_reporting_centre(s.centre_id);
  r.set_submitted_by(std::string(submitted_by.empty() ? centre_id : submitted_by));
  *r.mutable_received_at() = ToTimestamp(s.now);
  s.stored.set_match_score(s.decision.score);
  RETURN_IF_ERROR(Place(s));

  storage::WriteBatch batch;
  SubmitResult result = Compose(s, &batch);
  if (also_write) also_write(result, &batch);
  RETURN_IF_ERROR(store_->Write(std::move(batch)));
  return result;
}

}  // namespace hirs::intake
