#include "services/intake/validation.h"
#include "services/records/field_rules.h"

#include <set>

#include "common/civil_time.h"
#include "common/utf8.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/domain_support.h"

namespace hirs::intake {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const absl::Time kNow = absl::FromUnixSeconds(1790000000);  // 2026-09-21

using hirs::testing::Request;

// The fields named by the violations of `request`.
std::vector<std::string> BadFields(const hirs::v1::SubmitReportRequest& request) {
  std::vector<std::string> out;
  for (const auto& v : ValidateSubmitRequest(request, kNow)) out.push_back(v.field);
  return out;
}

std::vector<std::string> BadFields(const hirs::v1::Report& report) { return BadFields(Request(report)); }

hirs::v1::Report Valid() { return hirs::testing::ValidReport(kNow); }

TEST(Validation, ValidReportHasNoViolations) { EXPECT_THAT(BadFields(Valid()), IsEmpty()); }

TEST(Validation, ReportIsRequired) { EXPECT_THAT(BadFields(hirs::v1::SubmitReportRequest()), ElementsAre("report")); }

TEST(Validation, RequestIdMustBePrintableAndBounded) {
  auto request = Request(Valid());
  request.set_request_id("retry-42:abc");
  EXPECT_THAT(BadFields(request), IsEmpty());
  request.set_request_id("has space");
  EXPECT_THAT(BadFields(request), ElementsAre("request_id"));
  request.set_request_id(std::string(129, 'x'));
  EXPECT_THAT(BadFields(request), ElementsAre("request_id"));
}

TEST(Validation, AtLeastOneMotivationAndIncidentType) {
  auto r = Valid();
  r.clear_motivations();
  r.clear_incident_types();
  EXPECT_THAT(BadFields(r), UnorderedElementsAre("report.motivations", "report.incident_types"));
}

TEST(Validation, UnspecifiedAndUnknownEnumValuesAreRefused) {
  auto r = Valid();
  r.add_motivations(hirs::v1::MOTIVATION_UNSPECIFIED);
  r.add_incident_types(static_cast<hirs::v1::IncidentType>(99));
  r.set_reporter_role(hirs::v1::REPORTER_ROLE_UNSPECIFIED);
  r.mutable_location()->set_place_type(static_cast<hirs::v1::PlaceType>(42));
  r.mutable_victim()->set_age_band(hirs::v1::AGE_BAND_UNSPECIFIED);
  EXPECT_THAT(BadFields(r),
              UnorderedElementsAre("report.motivations[1]", "report.incident_types[1]", "report.reporter_role",
                                   "report.location.place_type", "report.victim.age_band"));
}

TEST(Validation, OccurredStartIsRequired) {
  auto r = Valid();
  r.clear_occurred_start();
  EXPECT_THAT(BadFields(r), ElementsAre("report.occurred_start"));
}

TEST(Validation, OccurredStartMayNotBeInTheFutureBeyondClockSkew) {
  auto r = Valid();
  *r.mutable_occurred_start() = ToTimestamp(kNow + absl::Minutes(4));
  EXPECT_THAT(BadFields(r), IsEmpty());
  *r.mutable_occurred_start() = ToTimestamp(kNow + absl::Minutes(6));
  EXPECT_THAT(BadFields(r), ElementsAre("report.occurred_start"));
}

TEST(Validation, OccurredStartMayNotBeBefore1990) {
  auto r = Valid();
  *r.mutable_occurred_start() = ToTimestamp(absl::FromUnixSeconds(631152000));  // 1990-01-01
  EXPECT_THAT(BadFields(r), IsEmpty());
  *r.mutable_occurred_start() = ToTimestamp(absl::FromUnixSeconds(631151999));
  EXPECT_THAT(BadFields(r), ElementsAre("report.occurred_start"));
}

TEST(Validation, OccurredEndMayNotPrecedeStart) {
  auto r = Valid();
  *r.mutable_occurred_end() = ToTimestamp(ToAbslTime(r.occurred_start()) + absl::Hours(1));
  EXPECT_THAT(BadFields(r), IsEmpty());
  *r.mutable_occurred_end() = ToTimestamp(ToAbslTime(r.occurred_start()) - absl::Seconds(1));
  EXPECT_THAT(BadFields(r), ElementsAre("report.occurred_end"));
}

TEST(Validation, MalformedTimestampIsRefused) {
  auto r = Valid();
  r.mutable_occurred_start()->set_nanos(-1);
  EXPECT_THAT(BadFields(r), ElementsAre("report.occurred_start"));
}

TEST(Validation, PostcodeMustBeValid) {
  auto r = Valid();
  r.mutable_location()->set_postcode("le113ab");
  EXPECT_THAT(BadFields(r), IsEmpty());
  r.mutable_location()->set_postcode("LE11 3CB");  // C is never an inward letter
  EXPECT_THAT(BadFields(r), ElementsAre("report.location.postcode"));
}

TEST(Validation, PartialPostcodeIsAcceptedWhenThatIsAllTheReporterKnows) {
  auto r = Valid();
  for (const char* partial : {"LE11", "le11 3"}) {
    r.mutable_location()->set_postcode(partial);
    EXPECT_THAT(BadFields(r), IsEmpty()) << partial;
  }
  r.mutable_location()->set_postcode("Loughborough");
  EXPECT_THAT(BadFields(r), ElementsAre("report.location.postcode"));
}

TEST(Validation, OnlineIncidentNeedsNoPostcode) {
  auto r = Valid();
  r.mutable_location()->clear_postcode();
  r.mutable_location()->set_online_platform("a forum");
  r.mutable_location()->set_place_type(hirs::v1::ONLINE);
  EXPECT_THAT(BadFields(r), IsEmpty());
}

TEST(Validation, LocationNeedsPostcodeOrOnlinePlatform) {
  auto r = Valid();
  r.mutable_location()->clear_postcode();
  EXPECT_THAT(BadFields(r), ElementsAre("report.location"));
  r.clear_location();
  EXPECT_THAT(BadFields(r), ElementsAre("report.location"));
}

TEST(Validation, DistrictCodeMustBeInTheArea) {
  auto r = Valid();
  r.mutable_location()->set_district_code("E07000130");
  EXPECT_THAT(BadFields(r), IsEmpty());
  r.mutable_location()->set_district_code("E09000001");  // City of London
  EXPECT_THAT(BadFields(r), ElementsAre("report.location.district_code"));
}

TEST(Validation, DescriptionIsBoundedAt20000Bytes) {
  auto r = Valid();
  r.set_description(std::string(kMaxDescriptionBytes, 'a'));
  EXPECT_THAT(BadFields(r), IsEmpty());
  r.set_description(std::string(kMaxDescriptionBytes + 1, 'a'));
  EXPECT_THAT(BadFields(r), ElementsAre("report.description"));
}

TEST(Validation, DescriptionMustBeValidUtf8) {
  auto r = Valid();
  r.set_description("caf\xc3\xa9 \xe2\x82\xac ok\nsecond line");
  EXPECT_THAT(BadFields(r), IsEmpty());
  r.set_description("bad \xc3(");
  EXPECT_THAT(BadFields(r), ElementsAre("report.description"));
}

TEST(Validation, Utf8ValidatorRefusesOverlongsSurrogatesAndTruncation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));   // U+1F600
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xff"));
}

