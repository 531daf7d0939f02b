// WatchReports through a real in-process hirsd: a centre follows its own
// reports as their cases change (and nothing of another centre's), with a
// filter, resuming from a cursor, and a change touching more of its
// reports than one message holds.
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hirs/v1/case_service.grpc.pb.h"
#include "tests/support/test_support.h"

namespace hirs {
namespace {

using hirs::testing::ContextWithToken;
using hirs::testing::kCentreAToken;
using hirs::testing::kCentreBToken;
using hirs::testing::kPoliceToken;
using ::testing::HasSubstr;

// A report of ValidReport's incident under `reference`; a witness's (no
// victim) when `witness`.
hirs::v1::Report Telling(const std::string& reference, bool witness) {
  hirs::v1::Report r = hirs::testing::ValidReport();
  r.set_source_reference(reference);
  if (witness) {
    r.set_reporter_role(hirs::v1::WITNESS);
    r.clear_victim();
  }
  return r;
}

// An open WatchReports call.
struct Watch {
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientReader<hirs::v1::ReportChange>> reader;

  // The next change; false when the watch ended.
  bool Next(hirs::v1::ReportChange* change) { return reader->Read(change); }
  grpc::Status End() {
    context->TryCancel();
    return reader->Finish();
  }
};

class WatchReportsTest : public ::testing::Test {
 protected:
  WatchReportsTest() : cases_(hirs::v1::CaseService::NewStub(server_.channel())) {}

