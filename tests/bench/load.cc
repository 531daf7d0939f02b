// hirs-load: the load generator, and the baselines it is compared with.
//
// Against hirsd, a closed loop: --concurrency calls in flight at all times over
// --channels connections, with gRPC's callback API; after --warmup, calls
// that start and end within --duration are measured. Workloads:
//   submit  SubmitReport of generated Leicestershire reports (tests/eval's
//           generator: multi-agency duplicates, repeat victims, hotspots),
//           --retry_share of them resending an earlier request unchanged
//   mixed   submit, GetCase, ListCases (pages of 100) and a district's
//           GetMonthlySummary, in the --mix proportions
//   bulk    SubmitReports streams of --batch reports each; throughput in
//           reports, latency per report
// Storage and database baselines, in process, with the same reports, the
// same concurrency (threads) and synced commits:
//   --target=rocksdb   the idempotency look-up and the insert of hirsd's
//                      records (request key, report) straight into RocksDB
//   --target=postgres  the dedup-and-insert transaction a database-backed
//                      service would run on PostgreSQL via libpqxx:
//                      --pg_transaction=full (the default) looks up and
//                      writes what hirsd's intake does (both idempotency
//                      keys, hirs's blocking keys and candidates' features;
//                      report, requests, features, fingerprints, case,
//                      counters, event, extract row, audit entry);
//                      =minimal, the earlier baseline: request
//                      key, 3 fingerprints looked up and written, report,
//                      a case count
// --target=http --http=HOST:PORT: SubmitReport's submissions over the
// HTTP/JSON door (POST /v1/reports), --concurrency threads each with its own
// keep-alive connection (tests/bench/run_http.sh compares it with gRPC).
// --rate=R turns the loop open: calls start at R a second whatever the
// answers' latency, for latency at a given load. Against hirsd at most
// --concurrency are in flight (those beyond are counted as "skipped"); in
// the in-process baselines each of the --concurrency threads takes every
// n-th start of the schedule, and a call's latency counts from its
// scheduled start (no coordinated omission).
// --target=preload --dir=DATA_DIR --preload=N fills a hirsd data directory
// (created, or added to) with N generated reports through hirs's own intake
// in process (the same validation, collation and records as SubmitReport;
// no gRPC, no audit entries, WAL not synced), --concurrency threads, in
// chunks of 100,000 reports, each chunk a new generator seed in a two-year
// window: the first in --window, the others in the 16 windows before the
// latest (1992-2024) in turn, so the latest window, where the measured
// submissions fall, holds one chunk whatever the store's size (as a
// service that has run for years holds its current months at the usual
// density, and its history beside them); then start hirsd on DATA_DIR.
// --window=N puts generated incidents (submitted or preloaded) in the N-th
// two-year window before the latest (0 = the latest, to 2026-09; 17 =
// 1990-09 to 1992-09, the oldest that validation takes).
// --target=compact --dir=DATA_DIR rewrites a stopped hirsd's store in the
// current table format (storage::Store::CompactAll), e.g. a filled store
// after a change of the store's options.
//
// Prints one "result ..." line of key=value figures per run (run_load.sh
// reads them) and a readable summary on stderr.
#include <grpcpp/grpcpp.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "hirs/v1/case_service.grpc.pb.h"
#include "hirs/v1/extract_service.grpc.pb.h"
#include "hirs/v1/reporting_service.grpc.pb.h"
#include "httplib.h"
#include "services/collation/blocking.h"
#include "services/collation/features.h"
#include "services/collation/keyed_hasher.h"
#include "services/collation/probabilistic_collator.h"
#include "services/intake/intake.h"
#include "services/intake/normalise.h"
#include "storage/lock_manager.h"
#include "storage/store.h"
#include "tests/eval/eval.h"
#ifdef HIRS_HAVE_PQXX
#include <pqxx/pqxx>
#endif

ABSL_FLAG(std::string, target, "hirsd", "hirsd | http | rocksdb | postgres | preload | compact");
ABSL_FLAG(std::string, server, "127.0.0.1:50051", "HOST:PORT of hirsd");
ABSL_FLAG(std::string, http, "127.0.0.1:8080", "http: HOST:PORT of hirsd's HTTP/JSON door");
ABSL_FLAG(std::string, token, "", "a reporting centre's bearer token");
ABSL_FLAG(std::string, police_token, "", "mixed: a police token (GetCase, ListCases)");
ABSL_FLAG(std::string, district_token, "", "mixed: a district token (GetMonthlySummary)");
ABSL_FLAG(std::string, district, "E07000130", "mixed: the district token's district");
ABSL_FLAG(std::string, workload, "submit", "submit | mixed | bulk");
ABSL_FLAG(std::string, mix, "submit=50,get=30,list=15,summary=5", "mixed: the share of each call");
ABSL_FLAG(int, concurrency, 32, "calls in flight (threads for rocksdb and postgres); with --rate, at most");
ABSL_FLAG(double, rate, 0, "open loop: start calls at this rate (per second) instead of keeping --concurrency busy");
ABSL_FLAG(int, channels, 4, "gRPC connections");
ABSL_FLAG(int, batch, 100, "bulk: reports per SubmitReports stream");
ABSL_FLAG(double, retry_share, 0.1, "share of submissions that resend an earlier request unchanged");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(3), "calls before this are not measured");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(15), "measured time");
ABSL_FLAG(int, reports, 60000, "generated reports (made unique again when used up)");
ABSL_FLAG(uint64_t, seed, 1, "generator seed (use another for each run on one store)");
ABSL_FLAG(std::string, request_prefix, "load", "prefix of request ids (another per run on one store)");
ABSL_FLAG(int, server_pid, 0, "pid of the server, for its peak RSS");
ABSL_FLAG(std::string, dir, "", "rocksdb: the database directory (created); preload: hirsd's --data_dir");
ABSL_FLAG(int64_t, preload, 1000000, "preload: reports to add");
ABSL_FLAG(std::string, pg, "", "postgres: libpq connection string");
ABSL_FLAG(std::string, pg_transaction, "full",
          "postgres: full (the records and look-ups of hirsd's intake) | minimal (idempotency, 3 fingerprints, "
          "report, case count)");
ABSL_FLAG(bool, sync, true, "rocksdb: sync the WAL on each write, as hirsd does");
ABSL_FLAG(std::string, label, "", "name of the run in the result line");
ABSL_FLAG(int, window, 0,
          "the two-year window, counted back from the latest (0, to 2026-09) to 17 (1990-09 to 1992-09), of the "
          "generated incidents: the submitted ones, and the first preload chunk");

namespace hirs::load {
namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- figures

// Latencies (µs) and error codes of one kind of call. Each slot of the
// closed loop owns one per kind, so no lock is taken on the hot path.
struct Figures {
  std::vector<uint32_t> micros;
  std::map<std::string, int64_t> errors;
  int64_t items = 0;  // reports, for bulk streams
  void Merge(const Figures& o) {
    micros.insert(micros.end(), o.micros.begin(), o.micros.end());
    for (const auto& [code, n] : o.errors) errors[code] += n;
    items += o.items;
  }
};

double Percentile(std::vector<uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

int64_t PeakRssMb(int pid) {
  std::ifstream in(pid > 0 ? absl::StrCat("/proc/", pid, "/status") : "/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "VmHWM:")) {
      int64_t kb = 0;
      std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kb)) return kb / 1024;
    }
  }
  return -1;
}

