#include "services/query/filter.h"

#include "common/bad_request.h"
#include "common/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hirs::query {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const absl::Time kNow = absl::FromUnixSeconds(1790000000);  // 2026-09-21

hirs::v1::Case MakeCase() {
  hirs::v1::Case c;
  c.set_case_id("case_1");
  c.set_district_code("E07000130");
  c.set_status(hirs::v1::OPEN);
  c.add_motivations(hirs::v1::RACE);
  c.add_motivations(hirs::v1::RELIGION_OR_BELIEF);
  c.add_incident_types(hirs::v1::VERBAL_ABUSE);
  *c.mutable_occurred_start() = ToTimestamp(absl::FromUnixSeconds(1788000000));     // 2026-08-29
  *c.mutable_first_received_at() = ToTimestamp(absl::FromUnixSeconds(1789000000));  // 2026-09-10
  c.set_crime_reference("LE/123/26");
  return c;
}

bool Matches(absl::string_view filter, const hirs::v1::Case& c = MakeCase()) {
  auto f = Filter::Parse(filter);
  EXPECT_TRUE(f.ok()) << filter << ": " << f.status();
  return f.ok() && f->Matches(c);
}

std::string ErrorOf(absl::string_view filter) {
  auto f = Filter::Parse(filter);
  EXPECT_FALSE(f.ok()) << filter;
  if (f.ok()) return "";
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  auto v = FieldViolationsOf(f.status());
  EXPECT_EQ(v.size(), 1u);
  if (v.empty()) return "";
  EXPECT_EQ(v[0].field, "filter");
  return v[0].description;
}

TEST(Filter, EveryFieldCompares) {
  EXPECT_TRUE(Matches(""));
  EXPECT_TRUE(Matches("district_code = \"E07000130\""));
  EXPECT_FALSE(Matches("district_code = 'E07000129'"));
  EXPECT_TRUE(Matches("district_code != E07000129"));
  EXPECT_TRUE(Matches("status = OPEN"));
  EXPECT_FALSE(Matches("status = CLOSED"));
  EXPECT_TRUE(Matches("motivation = RACE"));
  EXPECT_TRUE(Matches("motivation : RELIGION_OR_BELIEF"));
  EXPECT_FALSE(Matches("motivation = DISABILITY"));
  EXPECT_TRUE(Matches("motivation != DISABILITY"));
  EXPECT_TRUE(Matches("incident_type = VERBAL_ABUSE"));
  EXPECT_TRUE(Matches("occurred_start >= \"2026-08-01T00:00:00Z\" AND occurred_start < \"2026-09-01T00:00:00Z\""));
  EXPECT_FALSE(Matches("occurred_start > \"2026-09-01T00:00:00+01:00\""));
  EXPECT_TRUE(Matches("first_received_at <= 2026-09-10T12:00:00Z"));  // an unquoted time
  EXPECT_TRUE(Matches("repeat_victim = false"));
  EXPECT_FALSE(Matches("repeat_victim = true"));
  EXPECT_TRUE(Matches("crime_reference = \"le/123/26\""));  // normalised as stored
}

TEST(Filter, OrBindsTighterThanAndAsAip160Says) {
  // a AND b OR c  ==  a AND (b OR c)
  EXPECT_FALSE(Matches("status = CLOSED AND motivation = RACE OR motivation = AGE"));
  EXPECT_TRUE(Matches("(status = CLOSED AND motivation = DISABILITY) OR motivation = RACE"));
  EXPECT_TRUE(Matches("status = OPEN motivation = RACE"));  // juxtaposition is AND
  EXPECT_FALSE(Matches("NOT status = OPEN"));
  EXPECT_TRUE(Matches("-status = CLOSED"));
  EXPECT_TRUE(Matches("NOT (status = CLOSED OR district_code = X) AND (motivation = AGE OR motivation = RACE)"));
}

