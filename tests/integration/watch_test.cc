// WatchCases through a real in-process hirsd: replay, live following, and
// resuming from a cursor under concurrent writes with no gap and no
// duplicate.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hirs/v1/case_service.grpc.pb.h"
#include "tests/support/test_support.h"

namespace hirs {
namespace {

using hirs::testing::ContextWithToken;

// A report of its own incident (days apart from every other i).
hirs::v1::Report Distinct(int i) {
  hirs::v1::Report r = hirs::testing::ValidReport(absl::Now());
  *r.mutable_occurred_start() =
      ToTimestamp(absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) - 48 * 3600 - int64_t{i} * 4 * 86400));
  r.mutable_victim()->set_full_name(absl::StrCat("Watched", i, " Person", i));
  r.mutable_victim()->clear_date_of_birth();
  r.set_description(absl::StrCat("Unrelated incident ", i));
  return r;
}

class WatchTest : public ::testing::Test {
 protected:
  WatchTest() : cases_(hirs::v1::CaseService::NewStub(server_.channel())) {}

  std::string Submit(int i) {
    hirs::v1::SubmitReportResponse response;
    auto context = ContextWithToken(hirs::testing::kCentreAToken);
    grpc::Status s = server_.Reporting()->SubmitReport(context.get(), hirs::testing::Request(Distinct(i)), &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.case_id();
  }

  hirs::testing::TestServer server_;
  std::unique_ptr<hirs::v1::CaseService::Stub> cases_;
};

TEST_F(WatchTest, ReplaysThenFollowsLiveEvents) {
  std::vector<std::string> submitted;
  for (int i = 0; i < 5; ++i) submitted.push_back(Submit(i));
  auto context = ContextWithToken(hirs::testing::kPoliceToken);
  hirs::v1::WatchCasesRequest request;
  auto reader = cases_->WatchCases(context.get(), request);
  std::vector<hirs::v1::CaseEvent> events;
  hirs::v1::CaseEvent event;
  while (events.size() < 5 && reader->Read(&event)) events.push_back(event);
  std::thread live([&] {
    for (int i = 5; i < 8; ++i) submitted.push_back(Submit(i));
  });
  while (events.size() < 8 && reader->Read(&event)) events.push_back(event);
  live.join();
  ASSERT_EQ(events.size(), 8u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].cursor(), i + 1);
    EXPECT_EQ(events[i].kind(), hirs::v1::CaseEvent::CASE_CREATED);
    EXPECT_EQ(events[i].case_id(), submitted[i]);
    EXPECT_EQ(events[i].case_().explanations_size(), 0);
    EXPECT_EQ(events[i].case_().reports_size(), 0);
  }
  context->TryCancel();
  reader->Finish();
}

TEST_F(WatchTest, ReconnectingWithTheLastCursorMissesNothingUnderConcurrentWrites) {
  constexpr int kWriters = 4, kPerWriter = 40;
  std::atomic<int> next{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      for (int k = 0; k < kPerWriter; ++k) Submit(next++);
    });
  }
  // Watch in short sessions, each resuming from the last cursor received.
  std::vector<uint64_t> cursors;
  std::set<std::string> cases_seen;
  uint64_t last = 0;
  const size_t total = kWriters * kPerWriter;
  for (int session = 0; session < 200 && cursors.size() < total; ++session) {
    auto context = ContextWithToken(hirs::testing::kPoliceToken);
    hirs::v1::WatchCasesRequest request;
    request.set_from_cursor(last);
    auto reader = cases_->WatchCases(context.get(), request);
    hirs::v1::CaseEvent event;
    for (int k = 0; k < 7 && cursors.size() < total && reader->Read(&event); ++k) {
      cursors.push_back(event.cursor());
      cases_seen.insert(event.case_id());
      last = event.cursor();
    }
    context->TryCancel();
    reader->Finish();
  }
  for (auto& t : writers) t.join();
  ASSERT_EQ(cursors.size(), total);
  for (size_t i = 0; i < cursors.size(); ++i) EXPECT_EQ(cursors[i], i + 1) << "gap or duplicate at " << i;
  EXPECT_EQ(cases_seen.size(), total);
}

TEST_F(WatchTest, RefusesAFutureCursorAndUnknownCallers) {
  Submit(0);
  {
    auto context = ContextWithToken(hirs::testing::kPoliceToken);
    hirs::v1::WatchCasesRequest request;
    request.set_from_cursor(1000);
    auto reader = cases_->WatchCases(context.get(), request);
    hirs::v1::CaseEvent event;
    EXPECT_FALSE(reader->Read(&event));
    grpc::Status s = reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::OUT_OF_RANGE);
    EXPECT_THAT(s.error_message(), ::testing::HasSubstr("beyond the feed's last event (1)"));
  }
  for (const char* token : {"", hirs::testing::kCentreAToken}) {
    auto context = ContextWithToken(token);
    auto reader = cases_->WatchCases(context.get(), hirs::v1::WatchCasesRequest());
    hirs::v1::CaseEvent event;
    EXPECT_FALSE(reader->Read(&event));
    EXPECT_NE(reader->Finish().error_code(), grpc::StatusCode::OK) << token;
  }
}

TEST_F(WatchTest, StoppingTheServerEndsWatchesTellingThemToResume) {
  Submit(0);
  auto context = ContextWithToken(hirs::testing::kPoliceToken);
  auto reader = cases_->WatchCases(context.get(), hirs::v1::WatchCasesRequest());
  hirs::v1::CaseEvent event;
  ASSERT_TRUE(reader->Read(&event));  // caught up; now following
  server_.Stop();
  EXPECT_FALSE(reader->Read(&event));
  grpc::Status s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("resume from your cursor"));
}

}  // namespace
}  // namespace hirs