// Reads a process's or thread's `stat` file (proc(5)): its name and the
// CPU seconds (user + system) it has used so far. False when it cannot.
bool ReadStat(const std::filesystem::path& path, std::string* name, double* cpu_seconds) {
  std::ifstream in(path);
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t open = stat.find('('), close = stat.rfind(')');  // the name may hold spaces and ')'
  if (open == std::string::npos || close == std::string::npos || close < open) return false;
  std::vector<absl::string_view> fields = absl::StrSplit(absl::string_view(stat).substr(close + 2), ' ');
  int64_t user = 0, system = 0;  // fields 14 and 15 of stat(5), 12 and 13 after the name
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &user) || !absl::SimpleAtoi(fields[12], &system))
    return false;
  *name = stat.substr(open + 1, close - open - 1);
  *cpu_seconds = static_cast<double>(user + system) / static_cast<double>(sysconf(_SC_CLK_TCK));
  return true;
}

// CPU seconds (user + system) the process `pid` has used so far; -1 when
// it cannot be read.
double CpuSeconds(int pid) {
  std::string name;
  double seconds = 0;
  if (!ReadStat(absl::StrCat("/proc/", pid, "/stat"), &name, &seconds)) return -1;
  return seconds;
}

// The server's CPU use over the measured time, in cores (-1 without
// --server_pid): the figure that compares builds on a machine whose
// throughput varies from run to run.
std::atomic<double> server_cores{-1};

// The run's name in the result and threads lines: --label, else --target.
std::string RunLabel() {
  return absl::GetFlag(FLAGS_label).empty() ? absl::GetFlag(FLAGS_target) : absl::GetFlag(FLAGS_label);
}

// One thread of a process: its name (what top -H and perf show), CPU
// seconds (user + system) and context switches so far.
struct ThreadSample {
  std::string name;
  double cpu_seconds = 0;
  int64_t switches = 0;
};

// Every live thread of process `pid` by thread id, from /proc/PID/task.
std::map<int64_t, ThreadSample> SampleThreads(int pid) {
  std::map<int64_t, ThreadSample> threads;
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), error)) {
    int64_t tid = 0;
    if (!absl::SimpleAtoi(task.path().filename().string(), &tid)) continue;
    ThreadSample t;
    if (!ReadStat(task.path() / "stat", &t.name, &t.cpu_seconds)) continue;
    std::ifstream status(task.path() / "status");
    for (std::string line; std::getline(status, line);) {
      // voluntary_ctxt_switches and nonvoluntary_ctxt_switches
      if (absl::StrContains(line, "ctxt_switches:")) {
        int64_t n = 0;
        if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)), &n)) t.switches += n;
      }
    }
    threads[tid] = std::move(t);
  }
  return threads;
}

// The server's threads over the measured time, summed by thread name
// (empty without --server_pid): CPU seconds and context switches. A thread
// that ended within the time is left out; one that started counts whole.
struct ThreadUse {
  double cpu_seconds = 0;
  int64_t switches = 0;
};
absl::Mutex server_threads_mu;
std::map<std::string, ThreadUse> server_threads ABSL_GUARDED_BY(server_threads_mu);

void SetServerThreads(const std::map<int64_t, ThreadSample>& from, const std::map<int64_t, ThreadSample>& to) {
  std::map<std::string, ThreadUse> use;
  for (const auto& [tid, t] : to) {
    auto before = from.find(tid);
    const bool same = before != from.end() && before->second.name == t.name;
    ThreadUse& u = use[t.name];
    u.cpu_seconds += t.cpu_seconds - (same ? before->second.cpu_seconds : 0);
    u.switches += t.switches - (same ? before->second.switches : 0);
  }
  absl::MutexLock lock(&server_threads_mu);
  server_threads = std::move(use);
}

