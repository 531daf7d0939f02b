// CaseService through a real in-process hirsd and real stubs: who may call
// what, and the calls working end to end over gRPC.
#include <grpcpp/grpcpp.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hirs/v1/case_service.grpc.pb.h"
#include "tests/support/test_support.h"

namespace hirs {
namespace {

using hirs::testing::ContextWithToken;
using ::testing::HasSubstr;

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

// Report `i` of one incident: the same victim, place and time, in other
// words each time.
hirs::v1::Report Retelling(int i) {
  hirs::v1::Report r = hirs::testing::ValidReport(hirs::testing::kTestNow);
  r.set_reporter_role(i == 0 ? hirs::v1::VICTIM : hirs::v1::WITNESS);
  r.set_source_reference(absl::StrCat("TOLD-", i));
  r.set_description(absl::StrCat("Account ", i, " of the shouting near the library, as ", i % 5, " saw it."));
  return r;
}

TEST_F(CaseServiceTest, AManyTimesReportedCaseReadsInBoundedPiecesAndListsEveryReportOnce) {
  constexpr int kReports = 260;
  std::vector<std::string> submitted;
  std::string case_id;
  for (int i = 0; i < kReports; ++i) {
    const auto r = Submit(Retelling(i));
    submitted.push_back(r.report_id());
    if (i == 0) case_id = r.case_id();
    ASSERT_EQ(r.case_id(), case_id) << i;
  }
  hirs::v1::Case c;
  ASSERT_TRUE(Get(hirs::testing::kPoliceToken, case_id, &c).ok());
  EXPECT_EQ(c.report_count(), kReports);
  EXPECT_EQ(c.report_ids_size(), 100);  // the oldest
  EXPECT_EQ(c.report_ids(0), submitted[0]);
  EXPECT_EQ(c.reports_size(), 8);
  EXPECT_EQ(c.explanations_size(), 8);
  EXPECT_EQ(c.explanations(3).report_id(), c.reports(3).report_id());
  EXPECT_LT(c.ByteSizeLong(), 256u * 1024);

  std::vector<std::string> listed;
  hirs::v1::ListCaseReportsRequest request;
  request.set_case_id(case_id);
  request.set_page_size(64);
  for (int page = 0; page < 10; ++page) {
    hirs::v1::ListCaseReportsResponse response;
    grpc::Status s = cases_->ListCaseReports(ContextWithToken(hirs::testing::kPoliceToken).get(), request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(response.total_size(), kReports);
    ASSERT_EQ(response.explanations_size(), response.reports_size());
    for (int i = 0; i < response.reports_size(); ++i) {
      EXPECT_EQ(response.explanations(i).report_id(), response.reports(i).report_id());
      listed.push_back(response.reports(i).report_id());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  std::vector<std::string> sorted = submitted;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(listed, sorted);  // every report once, oldest first

  // A token is bound to its case; a negative size is refused.
  hirs::v1::ListCaseReportsRequest other;
  other.set_case_id(Submit(hirs::testing::ValidReport(hirs::testing::kTestNow - absl::Hours(24 * 40))).case_id());
  other.set_page_token(request.page_token());
  hirs::v1::ListCaseReportsResponse response;
  EXPECT_EQ(cases_->ListCaseReports(ContextWithToken(hirs::testing::kPoliceToken).get(), other, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  other.clear_page_token();
  other.set_page_size(-1);
  EXPECT_EQ(cases_->ListCaseReports(ContextWithToken(hirs::testing::kPoliceToken).get(), other, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(
      cases_->ListCaseReports(ContextWithToken(hirs::testing::kCentreAToken).get(), request, &response).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  // Events say what changed: the report attached, not every id.
  auto context = ContextWithToken(hirs::testing::kPoliceToken);
  auto reader = cases_->WatchCases(context.get(), hirs::v1::WatchCasesRequest());
  hirs::v1::CaseEvent event;
  for (int i = 0; i < kReports && reader->Read(&event); ++i) {
    EXPECT_EQ(event.case_().report_ids_size(), 0);
    ASSERT_EQ(event.report_ids_size(), 1);
    EXPECT_EQ(event.report_ids(0), submitted[i]);
    EXPECT_LT(event.ByteSizeLong(), 1024u);
  }
  context->TryCancel();
  reader->Finish();
}

}  // namespace
}  // namespace hirs