TEST(Validation, SingleLineFieldsRefuseControlCharacters) {
  auto r = Valid();
  r.mutable_victim()->set_full_name("Name\nInjected");
  EXPECT_THAT(BadFields(r), ElementsAre("report.victim.full_name"));
}

TEST(Validation, DateOfBirthMustBeARealDateInThePast) {
  auto r = Valid();
  for (const char* bad : {"1980-02-30", "1980-13-01", "17/05/1980", "2030-01-01", "1899-12-31", "1980-5-17"}) {
    r.mutable_victim()->set_date_of_birth(bad);
    EXPECT_THAT(BadFields(r), ElementsAre("report.victim.date_of_birth")) << bad;
  }
  r.mutable_victim()->set_date_of_birth("2000-02-29");
  EXPECT_THAT(BadFields(r), IsEmpty());
}

TEST(Validation, VictimContactsAreChecked) {
  auto r = Valid();
  r.mutable_victim()->set_phone("+44 (0)116 123-4567");
  r.mutable_victim()->set_email("someone@example.org");
  r.mutable_victim()->set_postcode("LE1 5AB");
  EXPECT_THAT(BadFields(r), IsEmpty());
  r.mutable_victim()->set_phone("call me");
  r.mutable_victim()->set_email("not-an-address");
  r.mutable_victim()->set_postcode("nowhere");
  EXPECT_THAT(BadFields(r),
              UnorderedElementsAre("report.victim.phone", "report.victim.email", "report.victim.postcode"));
}

