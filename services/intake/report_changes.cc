#include "services/intake/report_changes.h"

#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/bad_request.h"
#include "common/civil_time.h"
#include "common/field_behavior.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/collation/case_aggregate.h"
#include "services/collation/keyed_hasher.h"
#include "services/intake/intake.h"
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
  if (others.empty()) after.mutable_case_()->set_status(hirs::v1::CLOSED);
  return after;
}

// Collects the paths (AIP-161, without indexes) of the fields that differ.
class FieldPaths : public google::protobuf::util::MessageDifferencer::Reporter {
 public:
  using Path = std::vector<google::protobuf::util::MessageDifferencer::SpecificField>;
  void ReportAdded(const google::protobuf::Message&, const google::protobuf::Message&, const Path& path) override {
    Add(path);
  }
  void ReportDeleted(const google::protobuf::Message&, const google::protobuf::Message&, const Path& path) override {
    Add(path);
  }
  void ReportModified(const google::protobuf::Message&, const google::protobuf::Message&, const Path& path) override {
    Add(path);
  }
  // The fields that changed, not the messages holding them.
  std::vector<std::string> paths() const {
    std::vector<std::string> leaves;
    for (const std::string& path : paths_) {
      const auto next = paths_.upper_bound(path);
      if (next == paths_.end() || !absl::StartsWith(*next, absl::StrCat(path, "."))) leaves.push_back(path);
    }
    return leaves;
  }

 private:
  void Add(const Path& path) {
    std::vector<std::string> names;
    for (const auto& field : path) {
      if (field.field != nullptr) names.push_back(field.field->name());
    }
    paths_.insert(absl::StrJoin(names, "."));
  }
  std::set<std::string> paths_;
};

// The fields a submission gives that differ between two versions.
std::vector<std::string> FieldsChanged(hirs::v1::Report before, hirs::v1::Report after) {
  ClearOutputOnlyFields(&before);
  ClearOutputOnlyFields(&after);
  FieldPaths paths;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesTo(&paths);
  differ.Compare(before, after);
  return paths.paths();
}

// Why `stored` cannot take the amendment `request` (its report cleared of
// output-only fields: `amended`): a stale etag, a consent change, or
// personal data removed by retention.
absl::Status CheckAmendable(const hirs::v1::AmendReportRequest& request, const hirs::v1::Report& amended,
                            const StoredReport& stored) {
  if (!request.etag().empty() && request.etag() != records::ReportEtag(stored)) {
    return absl::AbortedError(absl::StrCat("report ", request.report_id(),
                                           " changed after it was read (its etag is now ", records::ReportEtag(stored),
                                           "); read it again and amend that version"));
  }
  if (!google::protobuf::util::MessageDifferencer::Equals(amended.consent(), stored.report().consent())) {
    return InvalidArgumentWithViolations(
        {{"report.consent",
          "is changed by UpdateConsent (POST /v1/reports/{report_id}:updateConsent), not by an "
          "amendment: give the consent as it stands"}});
  }
  if (stored.report().has_personal_data_removed_at()) {
    return absl::FailedPreconditionError(absl::StrCat("the personal data of report ", request.report_id(),
                                                      " was removed under the retention rules; it can no "
                                                      "longer be amended"));
  }
  return absl::OkStatus();
}

// The report as a caller gets it back, with its etag.
hirs::v1::Report Answer(StoredReport& stored) {
  stored.mutable_report()->set_etag(records::ReportEtag(stored));
  return std::move(*stored.mutable_report());
}

