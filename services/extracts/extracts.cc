#include "services/extracts/extracts.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/bad_request.h"
#include "common/civil_time.h"
#include "common/status_macros.h"
#include "services/extracts/history.h"
#include "services/intake/postcode.h"
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

// The tables whose categories add up to the total.
bool IsPartition(const std::string& dimension) {
  return dimension == "place_type" || dimension == "crime" || dimension == "repeat_victim";
}

SummaryCell Cell(const std::string& dimension, const std::string& category) {
  SummaryCell c;
  c.set_dimension(dimension);
  c.set_category(category);
  return c;
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

std::string Extracts::CaseRef(const std::string& district, const std::string& case_id) const {
  return absl::AsciiStrToUpper(collation::Hex(hasher_->Mac("extract_case_ref", {district, case_id})).substr(0, 16));
}

absl::StatusOr<Extracts::Checked> Extracts::Check(const hirs::v1::MonthlyExtractRequest& request) const {
  const absl::Time now = clock_();
  std::vector<FieldViolation> violations;
  if (request.district_code().empty()) {
    violations.push_back({"district_code", "is required: the district's GSS code, e.g. E07000130"});
  } else if (!intake::IsAreaDistrictCode(request.district_code())) {
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
    if (ts.seconds() < 0 || ts.seconds() > 253402300799 || ts.nanos() < 0 || ts.nanos() > 999999999) {
      violations.push_back({"as_of", "is not a valid time"});
    } else if (ToAbslTime(ts) > now) {
      violations.push_back({"as_of", "is in the future; leave it unset for the current extract"});
    } else {
      checked.as_of = ToAbslTime(ts);
    }
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  if (checked.historic) {
    ASSIGN_OR_RETURN(absl::Time since, ExtractHistorySince(*store_));
    if (checked.as_of < since) {
      return absl::FailedPreconditionError(absl::StrCat("extracts can be read as they stood only from ",
                                                        absl::FormatTime(absl::RFC3339_full, since, absl::UTCTimeZone()),
                                                        ", when their history began; ask for a later as_of"));
    }
  }
  return checked;
}

absl::Status Extracts::VisitRowsAt(const std::string& district, const std::string& month, absl::Time at,
                                  const std::function<void(const std::string&, const ExtractRow&)>& visit) const {
  const std::string prefix = storage::ExtractRowPrefix(district, month);
  const int64_t limit = absl::ToUnixMicros(at);
  // Versions of one case come together, oldest first; the last one not
  // after `at` is the row as it stood (empty: not in the month then).
  std::string case_id, current, last;  // the case being read, its last version
  bool have = false;
  int64_t micros = 0;
  absl::Status bad;
  ExtractRow row;
  auto emit = [&]() -> bool {
    if (!have || last.empty()) return true;
    if (!row.ParseFromString(last)) {
      bad = absl::DataLossError("an extract history row does not parse");
      return false;
    }
    visit(current, row);
    return true;
  };
  RETURN_IF_ERROR(store_->Scan(storage::Family::kExtracts, prefix, 0, [&](absl::string_view key, absl::string_view value) {
    if (!storage::ParseExtractRowKey(key, prefix, &case_id, &micros)) {
      bad = absl::DataLossError("a malformed extract history key");
      return false;
    }
    if (case_id != current) {
      if (!emit()) return false;
      current = case_id;
      have = false;
    }
    if (micros <= limit) {
      last.assign(value.data(), value.size());
      have = true;
    }
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

std::vector<SummaryCell> EmptyCells() {
  std::vector<SummaryCell> cells;
  cells.push_back(Cell("total", "ALL"));
  for (int m = 1; m <= 9; ++m) cells.push_back(Cell("motivation", hirs::v1::Motivation_Name(m)));
  for (int t = 1; t <= 8; ++t) cells.push_back(Cell("incident_type", hirs::v1::IncidentType_Name(t)));
  cells.push_back(Cell("place_type", "NOT_RECORDED"));
  for (int p = 1; p <= 11; ++p) cells.push_back(Cell("place_type", hirs::v1::PlaceType_Name(p)));
  cells.push_back(Cell("crime", "CRIME_RECORDED"));
  cells.push_back(Cell("crime", "NOT_CRIME_RECORDED"));
  cells.push_back(Cell("repeat_victim", "REPEAT_VICTIM"));
  cells.push_back(Cell("repeat_victim", "NOT_REPEAT_VICTIM"));
  return cells;
}

void CountRow(const ExtractRow& r, std::vector<SummaryCell>* cells) {
  // Offsets of each table in EmptyCells' order.
  constexpr size_t kMotivations = 1, kTypes = 10, kPlaces = 18, kCrime = 30, kRepeat = 32;
  if (r.change() == ExtractRow::WITHDRAWN) return;
  auto add = [&](size_t i) { (*cells)[i].set_count((*cells)[i].count() + 1); };
  add(0);
  for (int m : r.motivations()) {
    if (m >= 1 && m <= 9) add(kMotivations + m - 1);
  }
  for (int t : r.incident_types()) {
    if (t >= 1 && t <= 8) add(kTypes + t - 1);
  }
  add(kPlaces + (r.place_type() >= 1 && r.place_type() <= 11 ? r.place_type() : 0));
  add(kCrime + (r.crime_recorded() ? 0 : 1));
  add(kRepeat + (r.repeat_victim() ? 0 : 1));
}

std::vector<SummaryCell> CountCells(const std::vector<ExtractRow>& rows) {
  std::vector<SummaryCell> cells = EmptyCells();
  for (const ExtractRow& r : rows) CountRow(r, &cells);
  return cells;
}

void Suppress(int suppress_max, std::vector<SummaryCell>* cells) {
  if (suppress_max <= 0) return;
  for (SummaryCell& c : *cells) {
    if (c.count() >= 1 && c.count() <= suppress_max) c.set_suppressed(true);
  }
  const bool total_suppressed = !cells->empty() && cells->front().suppressed();
  std::map<std::string, std::vector<SummaryCell*>> partitions;
  for (SummaryCell& c : *cells) {
    if (IsPartition(c.dimension())) partitions[c.dimension()].push_back(&c);
  }
  for (auto& [dimension, table] : partitions) {
    if (total_suppressed) {
      for (SummaryCell* c : table) c->set_suppressed(c->count() > 0);
      continue;
    }
    while (true) {
      int hidden = 0, hidden_sum = 0;
      SummaryCell* smallest = nullptr;
      for (SummaryCell* c : table) {
        if (c->suppressed()) {
          ++hidden;
          hidden_sum += c->count();
        } else if (c->count() > 0 && (smallest == nullptr || c->count() < smallest->count())) {
          smallest = c;
        }
      }
      // The hidden cells add up to total minus the shown ones: one hidden
      // cell is that difference, and k cells adding to k are all 1.
      const bool recoverable = hidden == 1 || (hidden > 1 && hidden_sum == hidden);
      if (!recoverable || smallest == nullptr) break;
      smallest->set_suppressed(true);
    }
  }
  for (SummaryCell& c : *cells) {
    if (c.suppressed()) c.set_count(0);
  }
}

absl::StatusOr<hirs::v1::MonthlySummary> Extracts::MonthlySummary(
    const auth::Principal& caller, const hirs::v1::MonthlyExtractRequest& request) const {
  ASSIGN_OR_RETURN(Checked checked, Check(request));
  auto cells_of = [&](const std::string& month) -> absl::StatusOr<std::vector<SummaryCell>> {
    std::vector<SummaryCell> cells = EmptyCells();
    RETURN_IF_ERROR(VisitRowsAt(request.district_code(), month, checked.as_of,
                                [&](const std::string&, const ExtractRow& row) { CountRow(row, &cells); }));
    Suppress(options_.suppress_max, &cells);
    return cells;
  };
  ASSIGN_OR_RETURN(std::vector<SummaryCell> cells, cells_of(request.month()));
  ASSIGN_OR_RETURN(std::vector<SummaryCell> previous, cells_of(PreviousMonth(request.month())));
  for (size_t i = 0; i < cells.size(); ++i) {  // same order, same categories
    cells[i].set_previous_count(previous[i].count());
    cells[i].set_previous_suppressed(previous[i].suppressed());
  }
  hirs::v1::MonthlySummary summary;
  summary.set_district_code(request.district_code());
  summary.set_month(request.month());
  *summary.mutable_as_of() = ToTimestamp(checked.as_of);
  *summary.mutable_total() = cells.front();
  for (size_t i = 1; i < cells.size(); ++i) *summary.add_cells() = std::move(cells[i]);
  return summary;
}

}  // namespace hirs::extracts
