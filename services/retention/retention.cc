#include "services/retention/retention.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/civil_time.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "services/auth/redaction.h"
#include "services/collation/case_aggregate.h"
#include "services/extracts/history.h"
#include "storage/keys.h"

namespace hirs::retention {
namespace {

using hirs::store::v1::StoredCase;
using hirs::store::v1::StoredReport;
using storage::Family;

// Every report of `c`, oldest first.
absl::StatusOr<std::vector<std::string>> ReportIds(const storage::Store& store, const StoredCase& c) {
  return collation::MemberIds(store, c.case_().case_id());
}

}  // namespace

void ClearStoredReport(absl::Time now, StoredReport* stored) {
  auth::ClearPersonalData(stored->mutable_report());
  *stored->mutable_report()->mutable_personal_data_removed_at() = ToTimestamp(now);
  stored->mutable_normalised()->clear_victim_name();
  stored->mutable_normalised()->clear_victim_date_of_birth();
}

absl::StatusOr<int> RemovePersonalData(const storage::Store& store, const collation::Collator& collator,
                                       const std::vector<std::string>& remove, absl::Time now, StoredCase* after,
                                       storage::WriteBatch* batch) {
  ASSIGN_OR_RETURN(std::vector<std::optional<StoredReport>> reports,
                   storage::ReadProtos<StoredReport>(store, Family::kReports, remove));
  std::vector<std::string> changed;
  for (std::optional<StoredReport>& stored : reports) {
    if (!stored.has_value() || stored->report().has_personal_data_removed_at()) continue;
    ClearStoredReport(now, &*stored);
    batch->Put(Family::kReports, stored->report().report_id(), stored->SerializeAsString());
    changed.push_back(stored->report().report_id());
  }
  if (changed.empty()) return 0;
  const absl::flat_hash_set<std::string> changing(changed.begin(), changed.end());
  std::vector<std::string> others;
  ASSIGN_OR_RETURN(std::vector<std::string> all, ReportIds(store, *after));
  for (const std::string& id : all) {
    if (!changing.contains(id)) others.push_back(id);
  }
  RETURN_IF_ERROR(collator.Forget(changed, others, after->case_().case_id(), store, batch));
  *after->mutable_personal_data_removed_at() = ToTimestamp(now);
  return static_cast<int>(changed.size());
}

absl::StatusOr<std::vector<std::string>> SchoolReportsToClear(const storage::Store& store, const StoredCase& c) {
  ASSIGN_OR_RETURN(std::vector<std::string> ids, ReportIds(store, c));
  ASSIGN_OR_RETURN(std::vector<std::optional<StoredReport>> reports,
                   storage::ReadProtos<StoredReport>(store, Family::kReports, ids));
  std::vector<std::string> out;
  for (const std::optional<StoredReport>& r : reports) {
    if (r.has_value() && r->report().school_related() && !r->report().has_personal_data_removed_at()) {
      out.push_back(r->report().report_id());
    }
  }
  return out;
}

Retention::Retention(storage::Store* store, storage::CaseLocks* locks, const collation::Collator* collator,
                     audit::AuditLog* audit, std::function<absl::Time()> clock, RetentionOptions options)
    : store_(store), locks_(locks), collator_(collator), audit_(audit), clock_(std::move(clock)),
      options_(options) {}

absl::StatusOr<Outcome> Retention::ApplyToCase(const std::string& case_id, absl::string_view actor,
                                               absl::string_view method, bool dry_run) {
  const absl::Time now = clock_();
  storage::LockManager::Guard guard = locks_->cases.Lock({case_id});
  ASSIGN_OR_RETURN(std::optional<StoredCase> before, storage::ReadProto<StoredCase>(*store_, Family::kCases, case_id));
  Outcome outcome;
  if (!before.has_value() || before->case_().status() != hirs::v1::NON_CRIME_INCIDENT) return outcome;
  const hirs::v1::Case& c = before->case_();
  const absl::Time since = before->has_non_crime_since() ? ToAbslTime(before->non_crime_since())
                                                         : ToAbslTime(c.updated_at());
  std::vector<std::string> due;
  if (now - since >= options_.review_period) {
    ASSIGN_OR_RETURN(due, ReportIds(*store_, *before));
  } else {
    ASSIGN_OR_RETURN(due, SchoolReportsToClear(*store_, *before));
  }
  if (due.empty()) return outcome;
  StoredCase after = *before;
  storage::WriteBatch batch;
  ASSIGN_OR_RETURN(outcome.reports, RemovePersonalData(*store_, *collator_, due, now, &after, &batch));
  if (outcome.reports == 0) return outcome;
  outcome.cases = 1;
  if (dry_run) return outcome;
  collation::StampChange(now, &after);
  batch.Put(Family::kCases, case_id, after.SerializeAsString());
  extracts::RecordCaseChange(&*before, &after, now, &batch);
  collation::AppendCaseEvent(hirs::v1::CaseEvent::PERSONAL_DATA_REMOVED, after.case_(), {}, now, &batch);
  RETURN_IF_ERROR(store_->Write(std::move(batch)));
  std::vector<std::string> touched = {case_id};
  touched.insert(touched.end(), due.begin(), due.end());
  if (audit_ != nullptr) {
    RETURN_IF_ERROR(audit_->AppendAndWait(audit::NewEntry(actor, method, now, absl::StatusCode::kOk, std::move(touched))));
  }
  return outcome;
}

absl::StatusOr<Outcome> Retention::Run(absl::string_view actor, absl::string_view method, bool dry_run) {
  std::vector<std::string> case_ids;
  const std::string prefix = storage::CaseIndexPrefix(storage::kStatusIndex,
                                                      storage::IndexNumber(hirs::v1::NON_CRIME_INCIDENT));
  RETURN_IF_ERROR(store_->Scan(Family::kIndexes, prefix, 0, [&](absl::string_view key, absl::string_view) {
    case_ids.emplace_back(storage::CaseIdOfIndexKey(key));
    return true;
  }));
  Outcome total;
  for (const std::string& id : case_ids) {
    ASSIGN_OR_RETURN(Outcome one, ApplyToCase(id, actor, method, dry_run));
    total.cases += one.cases;
    total.reports += one.reports;
  }
  LogInfo(absl::StrCat("retention", dry_run ? " (dry run)" : "", " by ", actor, ": ", case_ids.size(),
                       " non-crime incidents examined, personal data removed from ", total.reports, " reports in ",
                       total.cases, " cases"));
  return total;
}

}  // namespace hirs::retention