// `stored` with `amended` as its current version and the one before kept.
void AddVersion(const auth::Principal& caller, const std::string& reason, hirs::v1::Report amended,
                std::vector<std::string> changed, absl::Time now, StoredReport* stored) {
  hirs::v1::Report& current = *stored->mutable_report();
  if (current.versions().empty()) {
    hirs::v1::ReportVersion* first = current.add_versions();
    first->set_version(1);
    *first->mutable_create_time() = current.received_at();
    first->set_created_by(current.submitted_by());
  }
  hirs::v1::ReportVersion version;
  version.set_version(current.versions_size() + 1);
  *version.mutable_create_time() = ToTimestamp(now);
  version.set_created_by(caller.id);
  version.set_reason(reason);
  for (auto& path : changed) version.add_changed_fields(std::move(path));
  hirs::v1::Report& earlier = *stored->add_earlier_versions();
  earlier = current;
  earlier.clear_versions();
  earlier.clear_progress();
  earlier.clear_etag();
  // What the server set stays: ids, times, who, the consent and its history.
  amended.set_report_id(current.report_id());
  amended.set_reporting_centre(current.reporting_centre());
  amended.set_submitted_by(current.submitted_by());
  *amended.mutable_received_at() = current.received_at();
  *amended.mutable_consent() = current.consent();
  *amended.mutable_consent_changes() = current.consent_changes();
  *amended.mutable_versions() = current.versions();
  *amended.add_versions() = std::move(version);
  current = std::move(amended);
}

}  // namespace

struct ReportChanges::Locked {
  storage::LockManager::Guard keys;
  storage::LockManager::Guard cases;
  StoredReport report;
  StoredCase case_before;
  std::optional<StoredCase> other_case;  // LockReport's `more_case`, if stored
};

// An amended version, planned before any lock is taken.
struct ReportChanges::Amendment {
  hirs::v1::Report report;  // output-only fields cleared
  hirs::store::v1::NormalisedFields normalised;
  collation::CollationPlan plan;
  std::string request_key;  // "" without a request_id
  std::string content_sha256;
  std::vector<std::string> changed;  // FieldsChanged from the current version
  absl::Time now;
};

// Where an amended report goes: its case, or another (`explanation` says
// why); with a review item of `explanation` when a person should decide.
struct ReportChanges::Placement {
  std::string case_id;
  hirs::v1::CollationExplanation explanation;
  bool review = false;
  // Earlier cases of the same victim (Decision::linked_case_ids): the
  // report's case links to them, as at intake. Links are only added: one
  // an earlier version made stays (a person may have acted on it).
  std::vector<std::string> linked_case_ids;
};

ReportChanges::ReportChanges(storage::Store* store, storage::CaseLocks* locks, const collation::Collator* collator,
                             const DistrictRouter* router, std::function<absl::Time()> clock)
    : store_(store), locks_(locks), collator_(collator), router_(router), clock_(std::move(clock)) {}

absl::StatusOr<ReportChanges::Locked> ReportChanges::LockReport(const auth::Principal& caller,
                                                                const std::string& report_id,
                                                                const std::vector<std::string>& more_keys,
                                                                const std::string& more_case) const {
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
    keys.insert(keys.end(), more_keys.begin(), more_keys.end());
    std::vector<std::string> case_ids = {read->case_id()};
    if (!more_case.empty() && more_case != read->case_id()) case_ids.push_back(more_case);
    Locked locked{locks_->keys.Lock(keys), locks_->cases.Lock(case_ids), {}, {}, std::nullopt};
    ASSIGN_OR_RETURN(std::optional<StoredReport> again,
                     storage::ReadProto<StoredReport>(*store_, Family::kReports, report_id));
    if (!again.has_value() || again->case_id() != read->case_id() || again->report().has_withdrawal()) continue;
    ASSIGN_OR_RETURN(std::optional<StoredCase> c, records::ReadCase(*store_, again->case_id()));
    if (!c.has_value()) return absl::DataLossError(absl::StrCat("the case of report ", report_id, " is not stored"));
    locked.report = std::move(*again);
    locked.case_before = std::move(*c);
    if (case_ids.size() > 1) {
      ASSIGN_OR_RETURN(locked.other_case, records::ReadCase(*store_, more_case));
    }
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
  collation::DeleteMember(case_id, locked.report.report().reporting_centre(), id, &batch);
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
  return Answer(stored);
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
    return Answer(stored);  // nothing changes
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
  return Answer(stored);
}