TEST(Validation, EveryStringIsBounded) {
  auto r = Valid();
  r.set_source_reference(std::string(kMaxSourceReferenceBytes + 1, 'x'));
  r.mutable_location()->set_description(std::string(kMaxPlaceDescriptionBytes + 1, 'x'));
  r.mutable_location()->set_online_platform(std::string(kMaxOnlinePlatformBytes + 1, 'x'));
  r.mutable_victim()->set_full_name(std::string(kMaxNameBytes + 1, 'x'));
  r.mutable_victim()->set_gender(std::string(kMaxShortTextBytes + 1, 'x'));
  r.mutable_victim()->set_ethnicity(std::string(kMaxShortTextBytes + 1, 'x'));
  r.mutable_victim()->set_address(std::string(kMaxAddressBytes + 1, 'x'));
  r.mutable_victim()->set_email(std::string(kMaxEmailBytes, 'x') + "@x");
  r.mutable_victim()->set_phone(std::string(kMaxPhoneBytes + 1, '1'));
  r.set_crime_reference(std::string(records::kMaxCrimeReferenceBytes + 1, 'X'));
  EXPECT_THAT(BadFields(r),
              UnorderedElementsAre("report.source_reference", "report.location.description",
                                   "report.location.online_platform", "report.victim.full_name", "report.victim.gender",
                                   "report.victim.ethnicity", "report.victim.address", "report.victim.email",
                                   "report.victim.phone", "report.crime_reference"));
}

TEST(Validation, AnonymousReportCarriesNoIdentity) {
  auto r = Valid();
  r.mutable_consent()->set_anonymous(true);
  r.mutable_victim()->set_phone("0116 000 0000");
  r.mutable_victim()->set_postcode("LE11 3AB");
  EXPECT_THAT(BadFields(r), UnorderedElementsAre("report.victim.full_name", "report.victim.date_of_birth",
                                                 "report.victim.phone", "report.victim.postcode"));
  r.clear_victim();
  r.mutable_victim()->set_age_band(hirs::v1::AGE_25_TO_34);
  EXPECT_THAT(BadFields(r), IsEmpty());
}

TEST(Validation, CrimeReferenceCharset) {
  auto r = Valid();
  r.set_crime_reference("LE/0012345/26");
  EXPECT_THAT(BadFields(r), IsEmpty());
  r.set_crime_reference("LE;DROP");
  EXPECT_THAT(BadFields(r), ElementsAre("report.crime_reference"));
}

TEST(Validation, EveryBadFieldIsNamedAtOnce) {
  auto r = Valid();
  r.clear_motivations();
  r.mutable_location()->set_postcode("XX");
  r.mutable_victim()->set_date_of_birth("yesterday");
  const auto violations = ValidateSubmitRequest(Request(r), kNow);
  ASSERT_EQ(violations.size(), 3u);
  for (const auto& v : violations) EXPECT_FALSE(v.description.empty()) << v.field;
}

}  // namespace
}  // namespace hirs::intake