// Prints the server's CPU and context switches per call (or item) by
// thread name, over `calls` calls: a line "threads label=L calls=N
// NAME=US/SWITCHES ...", busiest first, idle threads left out (in names,
// ':', '=' and spaces become '-').
void ReportThreads(int64_t calls) {
  absl::MutexLock lock(&server_threads_mu);
  if (server_threads.empty() || calls <= 0) return;
  std::vector<std::pair<std::string, ThreadUse>> by_cpu(server_threads.begin(), server_threads.end());
  std::sort(by_cpu.begin(), by_cpu.end(),
            [](const auto& a, const auto& b) { return a.second.cpu_seconds > b.second.cpu_seconds; });
  const std::string label = RunLabel();
  std::string line = absl::StrCat("threads label=", label, " calls=", calls);
  for (const auto& [name, u] : by_cpu) {
    const double us = u.cpu_seconds * 1e6 / static_cast<double>(calls);
    const double switches = static_cast<double>(u.switches) / static_cast<double>(calls);
    if (us < 0.05 && switches < 0.005) continue;  // idle in this run
    std::string key = name;
    std::replace_if(
        key.begin(), key.end(), [](char c) { return c == ':' || c == ' ' || c == '='; }, '-');
    absl::StrAppend(&line, " ", key, "=", absl::StrFormat("%.1f/%.2f", us, switches));
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// Prints the result line of `kind` measured over `seconds`.
void Report(const std::string& kind, Figures f, double seconds, int server_pid) {
  std::sort(f.micros.begin(), f.micros.end());
  const int64_t calls = static_cast<int64_t>(f.micros.size());
  const double per_second = static_cast<double>(f.items > 0 ? f.items : calls) / seconds;
  std::vector<std::string> errors;
  for (const auto& [code, n] : f.errors) errors.push_back(absl::StrCat(code, ":", n));
  const std::string label = RunLabel();
  std::printf(
      "result label=%s target=%s workload=%s kind=%s concurrency=%d channels=%d calls=%lld items=%lld "
      "seconds=%.1f per_second=%.1f p50_us=%.0f p95_us=%.0f p99_us=%.0f p999_us=%.0f errors=%s "
      "server_peak_rss_mb=%lld client_peak_rss_mb=%lld server_cores=%.2f\n",
      label.c_str(), absl::GetFlag(FLAGS_target).c_str(), absl::GetFlag(FLAGS_workload).c_str(), kind.c_str(),
      absl::GetFlag(FLAGS_concurrency), absl::GetFlag(FLAGS_channels), static_cast<long long>(calls),
      static_cast<long long>(f.items), seconds, per_second, Percentile(f.micros, 0.50), Percentile(f.micros, 0.95),
      Percentile(f.micros, 0.99), Percentile(f.micros, 0.999),
      errors.empty() ? "none" : absl::StrJoin(errors, ",").c_str(),
      static_cast<long long>(server_pid > 0 ? PeakRssMb(server_pid) : -1), static_cast<long long>(PeakRssMb(0)),
      server_cores.load());
  std::fflush(stdout);
  std::fprintf(stderr, "%-10s %-8s %9.1f/s  p50 %6.0f  p95 %6.0f  p99 %6.0f  p99.9 %6.0f us  errors %s\n",
               label.c_str(), kind.c_str(), per_second, Percentile(f.micros, 0.50), Percentile(f.micros, 0.95),
               Percentile(f.micros, 0.99), Percentile(f.micros, 0.999),
               errors.empty() ? "none" : absl::StrJoin(errors, ",").c_str());
}

// ---------------------------------------------------------------- reports

// Reports per preload chunk (one generator run); the two-year windows
// (--window) end at the generator's default end, and go back as far as
// validation allows (it refuses incidents before 1990); a preload's chunks
// after the first cycle through the history windows, 1 to 16.
constexpr int64_t kPreloadChunk = 100000;
constexpr int kWindowDays = 730;
constexpr int kOldestWindow = 17;
constexpr int kHistoryWindows = 16;

// The generator's options for incidents in two-year window `window`.
eval::GeneratorOptions InWindow(int window) {
  eval::GeneratorOptions options;
  options.days = kWindowDays;
  options.end_unix = eval::GeneratorOptions().end_unix - int64_t{window} * kWindowDays * 86400;
  return options;
}

// The generated reports, handed out in order; when used up they are
// handed out again with a new request id and source reference (another
// report to hirsd). Thread safe.
class ReportSource {
 public:
  ReportSource() {
    eval::GeneratorOptions options = InWindow(absl::GetFlag(FLAGS_window));
    options.reports = static_cast<size_t>(absl::GetFlag(FLAGS_reports));
    options.seed = absl::GetFlag(FLAGS_seed);
    for (auto& r : eval::GenerateIncidents(options)) requests_.push_back(std::move(r.request));
    std::fprintf(stderr, "generated %zu reports\n", requests_.size());
  }

  hirs::v1::SubmitReportRequest Next(std::mt19937_64& rng) {
    const uint64_t n = next_.fetch_add(1);
    if (absl::GetFlag(FLAGS_retry_share) > 0 && n > 100 &&
        std::uniform_real_distribution<double>(0, 1)(rng) < absl::GetFlag(FLAGS_retry_share)) {
      return Make(std::uniform_int_distribution<uint64_t>(0, n - 1)(rng));  // a retry of an earlier one
    }
    return Make(n);
  }

 private:
  hirs::v1::SubmitReportRequest Make(uint64_t n) const {
    hirs::v1::SubmitReportRequest r = requests_[n % requests_.size()];
    const uint64_t round = n / requests_.size();
    r.set_request_id(absl::StrCat(absl::GetFlag(FLAGS_request_prefix), "-", n));
    if (round > 0) {
      r.mutable_report()->set_source_reference(absl::StrCat(r.report().source_reference(), "-r", round));
    }
    return r;
  }

  std::vector<hirs::v1::SubmitReportRequest> requests_;
  std::atomic<uint64_t> next_{0};
};

// ---------------------------------------------------------------- phases

// Warm-up, then measurement, then stop; slots check it before each call.
class Phases {
 public:
  Phases() : start_(Clock::now()) {
    measure_from_ = start_ + absl::ToChronoMicroseconds(absl::GetFlag(FLAGS_warmup));
    measure_to_ = measure_from_ + absl::ToChronoMicroseconds(absl::GetFlag(FLAGS_duration));
    if (const int pid = absl::GetFlag(FLAGS_server_pid); pid > 0) {
      sampler_ = std::thread([this, pid] {
        std::this_thread::sleep_until(measure_from_);
        const double from = CpuSeconds(pid);
        const std::map<int64_t, ThreadSample> threads_from = SampleThreads(pid);
        std::this_thread::sleep_until(measure_to_);
        const double to = CpuSeconds(pid);
        SetServerThreads(threads_from, SampleThreads(pid));
        if (from >= 0 && to >= 0) server_cores = (to - from) / Seconds();
      });
    }
  }
  ~Phases() { JoinSampler(); }
  // Waits until server_cores is set (just after the measured time).
  void JoinSampler() {
    if (sampler_.joinable()) sampler_.join();
  }
  bool Stopping() const { return Clock::now() >= measure_to_; }
  // Whether a call from `begin` to `end` counts.
  bool Counts(Clock::time_point begin, Clock::time_point end) const {
    return begin >= measure_from_ && end <= measure_to_;
  }
  double Seconds() const { return absl::ToDoubleSeconds(absl::GetFlag(FLAGS_duration)); }

 private:
  Clock::time_point start_, measure_from_, measure_to_;
  std::thread sampler_;
};

uint32_t MicrosBetween(Clock::time_point a, Clock::time_point b) {
  return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(b - a).count());
}

// ---------------------------------------------------------------- gRPC loop

enum Kind { kSubmit, kGet, kList, kSummary, kBulk, kKinds };
const char* const kKindNames[kKinds] = {"submit", "get_case", "list_cases", "summary", "bulk"};

struct Mix {
  int weights[kKinds] = {100, 0, 0, 0, 0};
  int total = 100;
};

Mix ParseMix() {
  Mix mix;
  const std::string workload = absl::GetFlag(FLAGS_workload);
  if (workload == "bulk") {
    mix.weights[kSubmit] = 0;
    mix.weights[kBulk] = 100;
    return mix;
  }
  if (workload != "mixed") return mix;
  std::fill(std::begin(mix.weights), std::end(mix.weights), 0);
  for (absl::string_view part : absl::StrSplit(absl::GetFlag(FLAGS_mix), ',')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(part, '=');
    int w = 0;
    if (!absl::SimpleAtoi(kv.second, &w)) continue;
    if (kv.first == "submit") mix.weights[kSubmit] = w;
    if (kv.first == "get") mix.weights[kGet] = w;
    if (kv.first == "list") mix.weights[kList] = w;
    if (kv.first == "summary") mix.weights[kSummary] = w;
  }
  mix.total = 0;
  for (int w : mix.weights) mix.total += w;
  return mix;
}

class GrpcLoad;

// One call in flight at a time, issued again from its own completion.
class Slot {
 public:
  Slot(GrpcLoad* load, int index, uint64_t seed) : load_(load), index_(index), rng_(seed) {}
  void Issue();
  Figures figures[kKinds];

 private:
  // Starts one unary call: `method(context, request, response, on_done)`
  // is the stub's async method; `on_ok` sees a successful response.
  template <typename Response, typename Request, typename Method>
  void StartUnary(Kind kind, Clock::time_point begin, const std::string& token, Request request, Method method,
                  std::function<void(const Response&)> on_ok = nullptr);
  void Finish(Kind kind, Clock::time_point begin, const grpc::Status& status, int64_t items = 0);
  GrpcLoad* const load_;
  const int index_;
  std::mt19937_64 rng_;
};

// A SubmitReports stream of --batch reports.
class BulkStream final : public grpc::ClientBidiReactor<hirs::v1::SubmitReportRequest, hirs::v1::SubmitReportResponse> {
 public:
  // `answered` runs as each item's answer arrives (true: without an error).
  BulkStream(std::vector<hirs::v1::SubmitReportRequest> batch, std::function<void(bool)> answered,
             std::function<void(const grpc::Status&, int64_t)> done)
      : batch_(std::move(batch)), answered_(std::move(answered)), done_(std::move(done)) {}
  grpc::ClientContext context;
  void Begin() {
    StartRead(&response_);
    Write();
    StartCall();
  }
  void OnWriteDone(bool ok) override {
    if (!ok) return;
    if (++written_ < batch_.size()) {
      Write();
    } else {
      StartWritesDone();
    }
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (response_.has_error()) ++failed_;
    ++read_;
    answered_(!response_.has_error());
    StartRead(&response_);
  }
  // The stream (its context with it) is gone before `done` runs: once the
  // last call is done the process may exit, and a stream torn down after
  // that would reach into gRPC while it shuts down.
  void OnDone(const grpc::Status& status) override {
    const grpc::Status result =
        status.ok() && failed_ > 0 ? grpc::Status(grpc::StatusCode::UNKNOWN, "item failed") : status;
    const int64_t read = read_;
    std::function<void(const grpc::Status&, int64_t)> done = std::move(done_);
    delete this;
    done(result, read);
  }

 private:
  void Write() { StartWrite(&batch_[written_]); }
  std::vector<hirs::v1::SubmitReportRequest> batch_;
  std::function<void(bool)> answered_;
  std::function<void(const grpc::Status&, int64_t)> done_;
  hirs::v1::SubmitReportResponse response_;
  size_t written_ = 0;
  int64_t read_ = 0;
  int64_t failed_ = 0;
};

class GrpcLoad {
 public:
  GrpcLoad() : mix_(ParseMix()) {
    for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_channels)); ++i) {
      grpc::ChannelArguments args;
      args.SetInt("hirs.load.channel", i);  // distinct arguments: a connection each
      args.SetMaxReceiveMessageSize(16 << 20);
      auto channel = grpc::CreateCustomChannel(absl::GetFlag(FLAGS_server), grpc::InsecureChannelCredentials(), args);
      reporting_.push_back(hirs::v1::ReportingService::NewStub(channel));
      cases_.push_back(hirs::v1::CaseService::NewStub(channel));
      extracts_.push_back(hirs::v1::ExtractService::NewStub(channel));
    }
  }

  void Run() {
    const int n = absl::GetFlag(FLAGS_concurrency);
    for (int i = 0; i < n; ++i) slots_.push_back(std::make_unique<Slot>(this, i, absl::GetFlag(FLAGS_seed) * 1000 + i));
    const double rate = absl::GetFlag(FLAGS_rate);
    if (rate <= 0) {
      {
        absl::MutexLock lock(&mu_);
        outstanding_ = n;
      }
      for (auto& slot : slots_) slot->Issue();
    } else {
      // Open loop: a call every 1/rate seconds on a free slot.
      for (auto& slot : slots_) free_.push_back(slot.get());
      const Clock::time_point start = Clock::now();
      for (int64_t i = 0; !phases_.Stopping(); ++i) {
        std::this_thread::sleep_until(start + std::chrono::nanoseconds(static_cast<int64_t>(1e9 * i / rate)));
        Slot* slot = nullptr;
        {
          absl::MutexLock lock(&mu_);
          if (!free_.empty()) {
            slot = free_.back();
            free_.pop_back();
            ++outstanding_;
          } else {
            ++skipped_;
          }
        }
        if (slot != nullptr) slot->Issue();
      }
    }
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* left) { return *left == 0; }, &outstanding_));
    if (skipped_ > 0)
      std::fprintf(stderr, "open loop: %lld calls skipped (all slots busy)\n", static_cast<long long>(skipped_));
  }

  void Print(int server_pid) {
    phases_.JoinSampler();
    int64_t calls = 0;  // of every kind, or items where a call carries many
    for (int k = 0; k < kKinds; ++k) {
      Figures all;
      for (auto& slot : slots_) all.Merge(slot->figures[k]);
      calls += all.items > 0 ? all.items : static_cast<int64_t>(all.micros.size());
      if (!all.micros.empty() || !all.errors.empty())
        Report(kKindNames[k], std::move(all), phases_.Seconds(), server_pid);
    }
    ReportThreads(calls);
  }

 private:
  friend class Slot;
  // The slot's call ended: in a closed loop it issues the next one.
  void Completed(Slot* slot) {
    if (absl::GetFlag(FLAGS_rate) <= 0) {
      slot->Issue();
      return;
    }
    absl::MutexLock lock(&mu_);
    free_.push_back(slot);
    --outstanding_;
  }
  void SlotDone() {
    absl::MutexLock lock(&mu_);
    --outstanding_;
  }
  void Authorize(grpc::ClientContext* context, const std::string& token) {
    if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  }
  void RememberCase(const std::string& id) {
    if (id.empty()) return;
    absl::MutexLock lock(&cases_mu_);
    if (case_ids_.size() < 100000) case_ids_.push_back(id);
  }
  std::string SomeCase(std::mt19937_64& rng) {
    absl::MutexLock lock(&cases_mu_);
    if (case_ids_.empty()) return "";
    return case_ids_[std::uniform_int_distribution<size_t>(0, case_ids_.size() - 1)(rng)];
  }

  const Mix mix_;
  ReportSource reports_;  // generated before the warm-up starts
  Phases phases_;
  std::vector<std::unique_ptr<hirs::v1::ReportingService::Stub>> reporting_;
  std::vector<std::unique_ptr<hirs::v1::CaseService::Stub>> cases_;
  std::vector<std::unique_ptr<hirs::v1::ExtractService::Stub>> extracts_;
  std::vector<std::unique_ptr<Slot>> slots_;
  absl::Mutex mu_;
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Slot*> free_ ABSL_GUARDED_BY(mu_);  // open loop: slots without a call
  int64_t skipped_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Mutex cases_mu_;
  std::vector<std::string> case_ids_ ABSL_GUARDED_BY(cases_mu_);
};

