// Crash safety, proven against the real hirsd binary: concurrent clients
// submit reports (each with an idempotency key, some of them the same
// incident from two centres at once) while hirsd is killed with SIGKILL at
// random moments and restarted, cycle after cycle. After each restart every
// report acknowledged in the cycle before is retried and must come back
// ALREADY_RECEIVED with the same report and case; at the end the store is
// opened directly and checked: every acknowledged report is present in the
// case it was acknowledged with, every case lists reports that exist and
// point back to it, the case indexes agree with the cases, no incident
// reported concurrently by two centres ended up as two cases, and the audit
// chain verifies and names every acknowledged report.
//
//   crash_test --hirsd=PATH [--cycles=20] [--seed=N] [--max_seconds=120]
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/civil_time.h"
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/reporting_service.grpc.pb.h"
#include "services/audit/audit_log.h"
#include "services/auth/principals.h"
#include "storage/keys.h"
#include "storage/store.h"

ABSL_FLAG(std::string, hirsd, "", "the hirsd binary");
ABSL_FLAG(int, cycles, 20, "kill-and-restart cycles");
ABSL_FLAG(uint32_t, seed, 1, "random seed (kill moments, reports)");
ABSL_FLAG(int, max_seconds, 120, "stop starting new cycles after this long");
ABSL_FLAG(std::string, work_dir, "", "where to keep the store (default: a new temporary directory)");

extern char** environ;

