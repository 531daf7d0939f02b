// big_case_bench: one incident reported thousands of times (a viral online
// incident, a public event with many witnesses). Submits --reports reports
// of the same incident (same victim, place and time, each in other words)
// to a real hirsd in-process, and prints the throughput of each block of
// --block reports, the last block's against the first's, the size of
// GetCase, of ListCaseReports' pages and of the change events at the end.
//
//   big_case_bench --reports=5000 --block=500 --concurrency=4
//
// Exits 1 when the last block is below --min_ratio of the first, GetCase is
// 256 KiB or more, a change event is 4 KiB or more, or the big case's
// change reaches the watch more than --max_watch_ratio times later than
// the small case's.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/civil_time.h"
#include "hirs/v1/case_service.grpc.pb.h"
#include "hirs/v1/reporting_service.grpc.pb.h"
#include "services/server/server.h"
#include "tests/bench/bench_server.h"

ABSL_FLAG(int, reports, 5000, "reports of the one incident");
ABSL_FLAG(int, block, 500, "reports per measured block");
ABSL_FLAG(int, concurrency, 4, "submitting threads");
ABSL_FLAG(double, min_ratio, 0.8, "least last-block / first-block throughput that passes");
ABSL_FLAG(int, watch_rounds, 30, "police updates of each case timed to the centre's watch");
ABSL_FLAG(double, max_watch_ratio, 3, "most big-case / small-case watch delay (medians) that passes");
ABSL_FLAG(std::string, data_dir, "", "data directory (default: a new one under /tmp, removed at the end)");

namespace {

std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return c;
}

