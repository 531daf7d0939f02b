// Replicated hirsd under faults, against the real binaries: three etcd
// members and three hirsd replicas on loopback, and the crash test's
// incidents submitted concurrently (half of them by two centres at once),
// each submission retried with its request_id against the next replica
// until it is acknowledged. Faults, in turn, under that load: the leader
// killed (SIGKILL; each failover timed from the kill to the first write
// acknowledged by the new leader) and restarted; the leader paused past
// its lease and continued (it must refuse writes); an etcd member killed
// and restarted; a follower killed and restarted; a follower stopped until
// the log was truncated past it, then restarted (it re-seeds itself). Then,
// on every replica: the same applied index and the same entries in every
// family; every acknowledged report present once with its ids; one case
// per incident; the indexes consistent; the audit chain verified.
//
// HIRS_FAULT_LEADER_KILLS (default 3) sets the timed leader kills: the
// soak runs 20 or more.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/collation/keyed_hasher.h"
#include "services/replication/etcd.h"
#include "storage/store.h"
#include "tests/crash/incidents.h"
#include "tests/support/domain_support.h"
#include "tests/support/etcd_cluster.h"

extern char** environ;

namespace hirs {
namespace {

using crash::Ack;
using testing::Eventually;

constexpr int kReplicas = 3;

// The hirsd replicas of cluster "test", as processes.
class Replicas {
 public:
  Replicas(const testing::EtcdCluster& etcd, std::string work) : etcd_(etcd), work_(std::move(work)) {
    crash::WritePrincipals(work_ + "/principals.json");
    (void)collation::KeyedHasher::LoadOrCreate(work_ + "/hmac.key").value();
    for (int i = 0; i < kReplicas; ++i) {
      addresses_.push_back(absl::StrCat("127.0.0.1:", testing::FreeLoopbackPort()));
    }
  }
  ~Replicas() {
    for (int i = 0; i < kReplicas; ++i) {
      if (pids_[i] <= 0) continue;
      Signal(i, SIGCONT);
      Stop(i, SIGKILL);
    }
  }

  void Start(int i) {
    const std::string command =
        absl::StrCat("exec '", HIRSD_PATH, "' --listen=", addresses_[i], " --advertise=", addresses_[i],
                     " --data_dir='", DataDir(i), "' --principals='", work_, "/principals.json' --hmac_key_file='",
                     work_, "/hmac.key' --rate_limit_per_second=0 --replication=etcd --etcd_endpoints=",
                     absl::StrJoin(etcd_.endpoints(), ","), " --replica_id=r", i,
                     " --cluster=test --replication_lease_seconds=2 --replication_keep_entries=300 >>'", work_, "/h", i,
                     ".out' 2>>'", work_, "/h", i, ".log'");
    const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
    ASSERT_EQ(posix_spawn(&pids_[i], "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ), 0);
    auto channel = grpc::CreateChannel(addresses_[i], grpc::InsecureChannelCredentials());
    ASSERT_TRUE(channel->WaitForConnected(absl::ToChronoTime(absl::Now() + absl::Seconds(20))))
        << "replica " << i << " did not listen; see " << work_ << "/h" << i << ".log";
  }
  void Signal(int i, int signal) { kill(pids_[i], signal); }
  // Sends `signal` and waits: the exit status.
  int Stop(int i, int signal) {
    kill(pids_[i], signal);
    int status = 0;
    waitpid(pids_[i], &status, 0);
    pids_[i] = 0;
    return status;
  }
  bool running(int i) const { return pids_[i] > 0; }

  bool Serving(int i) const {
    auto stub =
        grpc::health::v1::Health::NewStub(grpc::CreateChannel(addresses_[i], grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(500)));
    grpc::health::v1::HealthCheckResponse response;
    return stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &response).ok() &&
           response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  }
  // The replica that serves as leader (waiting up to 15 s), else -1.
  int Leader() const {
    int leader = -1;
    Eventually(
        [&] {
          for (int i = 0; i < kReplicas; ++i) {
            if (running(i) && Serving(i)) leader = i;
          }
          return leader >= 0;
        },
        absl::Seconds(15));
    return leader;
  }
  int AFollower() const {
    const int leader = Leader();
    return leader == 0 ? 1 : 0;
  }

  std::string DataDir(int i) const { return absl::StrCat(work_, "/d", i); }
  std::string Log(int i) const {
    std::ifstream in(absl::StrCat(work_, "/h", i, ".log"));
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
  }
  const std::vector<std::string>& addresses() const { return addresses_; }

 private:
  const testing::EtcdCluster& etcd_;
  const std::string work_;
  std::vector<std::string> addresses_;
  pid_t pids_[kReplicas] = {0, 0, 0};
};

// Concurrent submitters: incidents as the crash test reports them, each
// retried with its request_id against the next replica until answered OK.
class Load {
 public:
  explicit Load(const std::vector<std::string>& addresses) {
    for (const auto& a : addresses) {
      stubs_.push_back(hirs::v1::ReportingService::NewStub(grpc::CreateChannel(a, grpc::InsecureChannelCredentials())));
    }
  }
  ~Load() { Stop(); }

