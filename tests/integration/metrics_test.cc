// The Prometheus endpoint of a real in-process hirsd, fetched over HTTP:
// calls counted by method and code (refusals too), latency histograms,
// collation outcomes, the review queue and RocksDB figures; no personal
// data anywhere in it.

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hirs/v1/case_service.grpc.pb.h"
#include "hirs/v1/reporting_service.grpc.pb.h"
#include "tests/support/test_support.h"

namespace hirs {
namespace {

using ::testing::HasSubstr;

TEST(Metrics, PrometheusEndpointCountsCallsWithoutPersonalData) {
  hirs::testing::TestServer server;
  server.options().metrics_listen = "127.0.0.1:0";
  server.Restart();
  auto reporting = server.Reporting();
  hirs::v1::SubmitReportResponse response;
  ASSERT_TRUE(reporting
                  ->SubmitReport(hirs::testing::ContextWithToken(hirs::testing::kCentreAToken).get(),
                                 hirs::testing::Request(hirs::testing::ValidReport()), &response)
                  .ok());
  auto cases = hirs::v1::CaseService::NewStub(server.channel());
  hirs::v1::GetCaseRequest get;
  get.set_case_id(response.case_id());
  hirs::v1::Case c;
  EXPECT_EQ(cases->GetCase(hirs::testing::ContextWithToken(hirs::testing::kCentreAToken).get(), get, &c).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(cases->GetCase(hirs::testing::ContextWithToken(hirs::testing::kPoliceToken).get(), get, &c).ok());
  ASSERT_EQ(c.reports(0).victim().full_name(), "Test Victim");  // the police saw it; the metrics must not

  const std::string body = hirs::testing::ScrapeMetrics(server.metrics_port());
  ASSERT_FALSE(body.empty());
  EXPECT_THAT(
      body,
      HasSubstr(
          R"(grpc_server_handled_total{grpc_code="OK",grpc_method="SubmitReport",grpc_service="hirs.v1.ReportingService"} 1)"));
  EXPECT_THAT(
      body,
      HasSubstr(
          R"(grpc_server_handled_total{grpc_code="PERMISSION_DENIED",grpc_method="GetCase",grpc_service="hirs.v1.CaseService"} 1)"));
  EXPECT_THAT(
      body,
      HasSubstr(R"(grpc_server_handling_seconds_count{grpc_method="GetCase",grpc_service="hirs.v1.CaseService"} 2)"));
  EXPECT_THAT(
      body,
      HasSubstr(
          R"(grpc_server_handling_seconds_bucket{grpc_method="GetCase",grpc_service="hirs.v1.CaseService",le="0.002"})"));
  EXPECT_THAT(body, HasSubstr(R"(hirs_collation_outcomes_total{outcome="NEW_CASE"} 1)"));
  EXPECT_THAT(body, HasSubstr("hirs_review_queue_length 0"));
  EXPECT_THAT(body, HasSubstr("hirs_watchers 0"));
  EXPECT_THAT(body, HasSubstr("hirs_rocksdb_total_sst_files_size"));
  EXPECT_THAT(body, HasSubstr("hirs_rocksdb_estimate_pending_compaction_bytes"));
  EXPECT_THAT(body, HasSubstr("hirs_rocksdb_is_write_stopped 0"));
  EXPECT_THAT(body, HasSubstr("hirs_rocksdb_num_running_flushes"));
  EXPECT_THAT(body, HasSubstr("hirs_rocksdb_mem_table_flush_pending"));
  for (const char* secret : {"Test Victim", "1980-05-17", "library", "LE11", "centre-a", "rpt_", "case_"}) {
    EXPECT_FALSE(absl::StrContains(body, secret)) << secret;
  }
}

}  // namespace
}  // namespace hirs
