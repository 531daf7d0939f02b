// case_service_bench: GetCase and ListCases latency over gRPC with many cases
// stored, and WatchCases delivery lag under a steady intake.
//
//   case_service_bench --cases=1000000 --data_dir=/tmp/hirs-bench
//
// The store is filled directly (one report per case, spread over eight
// districts, six statuses and 36 months) unless --data_dir already holds
// one, then a real hirsd is started in-process on it and driven through
// real stubs. Prints p50 / p90 / p99 per call kind.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/civil_time.h"
#include "common/ids.h"
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/case_service.grpc.pb.h"
#include "hirs/v1/reporting_service.grpc.pb.h"
#include "services/collation/case_aggregate.h"
#include "services/records/history.h"
#include "services/records/migrations.h"
#include "services/server/server.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "tests/bench/bench_server.h"

ABSL_FLAG(int, cases, 1000000, "cases to store before measuring");
ABSL_FLAG(std::string, data_dir, "/tmp/hirs-case-bench", "data directory; filled if it holds no store");
ABSL_FLAG(int, calls, 2000, "calls per measured kind");
ABSL_FLAG(int, watch_rate, 1000, "reports per second submitted while measuring watch lag");
ABSL_FLAG(int, watch_seconds, 10, "how long to submit while measuring watch lag");

namespace {

using hirs::ToAbslTime;
using hirs::ToTimestamp;

constexpr const char* kDistricts[] = {"E07000129", "E07000130", "E07000131", "E07000132",
                                      "E07000133", "E07000134", "E07000135", "E06000016"};

struct Percentiles {
  std::vector<double> v;
  void Add(double x) { v.push_back(x); }
  std::string Line(const std::string& what) {
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))]; };
    return absl::StrFormat("%-46s n=%-6zu p50 %8.0f us   p90 %8.0f us   p99 %8.0f us", what, v.size(), at(0.5), at(0.9),
                           at(0.99));
  }
};

hirs::v1::Report MakeReport(std::mt19937_64& rng, absl::Time occurred, const std::string& district) {
  hirs::v1::Report r;
  r.set_reporter_role(hirs::v1::VICTIM);
  r.add_motivations(static_cast<hirs::v1::Motivation>(1 + rng() % 5));
  r.add_incident_types(static_cast<hirs::v1::IncidentType>(1 + rng() % 8));
  *r.mutable_occurred_start() = ToTimestamp(occurred);
  r.mutable_location()->set_postcode("LE11 3AB");
  r.mutable_location()->set_district_code(district);
  r.mutable_location()->set_place_type(hirs::v1::STREET_OR_PUBLIC_PLACE);
  r.set_description("Shouted at in the street near the library; two men, one in a red jacket.");
  r.mutable_victim()->set_full_name(absl::StrCat("Bench Victim ", rng() % 100000));
  r.mutable_consent()->set_share_with_police(true);
  return r;
}