void Slot::Finish(Kind kind, Clock::time_point begin, const grpc::Status& status, int64_t items) {
  const Clock::time_point end = Clock::now();
  if (load_->phases_.Counts(begin, end)) {
    Figures& f = figures[kind];
    if (status.ok()) {
      if (kind == kBulk && items > 0) {
        // Latency per report of the stream (throughput: BulkItemAnswered).
        const uint32_t per_item = MicrosBetween(begin, end) / static_cast<uint32_t>(items);
        f.micros.insert(f.micros.end(), static_cast<size_t>(items), per_item);
      } else {
        f.micros.push_back(MicrosBetween(begin, end));
      }
    } else {
      ++f.errors[absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()))];
    }
  }
  load_->Completed(this);
}

template <typename Response, typename Request, typename Method>
void Slot::StartUnary(Kind kind, Clock::time_point begin, const std::string& token, Request request, Method method,
                      std::function<void(const Response&)> on_ok) {
  struct Call {
    grpc::ClientContext context;
    Request request;
    Response response;
  };
  auto call = std::make_shared<Call>();
  call->request = std::move(request);
  load_->Authorize(&call->context, token);
  method(&call->context, &call->request, &call->response,
         [this, call, kind, begin, on_ok = std::move(on_ok)](grpc::Status status) mutable {
           if (status.ok() && on_ok) on_ok(call->response);
           call.reset();  // as BulkStream::OnDone: the call is gone before the slot is done
           Finish(kind, begin, status);
         });
}

