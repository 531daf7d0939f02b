// What a published district summary may show (GetMonthlySummary, the CLI's
// HTML report): counts with no small number recoverable, from any one
// table or from every version of every month a caller can ask for.
//
// Method: cell-key rounding, as the ONS (Census 2021) and the ABS
// (TableBuilder) perturb published tables, with small numbers hidden.
//   - Each case has a record key: a keyed hash of its case id (meaningless
//     without the server's key). A cell's key is the sum of the record keys
//     of the cases it counts, so the same cases always give the same key.
//   - A count of 0 is shown as 0; a small count (1 to small_max) is shown
//     as suppressed; a larger one is rounded to a multiple of
//     base = small_max + 1, up with probability (count mod base) / base as
//     the cell key decides (a multiple of base stays as it is; a count
//     below 2 * base is never rounded down to a small one).
//   - So a shown value v stands for any count in [v - base + 1, v + base - 1]
//     (v = base: [base, 2 * base - 1]) and "suppressed" for 1 to small_max.
//     Totals and parts are rounded each on its own cases: the parts of a
//     table do not add up to the shown total, and a difference between two
//     versions (as_of) is the difference of two rounded values, so it never
//     names how many cases changed. The same cases give the same values, so
//     asking again or at another as_of reveals nothing new.
//   - Last, each table whose parts add up to the total (place type, crime,
//     repeat victim) is checked as an attacker would check it: from the
//     shown values alone, each part's possible counts given the total's and
//     the other parts'. Where that pins a part to one count from 1 to
//     small_max, the whole table is hidden (every cell suppressed and
//     table_hidden, zeros included), a decision taken from the shown values
//     only.
//   - A month's summary is released at fixed points: the start of each UK
//     month after it (the first once the month is over, then a revision a
//     month later, and so on); any as_of is answered with the last release
//     at or before it. Each release is checked against all earlier ones of
//     the month (RevealsASmallCount); a revision that would reveal a small
//     count is withheld, and the previous release stands.
// tests/unit/disclosure_test.cc attacks every release of generated months,
// with its own attacker.
//
// Why this: suppression alone guards one table, and a summary that changes
// with every case lets anyone who asks for every as_of see each case
// arrive: a category going from 0 to hidden is then exactly 1. Fixed
// release points make the versions few and far apart, rounding stops
// differences naming counts, and the check withholds what still would.
#ifndef HIRS_SERVICES_EXTRACTS_PUBLICATION_H_
#define HIRS_SERVICES_EXTRACTS_PUBLICATION_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "hirs/v1/extract_service.pb.h"

namespace hirs::extracts {

// A summary's cells before publication: the true counts, the total first,
// then each dimension's categories in a fixed order, with each cell's key.
struct Tally {
  std::vector<hirs::v1::SummaryCell> cells;
  std::vector<uint32_t> keys;  // keys[i] is cells[i]'s cell key
};

// Every cell at 0.
Tally EmptyTally();

// Counts `row` (a case of the month, not WITHDRAWN) into `tally`, with the
// case's `record_key`.
void CountRow(const hirs::v1::ExtractRow& row, uint32_t record_key, Tally* tally);

// Whether the categories of `dimension` add up to the total.
bool IsPartition(const std::string& dimension);

// The published value of `count` with cell key `key` (see above); -1 for
// a suppressed small count. small_max 0: `count` itself.
int RoundedCount(int count, uint32_t key, int small_max);

// The counts a published cell may stand for, as its reader knows them.
struct CountRange {
  static constexpr int kUnbounded = std::numeric_limits<int>::max();
  int lo = 0;
  int hi = kUnbounded;
};
CountRange PossibleCounts(const hirs::v1::SummaryCell& published, int small_max);

// Publishes `tally` in place (see above): counts rounded, small ones
// suppressed (count 0, suppressed set), pinning tables hidden. small_max
// 0 publishes the counts as they are.
void Publish(int small_max, Tally* tally);

// Whether the published `releases` of one month (oldest first) together let
// an attacker pin a count to one value from 1 to small_max, using: what
// each shown value stands for; the parts of each partition adding up to its
// total; no count above its total; and between consecutive releases that
// it fits, only additions (no count falls, none grows by more than the
// total did). Bounds are propagated until nothing moves.
bool RevealsASmallCount(const std::vector<std::vector<hirs::v1::SummaryCell>>& releases, int small_max);

// Hides every table but the total (suppressed, table_hidden, count 0).
void HideAllTables(std::vector<hirs::v1::SummaryCell>* cells);

// The releases of one month from its tallies at each release point, oldest
// first: each Published, and withheld (the previous release repeated; the
// first with every table hidden) where with the releases before it it
// would reveal a small count.
std::vector<std::vector<hirs::v1::SummaryCell>> PublishReleases(std::vector<Tally> tallies, int small_max);

}  // namespace hirs::extracts

#endif  // HIRS_SERVICES_EXTRACTS_PUBLICATION_H_
