#include "services/records/case_records.h"

#include <utility>

#include "common/civil_time.h"
#include "services/records/history.h"

namespace hirs::records {
namespace {

using hirs::store::v1::StoredCase;

// The event's case carries no report ids, explanations or reports: what
// changed, not the whole case; readers fetch the rest with GetCase and
// ListCaseReports. Storage assigns the cursor.
void AppendCaseEvent(const CaseEventSpec& spec, const hirs::v1::Case& c, absl::Time now, storage::WriteBatch* batch) {
  hirs::v1::CaseEvent event;
  event.set_kind(spec.kind);
  event.set_case_id(c.case_id());
  *event.mutable_case_() = c;
  event.mutable_case_()->clear_report_ids();
  event.mutable_case_()->clear_explanations();
  event.mutable_case_()->clear_reports();
  for (const auto& id : spec.related_case_ids) event.add_related_case_ids(id);
  for (const auto& id : spec.report_ids) event.add_report_ids(id);
  *event.mutable_occurred_at() = ToTimestamp(now);
  batch->AppendChange(c.case_id(), [event = std::move(event)](uint64_t sequence) mutable {
    event.set_cursor(sequence);
    return event.SerializeAsString();
  });
}

}  // namespace

absl::StatusOr<std::optional<StoredCase>> ReadCase(const storage::Store& store, absl::string_view case_id) {
  return storage::ReadProto<StoredCase>(store, storage::Family::kCases, case_id);
}

void PutCase(const StoredCase* before, const StoredCase& after, const std::vector<CaseEventSpec>& events,
             absl::Time now, storage::WriteBatch* batch) {
  batch->Put(storage::Family::kCases, after.case_().case_id(), after.SerializeAsString());
  RecordCaseChange(before, &after, now, batch);
  for (const CaseEventSpec& spec : events) AppendCaseEvent(spec, after.case_(), now, batch);
}

void DeleteCase(const StoredCase& before, absl::Time now, storage::WriteBatch* batch) {
  batch->Delete(storage::Family::kCases, before.case_().case_id());
  RecordCaseChange(&before, nullptr, now, batch);
}

}  // namespace hirs::records
