// extract_bench: a district's month of 10,000 cases streamed through
// StreamMonthlyExtract, and GetMonthlySummary, over gRPC from a real hirsd
// started in-process.
//
//   extract_bench [--cases=10000] [--other_cases=90000] [--calls=20]
//
// The store (a fresh temporary directory) is filled directly: --cases cases
// in Charnwood in October 2026, each with two history versions (created,
// then a status change), and --other_cases elsewhere (other districts and
// months) so the month is read out of a larger store. Prints p50 and max
// per call kind, with the rows received.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/civil_time.h"
#include "common/ids.h"
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/extract_service.grpc.pb.h"
#include "services/collation/case_aggregate.h"
#include "services/records/history.h"
#include "services/records/migrations.h"
#include "services/server/server.h"
#include "storage/store.h"
#include "tests/bench/bench_server.h"

ABSL_FLAG(int, cases, 10000, "cases in the measured district and month");
ABSL_FLAG(int, other_cases, 90000, "cases in other districts and months");
ABSL_FLAG(int, calls, 20, "calls per measured kind");

namespace {

constexpr const char* kDistricts[] = {"E07000129", "E07000131", "E07000132", "E07000133", "E06000016"};

void Fill(const std::string& db, int month_cases, int other_cases) {
  hirs::storage::StoreOptions options;
  options.path = db;
  options.sync_writes = false;
  auto store = std::move(hirs::storage::Store::Open(options)).value();
  // A new store brought to the current layout first, as hirsd does, so
  // that its start finds nothing to migrate.
  if (!hirs::records::Migrate(store.get(), absl::Now()).ok()) std::abort();
  std::mt19937_64 rng(11);
  const absl::Time october = absl::FromCivil(absl::CivilDay(2026, 10, 1), hirs::UkTimeZone());
  hirs::storage::WriteBatch batch;
  const absl::Time t0 = absl::Now();
  for (int i = 0; i < month_cases + other_cases; ++i) {
    const bool measured = i < month_cases;
    const absl::Time occurred =
        measured ? october + absl::Seconds(rng() % (30 * 86400)) : october - absl::Hours(24 * (1 + rng() % 700));
    const absl::Time received = occurred + absl::Hours(1 + rng() % 48);
    hirs::store::v1::StoredCase c;
    hirs::v1::Case* k = c.mutable_case_();
    k->set_case_id(hirs::NewId("case_", received));
    k->add_report_ids(hirs::NewId("rpt_", received));
    hirs::v1::CollationExplanation member;
    member.set_report_id(k->report_ids(0));
    member.set_case_id(k->case_id());
    hirs::collation::PutMember(k->case_id(), "centre-a", member, &batch);
    k->set_status(hirs::v1::OPEN);
    k->set_district_code(measured ? "E07000130" : kDistricts[rng() % 5]);
    k->add_motivations(static_cast<hirs::v1::Motivation>(1 + rng() % 9));
    k->add_incident_types(static_cast<hirs::v1::IncidentType>(1 + rng() % 8));
    *k->mutable_occurred_start() = hirs::ToTimestamp(occurred);
    *k->mutable_occurred_end() = hirs::ToTimestamp(occurred);
    *k->mutable_updated_at() = hirs::ToTimestamp(received);
    k->set_report_count(1);
    k->set_source_count(1);
    k->set_repeat_victim(rng() % 10 == 0);
    c.mutable_statistics()->set_postcode_sector(absl::StrCat("LE11 ", rng() % 9));
    c.mutable_statistics()->set_place_type(static_cast<hirs::v1::PlaceType>(1 + rng() % 11));
    c.mutable_statistics()->add_reporter_roles(hirs::v1::VICTIM);
    c.mutable_statistics()->set_victim_age_band(static_cast<hirs::v1::AgeBand>(rng() % 8));
    hirs::records::RecordCaseChange(nullptr, &c, received, &batch);
    hirs::store::v1::StoredCase later = c;  // police take it up a day later
    later.mutable_case_()->set_status(hirs::v1::UNDER_INVESTIGATION);
    *later.mutable_case_()->mutable_updated_at() = hirs::ToTimestamp(received + absl::Hours(24));
    hirs::records::RecordCaseChange(&c, &later, received + absl::Hours(24), &batch);
    batch.Put(hirs::storage::Family::kCases, k->case_id(), later.SerializeAsString());
    if ((i + 1) % 1000 == 0) {
      if (!store->Write(std::exchange(batch, hirs::storage::WriteBatch())).ok()) std::abort();
    }
  }
  if (!store->Write(std::move(batch)).ok() || !store->Flush().ok()) std::abort();
  std::printf("filled %d + %d cases in %.1f s\n", month_cases, other_cases, absl::ToDoubleSeconds(absl::Now() - t0));
}

struct Timings {
  std::vector<double> ms;
  std::string Line(const std::string& what) {
    std::sort(ms.begin(), ms.end());
    return absl::StrFormat("%-52s n=%-3zu p50 %8.1f ms   max %8.1f ms", what, ms.size(), ms[ms.size() / 2], ms.back());
  }
};

std::unique_ptr<grpc::ClientContext> Police() {
  auto c = std::make_unique<grpc::ClientContext>();
  c->AddMetadata("authorization", "Bearer bench-police");
  c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string dir = std::filesystem::temp_directory_path() / absl::StrCat("hirs-extract-bench-", getpid());
  std::filesystem::create_directories(dir);
  Fill(dir + "/db", absl::GetFlag(FLAGS_cases), absl::GetFlag(FLAGS_other_cases));
  auto server = hirs::bench::StartBenchServer(dir);
  if (server == nullptr) return 1;
  auto stub =
      hirs::v1::ExtractService::NewStub(grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials()));
  hirs::v1::MonthlyExtractRequest request;
  request.set_district_code("E07000130");
  request.set_month("2026-10");
  hirs::v1::MonthlyExtractRequest as_of = request;
  *as_of.mutable_as_of() = hirs::ToTimestamp(absl::FromCivil(absl::CivilDay(2026, 10, 20), hirs::UkTimeZone()));

  for (const auto* r : {&request, &as_of}) {
    Timings t;
    size_t rows = 0;
    for (int i = 0; i < absl::GetFlag(FLAGS_calls); ++i) {
      const absl::Time t0 = absl::Now();
      auto context = Police();
      auto reader = stub->StreamMonthlyExtract(context.get(), *r);
      hirs::v1::ExtractRow row;
      rows = 0;
      while (reader->Read(&row)) ++rows;
      if (!reader->Finish().ok()) return 1;
      t.ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
    }
    std::printf("%s\n", t.Line(absl::StrCat("StreamMonthlyExtract", r->has_as_of() ? " as_of 20 Oct" : "", " (", rows,
                                            " rows)"))
                            .c_str());
  }
  Timings summary;
  for (int i = 0; i < absl::GetFlag(FLAGS_calls); ++i) {
    const absl::Time t0 = absl::Now();
    hirs::v1::MonthlySummary s;
    if (!stub->GetMonthlySummary(Police().get(), request, &s).ok()) return 1;
    summary.ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
  }
  std::printf("%s\n", summary.Line("GetMonthlySummary (month and the one before)").c_str());
  server->Shutdown();
  server.reset();
  std::filesystem::remove_all(dir);
  return 0;
}