void Slot::Issue() {
  if (absl::GetFlag(FLAGS_rate) <= 0 && load_->phases_.Stopping()) {
    load_->SlotDone();
    return;
  }
  const size_t channel = static_cast<size_t>(index_) % load_->reporting_.size();
  int pick = std::uniform_int_distribution<int>(0, std::max(0, load_->mix_.total - 1))(rng_);
  Kind kind = kSubmit;
  for (int k = 0; k < kKinds; ++k) {
    if (pick < load_->mix_.weights[k]) {
      kind = static_cast<Kind>(k);
      break;
    }
    pick -= load_->mix_.weights[k];
  }
  std::string case_id;
  if (kind == kGet) {
    case_id = load_->SomeCase(rng_);
    if (case_id.empty()) kind = kSubmit;  // nothing to read yet
  }
  const Clock::time_point begin = Clock::now();
  switch (kind) {
    case kSubmit: {
      auto* stub = load_->reporting_[channel].get();
      StartUnary<hirs::v1::SubmitReportResponse>(
          kSubmit, begin, absl::GetFlag(FLAGS_token), load_->reports_.Next(rng_),
          [stub](auto... args) { stub->async()->SubmitReport(args...); },
          [this](const hirs::v1::SubmitReportResponse& r) { load_->RememberCase(r.case_id()); });
      return;
    }
    case kGet: {
      auto* stub = load_->cases_[channel].get();
      hirs::v1::GetCaseRequest request;
      request.set_case_id(case_id);
      StartUnary<hirs::v1::Case>(kGet, begin, absl::GetFlag(FLAGS_police_token), std::move(request),
                                 [stub](auto... args) { stub->async()->GetCase(args...); });
      return;
    }
    case kList: {
      auto* stub = load_->cases_[channel].get();
      hirs::v1::ListCasesRequest request;
      request.set_page_size(100);
      StartUnary<hirs::v1::ListCasesResponse>(kList, begin, absl::GetFlag(FLAGS_police_token), std::move(request),
                                              [stub](auto... args) { stub->async()->ListCases(args...); });
      return;
    }
    case kSummary: {
      auto* stub = load_->extracts_[channel].get();
      hirs::v1::MonthlyExtractRequest request;
      request.set_district_code(absl::GetFlag(FLAGS_district));
      request.set_month("2026-08");
      StartUnary<hirs::v1::MonthlySummary>(kSummary, begin, absl::GetFlag(FLAGS_district_token), std::move(request),
                                           [stub](auto... args) { stub->async()->GetMonthlySummary(args...); });
      return;
    }
    case kBulk: {
      std::vector<hirs::v1::SubmitReportRequest> batch;
      for (int i = 0; i < absl::GetFlag(FLAGS_batch); ++i) batch.push_back(load_->reports_.Next(rng_));
      // Reports are counted as their answers arrive within the measured
      // time: counted by whole streams, the streams cut by its start and end
      // (a stream of 100 takes seconds) were left out, a third of a 10 s run.
      auto* stream = new BulkStream(
          std::move(batch),
          [this](bool ok) {
            const Clock::time_point now = Clock::now();
            if (ok && load_->phases_.Counts(now, now)) ++figures[kBulk].items;
          },
          [this, begin](const grpc::Status& s, int64_t items) { Finish(kBulk, begin, s, items); });
      load_->Authorize(&stream->context, absl::GetFlag(FLAGS_token));
      load_->reporting_[channel]->async()->SubmitReports(&stream->context, stream);
      stream->Begin();
      return;
    }
    case kKinds:
      break;
  }
}

// ---------------------------------------------------------------- threads

// The in-process baselines: `concurrency` threads, each running `one`
// (which returns "" or an error code) until the phases end: back to back,
// or with --rate each thread every n-th start of the schedule, its latency
// counted from the scheduled start.
void RunThreads(const std::function<std::string(std::mt19937_64&, Figures&)>& one) {
  Phases phases;
  const int n = absl::GetFlag(FLAGS_concurrency);
  const double rate = absl::GetFlag(FLAGS_rate);
  const Clock::time_point start = Clock::now();
  std::vector<Figures> figures(n);
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(absl::GetFlag(FLAGS_seed) * 1000 + t);
      for (int64_t i = 0; !phases.Stopping(); ++i) {
        Clock::time_point begin = Clock::now();
        if (rate > 0) {
          begin = start + std::chrono::nanoseconds(static_cast<int64_t>(1e9 * static_cast<double>(i * n + t) / rate));
          std::this_thread::sleep_until(begin);
        }
        const std::string error = one(rng, figures[t]);
        const Clock::time_point end = Clock::now();
        if (!phases.Counts(begin, end)) continue;
        if (error.empty()) {
          figures[t].micros.push_back(MicrosBetween(begin, end));
        } else {
          ++figures[t].errors[error];
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  Figures all;
  for (const auto& f : figures) all.Merge(f);
  phases.JoinSampler();
  Report("submit", std::move(all), phases.Seconds(), 0);
}

int RunRocksDb() {
  if (absl::GetFlag(FLAGS_dir).empty()) {
    std::fprintf(stderr, "--target=rocksdb needs --dir\n");
    return 2;
  }
  rocksdb::Options options;
  options.create_if_missing = true;
  options.enable_pipelined_write = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, absl::GetFlag(FLAGS_dir), &raw);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  ReportSource reports;
  std::atomic<uint64_t> ids{0};
  rocksdb::WriteOptions write;
  write.sync = absl::GetFlag(FLAGS_sync);
  RunThreads([&](std::mt19937_64& rng, Figures&) -> std::string {
    const hirs::v1::SubmitReportRequest request = reports.Next(rng);
    const std::string key = absl::StrCat("q|centre|", request.request_id());
    std::string existing;
    rocksdb::Status got = db->Get(rocksdb::ReadOptions(), key, &existing);
    if (got.ok()) return "";  // a retry: answered from the idempotency record
    if (!got.IsNotFound()) return "UNAVAILABLE";
    const std::string id = absl::StrCat("r|rpt_", ids.fetch_add(1));
    rocksdb::WriteBatch batch;
    batch.Put(key, id);
    batch.Put(id, request.report().SerializeAsString());
    return db->Write(write, &batch).ok() ? "" : "UNAVAILABLE";
  });
  return 0;
}

// Submissions over HTTP/JSON: --concurrency threads, each with its own
// keep-alive connection, POSTing /v1/reports.
int RunHttp() {
  const std::string address = absl::GetFlag(FLAGS_http);
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    std::fprintf(stderr, "--http must be HOST:PORT\n");
    return 2;
  }
  const std::string host = address.substr(0, colon);
  const httplib::Headers headers = {{"Authorization", absl::StrCat("Bearer ", absl::GetFlag(FLAGS_token))}};
  ReportSource reports;
  RunThreads([&](std::mt19937_64& rng, Figures&) -> std::string {
    thread_local std::unique_ptr<httplib::Client> client;
    if (client == nullptr) {
      client = std::make_unique<httplib::Client>(host, port);
      client->set_keep_alive(true);
      client->set_tcp_nodelay(true);  // as curl and browsers: a request's head and body go at once
      client->set_read_timeout(30, 0);
    }
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(reports.Next(rng), &json).ok()) return "JSON";
    const httplib::Result res = client->Post("/v1/reports", headers, json, "application/json");
    if (!res) return "UNAVAILABLE";
    return res->status == 200 ? "" : absl::StrCat("HTTP_", res->status);
  });
  return 0;
}

