#include "services/extracts/history.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/civil_time.h"
#include "common/status_macros.h"
#include "services/collation/case_aggregate.h"
#include "storage/keys.h"

namespace hirs::extracts {
namespace {

using hirs::store::v1::StoredCase;

struct Place {
  std::string district, month;
  bool operator==(const Place& o) const { return district == o.district && month == o.month; }
};

std::optional<Place> PlaceOf(const StoredCase& c) {
  if (c.case_().district_code().empty()) return std::nullopt;
  return Place{c.case_().district_code(), UkMonth(ToAbslTime(c.case_().occurred_start()))};
}

}  // namespace

std::optional<hirs::v1::ExtractRow> ExtractFacts(const StoredCase& c) {
  const std::optional<Place> place = PlaceOf(c);
  if (!place.has_value()) return std::nullopt;
  const hirs::v1::Case& k = c.case_();
  const hirs::store::v1::CaseStatistics& s = c.statistics();
  hirs::v1::ExtractRow row;
  row.set_month(place->month);
  row.set_district_code(place->district);
  row.set_postcode_sector(s.postcode_sector());
  row.set_place_type(s.place_type());
  *row.mutable_motivations() = k.motivations();
  *row.mutable_incident_types() = k.incident_types();
  row.set_report_count(k.report_count());
  row.set_source_count(k.source_count());
  for (int role : s.reporter_roles()) row.add_reporter_roles(static_cast<hirs::v1::ReporterRole>(role));
  row.set_status(k.status());
  // Police recorded a crime: the status says so, or a crime reference was
  // given and police have not called it a non-crime incident.
  row.set_crime_recorded(k.status() == hirs::v1::CRIME_RECORDED ||
                         (!k.crime_reference().empty() && k.status() != hirs::v1::NON_CRIME_INCIDENT));
  row.set_repeat_victim(k.repeat_victim());
  row.set_victim_age_band(s.victim_age_band());
  return row;
}

void RecordCaseChange(const StoredCase* before, const StoredCase* after, absl::Time now,
                      storage::WriteBatch* batch) {
  storage::UpdateCaseIndexes(before != nullptr ? &before->case_() : nullptr,
                             after != nullptr ? &after->case_() : nullptr, batch);
  absl::Time stamp = now;
  if (before != nullptr && before->case_().has_updated_at()) {
    stamp = std::max(stamp, ToAbslTime(before->case_().updated_at()));
  }
  if (after != nullptr && after->case_().has_updated_at()) {
    stamp = std::max(stamp, ToAbslTime(after->case_().updated_at()));
  }
  const int64_t micros = absl::ToUnixMicros(stamp);
  const std::optional<hirs::v1::ExtractRow> old_row =
      before != nullptr ? ExtractFacts(*before) : std::nullopt;
  const std::optional<hirs::v1::ExtractRow> new_row = after != nullptr ? ExtractFacts(*after) : std::nullopt;
  const std::string& id = after != nullptr ? after->case_().case_id() : before->case_().case_id();
  const bool moved = old_row.has_value() && (!new_row.has_value() || old_row->district_code() != new_row->district_code() ||
                                             old_row->month() != new_row->month());
  if (moved) {
    batch->Put(storage::Family::kExtracts,
               storage::ExtractRowKey(old_row->district_code(), old_row->month(), id, micros), "");
  }
  if (new_row.has_value()) {
    const std::string bytes = new_row->SerializeAsString();
    if (moved || !old_row.has_value() || old_row->SerializeAsString() != bytes) {
      batch->Put(storage::Family::kExtracts,
                 storage::ExtractRowKey(new_row->district_code(), new_row->month(), id, micros), bytes);
    }
  }
}

absl::StatusOr<absl::Time> ExtractHistorySince(const storage::Store& store) {
  ASSIGN_OR_RETURN(std::optional<std::string> since, store.Get(storage::Family::kMeta, storage::kExtractHistorySinceKey));
  int64_t micros = 0;
  if (since.has_value() && !absl::SimpleAtoi(*since, &micros)) {
    return absl::DataLossError(absl::StrCat("meta ", storage::kExtractHistorySinceKey, " is not a number"));
  }
  return absl::FromUnixMicros(micros);
}

absl::Status EnsureExtractHistory(storage::Store* store, absl::Time now) {
  ASSIGN_OR_RETURN(std::optional<std::string> since, store->Get(storage::Family::kMeta, storage::kExtractHistorySinceKey));
  if (since.has_value()) return absl::OkStatus();
  // Cases from before schema 3, each rebuilt in its own batch (an
  // interrupted run starts again: a rebuilt case has statistics).
  std::vector<std::string> old_cases;
  RETURN_IF_ERROR(store->Scan(storage::Family::kCases, "", 0, [&](absl::string_view key, absl::string_view value) {
    StoredCase c;
    if (c.ParseFromArray(value.data(), static_cast<int>(value.size())) && !c.has_statistics()) {
      old_cases.emplace_back(key);
    }
    return true;
  }));
  for (const std::string& id : old_cases) {
    ASSIGN_OR_RETURN(std::optional<StoredCase> c, storage::ReadProto<StoredCase>(*store, storage::Family::kCases, id));
    if (!c.has_value()) continue;
    ASSIGN_OR_RETURN(std::vector<std::string> ids, collation::MemberIds(*store, id));
    ASSIGN_OR_RETURN(auto reports,
                     storage::ReadProtos<hirs::store::v1::StoredReport>(*store, storage::Family::kReports, ids));
    std::vector<hirs::store::v1::StoredReport> present;
    for (auto& r : reports) {
      if (r.has_value()) present.push_back(*std::move(r));
    }
    const StoredCase rebuilt = collation::RebuildCase(*c, std::move(present), now);
    StoredCase updated = *c;
    *updated.mutable_statistics() = rebuilt.statistics();
    storage::WriteBatch batch;
    batch.Put(storage::Family::kCases, id, updated.SerializeAsString());
    if (const auto row = ExtractFacts(updated); row.has_value()) {
      batch.Put(storage::Family::kExtracts,
                storage::ExtractRowKey(row->district_code(), row->month(), id, absl::ToUnixMicros(now)),
                row->SerializeAsString());
    }
    RETURN_IF_ERROR(store->Write(std::move(batch)));
  }
  storage::WriteBatch batch;
  batch.Put(storage::Family::kMeta, storage::kExtractHistorySinceKey,
            absl::StrCat(old_cases.empty() ? 0 : absl::ToUnixMicros(now)));
  return store->Write(std::move(batch));
}

}  // namespace hirs::extracts