TEST(Filter, ErrorsNameThePositionAndWhatToDo) {
  EXPECT_THAT(ErrorOf("status = OPEN AND colour = red"),
              AllOf(StartsWith("at position 19:"), HasSubstr("unknown field \"colour\""), HasSubstr("district_code")));
  EXPECT_THAT(ErrorOf("status = PENDING"), AllOf(StartsWith("at position 10:"), HasSubstr("CRIME_RECORDED")));
  EXPECT_THAT(ErrorOf("status < OPEN"), AllOf(StartsWith("at position 8:"), HasSubstr("use =, !=")));
  EXPECT_THAT(ErrorOf("(status = OPEN"), StartsWith("at position 1: '(' is not closed"));
  EXPECT_THAT(ErrorOf("status = OPEN)"), StartsWith("at position 14: ')' without"));
  EXPECT_THAT(ErrorOf("status ="), StartsWith("at position 9: expected a value"));
  EXPECT_THAT(ErrorOf("status = \"OPEN"), StartsWith("at position 10: the quoted value is not closed"));
  EXPECT_THAT(ErrorOf("occurred_start > \"yesterday\""), HasSubstr("RFC 3339"));
  EXPECT_THAT(ErrorOf("repeat_victim = yes"), HasSubstr("true or false"));
  EXPECT_THAT(ErrorOf("status = OPEN AND"), HasSubstr("ends where a comparison should start"));
  EXPECT_THAT(ErrorOf("status ! OPEN"), HasSubstr("'!' must be followed by '='"));
  EXPECT_THAT(ErrorOf(std::string(40, '(') + "status = OPEN" + std::string(40, ')')), HasSubstr("nests more than"));
  EXPECT_THAT(ErrorOf(std::string(kMaxFilterLength + 1, ' ')), HasSubstr("at most 2048"));
}

TEST(Filter, IndexCoverNarrowsWhereItSafelyCan) {
  auto cover = [](absl::string_view text) { return Filter::Parse(text).value().IndexCover(kNow); };
  using Prefixes = std::optional<std::vector<std::string>>;
  EXPECT_EQ(cover(""), std::nullopt);
  EXPECT_EQ(cover("district_code = E07000130"), Prefixes({"d|E07000130|"}));
  // AND takes its most selective side.
  EXPECT_EQ(cover("status = OPEN AND crime_reference = 'LE/1/26'"), Prefixes({"cr|LE/1/26|"}));
  EXPECT_EQ(cover("status = OPEN AND district_code = E07000130"), Prefixes({"d|E07000130|"}));
  // OR needs every side covered.
  EXPECT_EQ(cover("status = OPEN OR status = CLOSED"), Prefixes({"st|01|", "st|06|"}));
  EXPECT_EQ(cover("status = OPEN OR NOT motivation = RACE"), std::nullopt);
  EXPECT_EQ(cover("status != OPEN"), std::nullopt);
  EXPECT_EQ(cover("repeat_victim = true"), Prefixes({"rv|1|"}));
  EXPECT_EQ(cover("repeat_victim = false"), std::nullopt);
  EXPECT_EQ(cover("occurred_start >= \"2026-07-15T00:00:00Z\" AND occurred_start < \"2026-09-01T00:00:00+01:00\""),
            Prefixes({"om|2026-07|", "om|2026-08|"}));  // both bounds make one range, in UK months
  EXPECT_EQ(cover("occurred_start >= \"2026-08-15T00:00:00Z\""),
            Prefixes({"om|2026-08|", "om|2026-09|", "om|2026-10|"}));           // open: to a month past now
  EXPECT_EQ(cover("occurred_start < \"2020-01-01T00:00:00Z\""), std::nullopt);  // 360 months: no narrowing
  EXPECT_EQ(cover("occurred_start > \"2026-09-01T00:00:00Z\" AND occurred_start < \"2026-08-01T00:00:00Z\""),
            Prefixes(std::vector<std::string>()));  // an empty range matches nothing
  EXPECT_EQ(cover("occurred_start < \"2026-02-01T00:00:00Z\" AND district_code = X"), Prefixes({"d|X|"}));
  EXPECT_EQ(cover("occurred_start = \"2026-07-15T00:00:00Z\""), Prefixes({"om|2026-07|"}));
  // Many months cost more than one broader prefix.
  EXPECT_EQ(cover("motivation = RACE AND occurred_start >= \"2025-01-01T00:00:00Z\""), Prefixes({"mo|01|"}));
  EXPECT_EQ(cover("motivation = RACE AND occurred_start >= \"2026-09-01T00:00:00Z\""),
            Prefixes({"om|2026-09|", "om|2026-10|"}));
}

}  // namespace
}  // namespace hirs::query