int RunPreload() {
  const std::string dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty()) {
    std::fprintf(stderr, "--target=preload needs --dir (hirsd's --data_dir)\n");
    return 2;
  }
  // What hirsd's Server::Start builds for intake, with the same defaults.
  std::filesystem::create_directories(dir);
  absl::StatusOr<collation::KeyedHasher> hasher = collation::KeyedHasher::LoadOrCreate(dir + "/hmac.key");
  storage::StoreOptions store_options;
  store_options.path = dir + "/db";
  store_options.sync_writes = false;  // a fill, not acknowledgements: hirsd's start finds it all flushed
  absl::StatusOr<std::unique_ptr<storage::Store>> store =
      hasher.ok() ? storage::Store::Open(store_options)
                  : absl::StatusOr<std::unique_ptr<storage::Store>>(hasher.status());
  if (!store.ok()) {
    std::fprintf(stderr, "preload: %s\n", store.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<intake::DistrictRouter> router = intake::DistrictRouter::LeicestershireDefault();
  collation::ProbabilisticCollator collator(&*hasher, collation::MatchModel::Default(), collation::MatcherOptions());
  storage::CaseLocks locks;
  intake::Intake intake(store->get(), &locks, &collator, router.get(), &*hasher);

  const int64_t total = absl::GetFlag(FLAGS_preload);
  const int64_t chunks = (total + kPreloadChunk - 1) / kPreloadChunk;
  std::atomic<int64_t> next_chunk{0}, stored{0}, failed{0};
  std::map<std::string, int64_t> outcomes;
  absl::Mutex mu;
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < absl::GetFlag(FLAGS_concurrency); ++t) {
    threads.emplace_back([&] {
      std::map<std::string, int64_t> mine;
      for (int64_t chunk = next_chunk.fetch_add(1); chunk < chunks; chunk = next_chunk.fetch_add(1)) {
        eval::GeneratorOptions options =
            InWindow(chunk == 0 ? absl::GetFlag(FLAGS_window) : 1 + static_cast<int>((chunk - 1) % kHistoryWindows));
        options.reports = static_cast<size_t>(std::min(kPreloadChunk, total - chunk * kPreloadChunk));
        options.seed = absl::GetFlag(FLAGS_seed) * 1000003 + static_cast<uint64_t>(chunk);
        for (eval::GeneratedReport& r : eval::GenerateIncidents(options)) {
          r.request.set_request_id(absl::StrCat("preload-", options.seed, "-", r.request.request_id()));
          absl::StatusOr<intake::SubmitResult> result = intake.Submit(r.centre, r.request);
          if (!result.ok()) {
            ++failed;
            ++mine[absl::StatusCodeToString(result.status().code())];
            continue;
          }
          ++mine[hirs::v1::CollationOutcome_Name(result->collation)];
          const int64_t n = ++stored;
          if (n % 100000 == 0) {
            const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
            std::fprintf(stderr, "preload: %lld reports in %.0f s (%.0f/s)\n", static_cast<long long>(n), seconds,
                         static_cast<double>(n) / seconds);
          }
        }
      }
      absl::MutexLock lock(&mu);
      for (const auto& [k, v] : mine) outcomes[k] += v;
    });
  }
  for (auto& t : threads) t.join();
  const absl::Status flushed = (*store)->Flush();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<std::string> parts;
  for (const auto& [k, v] : outcomes) parts.push_back(absl::StrCat(k, ":", v));
  std::printf("preload reports=%lld seconds=%.0f per_second=%.0f failed=%lld outcomes=%s peak_rss_mb=%lld\n",
              static_cast<long long>(stored.load()), seconds, static_cast<double>(stored.load()) / seconds,
              static_cast<long long>(failed.load()), absl::StrJoin(parts, ",").c_str(),
              static_cast<long long>(PeakRssMb(0)));
  if (!flushed.ok()) {
    std::fprintf(stderr, "preload: %s\n", flushed.ToString().c_str());
    return 1;
  }
  return failed.load() == 0 ? 0 : 1;
}

int RunCompact() {
  const std::string dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty()) {
    std::fprintf(stderr, "--target=compact needs --dir (hirsd's --data_dir)\n");
    return 2;
  }
  storage::StoreOptions store_options;
  store_options.path = dir + "/db";
  absl::StatusOr<std::unique_ptr<storage::Store>> store = storage::Store::Open(store_options);
  absl::StatusOr<storage::CompactionInfo> compacted = store.ok() ? (*store)->CompactAll() : store.status();
  if (!compacted.ok()) {
    std::fprintf(stderr, "compact: %s\n", compacted.status().ToString().c_str());
    return 1;
  }
  std::printf("compact seconds=%.0f sst_bytes_before=%llu sst_bytes=%llu\n", absl::ToDoubleSeconds(compacted->took),
              static_cast<unsigned long long>(compacted->size_bytes_before),
              static_cast<unsigned long long>(compacted->size_bytes_after));
  return 0;
}

#ifdef HIRS_HAVE_PQXX
// Blocking keys of a report, as a service built on a database would derive
// them (hirs keys them with HMAC; here plain hashes: the cost is the
// database's, not the hashing).
std::vector<std::string> Fingerprints(const hirs::v1::Report& r) {
  std::vector<std::string> out;
  const auto& v = r.victim();
  auto add = [&](const std::string& s) {
    out.push_back(absl::BytesToHexString(absl::StrCat(std::hash<std::string>()(s))));
  };
  add(absl::StrCat("n|", v.full_name(), "|", v.date_of_birth()));
  add(absl::StrCat("p|", r.location().postcode(), "|", r.occurred_start().seconds() / 86400));
  add(absl::StrCat("v|", v.postcode(), "|", r.occurred_start().seconds() / 86400));
  return out;
}

// A SQL array literal of the distinct `values`, sorted: rows keyed by it
// are then inserted in one order by every transaction (no deadlocks). The
// values must need no quoting (hex digits, ids); libpqxx 6 has no array
// parameters.
std::string SqlArray(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return absl::StrCat("{", absl::StrJoin(values, ","), "}");
}

