// WatchCases through a real in-process hirsd: replay, live following, and
// resuming from a cursor under concurrent writes with no gap and no
// duplicate.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/civil_time.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "hirs/v1/case_service.grpc.pb.h"
#include "tests/support/test_support.h"

#if defined(__SANITIZE_ADDRESS__)
#define HIRS_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HIRS_UNDER_ASAN 1
#endif
#endif

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

TEST_F(WatchTest, StartingAtTheEndReplaysNothingAndFollowsWhatComesAfter) {
  for (int i = 0; i < 3; ++i) Submit(i);
  auto context = ContextWithToken(hirs::testing::kPoliceToken);
  hirs::v1::WatchCasesRequest request;
  request.set_start_at_end(true);
  auto reader = cases_->WatchCases(context.get(), request);
  reader->WaitForInitialMetadata();  // open: the end is taken
  const std::string later = Submit(3);
  hirs::v1::CaseEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.cursor(), 4u);
  EXPECT_EQ(event.case_id(), later);
  context->TryCancel();
  reader->Finish();
  // A cursor given wins: start_at_end is for a watch without one.
  auto resumed_context = ContextWithToken(hirs::testing::kPoliceToken);
  request.set_from_cursor(1);
  auto resumed = cases_->WatchCases(resumed_context.get(), request);
  ASSERT_TRUE(resumed->Read(&event));
  EXPECT_EQ(event.cursor(), 2u);
  resumed_context->TryCancel();
  resumed->Finish();
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
  // Watch in short calls, each resuming from the last cursor received.
  std::vector<uint64_t> cursors;
  std::set<std::string> cases_seen;
  uint64_t last = 0;
  const size_t total = kWriters * kPerWriter;
  for (int call = 0; call < 200 && cursors.size() < total; ++call) {
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
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr(absl::StrCat("resume with from_cursor=", event.cursor())));
}

// A channel whose streams take at most about 1 KiB ahead of what the
// client has read, so that a client that stops reading stalls the server's
// writes at once.
std::shared_ptr<grpc::Channel> NarrowChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

TEST_F(WatchTest, AStalledWatchIsToldTheCursorThatResumesWithNoDuplicateAndNoGap) {
  server_.options().watch.stall_limit = absl::Seconds(1);
  server_.options().watch.cancel_grace = absl::Seconds(30);
  server_.Restart();
  cases_ = hirs::v1::CaseService::NewStub(server_.channel());
  constexpr int kEvents = 150;
  for (int i = 0; i < kEvents; ++i) Submit(i);

  auto narrow = hirs::v1::CaseService::NewStub(NarrowChannel(server_.address()));
  auto context = ContextWithToken(hirs::testing::kPoliceToken);
  auto reader = narrow->WatchCases(context.get(), hirs::v1::WatchCasesRequest());
  hirs::v1::CaseEvent event;
  uint64_t last = 0;
  for (int k = 0; k < 3; ++k) {
    ASSERT_TRUE(reader->Read(&event));
    last = event.cursor();
  }
  absl::SleepFor(absl::Seconds(3));  // past the stall limit, within the grace
  while (reader->Read(&event)) {
    EXPECT_EQ(event.cursor(), last + 1);
    last = event.cursor();
  }
  grpc::Status s = reader->Finish();
  ASSERT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_LT(last, static_cast<uint64_t>(kEvents));  // it did stall
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr(absl::StrCat("resume with from_cursor=", last)));

  // Resuming as told starts right after the last event received.
  auto again = ContextWithToken(hirs::testing::kPoliceToken);
  hirs::v1::WatchCasesRequest resume;
  resume.set_from_cursor(last);
  auto next = cases_->WatchCases(again.get(), resume);
  ASSERT_TRUE(next->Read(&event));
  EXPECT_EQ(event.cursor(), last + 1);
  again->TryCancel();
  next->Finish();
}

TEST_F(WatchTest, AStalledWatchWhoseClientNeverReadsAgainIsCancelled) {
  server_.options().watch.stall_limit = absl::Seconds(1);
  server_.options().watch.cancel_grace = absl::Seconds(1);
  server_.Restart();
  for (int i = 0; i < 150; ++i) Submit(i);
  auto narrow = hirs::v1::CaseService::NewStub(NarrowChannel(server_.address()));
  auto context = ContextWithToken(hirs::testing::kPoliceToken);
  auto reader = narrow->WatchCases(context.get(), hirs::v1::WatchCasesRequest());
  hirs::v1::CaseEvent event;
  ASSERT_TRUE(reader->Read(&event));
  // Gone from the server (its call cancelled, what it held freed) within
  // the stall limit, the grace and a feed round.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  int open = 1;
  while (open > 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(200));
    open = server_.WatchersOpen();
  }
  EXPECT_EQ(open, 0);
  context->TryCancel();
  reader->Finish();
}

