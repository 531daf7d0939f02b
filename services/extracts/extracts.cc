#include "services/extracts/extracts.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/area.h"
#include "common/bad_request.h"
#include "common/civil_time.h"
#include "common/status_macros.h"
#include "services/records/history.h"
#include "storage/keys.h"

namespace hirs::extracts {
namespace {

using hirs::v1::ExtractRow;
using hirs::v1::SummaryCell;

// "YYYY-MM" with a real month from 1990 on; its year and month.
bool ParseMonth(const std::string& month, int* year, int* mon) {
  if (month.size() != 7 || month[4] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(month[i]))) return false;
  }
  *year = std::stoi(month.substr(0, 4));
  *mon = std::stoi(month.substr(5, 2));
  return *year >= 1990 && *mon >= 1 && *mon <= 12;
}

bool SameFacts(const ExtractRow& a, const ExtractRow& b) { return a.SerializeAsString() == b.SerializeAsString(); }

}  // namespace

std::string PreviousMonth(const std::string& month) {
  int year = 0, mon = 0;
  if (!ParseMonth(month, &year, &mon)) return "";
  return mon == 1 ? absl::StrFormat("%04d-12", year - 1) : absl::StrFormat("%04d-%02d", year, mon - 1);
}

Extracts::Extracts(storage::Store* store, const collation::KeyedHasher* hasher, std::function<absl::Time()> clock,
                   ExtractOptions options)
    : store_(store), hasher_(hasher), clock_(std::move(clock)), options_(options) {}

uint32_t Extracts::RecordKey(const std::string& case_id) const {
  const std::string mac = hasher_->Mac("summary_cell_key", {case_id});
  uint32_t key = 0;
  for (int i = 0; i < 4; ++i) key = (key << 8) | static_cast<unsigned char>(mac[i]);
  return key;
}

std::string Extracts::CaseRef(const std::string& district, const std::string& case_id) const {
  return absl::AsciiStrToUpper(collation::Hex(hasher_->Mac("extract_case_ref", {district, case_id})).substr(0, 16));
}

