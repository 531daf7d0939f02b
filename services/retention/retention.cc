#include "services/retention/retention.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/civil_time.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "services/collation/case_aggregate.h"
#include "services/records/case_records.h"
#include "services/records/personal_data.h"
#include "storage/keys.h"

namespace hirs::retention {
using hirs::store::v1::StoredCase;
using storage::Family;

Retention::Retention(storage::Store* store, storage::CaseLocks* locks, const collation::Collator* collator,
                     audit::AuditLog* audit, std::function<absl::Time()> clock, RetentionOptions options)
    : store_(store), locks_(locks), collator_(collator), audit_(audit), clock_(std::move(clock)), options_(options) {}

absl::StatusOr<Outcome> Retention::ApplyToCase(const std::string& case_id, absl::string_view actor,
                                               absl::string_view method, bool dry_run) {
  const absl::Time now = clock_();
  storage::LockManager::Guard guard = locks_->cases.Lock({case_id});
  ASSIGN_OR_RETURN(std::optional<StoredCase> before, records::ReadCase(*store_, case_id));
  Outcome outcome;
  if (!before.has_value() || before->case_().status() != hirs::v1::NON_CRIME_INCIDENT) return outcome;
  const hirs::v1::Case& c = before->case_();
  const absl::Time since =
      before->has_non_crime_since() ? ToAbslTime(before->non_crime_since()) : ToAbslTime(c.updated_at());
  std::vector<std::string> due;
  if (now - since >= options_.review_period) {
    ASSIGN_OR_RETURN(due, collation::MemberIds(*store_, case_id));
  } else {
    ASSIGN_OR_RETURN(due, records::SchoolReportsToClear(*store_, *before));
  }
  if (due.empty()) return outcome;
  StoredCase after = *before;
  storage::WriteBatch batch;
  ASSIGN_OR_RETURN(outcome.reports, records::RemovePersonalData(*store_, *collator_, due, now, &after, &batch));
  if (outcome.reports == 0) return outcome;
  outcome.cases = 1;
  if (dry_run) return outcome;
  collation::StampChange(now, &after);
  records::PutCase(&*before, after, {{hirs::v1::CaseEvent::PERSONAL_DATA_REMOVED}}, now, &batch);
  RETURN_IF_ERROR(store_->Write(std::move(batch)));
  std::vector<std::string> touched = {case_id};
  touched.insert(touched.end(), due.begin(), due.end());
  if (audit_ != nullptr) {
    RETURN_IF_ERROR(
        audit_->AppendAndWait(audit::NewEntry(actor, method, now, absl::StatusCode::kOk, std::move(touched))));
  }
  return outcome;
}

absl::StatusOr<Outcome> Retention::Run(absl::string_view actor, absl::string_view method, bool dry_run) {
  std::vector<std::string> case_ids;
  const std::string prefix =
      storage::CaseIndexPrefix(storage::kStatusIndex, storage::IndexNumber(hirs::v1::NON_CRIME_INCIDENT));
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