TEST_F(WatchTest, OnePrincipalMayHoldOnlySoManyOpenWatches) {
  server_.options().watch.max_per_principal = 2;
  server_.Restart();
  cases_ = hirs::v1::CaseService::NewStub(server_.channel());
  Submit(0);
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<hirs::v1::CaseEvent>>> readers;
  hirs::v1::CaseEvent event;
  for (int i = 0; i < 2; ++i) {
    contexts.push_back(ContextWithToken(hirs::testing::kPoliceToken));
    readers.push_back(cases_->WatchCases(contexts.back().get(), hirs::v1::WatchCasesRequest()));
    ASSERT_TRUE(readers.back()->Read(&event));
  }
  auto third_context = ContextWithToken(hirs::testing::kPoliceToken);
  auto third = cases_->WatchCases(third_context.get(), hirs::v1::WatchCasesRequest());
  EXPECT_FALSE(third->Read(&event));
  grpc::Status s = third->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("at most 2"));
  // Closing one makes room.
  contexts[0]->TryCancel();
  readers[0]->Finish();
  bool opened = false;
  for (int attempt = 0; attempt < 50 && !opened; ++attempt) {
    auto c = ContextWithToken(hirs::testing::kPoliceToken);
    auto r = cases_->WatchCases(c.get(), hirs::v1::WatchCasesRequest());
    opened = r->Read(&event);
    c->TryCancel();
    r->Finish();
    if (!opened) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(opened);
  contexts[1]->TryCancel();
  readers[1]->Finish();
}

// This process's resident memory, in bytes.
size_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6)) * 1024;
  }
  return 0;
}

TEST_F(WatchTest, FiftyStalledWatchersHoldBoundedMemoryAndHealthStaysQuick) {
  server_.options().watch.stall_limit = absl::Seconds(2);
  server_.options().watch.cancel_grace = absl::Seconds(1);
  server_.options().watch.max_per_principal = 64;
  server_.Restart();
  // A large case: one incident told 400 times, each telling a change event.
  for (int i = 0; i < 400; ++i) {
    hirs::v1::Report r = hirs::testing::ValidReport(hirs::testing::kTestNow);
    r.set_source_reference(absl::StrCat("TOLD-", i));
    r.set_description(absl::StrCat("Account ", i, " of the shouting near the library. ", std::string(400, 'x')));
    hirs::v1::SubmitReportResponse response;
    ASSERT_TRUE(
        server_.Reporting()
            ->SubmitReport(ContextWithToken(hirs::testing::kCentreAToken).get(), hirs::testing::Request(r), &response)
            .ok());
  }
  const size_t before = ResidentBytes();
  constexpr int kWatchers = 50;
  auto narrow = hirs::v1::CaseService::NewStub(NarrowChannel(server_.address()));
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<hirs::v1::CaseEvent>>> readers;
  hirs::v1::CaseEvent event;
  for (int w = 0; w < kWatchers; ++w) {
    contexts.push_back(ContextWithToken(hirs::testing::kPoliceToken));
    contexts.back()->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    readers.push_back(narrow->WatchCases(contexts.back().get(), hirs::v1::WatchCasesRequest()));
    ASSERT_TRUE(readers.back()->Read(&event));  // then never reads again
  }
  // Health answers quickly while they stall, are ended and are cancelled.
  auto health = grpc::health::v1::Health::NewStub(server_.channel());
  absl::Duration slowest;
  size_t peak = 0;
  const absl::Time until = absl::Now() + absl::Seconds(5);
  while (absl::Now() < until) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc::health::v1::HealthCheckResponse response;
    const absl::Time t0 = absl::Now();
    ASSERT_TRUE(health->Check(&context, grpc::health::v1::HealthCheckRequest(), &response).ok());
    slowest = std::max(slowest, absl::Now() - t0);
    peak = std::max(peak, ResidentBytes());
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_LT(slowest, absl::Milliseconds(100));
  // What each may hold: a batch of at most max_batch_bytes and the event in
  // flight; the rest is gRPC's per-call state.
  const size_t bound = kWatchers * (server_.options().watch.max_batch_bytes + (64 << 10));
  std::cout << "resident before " << before << ", peak " << peak << ", bound on growth " << bound << "\n";
#ifndef HIRS_UNDER_ASAN  // its quarantine keeps freed memory resident: no measure there
  EXPECT_LT(peak - std::min(peak, before), bound);
#endif
  // Ended at the stall limit and cancelled after the grace.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (server_.WatchersOpen() > 0 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(server_.WatchersOpen(), 0);
  for (int w = 0; w < kWatchers; ++w) {
    contexts[w]->TryCancel();
    readers[w]->Finish();
  }
}

}  // namespace
}  // namespace hirs
