// An attacker against published district summaries (publication.h): from
// every published version of a month (every as_of at which it changed),
// using every linear relation the tables state, can a count from 1 to the
// small-number limit be pinned to a single value? Relations used:
//   - what each shown value stands for (PossibleCounts);
//   - parts of the place type, crime and repeat victim tables add up to
//     the total; no motivation or incident type count exceeds the total;
//   - between consecutive versions only cases were added: no count falls,
//     and none rises by more than the total did.
// Bounds are propagated over all of it until nothing moves (the attacker of
// a statistical office's disclosure audit, on intervals). Where the only
// additions guess contradicts two versions, the attacker drops it there.
#include <random>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/extracts/publication.h"

namespace hirs::extracts {
namespace {

using hirs::v1::ExtractRow;
using hirs::v1::SummaryCell;

constexpr int kSmallMax = 4;
constexpr int kInf = CountRange::kUnbounded;

struct Case {
  ExtractRow row;
  uint32_t key;
};

// True and published cells of each version of one month.
struct History {
  std::vector<std::vector<int>> truth;
  std::vector<std::vector<SummaryCell>> published;
};

// The releases of a month whose cases at each release point are
// `versions`, as hirsd publishes them (PublishReleases).
History Publishing(const std::vector<std::vector<Case>>& versions) {
  History h;
  std::vector<Tally> tallies;
  for (const auto& cases : versions) {
    Tally tally = EmptyTally();
    for (const Case& c : cases) CountRow(c.row, c.key, &tally);
    std::vector<int> truth;
    for (const auto& cell : tally.cells) truth.push_back(cell.count());
    h.truth.push_back(std::move(truth));
    tallies.push_back(std::move(tally));
  }
  h.published = PublishReleases(std::move(tallies), kSmallMax);
  // A withheld revision repeats the previous release: what it describes
  // is the truth of that earlier point.
  for (size_t v = 1; v < h.published.size(); ++v) {
    bool same = true;
    for (size_t i = 0; i < h.published[v].size() && same; ++i) {
      same = h.published[v][i].SerializeAsString() == h.published[v - 1][i].SerializeAsString();
    }
    if (same) h.truth[v] = h.truth[v - 1];
  }
  return h;
}

bool Tighten(CountRange* r, int64_t lo, int64_t hi) {
  bool moved = false;
  if (lo > r->lo) r->lo = static_cast<int>(std::min<int64_t>(lo, kInf)), moved = true;
  if (hi < r->hi) r->hi = static_cast<int>(std::max<int64_t>(hi, 0)), moved = true;
  return moved;
}

int64_t Hi(const CountRange& r) { return r.hi == kInf ? int64_t{1} << 40 : r.hi; }

// The attacker: each cell's possible counts in each version, guessing only
// additions between versions v and v + 1 where additions[v].
std::vector<std::vector<CountRange>> Attack(const History& h, const std::vector<bool>& additions) {
  std::vector<std::vector<CountRange>> x;
  for (const auto& version : h.published) {
    std::vector<CountRange> ranges;
    for (const auto& cell : version) ranges.push_back(PossibleCounts(cell, kSmallMax));
    x.push_back(std::move(ranges));
  }
  const auto& cells = h.published.front();
  for (int round = 0; round < 200; ++round) {
    bool moved = false;
    for (size_t v = 0; v < x.size(); ++v) {
      auto& r = x[v];
      for (const std::string dim : {"place_type", "crime", "repeat_victim"}) {
        std::vector<size_t> parts;
        for (size_t i = 1; i < cells.size(); ++i) {
          if (cells[i].dimension() == dim) parts.push_back(i);
        }
        int64_t lo_sum = 0, hi_sum = 0;
        for (size_t i : parts) lo_sum += r[i].lo, hi_sum += Hi(r[i]);
        moved |= Tighten(&r[0], lo_sum, hi_sum);
        for (size_t i : parts) {
          moved |= Tighten(&r[i], r[0].lo - (hi_sum - Hi(r[i])), Hi(r[0]) - (lo_sum - r[i].lo));
        }
      }
      for (size_t i = 1; i < cells.size(); ++i) moved |= Tighten(&r[i], 0, Hi(r[0]));
      if (v + 1 == x.size() || !additions[v]) continue;
      auto& n = x[v + 1];
      // Growth of the total between the two versions, and of each cell.
      const int64_t grow_hi = Hi(n[0]) - r[0].lo;
      for (size_t i = 0; i < cells.size(); ++i) {
        moved |= Tighten(&n[i], r[i].lo, Hi(r[i]) + grow_hi);
        moved |= Tighten(&r[i], n[i].lo - grow_hi, Hi(n[i]));
        // The total grew at least as much as this cell did.
        const int64_t cell_grow_lo = n[i].lo - Hi(r[i]);
        moved |= Tighten(&n[0], r[0].lo + cell_grow_lo, Hi(n[0]));
        moved |= Tighten(&r[0], 0, Hi(n[0]) - cell_grow_lo);
      }
    }
    if (!moved) break;
  }
  return x;
}

// "version v: dimension/category = true count, pinned" for each pinned
// small count; also fails if the truth falls outside a range (an unsound
// attacker would prove nothing).
std::vector<std::string> PinnedSmallCounts(const History& h) {
  // The guess of only additions is dropped between two versions it
  // contradicts (bounds crossing), as an attacker seeing that would.
  std::vector<bool> additions(h.published.size(), true);
  for (size_t v = 0; v + 1 < h.published.size(); ++v) {
    History pair;
    pair.published = {h.published[v], h.published[v + 1]};
    for (const auto& ranges : Attack(pair, {true})) {
      for (const auto& r : ranges) additions[v] = additions[v] && r.lo <= r.hi;
    }
  }
  const auto x = Attack(h, additions);
  std::vector<std::string> pinned;
  for (size_t v = 0; v < x.size(); ++v) {
    for (size_t i = 0; i < x[v].size(); ++i) {
      const int truth = h.truth[v][i];
      EXPECT_TRUE(truth >= x[v][i].lo && truth <= x[v][i].hi) << "unsound at version " << v << " cell " << i;
      if (truth >= 1 && truth <= kSmallMax && x[v][i].lo == x[v][i].hi) {
        pinned.push_back(absl::StrCat("version ", v, ": ", h.published[v][i].dimension(), "/",
                                      h.published[v][i].category(), " = ", truth));
      }
    }
  }
  return pinned;
}

Case MakeCase(hirs::v1::Motivation m, hirs::v1::PlaceType place, bool crime, uint32_t key) {
  Case c;
  c.row.add_motivations(m);
  c.row.add_incident_types(hirs::v1::VERBAL_ABUSE);
  c.row.set_place_type(place);
  c.row.set_crime_recorded(crime);
  c.key = key;
  return c;
}

TEST(Disclosure, FourAndFourInTwoTablesCannotBeWorkedOutFromTheTotal) {
  // Harborough: 8 cases, 4 with a crime recorded and 4 without, 4 at home
  // and 4 in the street.
  std::mt19937 rng(1);
  for (int trial = 0; trial < 500; ++trial) {  // whatever keys the cases have
    std::vector<Case> cases;
    for (int i = 0; i < 8; ++i) {
      cases.push_back(MakeCase(hirs::v1::RACE, i < 4 ? hirs::v1::HOME : hirs::v1::STREET_OR_PUBLIC_PLACE, i % 2 == 0,
                               static_cast<uint32_t>(rng())));
    }
    EXPECT_THAT(PinnedSmallCounts(Publishing({cases})), ::testing::IsEmpty()) << "trial " << trial;
  }
}

TEST(Disclosure, ANewCaseBetweenTwoVersionsDoesNotRevealItsCategory) {
  // Blaby: 8 RACE cases at T1, then one DISABILITY case.
  std::mt19937 rng(2);
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<Case> at_t1;
    for (int i = 0; i < 8; ++i) {
      at_t1.push_back(MakeCase(hirs::v1::RACE, hirs::v1::HOME, false, static_cast<uint32_t>(rng())));
    }
    std::vector<Case> now = at_t1;
    now.push_back(MakeCase(hirs::v1::DISABILITY, hirs::v1::HOME, false, static_cast<uint32_t>(rng())));
    EXPECT_THAT(PinnedSmallCounts(Publishing({at_t1, now})), ::testing::IsEmpty()) << "trial " << trial;
  }
}

TEST(Disclosure, NoSmallCountIsPinnedInAnyVersionOfGeneratedMonths) {
  std::mt19937 rng(3);
  int hidden_tables = 0, tables = 0;
  for (int month = 0; month < 300; ++month) {
    const int n = 1 + static_cast<int>(rng() % 40);
    std::vector<std::vector<Case>> versions;
    std::vector<Case> cases;
    for (int i = 0; i < n; ++i) {
      // Skewed like real months: mostly race, at home or in the street.
      const uint32_t r = rng();
      const auto motivation = static_cast<hirs::v1::Motivation>(r % 10 < 6 ? 1 : 1 + r % 9);
      const auto place = static_cast<hirs::v1::PlaceType>((r >> 8) % 10 < 7 ? 1 + (r >> 8) % 2 : 1 + (r >> 12) % 11);
      Case c = MakeCase(motivation, place, (r >> 16) % 3 == 0, static_cast<uint32_t>(rng()));
      if ((r >> 20) % 4 == 0 && motivation != hirs::v1::RELIGION_OR_BELIEF) {
        c.row.add_motivations(hirs::v1::RELIGION_OR_BELIEF);
      }
      c.row.set_repeat_victim((r >> 24) % 5 == 0);
      cases.push_back(std::move(c));
      versions.push_back(cases);
    }
    const History h = Publishing(versions);
    EXPECT_THAT(PinnedSmallCounts(h), ::testing::IsEmpty()) << "month " << month << " of " << n << " cases";
    for (const auto& version : h.published) {
      for (const auto& cell : version) {
        if (!IsPartition(cell.dimension()) || cell.category() == "NOT_RECORDED") continue;  // one per table
        if (cell.category() != "HOME" && cell.category() != "CRIME_RECORDED" && cell.category() != "REPEAT_VICTIM") {
          continue;
        }
        ++tables;
        hidden_tables += cell.table_hidden() ? 1 : 0;
      }
    }
  }
  // The price: how often a table had to be hidden.
  RecordProperty("hidden_tables", hidden_tables);
  RecordProperty("tables", tables);
  std::cout << "tables hidden: " << hidden_tables << " of " << tables << "\n";
}

TEST(Disclosure, ACorrectionThatTakesCasesAwayDoesNotFreezeLaterReleases) {
  // Two DISABILITY cases corrected to RACE (a count falls, against the
  // attacker's only-additions guess), then twenty more cases.
  std::vector<Case> first, corrected;
  for (int i = 0; i < 14; ++i) {
    const auto m = i < 2 ? hirs::v1::DISABILITY : hirs::v1::RACE;
    first.push_back(MakeCase(m, hirs::v1::HOME, false, 0x9e3779b9u * (i + 1)));
    corrected.push_back(MakeCase(hirs::v1::RACE, hirs::v1::HOME, false, 0x9e3779b9u * (i + 1)));
  }
  std::vector<Case> grown = corrected;
  for (int i = 14; i < 34; ++i) grown.push_back(MakeCase(hirs::v1::RACE, hirs::v1::HOME, false, 0x9e3779b9u * (i + 1)));
  const History h = Publishing({first, corrected, grown});
  EXPECT_THAT(PinnedSmallCounts(h), ::testing::IsEmpty());
  EXPECT_GE(h.published[2][0].count(), 30);  // the last release shows the growth
}

TEST(Publication, RoundsBySameCasesTheSameWayAndKeepsZerosAndMultiples) {
  EXPECT_EQ(RoundedCount(0, 123, kSmallMax), 0);
  for (int n = 1; n <= 4; ++n) EXPECT_EQ(RoundedCount(n, 99, kSmallMax), -1);
  EXPECT_EQ(RoundedCount(5, 0xffffffff, kSmallMax), 5);
  EXPECT_EQ(RoundedCount(40, 7, kSmallMax), 40);
  for (int n = 6; n < 60; ++n) {
    for (uint32_t key : {0u, 0x40000000u, 0x80000000u, 0xffffffffu}) {
      const int shown = RoundedCount(n, key, kSmallMax);
      EXPECT_EQ(shown % 5, 0);
      EXPECT_LE(std::abs(shown - n), 4);
      EXPECT_EQ(shown, RoundedCount(n, key, kSmallMax));
    }
  }
  // Unbiased over keys: 7 rounds up to 10 for 2 keys in 5.
  int up = 0;
  for (uint32_t k = 0; k < 1000; ++k) up += RoundedCount(7, k * 4294967u, kSmallMax) == 10;
  EXPECT_NEAR(up, 400, 5);
  EXPECT_EQ(RoundedCount(3, 1, 0), 3);  // no limit: exact
}

}  // namespace
}  // namespace hirs::extracts