  hirs::v1::SubmitReportResponse Submit(const std::string& token, const hirs::v1::Report& report) {
    hirs::v1::SubmitReportResponse response;
    const grpc::Status s =
        server_.Reporting()->SubmitReport(ContextWithToken(token).get(), hirs::testing::Request(report), &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  Watch Open(const std::string& token, const hirs::v1::WatchReportsRequest& request) {
    Watch w{ContextWithToken(token), nullptr};
    w.context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    w.reader = server_.Reporting()->WatchReports(w.context.get(), request);
    return w;
  }

  Watch OpenAtEnd(const std::string& token, const std::string& filter = "") {
    hirs::v1::WatchReportsRequest request;
    request.set_start_at_end(true);
    request.set_filter(filter);
    Watch w = Open(token, request);
    w.reader->WaitForInitialMetadata();  // open: the end is taken
    return w;
  }

  void Investigate(const std::string& case_id, const std::string& crime_reference) {
    hirs::v1::GetCaseRequest get;
    get.set_case_id(case_id);
    hirs::v1::Case current;
    ASSERT_TRUE(cases_->GetCase(ContextWithToken(kPoliceToken).get(), get, &current).ok());
    hirs::v1::UpdateCaseRequest request;
    request.set_etag(current.etag());
    request.mutable_case_()->set_case_id(case_id);
    request.mutable_case_()->set_status(hirs::v1::UNDER_INVESTIGATION);
    request.mutable_case_()->set_crime_reference(crime_reference);
    request.mutable_update_mask()->add_paths("status");
    request.mutable_update_mask()->add_paths("crime_reference");
    hirs::v1::Case out;
    const grpc::Status s = cases_->UpdateCase(ContextWithToken(kPoliceToken).get(), request, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  hirs::testing::TestServer server_;
  std::unique_ptr<hirs::v1::CaseService::Stub> cases_;
};

std::vector<std::string> IdsOf(const hirs::v1::ReportChange& change) {
  std::vector<std::string> ids;
  for (const auto& r : change.reports()) ids.push_back(r.report_id());
  return ids;
}

TEST_F(WatchReportsTest, ACentreFollowsItsOwnReportsAsTheirCaseChangesAndSeesNoOtherCentres) {
  Watch a = OpenAtEnd(kCentreAToken);
  Watch b = OpenAtEnd(kCentreBToken);
  const auto mine = Submit(kCentreAToken, Telling("A-1", false));
  hirs::v1::ReportChange change;
  ASSERT_TRUE(a.Next(&change));
  EXPECT_EQ(change.kind(), hirs::v1::CaseEvent::CASE_CREATED);
  EXPECT_EQ(change.case_id(), mine.case_id());
  ASSERT_EQ(IdsOf(change), std::vector<std::string>{mine.report_id()});
  EXPECT_EQ(change.reports(0).progress().case_status(), hirs::v1::OPEN);
  EXPECT_FALSE(change.reports(0).etag().empty());
  EXPECT_EQ(change.reports(0).victim().full_name(), hirs::testing::ValidReport().victim().full_name());  // its own

  // Another centre's report joins the case: A hears of its own report (its
  // case changed), B of B's, and neither of the other's.
  const auto theirs = Submit(kCentreBToken, Telling("B-1", true));
  ASSERT_EQ(theirs.case_id(), mine.case_id());
  ASSERT_TRUE(a.Next(&change));
  EXPECT_EQ(change.kind(), hirs::v1::CaseEvent::REPORT_ATTACHED);
  EXPECT_EQ(IdsOf(change), std::vector<std::string>{mine.report_id()});
  hirs::v1::ReportChange theirs_change;
  ASSERT_TRUE(b.Next(&theirs_change));
  EXPECT_EQ(IdsOf(theirs_change), std::vector<std::string>{theirs.report_id()});
  EXPECT_EQ(theirs_change.cursor(), change.cursor());

  // The police's decision reaches both centres' reports.
  Investigate(mine.case_id(), "LE/1234/26");
  ASSERT_TRUE(a.Next(&change));
  EXPECT_EQ(change.kind(), hirs::v1::CaseEvent::CASE_UPDATED);
  ASSERT_EQ(IdsOf(change), std::vector<std::string>{mine.report_id()});
  EXPECT_EQ(change.reports(0).progress().case_status(), hirs::v1::UNDER_INVESTIGATION);
  EXPECT_EQ(change.reports(0).progress().crime_reference(), "LE/1234/26");
  ASSERT_TRUE(b.Next(&theirs_change));
  EXPECT_EQ(IdsOf(theirs_change), std::vector<std::string>{theirs.report_id()});

  // A withdrawal: the report has left the case, and is still sent.
  hirs::v1::WithdrawReportRequest withdraw;
  withdraw.set_report_id(mine.report_id());
  withdraw.set_reason("the victim asked");
  hirs::v1::Report withdrawn;
  ASSERT_TRUE(server_.Reporting()->WithdrawReport(ContextWithToken(kCentreAToken).get(), withdraw, &withdrawn).ok());
  ASSERT_TRUE(a.Next(&change));
  EXPECT_EQ(change.kind(), hirs::v1::CaseEvent::REPORT_WITHDRAWN);
  ASSERT_EQ(IdsOf(change), std::vector<std::string>{mine.report_id()});
  EXPECT_TRUE(change.reports(0).has_withdrawal());
  EXPECT_EQ(change.reports(0).victim().full_name(), "");  // personal data gone
  ASSERT_TRUE(b.Next(&theirs_change));                    // B's report's case changed too
  EXPECT_EQ(IdsOf(theirs_change), std::vector<std::string>{theirs.report_id()});
  a.End();
  b.End();

  // Replayed from the start, A's watch sends its report as it now stands,
  // for the changes that still touch it: the report is in no case now, so
  // only the changes naming it (its creation, its withdrawal).
  Watch again = Open(kCentreAToken, hirs::v1::WatchReportsRequest());
  std::vector<hirs::v1::CaseEvent::Kind> kinds;
  while (kinds.size() < 2 && again.Next(&change)) {
    kinds.push_back(change.kind());
    EXPECT_EQ(IdsOf(change), std::vector<std::string>{mine.report_id()});
    EXPECT_TRUE(change.reports(0).has_withdrawal());
  }
  EXPECT_THAT(kinds, ::testing::ElementsAre(hirs::v1::CaseEvent::CASE_CREATED, hirs::v1::CaseEvent::REPORT_WITHDRAWN));
  again.End();
}

TEST_F(WatchReportsTest, AFilterSendsOnlyTheReportsMatchingItAsTheyNowStand) {
  Watch open_only = OpenAtEnd(kCentreAToken, "status = UNDER_INVESTIGATION");
  const auto first = Submit(kCentreAToken, Telling("A-1", false));
  Investigate(first.case_id(), "LE/1/26");
  hirs::v1::ReportChange change;
  ASSERT_TRUE(open_only.Next(&change));  // the creation was OPEN: not sent
  EXPECT_EQ(change.kind(), hirs::v1::CaseEvent::CASE_UPDATED);
  EXPECT_EQ(IdsOf(change), std::vector<std::string>{first.report_id()});
  open_only.End();

  hirs::v1::WatchReportsRequest bad;
  bad.set_filter("colour = BLUE");
  Watch refused = Open(kCentreAToken, bad);
  EXPECT_FALSE(refused.Next(&change));
  const grpc::Status s = refused.reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("colour"));

  // Only centres watch their reports; a cursor beyond the feed is refused.
  Watch police = Open(kPoliceToken, hirs::v1::WatchReportsRequest());
  EXPECT_FALSE(police.Next(&change));
  EXPECT_EQ(police.reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  hirs::v1::WatchReportsRequest future;
  future.set_from_cursor(1000);
  Watch beyond = Open(kCentreAToken, future);
  EXPECT_FALSE(beyond.Next(&change));
  EXPECT_EQ(beyond.reader->Finish().error_code(), grpc::StatusCode::OUT_OF_RANGE);
}

TEST_F(WatchReportsTest, AChangeTouchingMoreReportsThanOneMessageHoldsComesInPartsThatResumeWithoutLoss) {
  constexpr int kReports = 53;  // kMaxReportsPerChange (50) and three more
  std::string case_id;
  for (int i = 0; i < kReports; ++i) {
    const auto r = Submit(kCentreAToken, Telling(absl::StrCat("A-", i), i > 0));
    if (i == 0) case_id = r.case_id();
    ASSERT_EQ(r.case_id(), case_id) << i;
  }
  Watch a = OpenAtEnd(kCentreAToken);
  Investigate(case_id, "LE/53/26");
  hirs::v1::ReportChange first, second;
  ASSERT_TRUE(a.Next(&first));
  ASSERT_TRUE(a.Next(&second));
  a.End();
  EXPECT_EQ(first.reports_size(), 50);
  EXPECT_EQ(second.reports_size(), kReports - 50);
  EXPECT_EQ(first.cursor() + 1, second.cursor()) << "the first part carries the cursor before the change";
  EXPECT_EQ(first.kind(), hirs::v1::CaseEvent::CASE_UPDATED);

  // Resumed from the first part's cursor, the whole change comes again.
  hirs::v1::WatchReportsRequest resume;
  resume.set_from_cursor(first.cursor());
  Watch again = Open(kCentreAToken, resume);
  hirs::v1::ReportChange change;
  ASSERT_TRUE(again.Next(&change));
  EXPECT_EQ(change.reports_size(), 50);
  ASSERT_TRUE(again.Next(&change));
  EXPECT_EQ(change.cursor(), second.cursor());
  again.End();
}

}  // namespace
}  // namespace hirs