absl::StatusOr<hirs::v1::Report> ReportChanges::Amend(const auth::Principal& caller,
                                                      const hirs::v1::AmendReportRequest& request) {
  Amendment a;
  a.now = clock_();
  std::vector<FieldViolation> violations = CheckIdAndReason(request.report_id(), request.reason());
  if (!request.has_report()) {
    violations.push_back({"report", "is required: the whole report as it should now read"});
  } else {
    hirs::v1::SubmitReportRequest as_submitted;
    *as_submitted.mutable_report() = request.report();
    as_submitted.set_request_id(request.request_id());
    for (auto& v : ValidateSubmitRequest(as_submitted, a.now)) violations.push_back(std::move(v));
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  a.report = request.report();
  ClearOutputOnlyFields(&a.report);
  a.normalised = Normalise(a.report, *router_);
  a.plan = collator_->Plan(collation::CollationInput{&a.report, &a.normalised, caller.scope});
  a.content_sha256 = collation::Sha256(absl::StrCat(request.report_id(), "\n", a.report.SerializeAsString()));
  std::vector<std::string> keys = a.plan.lock_keys;
  if (!request.request_id().empty()) {
    a.request_key = storage::RequestKey(caller.scope, absl::StrCat("amend\n", request.request_id()));
    keys.push_back(a.request_key);
  }
  // A move locks the case it goes to with the report's; should collation
  // name another once that is held, the round is repeated.
  std::string move_to;
  for (int attempt = 0; attempt < 3; ++attempt) {
    ASSIGN_OR_RETURN(Locked locked, LockReport(caller, request.report_id(), keys, move_to));
    StoredReport& stored = locked.report;
    if (!a.request_key.empty()) {
      ASSIGN_OR_RETURN(std::optional<RequestRecord> seen,
                       storage::ReadProto<RequestRecord>(*store_, Family::kRequests, a.request_key));
      if (seen.has_value() && seen->content_sha256() == a.content_sha256) return Answer(stored);
      if (seen.has_value()) {
        return absl::AlreadyExistsError(absl::StrCat("request_id \"", request.request_id(),
                                                     "\" was already used for a different amendment; use a new "
                                                     "request_id for a new amendment"));
      }
    }
    RETURN_IF_ERROR(CheckAmendable(request, a.report, stored));
    a.changed = FieldsChanged(stored.report(), a.report);
    if (a.changed.empty()) return Answer(stored);  // nothing changes
    ASSIGN_OR_RETURN(collation::Decision decision, collator_->Decide(a.plan, *store_));
    const Placement placement = PlaceAmended(decision, locked);
    if (placement.case_id == stored.case_id() || placement.case_id == move_to) {
      return WriteAmendment(caller, request, a, locked, placement);
    }
    move_to = placement.case_id;
  }
  return absl::AbortedError(absl::StrCat("the cases around report ", request.report_id(), " kept changing; retry"));
}

ReportChanges::Placement ReportChanges::PlaceAmended(const collation::Decision& decision, const Locked& locked) const {
  const std::string& here = locked.report.case_id();
  Placement p{here, decision.explanation, false, decision.linked_case_ids};
  p.explanation.set_report_id(locked.report.report().report_id());
  // A person placed it: it stays where they put it.
  if (!locked.report.placed_by().empty()) return p;
  bool uncertain = decision.outcome == hirs::v1::NEEDS_REVIEW;
  if (decision.outcome == hirs::v1::ATTACHED_TO_CASE && decision.case_id != here) {
    // Not locked yet: the caller locks it and asks again.
    const StoredCase* there = locked.other_case.has_value() ? &*locked.other_case : nullptr;
    if (there == nullptr || there->case_().case_id() != decision.case_id) {
      p.case_id = decision.case_id;
      return p;
    }
    // As at intake: a person decided the match and another candidate
    // (its own case among them) are different incidents; a person places it.
    uncertain = collation::SeparatedFromAnotherCandidate(*there, decision.explanation.candidate_case_ids());
    if (!uncertain && there->case_().report_count() > 0) {  // not a case left with no report
      p.case_id = decision.case_id;
      p.explanation.set_case_id(decision.case_id);
      return p;
    }
  }
  if (!uncertain) return p;
  // A person decides, among the candidates but its own case.
  p.explanation.clear_candidate_case_ids();
  for (const auto& id : decision.explanation.candidate_case_ids()) {
    if (id != here) p.explanation.add_candidate_case_ids(id);
  }
  p.explanation.set_case_id(here);
  p.explanation.set_outcome(hirs::v1::NEEDS_REVIEW);
  p.review = p.explanation.candidate_case_ids_size() > 0;
  return p;
}

absl::StatusOr<hirs::v1::Report> ReportChanges::WriteAmendment(const auth::Principal& caller,
                                                               const hirs::v1::AmendReportRequest& request,
                                                               Amendment& a, Locked& locked,
                                                               const Placement& placement) {
  StoredReport& stored = locked.report;
  const std::string id = request.report_id();
  const std::string from = stored.case_id();
  const std::string& to = placement.case_id;
  const bool moves = to != from;
  if (moves && !locked.other_case.has_value()) {
    return absl::AbortedError(absl::StrCat("case ", to, " changed while report ", id, " was amended; retry"));
  }
  AddVersion(caller, request.reason(), std::move(a.report), std::move(a.changed), a.now, &stored);
  *stored.mutable_normalised() = std::move(a.normalised);
  stored.set_case_id(to);
  const StoredCase& target_before = moves ? *locked.other_case : locked.case_before;
  if (target_before.case_().status() == hirs::v1::NON_CRIME_INCIDENT && stored.report().school_related()) {
    // As at intake: a school-related report keeps no personal data in a
    // non-crime incident, and collation keeps only what remains.
    records::ClearStoredReport(a.now, &stored);
    a.plan = collator_->Plan(collation::CollationInput{&stored.report(), &stored.normalised(), caller.scope});
  }
  ASSIGN_OR_RETURN(std::vector<std::string> others, collation::MemberIdsExcept(*store_, from, {id}));
  storage::WriteBatch batch;
  RETURN_IF_ERROR(collator_->Drop(id, others, from, *store_, &batch));
  collator_->Record(a.plan, id, to, placement.review ? hirs::v1::NEEDS_REVIEW : hirs::v1::ATTACHED_TO_CASE, &batch);
  RETURN_IF_ERROR(DropPendingReviews(*store_, id, &batch));
  if (placement.review) PutReviewItem(placement.explanation, a.now, &batch);
  if (moves) {
    ASSIGN_OR_RETURN(StoredCase left, CaseWithout(*store_, locked.case_before, others, a.now));
    StoredCase joined = *locked.other_case;
    collation::AddReportToCase(stored, a.now, &joined);
    collation::LinkRepeatVictimCases(placement.linked_case_ids, &joined);
    collation::DeleteMember(from, stored.report().reporting_centre(), id, &batch);
    collation::PutMember(to, stored.report().reporting_centre(), placement.explanation, &batch);
    records::PutCase(&locked.case_before, left, {{hirs::v1::CaseEvent::REPORT_AMENDED, {to}, {id}}}, a.now, &batch);
    records::PutCase(&*locked.other_case, joined, {{hirs::v1::CaseEvent::REPORT_AMENDED, {from}, {id}}}, a.now, &batch);
  } else {
    ASSIGN_OR_RETURN(StoredCase after,
                     collation::RebuildCaseFrom(*store_, locked.case_before, others, a.now, {stored}));
    collation::LinkRepeatVictimCases(placement.linked_case_ids, &after);
    records::PutCase(&locked.case_before, after, {{hirs::v1::CaseEvent::REPORT_AMENDED, {}, {id}}}, a.now, &batch);
  }
  if (!a.request_key.empty()) {
    RequestRecord record;
    record.set_report_id(id);
    record.set_case_id(to);
    record.set_content_sha256(a.content_sha256);
    *record.mutable_received_at() = ToTimestamp(a.now);
    batch.Put(Family::kRequests, a.request_key, record.SerializeAsString());
  }
  batch.Put(Family::kReports, id, stored.SerializeAsString());
  RETURN_IF_ERROR(store_->Write(std::move(batch)));
  return Answer(stored);
}

}  // namespace hirs::intake
