#include "services/records/history.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/civil_time.h"
#include "common/status_macros.h"
#include "services/collation/case_aggregate.h"
#include "storage/keys.h"

namespace hirs::records {
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

void RecordCaseChange(const StoredCase* before, const StoredCase* after, absl::Time now, storage::WriteBatch* batch) {
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
  const std::optional<hirs::v1::ExtractRow> old_row = before != nullptr ? ExtractFacts(*before) : std::nullopt;
  const std::optional<hirs::v1::ExtractRow> new_row = after != nullptr ? ExtractFacts(*after) : std::nullopt;
  const std::string& id = after != nullptr ? after->case_().case_id() : before->case_().case_id();
  const bool moved =
      old_row.has_value() && (!new_row.has_value() || old_row->district_code() != new_row->district_code() ||
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
  ASSIGN_OR_RETURN(std::optional<std::string> since,
                   store.Get(storage::Family::kMeta, storage::kExtractHistorySinceKey));
  int64_t micros = 0;
  if (since.has_value() && !absl::SimpleAtoi(*since, &micros)) {
    return absl::DataLossError(absl::StrCat("meta ", storage::kExtractHistorySinceKey, " is not a number"));
  }
  return absl::FromUnixMicros(micros);
}

}  // namespace hirs::records