void Fill(const std::string& db, int n) {
  hirs::storage::StoreOptions options;
  options.path = db;
  options.sync_writes = false;
  auto store = std::move(hirs::storage::Store::Open(options)).value();
  // A new store brought to the current layout first, as hirsd does, so
  // that its start finds nothing to migrate.
  if (!hirs::records::Migrate(store.get(), absl::Now()).ok()) std::abort();
  std::mt19937_64 rng(7);
  const absl::Time start = absl::Now() - absl::Hours(24 * 365 * 3);
  const absl::Time t0 = absl::Now();
  hirs::storage::WriteBatch batch;
  for (int i = 0; i < n; ++i) {
    const absl::Time received = start + absl::Seconds(i * 90);
    const std::string district = kDistricts[rng() % 8];
    hirs::store::v1::StoredReport report;
    *report.mutable_report() = MakeReport(rng, received - absl::Hours(rng() % 72), district);
    report.mutable_report()->set_report_id(hirs::NewId("rpt_", received));
    report.mutable_report()->set_reporting_centre("centre-a");
    *report.mutable_report()->mutable_received_at() = ToTimestamp(received);
    hirs::store::v1::StoredCase c;
    hirs::v1::Case* k = c.mutable_case_();
    k->set_case_id(hirs::NewId("case_", received));
    report.set_case_id(k->case_id());
    k->add_report_ids(report.report().report_id());
    hirs::v1::CollationExplanation member;
    member.set_report_id(report.report().report_id());
    member.set_case_id(k->case_id());
    member.set_outcome(hirs::v1::NEW_CASE);
    hirs::collation::PutMember(k->case_id(), "centre-a", member, &batch);
    k->set_status(static_cast<hirs::v1::CaseStatus>(1 + rng() % 6));
    k->set_district_code(district);
    *k->mutable_motivations() = report.report().motivations();
    *k->mutable_incident_types() = report.report().incident_types();
    *k->mutable_occurred_start() = report.report().occurred_start();
    *k->mutable_occurred_end() = report.report().occurred_start();
    *k->mutable_first_received_at() = ToTimestamp(received);
    *k->mutable_updated_at() = ToTimestamp(received);
    k->set_report_count(1);
    k->set_source_count(1);
    c.set_version(1);
    k->set_etag("1");
    batch.Put(hirs::storage::Family::kReports, report.report().report_id(), report.SerializeAsString());
    batch.Put(hirs::storage::Family::kCases, k->case_id(), c.SerializeAsString());
    c.mutable_statistics()->set_postcode_sector("LE11 3");
    c.mutable_statistics()->set_place_type(hirs::v1::STREET_OR_PUBLIC_PLACE);
    c.mutable_statistics()->add_reporter_roles(hirs::v1::VICTIM);
    hirs::records::RecordCaseChange(nullptr, &c, received, &batch);
    if ((i + 1) % 1000 == 0 || i + 1 == n) {
      if (!store->Write(std::exchange(batch, hirs::storage::WriteBatch())).ok()) std::abort();
    }
    if ((i + 1) % 200000 == 0) std::fprintf(stderr, "  %d cases stored\n", i + 1);
  }
  if (!store->Flush().ok()) std::abort();
  std::printf("filled %d cases in %.1f s\n", n, absl::ToDoubleSeconds(absl::Now() - t0));
}