// What a service built on PostgreSQL would store for one submission with
// hirs's collation: the same look-ups (both idempotency keys, the ~30
// blocking keys, the candidates' features) and the same records (report,
// both request keys, features, the ~10 stored fingerprints, the case,
// counters, a change-feed event, an extract row, an audit entry), indexed
// for the same reads, the writes in one statement. Simpler than hirsd's
// intake: candidates are scored by hirs's model and the best joins at its
// attach thresholds, with no review queue, no term frequencies, no check
// of cases a person separated; no audit hash chain.
constexpr const char* kFullSchema =
    "CREATE TABLE IF NOT EXISTS f_requests (key text PRIMARY KEY, report_id text NOT NULL, case_id text NOT NULL);"
    "CREATE TABLE IF NOT EXISTS f_reports (report_id text PRIMARY KEY, case_id text NOT NULL, centre text NOT NULL,"
    "  received_at timestamptz NOT NULL DEFAULT now(), body bytea NOT NULL);"
    "CREATE INDEX IF NOT EXISTS f_reports_case ON f_reports (case_id);"
    "CREATE INDEX IF NOT EXISTS f_reports_centre ON f_reports (centre, received_at);"
    "CREATE TABLE IF NOT EXISTS f_features (report_id text PRIMARY KEY, case_id text NOT NULL, body bytea NOT NULL);"
    "CREATE TABLE IF NOT EXISTS f_fingerprints (fingerprint text, case_id text, report_id text,"
    "  PRIMARY KEY (fingerprint, case_id, report_id));"
    "CREATE TABLE IF NOT EXISTS f_cases (case_id text PRIMARY KEY, district text NOT NULL,"
    "  updated_at timestamptz NOT NULL DEFAULT now(), report_count int NOT NULL, body bytea NOT NULL);"
    "CREATE INDEX IF NOT EXISTS f_cases_district ON f_cases (district, updated_at);"
    "CREATE TABLE IF NOT EXISTS f_counts (key text PRIMARY KEY, n bigint NOT NULL);"
    "CREATE TABLE IF NOT EXISTS f_events (seq bigserial PRIMARY KEY, case_id text NOT NULL, kind text NOT NULL,"
    "  at timestamptz NOT NULL DEFAULT now());"
    "CREATE TABLE IF NOT EXISTS f_extract_rows (district text, month text, case_id text,"
    "  PRIMARY KEY (district, month, case_id));"
    "CREATE TABLE IF NOT EXISTS f_audit (seq bigserial PRIMARY KEY, principal text NOT NULL, method text NOT NULL,"
    "  resource text NOT NULL, at timestamptz NOT NULL DEFAULT now());"
    "CREATE INDEX IF NOT EXISTS f_audit_principal ON f_audit (principal, seq);"
    "CREATE INDEX IF NOT EXISTS f_audit_resource ON f_audit (resource, seq);";

void PrepareFull(pqxx::connection& c) {
  c.prepare("seen", "SELECT report_id FROM f_requests WHERE key IN ($1, $2) LIMIT 1");
  c.prepare("match", "SELECT case_id, report_id FROM f_fingerprints WHERE fingerprint = ANY($1::text[]) LIMIT 200");
  c.prepare("features", "SELECT case_id, body FROM f_features WHERE report_id = ANY($1::text[])");
  c.prepare("attach",
            "UPDATE f_cases SET body = body || $2, report_count = report_count + 1, updated_at = now() "
            "WHERE case_id = $1");
  c.prepare("create", "INSERT INTO f_cases (case_id, district, report_count, body) VALUES ($1, $2, 1, $3)");
  c.prepare("records",
            "WITH rep AS (INSERT INTO f_reports (report_id, case_id, centre, body) VALUES ($1, $2, $3, $4)),"
            " req AS (INSERT INTO f_requests VALUES ($5, $1, $2), ($6, $1, $2) ON CONFLICT DO NOTHING RETURNING 1),"
            " fea AS (INSERT INTO f_features VALUES ($1, $2, $7)),"
            " fps AS (INSERT INTO f_fingerprints SELECT k, $2, $1 FROM unnest($8::text[]) AS k ON CONFLICT DO NOTHING),"
            " cnt AS (INSERT INTO f_counts SELECT k, 1 FROM unnest($9::text[]) AS k"
            "   ON CONFLICT (key) DO UPDATE SET n = f_counts.n + 1),"
            " evt AS (INSERT INTO f_events (case_id, kind) VALUES ($2, $10)),"
            " ext AS (INSERT INTO f_extract_rows VALUES ($11, $12, $2) ON CONFLICT DO NOTHING),"
            " aud AS (INSERT INTO f_audit (principal, method, resource) VALUES ($3, 'SubmitReport', $1))"
            " SELECT count(*) FROM req");
}

// One submission as PostgreSQL would take it (kFullSchema); "" or an error.
std::string SubmitFull(pqxx::connection& c, const hirs::v1::SubmitReportRequest& request,
                       const intake::DistrictRouter& router, const collation::KeyedHasher& hasher,
                       const collation::MatchModel& model, std::atomic<uint64_t>& ids) {
  const std::string centre = "centre";
  const hirs::v1::Report& report = request.report();
  const std::string body = report.SerializeAsString();
  const hirs::store::v1::NormalisedFields normalised = intake::Normalise(report, router);
  const hirs::store::v1::MatchFeatures features = collation::FeaturesOf(report, normalised, centre);
  const collation::BlockingKeys keys = collation::BlockingKeysOf(features, collation::Profile::kIncident, hasher);
  auto hex_keys = [](const std::vector<collation::Fingerprint>& fps) {
    std::vector<std::string> out;
    for (const auto& fp : fps) out.push_back(absl::BytesToHexString(fp.value));
    return out;
  };
  const std::string request_key = absl::StrCat("q-", centre, "-", request.request_id());
  const std::string content_key = absl::StrCat("c-", absl::BytesToHexString(collation::Sha256(body)));
  pqxx::work w(c);
  if (!w.exec_prepared("seen", request_key, content_key).empty()) {
    w.commit();
    return "";  // a retry
  }
  const pqxx::result matched = w.exec_prepared("match", SqlArray(hex_keys(keys.lookup)));
  std::string case_id;
  if (!matched.empty()) {
    std::vector<std::string> candidates;
    for (const auto& row : matched) {
      if (candidates.size() < 20) candidates.push_back(row[1].c_str());
    }
    // hirs's model scores each candidate; the best joins at hirs's
    // attach thresholds (no review queue, no term frequencies).
    const collation::MatcherOptions bars;
    double best = 0;
    for (const auto& row : w.exec_prepared("features", SqlArray(candidates))) {
      hirs::store::v1::MatchFeatures candidate;
      const pqxx::binarystring bytes(row[1]);
      if (!candidate.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) continue;
      const collation::PairScore score = model.Score(collation::Compare(features, candidate), {});
      const double bar = score.identity > 0 ? bars.attach_threshold : bars.attach_threshold_without_identity;
      if (score.total() >= bar && score.total() > best) {
        best = score.total();
        case_id = row[0].c_str();
      }
    }
  }
  const std::string report_id = absl::StrCat("rpt_", ids.fetch_add(1));
  // The case's record of this report: it grows with each one, as hirsd's does.
  const std::string feature_bytes = features.SerializeAsString();
  const std::string entry =
      absl::StrCat(report_id, "|", centre, "|", absl::BytesToHexString(feature_bytes).substr(0, 64));
  std::string kind = "REPORT_ATTACHED";
  if (!case_id.empty()) {
    w.exec_prepared("attach", case_id, pqxx::binarystring(entry.data(), entry.size()));
  } else {
    case_id = absl::StrCat("case_", report_id);
    kind = "CASE_CREATED";
    w.exec_prepared("create", case_id, normalised.district_code(), pqxx::binarystring(entry.data(), entry.size()));
  }
  const std::string month = normalised.occurred_day().substr(0, 7);
  std::string given, surname;
  collation::SplitName(normalised.victim_name(), &given, &surname);
  // The values whose frequency hirs counts for its model (counted here,
  // not read back: the score above takes no term frequencies). No total:
  // one row every transaction updates would serialise them all on its lock
  // (in hirs, counters are merge operands, taken without a read or a lock).
  std::vector<std::string> counts;
  for (const auto& [prefix, value] : {std::pair<const char*, const std::string*>{"g-", &given},
                                      {"n-", &surname},
                                      {"p-", &normalised.postcode()},
                                      {"s-", &normalised.postcode_sector()}}) {
    if (!value->empty()) counts.push_back(absl::StrCat(prefix, absl::BytesToHexString(*value)));
  }
  const pqxx::result stored =
      w.exec_prepared("records", report_id, case_id, centre, pqxx::binarystring(body.data(), body.size()), request_key,
                      content_key, pqxx::binarystring(feature_bytes.data(), feature_bytes.size()),
                      SqlArray(hex_keys(keys.stored)), SqlArray(counts), kind, normalised.district_code(), month);
  if (stored[0][0].as<int>() < 2) {
    w.abort();  // another connection stored the same request meanwhile
    return "";
  }
  w.commit();
  return "";
}

