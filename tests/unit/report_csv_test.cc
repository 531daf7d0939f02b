#include "clients/cli/report_csv.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hirs::cli {
namespace {

using ::testing::HasSubstr;

TEST(CsvLayout, MapsEveryDocumentedColumn) {
  auto layout = CsvLayout::FromHeader(CsvLayout::Columns());
  ASSERT_TRUE(layout.ok()) << layout.status();
  const std::vector<std::string> row = {"req-1",
                                        "SRC-1",
                                        "witness",
                                        "race; Religion_Or_Belief",
                                        "verbal_abuse;threats",
                                        "2026-10-03T21:30:00Z",
                                        "2026-10-03 22:45",
                                        "le11 3ab",
                                        "street_or_public_place",
                                        "by the bus stop",
                                        "",
                                        "E07000130",
                                        "shouted at",
                                        "A Person",
                                        "1990-01-02",
                                        "age_25_to_34",
                                        "woman",
                                        "White British",
                                        "0116 000",
                                        "a@b.org",
                                        "1 High St",
                                        "LE11 2AA",
                                        "yes",
                                        "no",
                                        "n",
                                        "1",
                                        "LE/1/26"};
  auto request = layout->ToRequest(row);
  ASSERT_TRUE(request.ok()) << request.status();
  const auto& r = request->report();
  EXPECT_EQ(request->request_id(), "req-1");
  EXPECT_EQ(r.reporter_role(), hirs::v1::WITNESS);
  ASSERT_EQ(r.motivations_size(), 2);
  EXPECT_EQ(r.motivations(1), hirs::v1::RELIGION_OR_BELIEF);
  EXPECT_EQ(r.incident_types_size(), 2);
  EXPECT_EQ(r.occurred_start().seconds(), 1791063000);  // 21:30Z
  EXPECT_EQ(r.occurred_end().seconds(), 1791063900);    // 22:45 BST = 21:45Z
  EXPECT_EQ(r.location().place_type(), hirs::v1::STREET_OR_PUBLIC_PLACE);
  EXPECT_EQ(r.location().district_code(), "E07000130");
  EXPECT_EQ(r.victim().age_band(), hirs::v1::AGE_25_TO_34);
  EXPECT_TRUE(r.consent().share_with_police());
  EXPECT_FALSE(r.consent().anonymous());
  EXPECT_TRUE(r.school_related());
  EXPECT_EQ(r.crime_reference(), "LE/1/26");
}

TEST(CsvLayout, UnknownOrRepeatedColumnIsRefused) {
  EXPECT_THAT(std::string(CsvLayout::FromHeader({"postcode", "colour"}).status().message()),
              HasSubstr("unknown column \"colour\""));
  EXPECT_THAT(std::string(CsvLayout::FromHeader({"postcode", "Postcode"}).status().message()),
              HasSubstr("appears twice"));
}

TEST(CsvLayout, BadValuesNameTheColumn) {
  auto layout = CsvLayout::FromHeader({"motivations", "occurred_start", "anonymous"}).value();
  EXPECT_THAT(std::string(layout.ToRequest({"racism", "", ""}).status().message()),
              HasSubstr("column motivations: \"racism\" is not one of RACE"));
  EXPECT_THAT(std::string(layout.ToRequest({"race", "last tuesday", ""}).status().message()),
              HasSubstr("column occurred_start"));
  EXPECT_THAT(std::string(layout.ToRequest({"race", "", "perhaps"}).status().message()), HasSubstr("column anonymous"));
  EXPECT_THAT(std::string(layout.ToRequest({"race"}).status().message()), HasSubstr("1 fields but the header has 3"));
}

}  // namespace
}  // namespace hirs::cli