// Report `i` of the incident: one victim, place and time; its own words.
hirs::v1::SubmitReportRequest Report(int i, absl::Time when) {
  hirs::v1::SubmitReportRequest request;
  request.set_request_id(absl::StrCat("big-", i));
  hirs::v1::Report* r = request.mutable_report();
  r->set_source_reference(absl::StrCat("BIG-", i));
  r->set_reporter_role(i == 0 ? hirs::v1::VICTIM : hirs::v1::WITNESS);
  r->add_motivations(hirs::v1::RELIGION_OR_BELIEF);
  r->add_incident_types(hirs::v1::THREATS);
  *r->mutable_occurred_start() = hirs::ToTimestamp(when);
  r->mutable_location()->set_postcode("LE1 5WW");
  r->mutable_location()->set_place_type(hirs::v1::STREET_OR_PUBLIC_PLACE);
  r->set_description(absl::StrCat("Account ", i, ": a man shouted threats at a woman in a headscarf outside the ",
                                  i % 2 ? "station" : "market", ", seen by ", 2 + i % 7,
                                  " people; filmed and shared."));
  r->mutable_victim()->set_full_name("Samira Haddad");
  r->mutable_victim()->set_date_of_birth("1991-03-08");
  r->mutable_consent()->set_share_with_police(true);
  return request;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Sets case `id`'s crime reference as police do (read, then update with
// its etag); false on a failure.
bool PoliceUpdate(hirs::v1::CaseService::Stub& cases, const std::string& id, const std::string& reference) {
  hirs::v1::GetCaseRequest get;
  get.set_case_id(id);
  hirs::v1::Case c;
  if (!cases.GetCase(As("bench-police").get(), get, &c).ok()) return false;
  hirs::v1::UpdateCaseRequest update;
  update.mutable_case_()->set_case_id(id);
  update.mutable_case_()->set_crime_reference(reference);
  update.mutable_update_mask()->add_paths("crime_reference");
  update.set_etag(c.etag());
  return cases.UpdateCase(As("bench-police").get(), update, &c).ok();
}

// Medians over the rounds of WatchDelays, in milliseconds.
struct WatchFigures {
  double big_update = 0, small_update = 0;  // the police's read and update, to its answer
  double big_after = 0, small_after = 0;    // then until centre-b's watch has the change
  double big() const { return big_update + big_after; }
  double small() const { return small_update + small_after; }
};

// Police read and update `big_case` (centre-b adds one report to it) and a
// case of one report of centre-b's, in turn, `rounds` times each, while
// centre-b follows WatchReports: how long each update took, and how long
// after its answer the watch had the change. Zeros when something failed.
WatchFigures WatchDelays(hirs::v1::ReportingService::Stub& reporting, hirs::v1::CaseService::Stub& cases,
                         const std::string& big_case, absl::Time when, int rounds) {
  hirs::v1::SubmitReportResponse joined, alone;
  hirs::v1::SubmitReportRequest other = Report(1, when - absl::Hours(24 * 40));
  other.set_request_id("b-alone");
  other.mutable_report()->mutable_victim()->set_full_name("Tomasz Nowak");
  other.mutable_report()->mutable_location()->set_postcode("LE11 3AB");
  hirs::v1::SubmitReportRequest in_big = Report(2, when);
  in_big.set_request_id("b-in-big");
  if (!reporting.SubmitReport(As("bench-centre-b").get(), in_big, &joined).ok() ||
      !reporting.SubmitReport(As("bench-centre-b").get(), other, &alone).ok() || joined.case_id() != big_case ||
      alone.case_id() == big_case) {
    std::printf("  WatchReports: centre-b's reports did not land as planned\n");
    return {};
  }
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer bench-centre-b");
  hirs::v1::WatchReportsRequest request;
  request.set_start_at_end(true);
  auto reader = reporting.WatchReports(&context, request);
  reader->WaitForInitialMetadata();
  std::vector<double> update[2], after[2];  // [0] the big case, [1] the small one
  hirs::v1::ReportChange change;
  for (int r = 0; r < rounds; ++r) {
    for (int which = 0; which < 2; ++which) {
      const std::string& id = which == 0 ? big_case : alone.case_id();
      const absl::Time start = absl::Now();
      if (!PoliceUpdate(cases, id, absl::StrCat("BENCH/", r))) return {};
      const absl::Time answered = absl::Now();
      while (reader->Read(&change) && change.case_id() != id) {
      }
      update[which].push_back(absl::ToDoubleMilliseconds(answered - start));
      after[which].push_back(absl::ToDoubleMilliseconds(absl::Now() - answered));
    }
  }
  context.TryCancel();
  reader->Finish();
  return {Median(update[0]), Median(update[1]), Median(after[0]), Median(after[1])};
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int total = absl::GetFlag(FLAGS_reports), block = absl::GetFlag(FLAGS_block);
  std::string dir = absl::GetFlag(FLAGS_data_dir);
  const bool temporary = dir.empty();
  if (temporary) dir = absl::StrCat("/tmp/hirs-big-case-", getpid());
  std::filesystem::create_directories(dir);
  auto server = hirs::bench::StartBenchServer(dir);
  if (server == nullptr) return 1;
  auto channel = grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials());
  auto reporting = hirs::v1::ReportingService::NewStub(channel);
  auto cases = hirs::v1::CaseService::NewStub(channel);

  const absl::Time when = absl::Now() - absl::Hours(30);
  std::atomic<int> next{0};
  absl::Mutex mu;
  std::vector<absl::Time> done_at;  // completion times, in completion order
  std::map<std::string, int> outcomes, case_ids;
  int failed = 0;
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int t = 0; t < absl::GetFlag(FLAGS_concurrency); ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < total; i = next++) {
        hirs::v1::SubmitReportResponse response;
        grpc::Status s = reporting->SubmitReport(As("bench-centre").get(), Report(i, when), &response);
        absl::MutexLock lock(&mu);
        done_at.push_back(absl::Now());
        if (!s.ok()) {
          ++failed;
          continue;
        }
        ++outcomes[hirs::v1::CollationOutcome_Name(response.collation())];
        ++case_ids[response.case_id()];
      }
    });
  }
  for (auto& t : threads) t.join();

  std::printf("big_case_bench: %d reports of one incident, %d threads, sync writes\n", total,
              absl::GetFlag(FLAGS_concurrency));
  for (const auto& [name, n] : outcomes) std::printf("  %-18s %d\n", name.c_str(), n);
  std::printf("  cases              %zu (largest %d reports)   failed %d\n", case_ids.size(),
              case_ids.empty() ? 0
                               : std::max_element(case_ids.begin(), case_ids.end(),
                                                  [](auto& a, auto& b) { return a.second < b.second; })
                                     ->second,
              failed);
  std::vector<double> rates;
  for (int b = 0; b + block <= static_cast<int>(done_at.size()); b += block) {
    const absl::Time from = b == 0 ? start : done_at[b - 1];
    rates.push_back(block / absl::ToDoubleSeconds(done_at[b + block - 1] - from));
    std::printf("  reports %5d-%5d  %8.1f reports/s\n", b + 1, b + block, rates.back());
  }
  const double ratio = rates.size() >= 2 ? rates.back() / rates.front() : 1;
  std::printf("  last block / first block: %.2f\n", ratio);

  std::string largest = case_ids.empty() ? "" : case_ids.begin()->first;
  for (const auto& [id, n] : case_ids) {
    if (n > case_ids[largest]) largest = id;
  }
  hirs::v1::GetCaseRequest get;
  get.set_case_id(largest);
  hirs::v1::Case c;
  grpc::Status got = cases->GetCase(As("bench-police").get(), get, &c);
  std::printf("  GetCase: %s, %zu bytes, report_count %d, %d report ids, %d reports\n",
              got.ok() ? "ok" : got.error_message().c_str(), c.ByteSizeLong(), c.report_count(), c.report_ids_size(),
              c.reports_size());
  hirs::v1::ListCaseReportsRequest list;
  list.set_case_id(largest);
  list.set_page_size(100);
  int listed = 0, pages = 0;
  size_t largest_page = 0;
  for (;;) {
    hirs::v1::ListCaseReportsResponse page;
    if (!cases->ListCaseReports(As("bench-police").get(), list, &page).ok()) break;
    listed += page.reports_size();
    ++pages;
    largest_page = std::max(largest_page, page.ByteSizeLong());
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  std::printf("  ListCaseReports: %d reports in %d pages (largest %zu bytes)\n", listed, pages, largest_page);

  auto watch_context = As("bench-police");
  auto reader = cases->WatchCases(watch_context.get(), hirs::v1::WatchCasesRequest());
  hirs::v1::CaseEvent event;
  size_t events = 0, event_bytes = 0, largest_event = 0;
  while (events < static_cast<size_t>(total) && reader->Read(&event)) {
    ++events;
    event_bytes += event.ByteSizeLong();
    largest_event = std::max(largest_event, event.ByteSizeLong());
  }
  watch_context->TryCancel();
  reader->Finish();
  std::printf("  change events: %zu, %zu bytes in all, largest %zu bytes\n", events, event_bytes, largest_event);

  const WatchFigures w = WatchDelays(*reporting, *cases, largest, when, absl::GetFlag(FLAGS_watch_rounds));
  const double watch_ratio = w.small() > 0 ? w.big() / w.small() : 0;
  std::printf(
      "  WatchReports (medians of %d): police read and update, then centre-b's watch has the change:\n"
      "    big case           %.2f ms + %.2f ms\n    case of one report %.2f ms + %.2f ms\n"
      "    ratio %.2f\n",
      absl::GetFlag(FLAGS_watch_rounds), w.big_update, w.big_after, w.small_update, w.small_after, watch_ratio);

  server->Shutdown();
  server.reset();
  if (temporary) std::filesystem::remove_all(dir);
  const bool pass = ratio >= absl::GetFlag(FLAGS_min_ratio) && got.ok() && c.ByteSizeLong() < 256 * 1024 &&
                    largest_event < 4096 && listed == c.report_count() && watch_ratio > 0 &&
                    watch_ratio <= absl::GetFlag(FLAGS_max_watch_ratio);
  std::printf("%s\n", pass ? "PASS" : "FAIL");
  return pass ? 0 : 1;
}
