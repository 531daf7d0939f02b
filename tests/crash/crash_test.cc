// Crash safety, proven against the real hirsd binary: concurrent clients
// submit reports (each with an idempotency key, some of them the same
// incident from two centres at once; one report in seven withdrawn and
// another in seven amended (with a request_id) as soon as it is
// acknowledged) while hirsd is killed with SIGKILL at random moments and
// restarted, cycle after cycle. After each restart every withdrawal and
// amendment left unanswered is retried, and every report acknowledged in
// the cycle before is retried and must come back ALREADY_RECEIVED with the
// same report and case (none, once withdrawn); at the end the store is
// opened directly and checked: every acknowledged report is present in the
// case it was acknowledged with, or a tombstone in none once withdrawn,
// every case lists reports that exist and
// point back to it, the case indexes agree with the cases, no incident
// reported concurrently by two centres ended up as two cases, and the audit
// chain verifies and names every acknowledged report; each report amended
// holds exactly one amendment.
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
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/reporting_service.grpc.pb.h"
#include "storage/store.h"
#include "tests/crash/incidents.h"

ABSL_FLAG(std::string, hirsd, "", "the hirsd binary");
ABSL_FLAG(int, cycles, 20, "kill-and-restart cycles");
ABSL_FLAG(uint32_t, seed, 1, "random seed (kill moments, reports)");
ABSL_FLAG(int, max_seconds, 120, "stop starting new cycles after this long");
ABSL_FLAG(std::string, work_dir, "", "where to keep the store (default: a new temporary directory)");

extern char** environ;

namespace {

using hirs::crash::Ack;
using hirs::crash::Centre;
using hirs::crash::CheckStore;
using hirs::crash::StoreSummary;
using hirs::crash::Submit;
using hirs::crash::WritePrincipals;

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
  WritePrincipals(work + "/principals.json");
  std::mt19937 rng(absl::GetFlag(FLAGS_seed));
  const absl::Time deadline = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_max_seconds));
  std::map<std::string, Ack> acked;                      // request id ("centre/key") -> first answer
  std::map<std::string, int> answers;                    // report id -> OK answers naming it (first ones and retries)
  std::map<std::string, std::pair<int, uint64_t>> sent;  // request id -> (centre, incident)
  std::vector<std::string> recent;                       // acknowledged in the current cycle
  std::map<std::string, int> withdrawing;                // report id -> centre: withdrawal sent, not answered
  std::set<std::string> withdrawn;                       // withdrawal answered (OK, or already withdrawn)
  std::map<std::string, std::pair<int, uint64_t>> amending;  // report id -> (centre, incident): amendment unanswered
  std::set<std::string> amended;                             // amendment answered OK
  std::atomic<uint64_t> next_incident{0};
  int cycles = 0, retried = 0;

  // After a crash: every report the last cycle acknowledged, retried, must
  // come back ALREADY_RECEIVED with the same ids; what it sent without an
  // answer is retried and may or may not have been stored before.
  auto RetryAfterCrash = [&](hirs::v1::ReportingService::Stub* stub) {
    for (const auto& [report_id, centre] : withdrawing) {
      const grpc::Status s = hirs::crash::Withdraw(stub, centre, report_id);
      CHECK_THAT(s.ok() || s.error_code() == grpc::StatusCode::FAILED_PRECONDITION, "withdrawal of ", report_id,
                 " retried after the crash: ", s.error_message());
      withdrawn.insert(report_id);
    }
    withdrawing.clear();
    for (const auto& [report_id, what] : amending) {
      const grpc::Status s = hirs::crash::Amend(stub, what.first, report_id, what.second, "amend-" + report_id);
      CHECK_THAT(s.ok(), "amendment of ", report_id, " retried after the crash: ", s.error_message());
      amended.insert(report_id);
    }
    amending.clear();
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
        // A withdrawn report is in no case.
        const std::string case_id = withdrawn.count(it->second.report_id) > 0 ? "" : it->second.case_id;
        CHECK_THAT(response.report_id() == it->second.report_id && response.case_id() == case_id, key, " came back as ",
                   response.report_id(), "/", response.case_id(), " not ", it->second.report_id, "/", case_id);
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
              if (!Submit(stub.get(), centre, key, incident, &response).ok()) return;
              {
                std::lock_guard<std::mutex> lock(mu);
                acked[id] = Ack{response.report_id(), response.case_id(), incident};
                ++answers[response.report_id()];
                recent.push_back(id);
                sent.erase(id);
                if (incident % 7 == 5) amending[response.report_id()] = {centre, incident};
                if (incident % 7 != 3 && incident % 7 != 5) return;
                if (incident % 7 == 3) withdrawing[response.report_id()] = centre;
              }
              if (incident % 7 == 5) {  // one report in seven is amended at once
                const grpc::Status a = hirs::crash::Amend(stub.get(), centre, response.report_id(), incident,
                                                          "amend-" + response.report_id());
                if (a.ok()) {
                  std::lock_guard<std::mutex> lock(mu);
                  amended.insert(response.report_id());
                  amending.erase(response.report_id());
                }
                return;
              }
              const grpc::Status w = hirs::crash::Withdraw(stub.get(), centre, response.report_id());
              if (w.ok() || w.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
                std::lock_guard<std::mutex> lock(mu);
                withdrawn.insert(response.report_id());
                withdrawing.erase(response.report_id());
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
  StoreSummary summary;
  for (const std::string& problem : CheckStore(**store, acked, answers, withdrawn, &summary)) {
    ++failures;
    std::fprintf(stderr, "FAIL %s\n", problem.c_str());
  }
  CHECK_THAT(summary.amended == amended.size(), summary.amended, " reports hold an amendment, ", amended.size(),
             " amendments were answered OK");

  std::printf(
      "crash_test: %d SIGKILL cycles, %zu reports acknowledged (%zu incidents reported by two centres at once), "
      "%zu withdrawn, %zu amended, %d acknowledged reports retried after a crash, %zu cases, %zu index entries, audit "
      "entries "
      "%llu: %s\n",
      cycles, acked.size(), summary.shared_incidents, summary.withdrawn, summary.amended, retried, summary.cases,
      summary.index_entries, static_cast<unsigned long long>(summary.audit_entries), failures == 0 ? "ok" : "FAILED");
  if (failures == 0 && absl::GetFlag(FLAGS_work_dir).empty()) std::system(absl::StrCat("rm -rf '", work, "'").c_str());
  return failures == 0 && cycles >= std::min(20, absl::GetFlag(FLAGS_cycles)) ? 0 : 1;
}
