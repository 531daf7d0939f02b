// ExtractService through a real in-process hirsd and real stubs: a council
// streams its own district's rows, is refused another's, and bad requests
// and spent deadlines get the right codes.
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/error_details.h>

#include "common/civil_time.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "hirs/v1/extract_service.grpc.pb.h"
#include "tests/support/test_support.h"

namespace hirs {
namespace {

using hirs::testing::ContextWithToken;

class ExtractServiceTest : public ::testing::Test {
 protected:
  ExtractServiceTest() : extracts_(hirs::v1::ExtractService::NewStub(server_.channel())) {}

  // Submits a report of an incident two days ago; its UK month.
  std::string SubmitOne(const std::string& source_reference) {
    hirs::v1::Report report = hirs::testing::ValidReport(absl::Now());
    report.set_source_reference(source_reference);
    hirs::v1::SubmitReportResponse response;
    auto context = ContextWithToken(hirs::testing::kCentreAToken);
    EXPECT_TRUE(server_.Reporting()->SubmitReport(context.get(), hirs::testing::Request(report), &response).ok());
    return UkMonth(ToAbslTime(report.occurred_start()));
  }

  hirs::v1::MonthlyExtractRequest Request(const std::string& district, const std::string& month) {
    hirs::v1::MonthlyExtractRequest request;
    request.set_district_code(district);
    request.set_month(month);
    return request;
  }

  grpc::Status Stream(const std::string& token, const hirs::v1::MonthlyExtractRequest& request,
                      std::vector<hirs::v1::ExtractRow>* rows, absl::Duration deadline = absl::Seconds(10)) {
    auto context = ContextWithToken(token);
    context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    auto reader = extracts_->StreamMonthlyExtract(context.get(), request);
    hirs::v1::ExtractRow row;
    while (reader->Read(&row)) rows->push_back(row);
    return reader->Finish();
  }

  hirs::testing::TestServer server_;
  std::unique_ptr<hirs::v1::ExtractService::Stub> extracts_;
};

TEST_F(ExtractServiceTest, ACouncilStreamsItsOwnDistrictAndIsRefusedAnother) {
  const std::string month = SubmitOne("A-1");
  std::vector<hirs::v1::ExtractRow> rows;
  ASSERT_TRUE(Stream(hirs::testing::kDistrictToken, Request("E07000130", month), &rows).ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].change(), hirs::v1::ExtractRow::NEW);
  EXPECT_EQ(rows[0].postcode_sector(), "LE11 3");
  rows.clear();
  ASSERT_TRUE(Stream(hirs::testing::kDistrictToken, Request("E07000130", month), &rows).ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].change(), hirs::v1::ExtractRow::UNCHANGED);

  rows.clear();
  EXPECT_EQ(Stream(hirs::testing::kDistrictToken, Request("E06000017", month), &rows).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(rows.empty());
  EXPECT_EQ(Stream(hirs::testing::kCentreAToken, Request("E07000130", month), &rows).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Stream("no-such-token", Request("E07000130", month), &rows).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(Stream(hirs::testing::kPoliceToken, Request("E06000017", month), &rows).ok());  // police: any
  EXPECT_TRUE(rows.empty());

  hirs::v1::MonthlySummary summary;
  grpc::Status early = extracts_->GetMonthlySummary(ContextWithToken(hirs::testing::kDistrictToken).get(),
                                                    Request("E07000130", month), &summary);
  if (month == UkMonth(absl::Now())) {  // published once the month is over
    EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(early.error_message(), ::testing::HasSubstr("published once the month is over"));
  } else {
    ASSERT_TRUE(early.ok()) << early.error_message();
  }
  // Released at every change instead: the one case, a small number.
  server_.options().summary_releases = "every_change";
  server_.Restart();
  extracts_ = hirs::v1::ExtractService::NewStub(server_.channel());
  ASSERT_TRUE(extracts_
                  ->GetMonthlySummary(ContextWithToken(hirs::testing::kDistrictToken).get(),
                                      Request("E07000130", month), &summary)
                  .ok());
  EXPECT_TRUE(summary.total().suppressed());
  EXPECT_EQ(summary.total().count(), 0);
  EXPECT_EQ(extracts_
                ->GetMonthlySummary(ContextWithToken(hirs::testing::kDistrictToken).get(), Request("E06000016", month),
                                    &summary)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ExtractServiceTest, BadRequestsNameTheFieldAndSpentDeadlinesEndTheCall) {
  std::vector<hirs::v1::ExtractRow> rows;
  const grpc::Status bad = Stream(hirs::testing::kPoliceToken, Request("E07000130", "Oct 2026"), &rows);
  ASSERT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status details;
  ASSERT_TRUE(grpc::ExtractErrorDetails(bad, &details).ok());
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::BadRequest request;
  ASSERT_TRUE(details.details(0).UnpackTo(&request));
  ASSERT_EQ(request.field_violations_size(), 1);
  EXPECT_EQ(request.field_violations(0).field(), "month");

  EXPECT_EQ(Stream(hirs::testing::kPoliceToken, Request("E07000130", "2026-09"), &rows, absl::Seconds(-1)).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
}

}  // namespace
}  // namespace hirs