absl::StatusOr<Extracts::Checked> Extracts::Check(const hirs::v1::MonthlyExtractRequest& request) const {
  const absl::Time now = clock_();
  std::vector<FieldViolation> violations;
  if (request.district_code().empty()) {
    violations.push_back({"district_code", "is required: the district's GSS code, e.g. E07000130"});
  } else if (!IsAreaDistrictCode(request.district_code())) {
    violations.push_back({"district_code", absl::StrCat("\"", request.district_code(),
                                                        "\" is not a district of the force area (E07000129 to "
                                                        "E07000135, E06000016 Leicester, E06000017 Rutland)")});
  }
  int year = 0, mon = 0;
  if (request.month().empty()) {
    violations.push_back({"month", "is required, as YYYY-MM"});
  } else if (!ParseMonth(request.month(), &year, &mon)) {
    violations.push_back({"month", absl::StrCat("\"", request.month(), "\" is not a month YYYY-MM from 1990-01 on")});
  } else if (request.month() > UkMonth(now)) {
    violations.push_back({"month", absl::StrCat(request.month(), " has not begun yet")});
  }
  Checked checked{now, request.has_as_of()};
  if (request.has_as_of()) {
    const auto& ts = request.as_of();
    if (!ValidTimestamp(ts) || ts.seconds() < 0) {
      violations.push_back({"as_of", "is not a valid time"});
    } else if (ToAbslTime(ts) > now) {
      violations.push_back({"as_of", "is in the future; leave it unset for the current extract"});
    } else {
      checked.as_of = ToAbslTime(ts);
    }
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  if (checked.historic) {
    ASSIGN_OR_RETURN(absl::Time since, records::ExtractHistorySince(*store_));
    if (checked.as_of < since) {
      return absl::FailedPreconditionError(
          absl::StrCat("extracts can be read as they stood only from ",
                       absl::FormatTime(absl::RFC3339_full, since, absl::UTCTimeZone()),
                       ", when their history began; ask for a later as_of"));
    }
  }
  return checked;
}

absl::Status Extracts::VisitRowsAt(const std::string& district, const std::string& month, absl::Time at,
                                   const std::function<void(const std::string&, const ExtractRow&)>& visit) const {
  return VisitRowsAtEach(district, month, {at},
                         [&](size_t, const std::string& case_id, const ExtractRow& row) { visit(case_id, row); });
}

absl::Status Extracts::VisitRowsAtEach(
    const std::string& district, const std::string& month, const std::vector<absl::Time>& times,
    const std::function<void(size_t, const std::string&, const ExtractRow&)>& visit) const {
  const std::string prefix = storage::ExtractRowPrefix(district, month);
  // Versions of one case come together, oldest first; for each time, the
  // last one not after it is the row as it stood (empty: not in the month
  // then).
  std::string case_id, current;
  std::vector<std::pair<int64_t, std::string>> versions;  // of `current`
  int64_t micros = 0;
  absl::Status bad;
  ExtractRow row;
  auto emit = [&]() -> bool {
    for (size_t k = 0; k < times.size(); ++k) {
      const int64_t limit = absl::ToUnixMicros(times[k]);
      const std::string* last = nullptr;
      for (const auto& [at, value] : versions) {
        if (at <= limit) last = &value;
      }
      if (last == nullptr || last->empty()) continue;
      if (!row.ParseFromString(*last)) {
        bad = absl::DataLossError("an extract history row does not parse");
        return false;
      }
      visit(k, current, row);
    }
    return true;
  };
  RETURN_IF_ERROR(
      store_->Scan(storage::Family::kExtracts, prefix, 0, [&](absl::string_view key, absl::string_view value) {
        if (!storage::ParseExtractRowKey(key, prefix, &case_id, &micros)) {
          bad = absl::DataLossError("a malformed extract history key");
          return false;
        }
        if (case_id != current) {
          if (!emit()) return false;
          current = case_id;
          versions.clear();
        }
        versions.emplace_back(micros, std::string(value));
        return true;
      }));
  RETURN_IF_ERROR(bad);
  emit();
  return bad;
}

absl::StatusOr<std::map<std::string, ExtractRow>> Extracts::RowsAt(const std::string& district,
                                                                   const std::string& month, absl::Time at) const {
  std::map<std::string, ExtractRow> rows;
  RETURN_IF_ERROR(VisitRowsAt(district, month, at, [&](const std::string& id, const ExtractRow& row) {
    ExtractRow& r = rows[CaseRef(district, id)] = row;
    r.set_case_ref(CaseRef(district, id));
  }));
  return rows;
}

absl::StatusOr<std::vector<ExtractRow>> Extracts::MonthlyExtract(const auth::Principal& caller,
                                                                 const hirs::v1::MonthlyExtractRequest& request) {
  ASSIGN_OR_RETURN(Checked checked, Check(request));
  const std::string& district = request.district_code();
  const std::string& month = request.month();
  ASSIGN_OR_RETURN(auto rows, RowsAt(district, month, checked.as_of));

  // The district's last pull of this month before as_of.
  std::optional<int64_t> previous;
  const int64_t at = absl::ToUnixMicros(checked.as_of);
  int64_t micros = 0;
  RETURN_IF_ERROR(store_->Scan(storage::Family::kExtracts, storage::ExtractPullPrefix(district, month), 0,
                               [&](absl::string_view key, absl::string_view) {
                                 if (!storage::ParseExtractPullKey(key, &micros) || micros >= at) return false;
                                 previous = micros;
                                 return true;
                               }));
  std::map<std::string, ExtractRow> before;
  if (previous.has_value()) {
    ASSIGN_OR_RETURN(before, RowsAt(district, month, absl::FromUnixMicros(*previous)));
  }
  std::vector<ExtractRow> out;
  out.reserve(rows.size());
  for (auto& [ref, row] : rows) {
    auto was = before.find(ref);
    row.set_change(was == before.end()           ? ExtractRow::NEW
                   : SameFacts(was->second, row) ? ExtractRow::UNCHANGED
                                                 : ExtractRow::REVISED);
    out.push_back(std::move(row));
  }
  for (auto& [ref, row] : before) {
    if (rows.count(ref) > 0) continue;
    row.set_change(ExtractRow::WITHDRAWN);
    out.push_back(std::move(row));
  }
  if (caller.role == hirs::v1::DISTRICT && !checked.historic) {
    storage::WriteBatch batch;
    batch.Put(storage::Family::kExtracts, storage::ExtractPullKey(district, month, at), caller.id);
    RETURN_IF_ERROR(store_->Write(std::move(batch)));
  }
  return out;
}

absl::StatusOr<std::vector<absl::Time>> Extracts::ReleasePoints(const std::string& district, const std::string& month,
                                                                absl::Time as_of) const {
  int year = 0, mon = 0;
  if (!ParseMonth(month, &year, &mon)) return absl::InvalidArgumentError(absl::StrCat("bad month ", month));
  ASSIGN_OR_RETURN(absl::Time since, records::ExtractHistorySince(*store_));
  std::vector<absl::Time> points;
  auto add = [&](absl::Time point) {
    // Before the history began the month cannot be read as it stood.
    const absl::Time at = std::max(point, since);
    if (at <= as_of && (points.empty() || points.back() < at)) points.push_back(at);
  };
  if (options_.release_at_every_change) {
    std::set<int64_t> changes;
    const std::string prefix = storage::ExtractRowPrefix(district, month);
    std::string case_id;
    int64_t micros = 0;
    RETURN_IF_ERROR(store_->Scan(storage::Family::kExtracts, prefix, 0, [&](absl::string_view key, absl::string_view) {
      if (storage::ParseExtractRowKey(key, prefix, &case_id, &micros)) changes.insert(micros);
      return true;
    }));
    add(since);
    for (int64_t at : changes) add(absl::FromUnixMicros(at));
    return points;
  }
  for (absl::CivilMonth m = absl::CivilMonth(year, mon) + 1;; ++m) {
    const absl::Time point = absl::FromCivil(m, UkTimeZone());
    if (point > as_of) break;
    add(point);
  }
  return points;
}

absl::StatusOr<Extracts::Released> Extracts::Releases(const std::string& district, const std::string& month,
                                                      absl::Time as_of) const {
  Released out;
  ASSIGN_OR_RETURN(out.at, ReleasePoints(district, month, as_of));
  std::vector<Tally> tallies(out.at.size(), EmptyTally());
  RETURN_IF_ERROR(
      VisitRowsAtEach(district, month, out.at, [&](size_t k, const std::string& case_id, const ExtractRow& row) {
        CountRow(row, RecordKey(case_id), &tallies[k]);
      }));
  out.cells = PublishReleases(std::move(tallies), options_.suppress_max);
  return out;
}

absl::StatusOr<hirs::v1::MonthlySummary> Extracts::MonthlySummary(
    const auth::Principal& caller, const hirs::v1::MonthlyExtractRequest& request) const {
  ASSIGN_OR_RETURN(Checked checked, Check(request));
  ASSIGN_OR_RETURN(Released month, Releases(request.district_code(), request.month(), checked.as_of));
  if (month.at.empty()) {
    int year = 0, mon = 0;
    ParseMonth(request.month(), &year, &mon);
    const absl::Time first = absl::FromCivil(absl::CivilMonth(year, mon) + 1, UkTimeZone());
    return absl::FailedPreconditionError(
        absl::StrCat("the summary of ", request.month(), " is published once the month is over, from ",
                     absl::FormatTime("%Y-%m-%d %H:%M %Z", first, UkTimeZone()),
                     " (and revised at the start of each month after); until then the district's extract counts it"));
  }
  ASSIGN_OR_RETURN(Released previous, Releases(request.district_code(), PreviousMonth(request.month()), checked.as_of));
  std::vector<SummaryCell> cells = std::move(month.cells.back());
  const std::vector<SummaryCell>& before = previous.cells.back();  // released at the same point
  for (size_t i = 0; i < cells.size(); ++i) {                      // same order, same categories
    cells[i].set_previous_count(before[i].count());
    cells[i].set_previous_suppressed(before[i].suppressed());
    cells[i].set_previous_table_hidden(before[i].table_hidden());
  }
  hirs::v1::MonthlySummary summary;
  summary.set_district_code(request.district_code());
  summary.set_month(request.month());
  *summary.mutable_as_of() = ToTimestamp(month.at.back());
  summary.set_rounding_base(options_.suppress_max > 0 ? options_.suppress_max + 1 : 0);
  *summary.mutable_total() = cells.front();
  for (size_t i = 1; i < cells.size(); ++i) *summary.add_cells() = std::move(cells[i]);
  return summary;
}

}  // namespace hirs::extracts