  void Start(int threads) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, t] {
        while (!stopping_.load()) {
          const uint64_t incident = next_incident_.fetch_add(1);
          std::vector<std::thread> same;
          for (int centre : incident % 2 == 0 ? std::vector<int>{0, 1} : std::vector<int>{t % 2}) {
            same.emplace_back([this, centre, incident] { Submit(centre, incident); });
          }
          for (auto& s : same) s.join();
        }
      });
    }
  }
  void Stop() {
    stopping_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  // Submits a new incident by centre 0: how long until it was acknowledged.
  absl::Duration Probe() {
    const absl::Time start = absl::Now();
    Submit(0, next_probe_.fetch_add(2));  // odd: one centre
    return absl::Now() - start;
  }

  // Submits until answered OK (a minute at most), moving to the next
  // replica after each failure.
  void Submit(int centre, uint64_t incident) {
    const std::string key = absl::StrCat("k", incident);
    const std::string id = absl::StrCat(crash::Centre(centre), "/", key);
    const absl::Time give_up = absl::Now() + absl::Minutes(1);
    bool failed_before = false;
    while (absl::Now() < give_up) {
      size_t preferred = preferred_.load();
      hirs::v1::SubmitReportResponse response;
      if (crash::Submit(stubs_[preferred % stubs_.size()].get(), centre, key, incident, &response, absl::Seconds(3))
              .ok()) {
        std::lock_guard<std::mutex> lock(mu_);
        acked_.emplace(id, Ack{response.report_id(), response.case_id(), incident});
        ++answers_[response.report_id()];
        if (failed_before) ++met_failover_;
        return;
      }
      failed_before = true;
      preferred_.compare_exchange_strong(preferred, preferred + 1);  // the next replica, once for all
      absl::SleepFor(absl::Milliseconds(20));
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++given_up_;
  }

  std::map<std::string, Ack> acked() const {
    std::lock_guard<std::mutex> lock(mu_);
    return acked_;
  }
  std::map<std::string, int> answers() const {
    std::lock_guard<std::mutex> lock(mu_);
    return answers_;
  }
  int met_failover() const {
    std::lock_guard<std::mutex> lock(mu_);
    return met_failover_;
  }
  int given_up() const {
    std::lock_guard<std::mutex> lock(mu_);
    return given_up_;
  }

 private:
  std::vector<std::unique_ptr<hirs::v1::ReportingService::Stub>> stubs_;
  std::atomic<size_t> preferred_{0};
  std::atomic<uint64_t> next_incident_{0};
  std::atomic<uint64_t> next_probe_{1000001};  // far above the load's incidents
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
  mutable std::mutex mu_;
  std::map<std::string, Ack> acked_;
  std::map<std::string, int> answers_;
  int met_failover_ = 0;
  int given_up_ = 0;
};

// A number etcd holds under the cluster's prefix, 0 if absent.
uint64_t EtcdNumber(const testing::EtcdCluster& etcd, const std::string& key) {
  replication::EtcdOptions options;
  options.endpoints = etcd.endpoints();
  auto client = replication::Etcd::Connect(options);
  if (!client.ok()) return 0;
  etcdserverpb::RangeRequest range;
  range.set_key("/hirs/test/" + key);
  auto read = (*client)->Range(range);
  uint64_t n = 0;
  if (read.ok() && read->kvs_size() > 0) (void)absl::SimpleAtoi(read->kvs(0).value(), &n);
  return n;
}

int LeaderKills() {
  const char* env = std::getenv("HIRS_FAULT_LEADER_KILLS");
  int n = 3;
  return env != nullptr && absl::SimpleAtoi(env, &n) && n > 0 ? n : 3;
}

TEST(ReplicationFaults, NoAcknowledgedReportIsLostAndTheReplicasDoNotDiverge) {
  testing::TempDir work;
  testing::EtcdCluster etcd(3);
  Replicas replicas(etcd, work.path());
  for (int i = 0; i < kReplicas; ++i) replicas.Start(i);
  ASSERT_GE(replicas.Leader(), 0);
  Load load(replicas.addresses());
  load.Start(4);

  // The leader killed, again and again: each failover timed.
  std::vector<double> failovers;
  for (int k = 0; k < LeaderKills(); ++k) {
    absl::SleepFor(absl::Seconds(1));
    const int leader = replicas.Leader();
    ASSERT_GE(leader, 0);
    replicas.Stop(leader, SIGKILL);
    failovers.push_back(absl::ToDoubleSeconds(load.Probe()));
    replicas.Start(leader);
  }

  // The leader paused past its lease: another leads; continued, it
  // refuses writes (it stepped down; its appends are fenced).
  const int paused = replicas.Leader();
  replicas.Signal(paused, SIGSTOP);
  absl::SleepFor(absl::Seconds(4));
  const int next = replicas.Leader();
  EXPECT_NE(next, paused);
  replicas.Signal(paused, SIGCONT);
  absl::SleepFor(absl::Seconds(1));
  EXPECT_FALSE(replicas.Serving(paused)) << "the paused leader serves again after its lease lapsed";

  // An etcd member killed and brought back; a follower killed and brought back.
  etcd.Kill(1);
  absl::SleepFor(absl::Seconds(2));
  etcd.Restart(1);
  const int follower = replicas.AFollower();
  replicas.Stop(follower, SIGKILL);
  absl::SleepFor(absl::Seconds(2));
  replicas.Start(follower);

  // A follower away until the log was truncated past it: it re-seeds.
  const int away = replicas.AFollower();
  const uint64_t away_applied = EtcdNumber(etcd, absl::StrCat("applied/r", away));
  EXPECT_EQ(replicas.Stop(away, SIGTERM), 0);
  ASSERT_TRUE(Eventually([&] { return EtcdNumber(etcd, "first") > away_applied + 1; }, absl::Seconds(40)))
      << "the log was not truncated past replica " << away << " (applied " << away_applied << ")";
  replicas.Start(away);
  EXPECT_TRUE(
      Eventually([&] { return absl::StrContains(replicas.Log(away), "re-seeded from a snapshot"); }, absl::Seconds(40)))
      << replicas.Log(away).substr(0, 4000);
  absl::SleepFor(absl::Seconds(1));
  load.Stop();

  // Every replica catches up to the same index; then all stop at once.
  ASSERT_TRUE(Eventually(
      [&] {
        const uint64_t a = EtcdNumber(etcd, "applied/r0");
        return a > 0 && EtcdNumber(etcd, "applied/r1") == a && EtcdNumber(etcd, "applied/r2") == a;
      },
      absl::Seconds(20)));
  for (int i = 0; i < kReplicas; ++i) replicas.Stop(i, SIGKILL);

  const auto acked = load.acked();
  const auto answers = load.answers();
  EXPECT_EQ(load.given_up(), 0);
  EXPECT_GE(load.met_failover(), 2) << "the faults missed the load";
  std::vector<std::string> first_entries;
  uint64_t first_applied = 0;
  for (int i = 0; i < kReplicas; ++i) {
    storage::StoreOptions options;
    options.path = replicas.DataDir(i) + "/db";
    auto store = storage::Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    crash::StoreSummary summary;
    for (const std::string& problem : crash::CheckStore(**store, acked, answers, {}, &summary)) {
      ADD_FAILURE() << "replica " << i << ": " << problem;
    }
    const uint64_t applied = (*store)->LastAppliedIndex().value();
    std::vector<std::string> entries = testing::EveryEntry(**store);
    if (i == 0) {
      first_entries = std::move(entries);
      first_applied = applied;
      std::printf(
          "replication faults: %zu reports acknowledged (%zu incidents by two centres at once), %zu cases, "
          "%llu audit entries, log index %llu; %d submissions met a fault\n",
          acked.size(), summary.shared_incidents, summary.cases, static_cast<unsigned long long>(summary.audit_entries),
          static_cast<unsigned long long>(applied), load.met_failover());
    } else {
      EXPECT_EQ(applied, first_applied) << "replica " << i;
      EXPECT_TRUE(entries == first_entries) << "replica " << i << "'s store differs from replica 0's";
    }
  }
  std::sort(failovers.begin(), failovers.end());
  std::printf(
      "failover (SIGKILL of the leader to the first acknowledged write), %zu kills: median %.2f s, worst "
      "%.2f s, all: %s\n",
      failovers.size(), failovers[failovers.size() / 2], failovers.back(),
      absl::StrJoin(failovers, " ", [](std::string* out, double s) { absl::StrAppend(out, s); }).c_str());
  EXPECT_LE(failovers.back(), 10.0);
}

}  // namespace
}  // namespace hirs
