#include "services/intake/postcode.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/domain_support.h"

namespace hirs::intake {
namespace {

using ::testing::Optional;

TEST(CanonicalPostcode, FoldsCaseAndSpacing) {
  EXPECT_THAT(CanonicalPostcode("le113ab"), Optional(std::string("LE11 3AB")));
  EXPECT_THAT(CanonicalPostcode("  LE11   3AB "), Optional(std::string("LE11 3AB")));
  EXPECT_THAT(CanonicalPostcode("le1 5ab"), Optional(std::string("LE1 5AB")));
}

TEST(CanonicalPostcode, AcceptsEveryOutwardShape) {
  for (const char* p : {"M1 1AA", "M60 1NW", "CR2 6XH", "DN55 1PT", "W1A 1HQ", "EC1A 1BB", "GIR 0AA"}) {
    EXPECT_TRUE(CanonicalPostcode(p).has_value()) << p;
  }
}

TEST(CanonicalPostcode, RefusesMalformed) {
  for (const char* p :
       {"", "LE11", "LE11 3A", "1E11 3AB", "LE11 AAB", "LE11 3CB", "LE111 3AB", "LE11 3AB X", "LE-11 3AB"}) {
    EXPECT_FALSE(CanonicalPostcode(p).has_value()) << p;
  }
}

TEST(PostcodeSector, IsOutwardAndFirstInwardDigit) {
  EXPECT_EQ(PostcodeSector("LE11 3AB"), "LE11 3");
  EXPECT_EQ(PostcodeSector("LE1 5AB"), "LE1 5");
}

TEST(DistrictRouter, DefaultTableRoutesEachAreaDistrict) {
  auto router = DistrictRouter::LeicestershireDefault();
  EXPECT_EQ(router->Route("LE11 3AB"), "E07000130");  // Loughborough, Charnwood
  EXPECT_EQ(router->Route("LE1 5AB"), "E06000016");   // Leicester
  EXPECT_EQ(router->Route("LE15 6AA"), "E06000017");  // Oakham, Rutland
  EXPECT_EQ(router->Route("LE10 1AA"), "E07000132");  // Hinckley
  EXPECT_EQ(router->Route("LE13 0AA"), "E07000133");  // Melton Mowbray
  EXPECT_EQ(router->Route("LE65 1AA"), "E07000134");  // Ashby
  EXPECT_EQ(router->Route("LE18 4AA"), "E07000135");  // Wigston
  EXPECT_EQ(router->Route("LE16 7AA"), "E07000131");  // Market Harborough
  EXPECT_EQ(router->Route("LE19 1AA"), "E07000129");  // Enderby, Blaby
}

TEST(DistrictRouter, UnknownPostcodeRoutesNowhere) {
  auto router = DistrictRouter::LeicestershireDefault();
  EXPECT_EQ(router->Route("SW1A 1AA"), "");
  EXPECT_EQ(router->Route("LE12 6AA"), "");  // straddles the boundary: left out on purpose
}

TEST(DistrictRouter, LoadsOnsLayoutWithFullPostcodesAndSectors) {
  const char* csv =
      "pcd,pcd2,pcds,dointr,doterm,oscty,oslaua\n"
      "LE113AB,LE11 3AB,LE11 3AB,199801,,E10000018,E07000130\n"
      "\"LE1  1AA\",\"LE1  1AA\",\"LE1 1AA\",199801,,E99999999,E06000016\n"
      "X,X,LE12 6,,,,E07000130\n"
      "X,X,SW1A 1AA,,,,E09000033\n";
  auto router = DistrictRouter::FromOnsCsv(csv, LeicestershireAreaCodes());
  ASSERT_TRUE(router.ok()) << router.status();
  EXPECT_EQ((*router)->postcode_count(), 2u);
  EXPECT_EQ((*router)->sector_count(), 3u);  // LE11 3 and LE1 1 derived, LE12 6 given
  EXPECT_EQ((*router)->Route("LE11 3AB"), "E07000130");
  EXPECT_EQ((*router)->Route("LE11 3ZZ"), "E07000130");  // by the derived sector
  EXPECT_EQ((*router)->Route("LE12 6XY"), "E07000130");
  EXPECT_EQ((*router)->Route("SW1A 1AA"), "");  // outside the area: not kept
}

TEST(DistrictRouter, FullPostcodeBeatsASectorThatSpansDistricts) {
  auto router = DistrictRouter::FromOnsCsv("pcds,oslaua\nLE2 4,E06000016\nLE2 4ZZ,E07000135\n", {});
  ASSERT_TRUE(router.ok());
  EXPECT_EQ((*router)->Route("LE2 4ZZ"), "E07000135");
  EXPECT_EQ((*router)->Route("LE2 4AA"), "");  // the sector spans two districts
}

TEST(DistrictRouter, PartialPostcodesRouteOnlyWhereTheAreaLiesInOneDistrict) {
  auto router = DistrictRouter::LeicestershireDefault();
  EXPECT_EQ(router->Route(*ParsePostcode("LE11")), "E07000130");  // all of LE11 is Charnwood
  EXPECT_EQ(router->Route(*ParsePostcode("le11 3")), "E07000130");
  EXPECT_EQ(router->Route(*ParsePostcode("LE15")), "E06000017");  // Rutland
  EXPECT_EQ(router->Route(*ParsePostcode("LE2")), "");            // Leicester and Oadby and Wigston
  EXPECT_EQ(router->Route(*ParsePostcode("LE12")), "");           // LE12 6 lies outside the area
  EXPECT_EQ(router->Route(*ParsePostcode("LE12 6AA")), "");
}

TEST(ParsePostcode, FullSectorAndOutward) {
  auto full = ParsePostcode("le113ab");
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->unit, "LE11 3AB");
  EXPECT_EQ(full->sector, "LE11 3");
  EXPECT_EQ(full->outward, "LE11");
  auto sector = ParsePostcode(" LE1 5 ");
  ASSERT_TRUE(sector.has_value());
  EXPECT_EQ(sector->unit, "");
  EXPECT_EQ(sector->sector, "LE1 5");
  EXPECT_EQ(sector->outward, "LE1");
  auto outward = ParsePostcode("LE15");  // no space: the outward code LE15, not sector LE1 5
  ASSERT_TRUE(outward.has_value());
  EXPECT_EQ(outward->sector, "");
  EXPECT_EQ(outward->outward, "LE15");
  for (const char* bad : {"", "L", "LE", "Loughborough", "LE11 3A", "12 3AB", "LE11 33"}) {
    EXPECT_FALSE(ParsePostcode(bad).has_value()) << bad;
  }
}

TEST(DistrictRouter, MissingColumnsAreAClearError) {
  auto router = DistrictRouter::FromOnsCsv("postcode,district\nLE11 3AB,E07000130\n", {});
  ASSERT_FALSE(router.ok());
  EXPECT_EQ(router.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(router.status().message()), ::testing::HasSubstr("pcds and oslaua"));
}

TEST(DistrictRouter, LoadsFromFile) {
  hirs::testing::TempDir dir;
  const std::string path = dir.path() + "/onspd.csv";
  std::ofstream(path) << "pcds,oslaua\r\nLE67 9AA,E07000132\r\n";
  auto router = DistrictRouter::FromOnsFile(path);
  ASSERT_TRUE(router.ok()) << router.status();
  EXPECT_EQ((*router)->Route("LE67 9AA"), "E07000132");
  EXPECT_EQ(DistrictRouter::FromOnsFile(dir.path() + "/missing.csv").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace hirs::intake
