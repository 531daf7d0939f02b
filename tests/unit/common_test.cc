#include "common/bad_request.h"
#include "common/civil_time.h"
#include "common/csv_reader.h"
#include "common/ids.h"
#include "common/worker_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <set>

#include "absl/synchronization/notification.h"

namespace hirs {
namespace {

using Rows = std::vector<std::pair<int, std::vector<std::string>>>;

Rows Parse(absl::string_view text, absl::Status* status = nullptr) {
  Rows rows;
  absl::Status s = ReadCsv(text, [&](const std::vector<std::string>& fields, int line) {
    rows.emplace_back(line, fields);
    return absl::OkStatus();
  });
  if (status != nullptr) *status = s;
  return rows;
}

TEST(ReadCsv, HandlesQuotesEmbeddedCommasNewlinesAndCrlf) {
  const Rows rows = Parse("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\nlast,,\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].second, (std::vector<std::string>{"x, y", "say \"hi\"", "two\nlines"}));
  EXPECT_EQ(rows[2].second, (std::vector<std::string>{"last", "", ""}));
  EXPECT_EQ(rows[0].first, 1);
  EXPECT_EQ(rows[1].first, 2);
  EXPECT_EQ(rows[2].first, 4);  // the quoted newline took line 3
}

TEST(ReadCsvFile, StreamsAFileExactlyAsReadCsvReadsText) {
  const std::string text = "a,b\r\n\"multi\nline\",x\r\n\r\nlast,\"q\"\"\"";  // no final newline
  char path[] = "/tmp/hirs-csv-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  Rows from_file;
  ASSERT_TRUE(ReadCsvFile(path, [&](const std::vector<std::string>& fields, int line) {
                from_file.emplace_back(line, fields);
                return absl::OkStatus();
              }).ok());
  unlink(path);
  EXPECT_EQ(from_file, Parse(text));
  ASSERT_EQ(from_file.size(), 3u);
  EXPECT_EQ(from_file[1].second[0], "multi\nline");
  EXPECT_EQ(from_file[2], (std::pair<int, std::vector<std::string>>(5, {"last", "q\""})));
  EXPECT_EQ(
      ReadCsvFile("/nonexistent/x.csv", [](const std::vector<std::string>&, int) { return absl::OkStatus(); }).code(),
      absl::StatusCode::kNotFound);
}

TEST(ReadCsv, LastLineWithoutNewlineIsRead) { EXPECT_EQ(Parse("h\nv").size(), 2u); }

TEST(ReadCsv, UnterminatedQuoteIsAnError) {
  absl::Status status;
  Parse("a,b\n\"open,x\n", &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReadCsv, CallbackErrorStopsTheRead) {
  int calls = 0;
  absl::Status s = ReadCsv("1\n2\n3\n", [&](const std::vector<std::string>&, int line) {
    ++calls;
    return line == 2 ? absl::InvalidArgumentError("stop") : absl::OkStatus();
  });
  EXPECT_EQ(s.message(), "stop");
  EXPECT_EQ(calls, 2);
}

TEST(CsvLine, QuotesOnlyWhereNeededAndRoundTrips) {
  const std::vector<std::string> fields = {"plain", "with,comma", "with \"quote\"", "multi\nline", ""};
  const std::string line = CsvLine(fields);
  EXPECT_EQ(line, "plain,\"with,comma\",\"with \"\"quote\"\"\",\"multi\nline\",");
  const Rows rows = Parse(line + "\n");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].second, fields);
}

TEST(BadRequest, ViolationsRoundTripThroughTheStatusPayload) {
  const std::vector<FieldViolation> violations = {{"report.a", "is wrong"}, {"report.b", "is missing"}};
  absl::Status s = InvalidArgumentWithViolations(violations);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("report.a: is wrong"));
  EXPECT_EQ(FieldViolationsOf(s), violations);
  EXPECT_TRUE(FieldViolationsOf(absl::NotFoundError("x")).empty());
}

TEST(Ids, AreWellFormedUniqueAndTimeOrdered) {
  const absl::Time t = absl::FromUnixMillis(1790000000000);
  const std::string a = NewId("rpt_", t);
  const std::string b = NewId("rpt_", t);
  const std::string later = NewId("rpt_", t + absl::Milliseconds(1));
  EXPECT_TRUE(IsWellFormedId("rpt_", a));
  EXPECT_NE(a, b);
  EXPECT_LT(std::max(a, b), later);
  EXPECT_FALSE(IsWellFormedId("case_", a));
  EXPECT_FALSE(IsWellFormedId("rpt_", "rpt_short"));
  EXPECT_FALSE(IsWellFormedId("rpt_", "rpt_0000000000000000000000000U"));  // U is not Crockford
}

TEST(Ids, SortInCreationOrderWithinAMillisecondAndWhenTheClockStepsBack) {
  const absl::Time t = absl::FromUnixMillis(1890000000000);
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back(NewId("case_", t));
  ids.push_back(NewId("case_", t - absl::Seconds(5)));  // a clock stepping back
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
}

TEST(CivilTime, MonthsAndDaysAreUkCivil) {
  const absl::Time bst_midnight = absl::FromUnixSeconds(1790811000);  // 2026-09-30T23:30Z
  EXPECT_EQ(UkDay(bst_midnight), "2026-10-01");
  EXPECT_EQ(UkMonth(bst_midnight), "2026-10");
  EXPECT_EQ(ToAbslTime(ToTimestamp(bst_midnight + absl::Nanoseconds(5))), bst_midnight + absl::Nanoseconds(5));
  const auto before_epoch = ToTimestamp(absl::FromUnixNanos(-1));
  EXPECT_EQ(before_epoch.seconds(), -1);
  EXPECT_EQ(before_epoch.nanos(), 999999999);
}

TEST(WorkerPool, NamesItsThreads) {
  WorkerPool pool(1, 1, "hirs-a-long-pool-name");
  absl::Notification done;
  std::string name;
  ASSERT_TRUE(pool.TrySchedule([&] {
    char buffer[16] = {};
    pthread_getname_np(pthread_self(), buffer, sizeof(buffer));
    name = buffer;
    done.Notify();
  }));
  done.WaitForNotification();
  EXPECT_EQ(name, "hirs-a-long-poo");  // the first 15 bytes: Linux's limit
}

TEST(WorkerPool, RunsEveryTaskAndRefusesBeyondTheQueueBound) {
  std::atomic<int> ran{0};
  absl::Notification started;
  absl::Notification release;
  WorkerPool pool(1, 2);
  ASSERT_TRUE(pool.TrySchedule([&] {
    started.Notify();
    release.WaitForNotification();
    ++ran;
  }));
  started.WaitForNotification();  // the only worker is busy; the queue is empty
  EXPECT_TRUE(pool.TrySchedule([&] { ++ran; }));
  EXPECT_TRUE(pool.TrySchedule([&] { ++ran; }));
  EXPECT_FALSE(pool.TrySchedule([&] { ++ran; }));  // a third would exceed the bound
  release.Notify();
  pool.Drain();
  EXPECT_EQ(ran.load(), 3);
  EXPECT_FALSE(pool.TrySchedule([] {}));  // a drained pool takes nothing new
}

}  // namespace
}  // namespace hirs