int RunPostgres() {
  const std::string conninfo = absl::GetFlag(FLAGS_pg);
  const std::string shape = absl::GetFlag(FLAGS_pg_transaction);
  if (shape != "full" && shape != "minimal") {
    std::fprintf(stderr, "--pg_transaction must be full or minimal\n");
    return 2;
  }
  const bool full = shape == "full";
  try {
    pqxx::connection setup(conninfo);
    pqxx::work w(setup);
    w.exec(full ? kFullSchema
                : "CREATE TABLE IF NOT EXISTS requests (principal text, request_id text, report_id text NOT NULL, "
                  "  PRIMARY KEY (principal, request_id));"
                  "CREATE TABLE IF NOT EXISTS reports (report_id text PRIMARY KEY, body bytea NOT NULL, "
                  "  received_at timestamptz NOT NULL DEFAULT now());"
                  "CREATE TABLE IF NOT EXISTS fingerprints (fingerprint text, case_id text, report_id text, "
                  "  PRIMARY KEY (fingerprint, case_id, report_id));"
                  "CREATE TABLE IF NOT EXISTS cases (case_id text PRIMARY KEY, report_count int NOT NULL);");
    w.commit();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "postgres: %s\n", e.what());
    return 1;
  }
  ReportSource reports;
  std::atomic<uint64_t> ids{0};
  std::unique_ptr<intake::DistrictRouter> router = intake::DistrictRouter::LeicestershireDefault();
  const collation::KeyedHasher hasher(std::string(32, 'k'));
  const collation::MatchModel model = collation::MatchModel::Default();
  const int n = absl::GetFlag(FLAGS_concurrency);
  std::vector<std::unique_ptr<pqxx::connection>> connections;
  for (int i = 0; i < n; ++i) {
    connections.push_back(std::make_unique<pqxx::connection>(conninfo));
    auto& c = *connections.back();
    // Every query here is a look-up by an indexed key. A run starts on
    // empty tables, which autovacuum has not yet analysed, and the plans
    // then chosen scanned the whole fingerprint table for each look-up (26
    // ms at 50,000 rows, EXPLAIN ANALYZE): a service running for a while
    // has its statistics and uses the index.
    pqxx::nontransaction(c).exec("SET enable_seqscan = off");
    if (full) {
      PrepareFull(c);
      continue;
    }
    c.prepare("seen", "SELECT report_id FROM requests WHERE principal = $1 AND request_id = $2");
    c.prepare("match", "SELECT case_id FROM fingerprints WHERE fingerprint IN ($1, $2, $3) LIMIT 20");
    c.prepare("report", "INSERT INTO reports (report_id, body) VALUES ($1, $2)");
    c.prepare("request",
              "INSERT INTO requests (principal, request_id, report_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING");
    c.prepare("fingerprint", "INSERT INTO fingerprints VALUES ($1, $2, $3) ON CONFLICT DO NOTHING");
    c.prepare(
        "case",
        "INSERT INTO cases VALUES ($1, 1) ON CONFLICT (case_id) DO UPDATE SET report_count = cases.report_count + 1");
  }
  std::atomic<int> next_connection{0};
  thread_local pqxx::connection* mine = nullptr;
  RunThreads([&](std::mt19937_64& rng, Figures&) -> std::string {
    if (mine == nullptr) mine = connections[next_connection.fetch_add(1)].get();
    const hirs::v1::SubmitReportRequest request = reports.Next(rng);
    try {
      if (full) return SubmitFull(*mine, request, *router, hasher, model, ids);
      pqxx::work w(*mine);
      if (!w.exec_prepared("seen", "centre", request.request_id()).empty()) {
        w.commit();
        return "";  // a retry
      }
      const std::vector<std::string> fps = Fingerprints(request.report());
      pqxx::result matched = w.exec_prepared("match", fps[0], fps[1], fps[2]);
      const std::string report_id = absl::StrCat("rpt_", ids.fetch_add(1));
      const std::string case_id = matched.empty() ? absl::StrCat("case_", report_id) : matched[0][0].c_str();
      const std::string body = request.report().SerializeAsString();
      w.exec_prepared("report", report_id, pqxx::binarystring(body.data(), body.size()));
      if (w.exec_prepared("request", "centre", request.request_id(), report_id).affected_rows() == 0) {
        w.abort();  // another connection stored the same request meanwhile
        return "";
      }
      for (const std::string& fp : fps) w.exec_prepared("fingerprint", fp, case_id, report_id);
      w.exec_prepared("case", case_id);
      w.commit();
      return "";
    } catch (const std::exception& e) {
      return "ABORTED";
    }
  });
  return 0;
}
#else
int RunPostgres() {
  std::fprintf(stderr, "hirs-load was built without libpqxx (deploy/install-deps.sh --bench installs it)\n");
  return 2;
}
#endif

}  // namespace
}  // namespace hirs::load

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_window) < 0 || absl::GetFlag(FLAGS_window) > hirs::load::kOldestWindow) {
    std::fprintf(stderr, "--window must be 0 (the latest two years) to %d (1990-09 to 1992-09)\n",
                 hirs::load::kOldestWindow);
    return 2;
  }
  const std::string target = absl::GetFlag(FLAGS_target);
  if (target == "rocksdb") return hirs::load::RunRocksDb();
  if (target == "http") return hirs::load::RunHttp();
  if (target == "postgres") return hirs::load::RunPostgres();
  if (target == "preload") return hirs::load::RunPreload();
  if (target == "compact") return hirs::load::RunCompact();
  if (target != "hirsd") {
    std::fprintf(stderr, "unknown --target=%s\n", target.c_str());
    return 2;
  }
  hirs::load::GrpcLoad load;
  load.Run();
  load.Print(absl::GetFlag(FLAGS_server_pid));
  return 0;
}
