#include "services/intake/normalise.h"
#include "services/records/field_rules.h"

#include "common/civil_time.h"
#include "gtest/gtest.h"
#include "tests/support/domain_support.h"

namespace hirs::intake {
namespace {

TEST(FoldName, FoldsCaseSpacingAndPunctuation) {
  EXPECT_EQ(FoldName("  O'Brien-SMITH "), "obrien smith");
  EXPECT_EQ(FoldName("Mary   Jane\tWATSON"), "mary jane watson");
  EXPECT_EQ(FoldName("D\xe2\x80\x99Souza"), "dsouza");  // typographic apostrophe
}

TEST(FoldName, FoldsUnicodeCase) {
  EXPECT_EQ(FoldName("ZO\xc3\x8b \xc5\x81UKASZ"), "zo\xc3\xab \xc5\x82ukasz");  // ZOË ŁUKASZ
  EXPECT_EQ(FoldName("Stra\xc3\x9f"
                     "e"),
            "strasse");  // ß folds to ss
}

TEST(NormaliseCrimeReference, UpperCaseWithoutSpaces) {
  EXPECT_EQ(records::NormaliseCrimeReference("le/0012 345/26"), "LE/0012345/26");
}

TEST(Normalise, RoutesByLocationPostcode) {
  auto router = DistrictRouter::LeicestershireDefault();
  auto r = hirs::testing::ValidReport();
  r.mutable_location()->set_postcode("le113ab");
  const auto n = Normalise(r, *router);
  EXPECT_EQ(n.postcode(), "LE11 3AB");
  EXPECT_EQ(n.postcode_sector(), "LE11 3");
  EXPECT_EQ(n.district_code(), "E07000130");
  EXPECT_FALSE(n.district_unresolved());
  EXPECT_EQ(n.victim_name(), "test victim");
}

TEST(Normalise, PartialPostcodeRoutesByItsArea) {
  auto router = DistrictRouter::LeicestershireDefault();
  auto r = hirs::testing::ValidReport();
  r.mutable_location()->set_postcode("le11");
  const auto n = Normalise(r, *router);
  EXPECT_EQ(n.postcode(), "");
  EXPECT_EQ(n.postcode_sector(), "");
  EXPECT_EQ(n.postcode_outward(), "LE11");
  EXPECT_EQ(n.district_code(), "E07000130");
}

TEST(Normalise, UnknownPostcodeLeavesDistrictEmptyAndFlagged) {
  auto router = DistrictRouter::LeicestershireDefault();
  auto r = hirs::testing::ValidReport();
  r.mutable_location()->set_postcode("SW1A 1AA");
  const auto n = Normalise(r, *router);
  EXPECT_EQ(n.district_code(), "");
  EXPECT_TRUE(n.district_unresolved());
}

TEST(Normalise, GivenDistrictCodeServesWhenThePostcodeDoesNotRoute) {
  auto router = DistrictRouter::LeicestershireDefault();
  auto r = hirs::testing::ValidReport();
  r.mutable_location()->set_postcode("LE12 6AA");
  r.mutable_location()->set_district_code("E07000130");
  EXPECT_EQ(Normalise(r, *router).district_code(), "E07000130");
}

TEST(Normalise, OnlineIncidentRoutesByVictimHomePostcode) {
  auto router = DistrictRouter::LeicestershireDefault();
  auto r = hirs::testing::ValidReport();
  r.mutable_location()->clear_postcode();
  r.mutable_location()->set_online_platform("forum");
  r.mutable_victim()->set_postcode("LE18 4AA");
  EXPECT_EQ(Normalise(r, *router).district_code(), "E07000135");
}

TEST(Normalise, OccurredDayIsTheUkCivilDay) {
  auto router = DistrictRouter::LeicestershireDefault();
  auto r = hirs::testing::ValidReport();
  // 2026-09-30T23:30:00Z is 00:30 BST on 1 October.
  *r.mutable_occurred_start() = ToTimestamp(absl::FromUnixSeconds(1790811000));
  EXPECT_EQ(Normalise(r, *router).occurred_day(), "2026-10-01");
  // 2026-11-30T23:30:00Z is still 30 November in GMT.
  *r.mutable_occurred_start() = ToTimestamp(absl::FromUnixSeconds(1796081400));
  EXPECT_EQ(Normalise(r, *router).occurred_day(), "2026-11-30");
}

}  // namespace
}  // namespace hirs::intake