std::unique_ptr<grpc::ClientContext> Police() {
  auto c = std::make_unique<grpc::ClientContext>();
  c->AddMetadata("authorization", "Bearer bench-police");
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string dir = absl::GetFlag(FLAGS_data_dir);
  std::filesystem::create_directories(dir);
  if (!std::filesystem::exists(dir + "/db/CURRENT")) Fill(dir + "/db", absl::GetFlag(FLAGS_cases));
  auto server = hirs::bench::StartBenchServer(dir);
  if (server == nullptr) return 1;
  auto channel = grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials());
  auto cases = hirs::v1::CaseService::NewStub(channel);
  const int calls = absl::GetFlag(FLAGS_calls);

  // Case ids to read: from the first page of every district.
  std::vector<std::string> ids;
  for (const char* d : kDistricts) {
    hirs::v1::ListCasesRequest request;
    request.set_filter(absl::StrCat("district_code = ", d));
    request.set_page_size(1000);
    hirs::v1::ListCasesResponse page;
    if (!cases->ListCases(Police().get(), request, &page).ok()) return 1;
    for (const auto& c : page.cases()) ids.push_back(c.case_id());
  }
  std::mt19937_64 rng(11);
  Percentiles get;
  for (int i = 0; i < calls; ++i) {
    hirs::v1::GetCaseRequest request;
    request.set_case_id(ids[rng() % ids.size()]);
    hirs::v1::Case c;
    const absl::Time t0 = absl::Now();
    if (!cases->GetCase(Police().get(), request, &c).ok()) return 1;
    get.Add(absl::ToDoubleMicroseconds(absl::Now() - t0));
  }
  std::printf("%s\n", get.Line("GetCase").c_str());

  for (const std::string& filter :
       {std::string(""), std::string("district_code = \"E07000130\""),
        std::string("district_code = \"E07000130\" AND status = OPEN"),
        std::string("motivation = RACE AND occurred_start >= \"2025-01-01T00:00:00Z\""),
        std::string("status = CRIME_RECORDED OR status = UNDER_INVESTIGATION"), std::string("NOT status = CLOSED")}) {
    Percentiles list;
    hirs::v1::ListCasesRequest request;
    request.set_filter(filter);
    request.set_page_size(100);
    for (int i = 0; i < calls / 4; ++i) {
      hirs::v1::ListCasesResponse page;
      const absl::Time t0 = absl::Now();
      grpc::Status s = cases->ListCases(Police().get(), request, &page);
      list.Add(absl::ToDoubleMicroseconds(absl::Now() - t0));
      if (!s.ok()) {
        std::fprintf(stderr, "ListCases: %s\n", s.error_message().c_str());
        return 1;
      }
      request.set_page_token(page.next_page_token());  // walk down the pages; back to the top at the end
    }
    std::printf("%s\n", list.Line(absl::StrCat("ListCases page of 100, filter '", filter, "'")).c_str());
  }

  // Watch lag: a watcher from the current end while reports arrive at a
  // steady rate.
  auto reporting = hirs::v1::ReportingService::NewStub(channel);
  grpc::ClientContext watch_context;
  watch_context.AddMetadata("authorization", "Bearer bench-police");
  hirs::v1::WatchCasesRequest from;  // cursor 0: the filled store holds no events yet
  std::atomic<bool> done{false};
  Percentiles lag;
  std::atomic<int64_t> submitted{0};
  const int rate = absl::GetFlag(FLAGS_watch_rate);
  const absl::Duration run = absl::Seconds(absl::GetFlag(FLAGS_watch_seconds));
  const absl::Time watch_start = absl::Now();
  std::thread watcher([&] {
    auto reader = cases->WatchCases(&watch_context, from);
    hirs::v1::CaseEvent event;
    while (reader->Read(&event)) {
      const absl::Time at = ToAbslTime(event.occurred_at());
      if (at >= watch_start) lag.Add(absl::ToDoubleMicroseconds(absl::Now() - at));
      if (done && lag.v.size() >= static_cast<size_t>(submitted.load())) break;
    }
    watch_context.TryCancel();
    reader->Finish();
  });
  std::vector<std::thread> senders;
  constexpr int kSenders = 8;
  for (int t = 0; t < kSenders; ++t) {
    senders.emplace_back([&, t] {
      std::mt19937_64 r(100 + t);
      const absl::Duration gap = absl::Seconds(1) * kSenders / rate;
      absl::Time next = absl::Now();
      int i = 0;
      while (absl::Now() - watch_start < run) {
        hirs::v1::SubmitReportRequest request;
        *request.mutable_report() =
            MakeReport(r, absl::Now() - absl::Hours(24 * 30) - absl::Minutes(t * 100000 + i++), "E07000130");
        request.mutable_report()->mutable_location()->clear_district_code();
        grpc::ClientContext c;
        c.AddMetadata("authorization", "Bearer bench-centre");
        hirs::v1::SubmitReportResponse response;
        if (reporting->SubmitReport(&c, request, &response).ok()) ++submitted;
        next += gap;
        const absl::Time now = absl::Now();
        if (next > now) absl::SleepFor(next - now);
      }
    });
  }
  for (auto& t : senders) t.join();
  done = true;
  const double seconds = absl::ToDoubleSeconds(absl::Now() - watch_start);
  absl::SleepFor(absl::Seconds(2));
  watch_context.TryCancel();
  watcher.join();
  std::printf("intake while watching: %lld reports in %.1f s (%.0f/s, target %d/s)\n",
              static_cast<long long>(submitted.load()), seconds, submitted.load() / seconds, rate);
  std::printf("%s\n", lag.Line("WatchCases delivery lag (commit to client)").c_str());
  server->Shutdown();
  return 0;
}
