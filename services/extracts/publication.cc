#include "services/extracts/publication.h"

#include <algorithm>
#include <map>

namespace hirs::extracts {
namespace {

using hirs::v1::ExtractRow;
using hirs::v1::SummaryCell;

SummaryCell Cell(const std::string& dimension, const std::string& category) {
  SummaryCell c;
  c.set_dimension(dimension);
  c.set_category(category);
  return c;
}

bool Tighten(CountRange* r, int64_t lo, int64_t hi) {
  bool moved = false;
  if (lo > r->lo) {
    r->lo = static_cast<int>(std::min<int64_t>(lo, CountRange::kUnbounded));
    moved = true;
  }
  if (hi < r->hi) {
    r->hi = static_cast<int>(std::max<int64_t>(hi, -1));
    moved = true;
  }
  return moved;
}

int64_t Upper(const CountRange& r) { return r.hi == CountRange::kUnbounded ? int64_t{1} << 40 : r.hi; }

// One pass over one table whose `parts` (indexes into `r`) add up to the
// total r[0]: the total from the parts' sums, each part from the total and
// the other parts (one linear equation with box bounds: exact for
// integers).
bool TightenPartition(const std::vector<size_t>& parts, std::vector<CountRange>* r) {
  bool moved = false;
  int64_t lo_sum = 0, hi_sum = 0;
  for (size_t i : parts) lo_sum += (*r)[i].lo, hi_sum += Upper((*r)[i]);
  moved |= Tighten(&(*r)[0], lo_sum, hi_sum);
  for (size_t i : parts) {
    moved |= Tighten(&(*r)[i], (*r)[0].lo - (hi_sum - Upper((*r)[i])), Upper((*r)[0]) - (lo_sum - (*r)[i].lo));
  }
  return moved;
}

// Whether the shown values of `table` (a partition) pin a part to one
// count from 1 to small_max.
bool PinsASmallCount(const SummaryCell& total, const std::vector<SummaryCell*>& table, int small_max) {
  std::vector<CountRange> r = {PossibleCounts(total, small_max)};
  std::vector<size_t> parts;
  for (const SummaryCell* c : table) {
    parts.push_back(r.size());
    r.push_back(PossibleCounts(*c, small_max));
  }
  TightenPartition(parts, &r);
  for (size_t i : parts) {
    if (r[i].lo == r[i].hi && r[i].lo >= 1 && r[i].lo <= small_max) return true;
  }
  return false;
}

// One round over one release's own relations: partitions add up to the
// total, no count above the total.
bool TightenWithin(const std::vector<hirs::v1::SummaryCell>& cells, std::vector<CountRange>* r) {
  bool moved = false;
  std::map<std::string, std::vector<size_t>> partitions;
  for (size_t i = 1; i < cells.size(); ++i) {
    if (IsPartition(cells[i].dimension())) partitions[cells[i].dimension()].push_back(i);
  }
  for (const auto& [dimension, parts] : partitions) moved |= TightenPartition(parts, r);
  for (size_t i = 1; i < cells.size(); ++i) moved |= Tighten(&(*r)[i], 0, Upper((*r)[0]));
  return moved;
}

// One round over two consecutive releases: only additions between them.
bool TightenBetween(std::vector<CountRange>* before, std::vector<CountRange>* after) {
  bool moved = false;
  auto& b = *before;
  auto& a = *after;
  const int64_t total_growth_hi = Upper(a[0]) - b[0].lo;
  for (size_t i = 0; i < a.size(); ++i) {
    moved |= Tighten(&a[i], b[i].lo, Upper(b[i]) + total_growth_hi);
    moved |= Tighten(&b[i], a[i].lo - total_growth_hi, Upper(a[i]));
    const int64_t growth_lo = a[i].lo - Upper(b[i]);  // the total grew at least this much
    moved |= Tighten(&a[0], b[0].lo + growth_lo, Upper(a[0]));
    moved |= Tighten(&b[0], 0, Upper(a[0]) - growth_lo);
  }
  return moved;
}

// Tightens `x` (each release's cells' ranges) to a fixpoint: each release's
// own relations, and only additions between releases v and v + 1 where
// additions[v].
void Propagate(const std::vector<std::vector<SummaryCell>>& releases, const std::vector<bool>& additions,
               std::vector<std::vector<CountRange>>* x) {
  // Each round moves a bound by at least one; counts are small, so this
  // ends well before the cap, which only guards against a bug.
  for (int round = 0; round < 1000; ++round) {
    bool moved = false;
    for (size_t v = 0; v < x->size(); ++v) {
      moved |= TightenWithin(releases[v], &(*x)[v]);
      if (v + 1 < x->size() && additions[v]) moved |= TightenBetween(&(*x)[v], &(*x)[v + 1]);
    }
    if (!moved) return;
  }
}

bool Consistent(const std::vector<std::vector<CountRange>>& x) {
  for (const auto& ranges : x) {
    for (const CountRange& r : ranges) {
      if (r.lo > r.hi) return false;
    }
  }
  return true;
}

}  // namespace

bool RevealsASmallCount(const std::vector<std::vector<SummaryCell>>& releases, int small_max) {
  if (small_max <= 0 || releases.empty()) return false;
  std::vector<std::vector<CountRange>> x;
  for (const auto& cells : releases) {
    std::vector<CountRange> ranges;
    for (const auto& c : cells) ranges.push_back(PossibleCounts(c, small_max));
    x.push_back(std::move(ranges));
  }
  // Only additions between two releases is an attacker's guess, refuted
  // where the two contradict it (a case merged away, a category corrected):
  // it is used only between the releases it fits.
  std::vector<bool> additions(releases.size(), false);
  for (size_t v = 0; v + 1 < releases.size(); ++v) {
    std::vector<std::vector<CountRange>> pair = {x[v], x[v + 1]};
    Propagate({releases[v], releases[v + 1]}, {true}, &pair);
    additions[v] = Consistent(pair);
  }
  Propagate(releases, additions, &x);
  for (const auto& ranges : x) {
    for (const CountRange& r : ranges) {
      if (r.lo == r.hi && r.lo >= 1 && r.lo <= small_max) return true;
    }
  }
  return false;
}

void HideAllTables(std::vector<SummaryCell>* cells) {
  for (size_t i = 1; i < cells->size(); ++i) {
    (*cells)[i].set_count(0);
    (*cells)[i].set_suppressed(true);
    (*cells)[i].set_table_hidden(true);
  }
}

std::vector<std::vector<SummaryCell>> PublishReleases(std::vector<Tally> tallies, int small_max) {
  std::vector<std::vector<SummaryCell>> releases;
  for (Tally& tally : tallies) {
    Publish(small_max, &tally);
    releases.push_back(std::move(tally.cells));
    if (!RevealsASmallCount(releases, small_max)) continue;
    if (releases.size() > 1) {
      releases.back() = releases[releases.size() - 2];
    } else {
      HideAllTables(&releases.back());
    }
  }
  return releases;
}

Tally EmptyTally() {
  Tally t;
  t.cells.push_back(Cell("total", "ALL"));
  for (int m = 1; m <= 9; ++m) t.cells.push_back(Cell("motivation", hirs::v1::Motivation_Name(m)));
  for (int i = 1; i <= 8; ++i) t.cells.push_back(Cell("incident_type", hirs::v1::IncidentType_Name(i)));
  t.cells.push_back(Cell("place_type", "NOT_RECORDED"));
  for (int p = 1; p <= 11; ++p) t.cells.push_back(Cell("place_type", hirs::v1::PlaceType_Name(p)));
  t.cells.push_back(Cell("crime", "CRIME_RECORDED"));
  t.cells.push_back(Cell("crime", "NOT_CRIME_RECORDED"));
  t.cells.push_back(Cell("repeat_victim", "REPEAT_VICTIM"));
  t.cells.push_back(Cell("repeat_victim", "NOT_REPEAT_VICTIM"));
  t.keys.assign(t.cells.size(), 0);
  return t;
}

void CountRow(const ExtractRow& r, uint32_t record_key, Tally* tally) {
  // Offsets of each table in EmptyTally's order.
  constexpr size_t kMotivations = 1, kTypes = 10, kPlaces = 18, kCrime = 30, kRepeat = 32;
  if (r.change() == ExtractRow::WITHDRAWN) return;
  auto add = [&](size_t i) {
    tally->cells[i].set_count(tally->cells[i].count() + 1);
    tally->keys[i] += record_key;  // wraps: the key is the sum mod 2^32
  };
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

bool IsPartition(const std::string& dimension) {
  return dimension == "place_type" || dimension == "crime" || dimension == "repeat_victim";
}

int RoundedCount(int count, uint32_t key, int small_max) {
  if (small_max <= 0 || count == 0) return count;
  if (count <= small_max) return -1;
  const int base = small_max + 1;
  const int down = count - count % base;
  const uint64_t remainder = static_cast<uint64_t>(count % base);
  // Up with probability remainder / base over keys spread evenly.
  const bool up = static_cast<uint64_t>(key) * static_cast<uint64_t>(base) < (remainder << 32);
  return up ? down + base : down;
}

CountRange PossibleCounts(const SummaryCell& c, int small_max) {
  if (small_max <= 0) return {c.count(), c.count()};
  if (c.table_hidden()) return {0, CountRange::kUnbounded};
  if (c.suppressed()) return {1, small_max};
  if (c.count() == 0) return {0, 0};
  const int base = small_max + 1;
  if (c.count() == base) return {base, 2 * base - 1};
  return {c.count() - base + 1, c.count() + base - 1};
}

void Publish(int small_max, Tally* tally) {
  std::vector<SummaryCell>& cells = tally->cells;
  for (size_t i = 0; i < cells.size(); ++i) {
    const int shown = RoundedCount(cells[i].count(), tally->keys[i], small_max);
    cells[i].set_suppressed(shown < 0);
    cells[i].set_count(shown < 0 ? 0 : shown);
  }
  if (small_max <= 0 || cells.empty()) return;
  std::map<std::string, std::vector<SummaryCell*>> partitions;
  for (SummaryCell& c : cells) {
    if (IsPartition(c.dimension())) partitions[c.dimension()].push_back(&c);
  }
  for (auto& [dimension, table] : partitions) {
    if (!PinsASmallCount(cells.front(), table, small_max)) continue;
    for (SummaryCell* c : table) {
      c->set_count(0);
      c->set_suppressed(true);
      c->set_table_hidden(true);
    }
  }
}

}  // namespace hirs::extracts
