// CaseService through a real in-process hirsd and real stubs: who may call
// what, and the calls working end to end over gRPC.
#include <grpcpp/grpcpp.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hirs/v1/case_service.grpc.pb.h"
#include "tests/support/test_support.h"

namespace hirs {
namespace {

using ::testing::HasSubstr;
using hirs::testing::ContextWithToken;

class CaseServiceTest : public ::testing::Test {
 protected:
  CaseServiceTest() : cases_(hirs::v1::CaseService::NewStub(server_.channel())) {}

  hirs::v1::SubmitReportResponse Submit(const hirs::v1::Report& report) {
    hirs::v1::SubmitReportResponse response;
    auto context = ContextWithToken(hirs::testing::kCentreAToken);
    EXPECT_TRUE(server_.Reporting()->SubmitReport(context.get(), hirs::testing::Request(report), &response).ok());
    return response;
  }

  grpc::Status Get(const std::string& token, const std::string& id, hirs::v1::Case* out) {
    hirs::v1::GetCaseRequest request;
    request.set_case_id(id);
    return cases_->GetCase(ContextWithToken(token).get(), request, out);
  }

  grpc::Status Close(const std::string& token, const hirs::v1::Case& c, hirs::v1::Case* out) {
    hirs::v1::UpdateCaseRequest request;
    request.mutable_case_()->set_case_id(c.case_id());
    request.mutable_case_()->set_status(hirs::v1::CLOSED);
    request.mutable_update_mask()->add_paths("status");
    request.set_etag(c.etag());
    return cases_->UpdateCase(ContextWithToken(token).get(), request, out);
  }

  hirs::testing::TestServer server_;
  std::unique_ptr<hirs::v1::CaseService::Stub> cases_;
};

TEST_F(CaseServiceTest, PoliceReadListAndUpdateOverGrpc) {
  const auto submitted = Submit(hirs::testing::ValidReport(absl::Now()));
  hirs::v1::Case c;
  ASSERT_TRUE(Get(hirs::testing::kPoliceToken, submitted.case_id(), &c).ok());
  ASSERT_EQ(c.reports_size(), 1);
  EXPECT_EQ(c.reports(0).victim().full_name(), "Test Victim");  // consent allows police

  hirs::v1::ListCasesRequest list;
  list.set_filter("district_code = \"E07000130\" AND status = OPEN");
  hirs::v1::ListCasesResponse page;
  ASSERT_TRUE(cases_->ListCases(ContextWithToken(hirs::testing::kPoliceToken).get(), list, &page).ok());
  ASSERT_EQ(page.cases_size(), 1);
  EXPECT_EQ(page.cases(0).case_id(), submitted.case_id());

  hirs::v1::Case closed;
  ASSERT_TRUE(Close(hirs::testing::kPoliceToken, c, &closed).ok());
  EXPECT_EQ(closed.status(), hirs::v1::CLOSED);
  grpc::Status stale = Close(hirs::testing::kPoliceToken, c, &closed);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
}

TEST_F(CaseServiceTest, OnlyPoliceChangeCasesAndOnlyPoliceAndAdminReadThem) {
  const auto submitted = Submit(hirs::testing::ValidReport(absl::Now()));
  hirs::v1::Case c;
  ASSERT_TRUE(Get(hirs::testing::kAdminToken, submitted.case_id(), &c).ok());
  EXPECT_EQ(c.reports(0).victim().full_name(), "");  // admin never sees personal data
  hirs::v1::Case out;
  grpc::Status admin_update = Close(hirs::testing::kAdminToken, c, &out);
  EXPECT_EQ(admin_update.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(admin_update.error_message(), HasSubstr("may not call hirs.v1.CaseService/UpdateCase (POLICE only)"));
  for (const char* token : {hirs::testing::kCentreAToken, hirs::testing::kDistrictToken}) {
    EXPECT_EQ(Get(token, submitted.case_id(), &out).error_code(), grpc::StatusCode::PERMISSION_DENIED) << token;
  }
  EXPECT_EQ(Get("", submitted.case_id(), &out).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Get("wrong-token", submitted.case_id(), &out).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(CaseServiceTest, BadFiltersAreInvalidArgumentWithThePosition) {
  hirs::v1::ListCasesRequest list;
  list.set_filter("status = OPEN AND shoe_size > 9");
  hirs::v1::ListCasesResponse page;
  grpc::Status s = cases_->ListCases(ContextWithToken(hirs::testing::kPoliceToken).get(), list, &page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("at position 19"));
}

TEST_F(CaseServiceTest, LearningFromReviewsStartsWithDefaultsWhenThereAreTooFewDecisions) {
  const auto submitted = Submit(hirs::testing::ValidReport(absl::Now()));
  server_.options().learn_from_reviews = true;
  server_.Restart();
  cases_ = hirs::v1::CaseService::NewStub(server_.channel());
  hirs::v1::Case c;
  EXPECT_TRUE(Get(hirs::testing::kPoliceToken, submitted.case_id(), &c).ok());
  hirs::v1::Report again = hirs::testing::ValidReport(absl::Now());
  again.set_source_reference("again");
  EXPECT_EQ(Submit(again).collation(), hirs::v1::ATTACHED_TO_CASE);
}

}  // namespace
}  // namespace hirs