namespace {

int failures = 0;
#define CHECK_THAT(cond, ...)                                                                                    \
  do {                                                                                                           \
    if (!(cond)) {                                                                                               \
      ++failures;                                                                                                \
      std::fprintf(stderr, "FAIL %s:%d %s: %s\n", __FILE__, __LINE__, #cond, absl::StrCat(__VA_ARGS__).c_str()); \
    }                                                                                                            \
  } while (0)

struct Hirsd {
  pid_t pid = 0;
  std::string address;
};

// Starts hirsd on 127.0.0.1:0 and waits for its "listening on" line.
Hirsd Start(const std::string& work) {
  const std::string out = work + "/hirsd.out";
  std::remove(out.c_str());
  const std::string command = absl::StrCat(
      "exec '", absl::GetFlag(FLAGS_hirsd), "' --listen=127.0.0.1:0 --data_dir='", work, "/data' --principals='", work,
      "/principals.json' --rate_limit_per_second=0 >'", out, "' 2>>'", work, "/hirsd.log'");
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  Hirsd h;
  if (posix_spawn(&h.pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) {
    std::fprintf(stderr, "cannot start hirsd\n");
    std::exit(2);
  }
  for (int i = 0; i < 300 && h.address.empty(); ++i) {
    absl::SleepFor(absl::Milliseconds(20));
    std::ifstream in(out);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("listening on ", 0) == 0) h.address = line.substr(13);
    }
  }
  if (h.address.empty()) {
    std::fprintf(stderr, "hirsd did not start; see %s/hirsd.log\n", work.c_str());
    std::exit(2);
  }
  return h;
}

int Stop(Hirsd& h, int signal) {
  kill(h.pid, signal);
  int status = 0;
  waitpid(h.pid, &status, 0);
  return status;
}

// Incident `n`: a report by centre `centre` (0 or 1). Incidents whose
// number is even are reported by both centres, concurrently.
hirs::v1::Report Incident(uint64_t n, int centre) {
  hirs::v1::Report r;
  r.set_source_reference(absl::StrCat("C", centre, "-", n));
  r.set_reporter_role(centre == 0 ? hirs::v1::VICTIM : hirs::v1::WITNESS);
  r.add_motivations(hirs::v1::RACE);
  r.add_incident_types(hirs::v1::VERBAL_ABUSE);
  // Incidents a day apart, each in its own postcode: they never collate.
  // After 12,001 days (back to 1993; reports before 1990 are refused) the
  // days repeat, with the next postcode (12,001 is not a multiple of 5).
  const absl::Time when = absl::FromUnixSeconds(1760000000) - absl::Hours(24 * static_cast<int64_t>(n % 12001));
  *r.mutable_occurred_start() = hirs::ToTimestamp(when);
  static const char* postcodes[] = {"LE11 3AB", "LE1 5WW", "LE18 2AA", "LE10 1AA", "LE13 0AA"};
  r.mutable_location()->set_postcode(postcodes[n % 5]);
  r.mutable_location()->set_place_type(hirs::v1::STREET_OR_PUBLIC_PLACE);
  // Distinct people: a surname spelt from n, a date of birth from n.
  std::string surname;
  for (uint64_t v = n + 1; v > 0; v /= 26) surname += static_cast<char>('a' + v % 26);
  surname[0] = static_cast<char>(surname[0] - 'a' + 'A');
  r.mutable_victim()->set_full_name(absl::StrCat("Robin ", surname, "son"));
  r.mutable_victim()->set_date_of_birth(absl::StrFormat("%04d-%02d-%02d", 1940 + n % 60, 1 + n % 12, 1 + n % 28));
  r.mutable_consent()->set_share_with_police(true);
  return r;
}

struct Ack {
  std::string report_id;
  std::string case_id;
  uint64_t incident;
};

std::string Token(int centre) { return centre == 0 ? "token-centre-a" : "token-centre-b"; }
std::string Centre(int centre) { return centre == 0 ? "centre-a" : "centre-b"; }

grpc::Status Submit(hirs::v1::ReportingService::Stub* stub, int centre, const std::string& request_id,
                    uint64_t incident, hirs::v1::SubmitReportResponse* response) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + Token(centre));
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  hirs::v1::SubmitReportRequest request;
  request.set_request_id(request_id);
  *request.mutable_report() = Incident(incident, centre);
  return stub->SubmitReport(&context, request, response);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_hirsd).empty()) {
    std::fprintf(stderr, "usage: crash_test --hirsd=PATH\n");
    return 2;
  }
  std::string work = absl::GetFlag(FLAGS_work_dir);
  if (work.empty()) {
    char tmpl[] = "/tmp/hirs-crash-XXXXXX";
    work = mkdtemp(tmpl);
  }
  {
    std::ofstream p(work + "/principals.json");
    p << "{\"principals\": [{\"id\": \"centre-a\", \"role\": \"REPORTING_CENTRE\", \"scope\": \"centre-a\", "
         "\"token_sha256\": \""
      << hirs::auth::TokenSha256Hex("token-centre-a")
      << "\"}, {\"id\": \"centre-b\", \"role\": \"REPORTING_CENTRE\", \"scope\": \"centre-b\", \"token_sha256\": \""
      << hirs::auth::TokenSha256Hex("token-centre-b") << "\"}]}";
  }
  std::mt19937 rng(absl::GetFlag(FLAGS_seed));
  const absl::Time deadline = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_max_seconds));
  std::map<std::string, Ack> acked;                      // request id ("centre/key") -> first answer
  std::map<std::string, int> answers;                    // report id -> OK answers naming it (first ones and retries)
  std::map<std::string, std::pair<int, uint64_t>> sent;  // request id -> (centre, incident)
  std::vector<std::string> recent;                       // acknowledged in the current cycle
  std::atomic<uint64_t> next_incident{0};
  int cycles = 0, retried = 0;

  // After a crash: every report the last cycle acknowledged, retried, must
  // come back ALREADY_RECEIVED with the same ids; what it sent without an
  // answer is retried and may or may not have been stored before.
  auto RetryAfterCrash = [&](hirs::v1::ReportingService::Stub* stub) {
    for (const std::string& key : recent) sent[key] = {key.rfind("centre-a/", 0) == 0 ? 0 : 1, acked[key].incident};
    recent.clear();
    for (const auto& [key, where] : sent) {
      const auto [centre, incident] = where;
      hirs::v1::SubmitReportResponse response;
      grpc::Status s = Submit(stub, centre, key.substr(key.find('/') + 1), incident, &response);
      CHECK_THAT(s.ok(), "retry of ", key, " after the crash: ", s.error_message());
      if (!s.ok()) continue;
      ++answers[response.report_id()];
      auto it = acked.find(key);
      if (it != acked.end()) {
        ++retried;
        CHECK_THAT(response.collation() == hirs::v1::ALREADY_RECEIVED, key,
                   " retried: ", hirs::v1::CollationOutcome_Name(response.collation()));
        CHECK_THAT(response.report_id() == it->second.report_id && response.case_id() == it->second.case_id, key,
                   " came back as ", response.report_id(), "/", response.case_id(), " not ", it->second.report_id, "/",
                   it->second.case_id);
      } else {
        acked[key] = Ack{response.report_id(), response.case_id(), incident};
      }
    }
    sent.clear();
  };

  for (int cycle = 0; cycle < absl::GetFlag(FLAGS_cycles) && absl::Now() < deadline; ++cycle) {
    Hirsd h = Start(work);
    auto channel = grpc::CreateChannel(h.address, grpc::InsecureChannelCredentials());
    auto stub = hirs::v1::ReportingService::NewStub(channel);

    RetryAfterCrash(stub.get());

    // Concurrent clients; both centres report even incidents at once.
    std::mutex mu;
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
      clients.emplace_back([&, t] {
        while (!stop.load()) {
          const uint64_t incident = next_incident.fetch_add(1);
          std::vector<int> centres = incident % 2 == 0 ? std::vector<int>{0, 1} : std::vector<int>{t % 2};
          std::vector<std::thread> same;
          for (int centre : centres) {
            same.emplace_back([&, centre, incident] {
              const std::string key = absl::StrCat("k", incident);
              const std::string id = absl::StrCat(Centre(centre), "/", key);
              {
                std::lock_guard<std::mutex> lock(mu);
                sent[id] = {centre, incident};
              }
              hirs::v1::SubmitReportResponse response;
              if (Submit(stub.get(), centre, key, incident, &response).ok()) {
                std::lock_guard<std::mutex> lock(mu);
                acked[id] = Ack{response.report_id(), response.case_id(), incident};
                ++answers[response.report_id()];
                recent.push_back(id);
                sent.erase(id);
              }
            });
          }
          for (auto& s : same) s.join();
        }
      });
    }
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(100, 600)(rng)));
    Stop(h, SIGKILL);
    stop = true;
    for (auto& c : clients) c.join();
    ++cycles;
    std::printf("cycle %d: killed hirsd; %zu acknowledged so far (%zu this cycle), %zu in flight at the kill\n",
                cycle + 1, acked.size(), recent.size(), sent.size());
    std::fflush(stdout);
  }

  // One last start: the retries after the last kill, then a clean stop.
  {
    Hirsd h = Start(work);
    auto stub = hirs::v1::ReportingService::NewStub(grpc::CreateChannel(h.address, grpc::InsecureChannelCredentials()));
    RetryAfterCrash(stub.get());
    const int status = Stop(h, SIGTERM);
    CHECK_THAT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "hirsd exit after SIGTERM: ", status);
  }

  // The store itself.
  hirs::storage::StoreOptions options;
  options.path = work + "/data/db";
  auto store = hirs::storage::Store::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "cannot open the store: %s\n", store.status().ToString().c_str());
    return 1;
  }
  std::map<std::string, hirs::store::v1::StoredReport> reports;
  std::map<std::string, hirs::store::v1::StoredCase> cases;
  std::set<std::string> index_keys;
  (void)(*store)->Scan(hirs::storage::Family::kReports, "", 0, [&](absl::string_view k, absl::string_view v) {
    reports[std::string(k)].ParseFromArray(v.data(), static_cast<int>(v.size()));
    return true;
  });
  (void)(*store)->Scan(hirs::storage::Family::kCases, "", 0, [&](absl::string_view k, absl::string_view v) {
    cases[std::string(k)].ParseFromArray(v.data(), static_cast<int>(v.size()));
    return true;
  });
  (void)(*store)->Scan(hirs::storage::Family::kIndexes, "", 0, [&](absl::string_view k, absl::string_view) {
    index_keys.emplace(k);
    return true;
  });
  for (const auto& [key, ack] : acked) {
    auto it = reports.find(ack.report_id);
    CHECK_THAT(it != reports.end(), "acknowledged report ", ack.report_id, " (", key, ") is missing");
    if (it == reports.end()) continue;
    // Its case may have absorbed it by a later merge; here nothing merges.
    CHECK_THAT(it->second.case_id() == ack.case_id, ack.report_id, " is in ", it->second.case_id(), " not ",
               ack.case_id);
  }
  CHECK_THAT(reports.size() == acked.size(), reports.size(), " reports stored, ", acked.size(),
             " acknowledged: something was stored twice or unacknowledged work survived unretried");
  std::set<std::string> expected_index;
  size_t listed = 0;
  for (const auto& [id, c] : cases) {
    for (const std::string& r : c.case_().report_ids()) {
      ++listed;
      auto it = reports.find(r);
      CHECK_THAT(it != reports.end() && it->second.case_id() == id, "case ", id, " lists ", r);
    }
    for (const std::string& k : hirs::storage::CaseIndexKeys(c.case_())) expected_index.insert(k);
  }
  CHECK_THAT(listed == reports.size(), listed, " listed in cases, ", reports.size(), " reports");
  for (const std::string& k : expected_index) CHECK_THAT(index_keys.count(k), "index entry missing: ", k);
  size_t orphans = 0;
  for (const std::string& k : index_keys) {
    if (!expected_index.count(k)) ++orphans;
  }
  CHECK_THAT(orphans == 0, orphans, " index entries name no case or a stale value");
  // Both centres' reports of an even incident are in one case.
  std::map<uint64_t, std::set<std::string>> cases_of;
  for (const auto& [key, ack] : acked) cases_of[ack.incident].insert(ack.case_id);
  size_t shared = 0;
  for (const auto& [incident, ids] : cases_of) {
    CHECK_THAT(ids.size() == 1, "incident ", incident, " is in ", ids.size(), " cases");
    shared += incident % 2 == 0 ? 1 : 0;
  }
  auto audit = hirs::audit::VerifyChain(**store);
  CHECK_THAT(audit.ok() && audit->ok(),
             "audit chain: ", audit.ok() ? audit->first_problem() : audit.status().ToString());
  // Every answered submission is in the chain, retries too: its entry was
  // durable with its report (or written before the answer), and entries a
  // kill left pending were chained at the next start.
  CHECK_THAT(audit.ok() && audit->pending_entries() == 0,
             "audit entries still pending after a clean stop: ", audit.ok() ? audit->pending_entries() : 0);
  std::map<std::string, int> audited;  // report id -> OK SubmitReport entries naming it
  CHECK_THAT((*store)
                 ->Scan(hirs::storage::Family::kAudit, hirs::storage::kAuditEntryPrefix, 0,
                        [&](absl::string_view, absl::string_view value) {
                          hirs::v1::AuditEntry e;
                          if (e.ParseFromArray(value.data(), static_cast<int>(value.size())) &&
                              e.method() == "hirs.v1.ReportingService/SubmitReport" && e.outcome() == "OK") {
                            for (const std::string& id : e.resource_ids()) ++audited[id];
                          }
                          return true;
                        })
                 .ok(),
             "scanning the audit chain");
  for (const auto& [report_id, n] : answers) {
    CHECK_THAT(audited[report_id] >= n, "report ", report_id, " was answered OK ", n, " times but has ",
               audited[report_id], " audit entries");
  }

  std::printf(
      "crash_test: %d SIGKILL cycles, %zu reports acknowledged (%zu incidents reported by two centres at once), "
      "%d acknowledged reports retried after a crash, %zu cases, %zu index entries, audit entries %llu: %s\n",
      cycles, acked.size(), shared, retried, cases.size(), index_keys.size(),
      audit.ok() ? static_cast<unsigned long long>(audit->entries_checked()) : 0ULL, failures == 0 ? "ok" : "FAILED");
  if (failures == 0 && absl::GetFlag(FLAGS_work_dir).empty()) std::system(absl::StrCat("rm -rf '", work, "'").c_str());
  return failures == 0 && cycles >= std::min(20, absl::GetFlag(FLAGS_cycles)) ? 0 : 1;
}
