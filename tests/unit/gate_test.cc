// The call gate's parts that need no server: the token bucket and which ids
// an audit entry names (never free text).
#include "services/rpc/gate.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hirs/v1/admin_service.pb.h"
#include "hirs/v1/case_service.pb.h"
#include "hirs/v1/extract_service.pb.h"
#include "tests/support/test_support.h"

namespace hirs::rpc {
namespace {

using ::testing::ElementsAre;

TEST(RateLimiter, RefillsAtItsRateUpToTheBurst) {
  RateLimiter limiter(RateLimit{10, 3});
  const absl::Time t = hirs::testing::kTestNow;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Take("a", t), absl::ZeroDuration());
  EXPECT_EQ(limiter.Take("a", t), absl::Milliseconds(100));
  EXPECT_EQ(limiter.Take("b", t), absl::ZeroDuration());  // each key its own bucket
  EXPECT_EQ(limiter.Take("a", t + absl::Milliseconds(100)), absl::ZeroDuration());
  // A long pause refills to the burst, not beyond.
  const absl::Time later = t + absl::Hours(1);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Take("a", later), absl::ZeroDuration());
  EXPECT_GT(limiter.Take("a", later), absl::ZeroDuration());
  RateLimiter off(RateLimit{0, 0});
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(off.Take("a", t), absl::ZeroDuration());
}

TEST(CollectResourceIds, NamesWellFormedIdsOnly) {
  const std::string case_id = "case_01JD5X9Q4ZK8M2N6P7R3S5T0VW";
  const std::string report_id = "rpt_01JD5X9Q4ZK8M2N6P7R3S5T0VX";
  hirs::v1::Case c;
  c.set_case_id(case_id);
  c.add_report_ids(report_id);
  c.add_linked_case_ids(case_id);  // named once
  c.add_reports()->set_report_id(report_id);
  std::vector<std::string> ids;
  CollectResourceIds(c, &ids);
  EXPECT_THAT(ids, ElementsAre(case_id, report_id));

  // Whatever a caller typed into an id field is not recorded unless it is an id.
  hirs::v1::GetCaseRequest typed;
  typed.set_case_id("Jane Doe, 12 Acacia Avenue");
  ids.clear();
  CollectResourceIds(typed, &ids);
  EXPECT_TRUE(ids.empty());

  hirs::v1::MonthlyExtractRequest extract;
  extract.set_district_code("E07000130");
  extract.set_month("2026-10");
  ids.clear();
  CollectResourceIds(extract, &ids);
  EXPECT_THAT(ids, ElementsAre("extract:E07000130:2026-10"));

  hirs::v1::DisablePrincipalRequest disable;
  disable.set_id("centre-a");
  ids.clear();
  CollectResourceIds(disable, &ids);
  EXPECT_THAT(ids, ElementsAre("principal:centre-a"));
}

TEST(RateLimited, CarriesRetryInfo) {
  const absl::Status s = RateLimited("centre-a", absl::Milliseconds(1500));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(s.GetPayload("type.googleapis.com/google.rpc.RetryInfo").has_value());
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("retry after 1.5s"));
}

}  // namespace
}  // namespace hirs::rpc
