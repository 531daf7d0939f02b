// The replicated log (services/replication/replicated_log.h) with real
// etcd members and real stores: one leader at a time, every write on every
// replica in the same order and bytes, a follower told who leads, a new
// leader after the old one stops, and a leader that lost its leadership key
// writing nothing.
#include "services/replication/replicated_log.h"

#include <atomic>
#include <functional>
#include <memory>

#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "tests/support/etcd_cluster.h"

namespace hirs::replication {
namespace {

using testing::Eventually;

struct Replica {
  Replica(const std::vector<std::string>& endpoints, const std::string& name,
          const std::function<void(LogOptions*)>& adjust = nullptr) {
    storage::StoreOptions store_options;
    store_options.path = dir.path();
    store = std::move(storage::Store::Open(store_options)).value();
    EtcdOptions etcd_options;
    etcd_options.endpoints = endpoints;
    etcd = std::move(Etcd::Connect(etcd_options)).value();
    LogOptions options;
    options.cluster = "test";
    options.advertise = name;
    options.replica_id = name;
    options.lease_ttl = absl::Seconds(2);
    if (adjust) adjust(&options);
    log = std::make_unique<ReplicatedLog>(etcd.get(), store.get(), &sealer, options,
                                          [this](bool leading) { roles += leading ? "L" : "F"; });
    store->SetWriteLog(log.get());
    log->Start();
  }
  ~Replica() { log->Stop(); }

  absl::Status WriteCase(int i) {
    storage::WriteBatch batch;
    batch.Put(storage::Family::kCases, absl::StrCat("case_", i), absl::StrCat("v", i));
    batch.AddToCount(storage::Family::kCounts, "writes", 1);
    batch.AppendChange(absl::StrCat("case_", i), [](uint64_t seq) { return absl::StrCat("event ", seq); });
    return store->Write(std::move(batch));
  }
  uint64_t applied() const { return store->LastAppliedIndex().value(); }

  testing::TempDir dir;
  const Sealer sealer = Sealer::WithKey(std::string(kSealKeyBytes, 's')).value();
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<Etcd> etcd;
  std::unique_ptr<ReplicatedLog> log;
  std::string roles;
};

// The replica that leads, waiting up to `timeout`; null if none.
Replica* LeaderOf(const std::vector<std::unique_ptr<Replica>>& replicas, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    for (const auto& r : replicas) {
      if (r != nullptr && r->log->leading()) return r.get();
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return nullptr;
}

void ExpectCaughtUp(const std::vector<std::unique_ptr<Replica>>& replicas, uint64_t index) {
  for (const auto& r : replicas) {
    if (r == nullptr) continue;
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (r->applied() < index && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
    EXPECT_EQ(r->applied(), index) << r->log->leader();
  }
  const Replica* first = nullptr;
  for (const auto& r : replicas) {
    if (r == nullptr) continue;
    if (first == nullptr) {
      first = r.get();
    } else {
      EXPECT_EQ(testing::EveryEntry(*r->store), testing::EveryEntry(*first->store));
    }
  }
}

TEST(ReplicatedLog, OneLeaderWritesAndEveryReplicaAppliesTheSameBytes) {
  testing::EtcdCluster cluster(3);
  std::vector<std::unique_ptr<Replica>> replicas;
  for (int i = 0; i < 3; ++i) replicas.push_back(std::make_unique<Replica>(cluster.endpoints(), absl::StrCat("r", i)));
  Replica* leader = LeaderOf(replicas, absl::Seconds(10));
  ASSERT_NE(leader, nullptr);
  int leaders = 0;
  for (const auto& r : replicas) leaders += r->log->leading();
  EXPECT_EQ(leaders, 1);

  // Concurrent writers share transactions; every write is acknowledged.
  std::vector<std::thread> writers;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) ok += leader->WriteCase(t * 100 + i).ok();
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(ok.load(), 100);
  ExpectCaughtUp(replicas, leader->applied());
  EXPECT_EQ(leader->store->LastVisibleChange(), 100u);
  // etcd holds the entries sealed: nothing written is readable there.
  etcdserverpb::RangeRequest all;
  all.set_key("/hirs/test/log/");
  all.set_range_end(PrefixEnd("/hirs/test/log/"));
  auto held = leader->etcd->Range(all);
  ASSERT_TRUE(held.ok());
  ASSERT_GE(held->kvs_size(), 1);
  for (const auto& kv : held->kvs()) {
    EXPECT_EQ(kv.value().find("case_"), std::string::npos);
    EXPECT_EQ(kv.value().find("event "), std::string::npos);
  }

  // A follower refuses, naming the leader.
  for (const auto& r : replicas) {
    if (r.get() == leader) continue;
    absl::Status refused = r->WriteCase(999);
    EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
    EXPECT_NE(refused.message().find("the leader is " + leader->log->leader()), std::string::npos) << refused;
    google::rpc::ErrorInfo info;
    auto payload = refused.GetPayload("type.googleapis.com/google.rpc.ErrorInfo");
    ASSERT_TRUE(payload.has_value() && info.ParseFromString(std::string(*payload)));
    EXPECT_EQ(info.reason(), "NOT_LEADER");
    EXPECT_EQ(info.metadata().at("leader"), leader->log->leader());
  }
}

TEST(ReplicatedLog, AWriteTooLargeForOneEntryIsRefusedAndNothingIsAppended) {
  testing::EtcdCluster cluster(1);
  std::vector<std::unique_ptr<Replica>> replicas;
  replicas.push_back(std::make_unique<Replica>(cluster.endpoints(), "a"));
  Replica* leader = LeaderOf(replicas, absl::Seconds(10));
  ASSERT_NE(leader, nullptr);
  ASSERT_TRUE(leader->WriteCase(1).ok());
  const uint64_t before = leader->applied();
  storage::WriteBatch big;  // over 1 MiB: etcd refuses a request over 1.5 MiB
  for (int i = 0; i < 12; ++i) big.Put(storage::Family::kCases, absl::StrCat("big_", i), std::string(100 << 10, 'x'));
  const absl::Status refused = leader->store->Write(std::move(big));
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  // The leader still leads and writes; nothing of the big write is anywhere.
  EXPECT_TRUE(leader->log->leading());
  ASSERT_TRUE(leader->WriteCase(2).ok());
  EXPECT_EQ(leader->applied(), before + 1);
  EXPECT_FALSE(leader->store->Get(storage::Family::kCases, "big_0").value().has_value());
}

TEST(ReplicatedLog, WhenTheLeaderStopsAnotherTakesOverAndNumbersOn) {
  testing::EtcdCluster cluster(3);
  std::vector<std::unique_ptr<Replica>> replicas;
  for (int i = 0; i < 3; ++i) replicas.push_back(std::make_unique<Replica>(cluster.endpoints(), absl::StrCat("r", i)));
  Replica* leader = LeaderOf(replicas, absl::Seconds(10));
  ASSERT_NE(leader, nullptr);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(leader->WriteCase(i).ok());
  const uint64_t before = leader->applied();
  for (auto& r : replicas) {
    if (r.get() == leader) r.reset();  // stops, resigning
  }
  const absl::Time stopped = absl::Now();
  Replica* next = LeaderOf(replicas, absl::Seconds(10));
  ASSERT_NE(next, nullptr);
  EXPECT_LT(absl::Now() - stopped, absl::Seconds(3));
  EXPECT_EQ(next->applied(), before);  // it applied the whole log first
  ASSERT_TRUE(next->WriteCase(10).ok());
  EXPECT_EQ(next->store->LastVisibleChange(), 11u);
  ExpectCaughtUp(replicas, before + 1);
}

TEST(ReplicatedLog, ALeaderThatLostItsKeyWritesNothing) {
  testing::EtcdCluster cluster(1);
  std::vector<std::unique_ptr<Replica>> replicas;
  replicas.push_back(std::make_unique<Replica>(cluster.endpoints(), "only"));
  Replica* leader = LeaderOf(replicas, absl::Seconds(10));
  ASSERT_NE(leader, nullptr);
  ASSERT_TRUE(leader->WriteCase(1).ok());
  // Another holder of the key, as after this leader's lease expired while
  // it was paused.
  auto etcd = std::move(Etcd::Connect(EtcdOptions{cluster.endpoints()})).value();
  etcdserverpb::DeleteRangeRequest drop;
  drop.set_key("/hirs/test/leader");
  ASSERT_TRUE(etcd->DeleteRange(drop).ok());
  etcdserverpb::PutRequest usurp;
  usurp.set_key("/hirs/test/leader");
  usurp.set_value("someone-else");
  ASSERT_TRUE(etcd->Put(usurp).ok());
  const uint64_t applied = leader->applied();
  EXPECT_EQ(leader->WriteCase(2).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(leader->applied(), applied);
  etcdserverpb::RangeRequest log;
  log.set_key(LogIndexKey("/hirs/test", applied + 1));
  EXPECT_EQ(etcd->Range(log).value().kvs_size(), 0);
  EXPECT_FALSE(leader->log->leading());
}

// Waits up to 10 s for `done`.
TEST(ReplicatedLog, TheLogIsTruncatedBelowWhatLiveReplicasAppliedAndALateReplicaMustBeReseeded) {
  testing::EtcdCluster cluster(1);
  auto quick = [](LogOptions* o) {
    o->keep_entries = 2;
    o->truncate_every = absl::Milliseconds(200);
  };
  std::vector<std::unique_ptr<Replica>> replicas;
  replicas.push_back(std::make_unique<Replica>(cluster.endpoints(), "a", quick));
  Replica* leader = LeaderOf(replicas, absl::Seconds(10));
  ASSERT_NE(leader, nullptr);
  replicas.push_back(std::make_unique<Replica>(cluster.endpoints(), "b", quick));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(leader->WriteCase(i).ok());
  const uint64_t last = leader->applied();
  ExpectCaughtUp(replicas, last);
  // Both applied everything: only keep_entries remain.
  ASSERT_TRUE(Eventually([&] { return leader->log->first_kept() == last - 1; })) << leader->log->first_kept();
  etcdserverpb::RangeRequest log;
  log.set_key("/hirs/test/log/");
  log.set_range_end(PrefixEnd("/hirs/test/log/"));
  EXPECT_EQ(leader->etcd->Range(log).value().kvs_size(), 2);

  // A follower stops; the log moves on without it.
  replicas[1].reset();
  for (int i = 20; i < 30; ++i) ASSERT_TRUE(leader->WriteCase(i).ok());
  ASSERT_TRUE(Eventually([&] { return leader->log->first_kept() == leader->applied() - 1; }));
  // A replica from an empty store can neither follow nor lead.
  replicas.push_back(std::make_unique<Replica>(cluster.endpoints(), "c", quick));
  Replica* late = replicas.back().get();
  ASSERT_TRUE(Eventually([&] { return !late->log->following_problem().empty(); }));
  EXPECT_NE(late->log->following_problem().find("re-seed"), std::string::npos) << late->log->following_problem();
  EXPECT_EQ(late->applied(), 0u);
  EXPECT_FALSE(late->log->leading());
  // Even with the leader gone.
  replicas[0].reset();
  absl::SleepFor(absl::Seconds(3));
  EXPECT_FALSE(late->log->leading());
  EXPECT_EQ(late->applied(), 0u);
}

TEST(Sealer, AnEntryOpensOnlyWithItsKeyAtItsIndexUnaltered) {
  const Sealer sealer = Sealer::WithKey(std::string(kSealKeyBytes, 'k')).value();
  const std::string sealed = sealer.Seal("Victim: Ada Example", 7);
  EXPECT_EQ(sealed.find("Ada"), std::string::npos);
  EXPECT_EQ(sealer.Open(sealed, 7).value(), "Victim: Ada Example");
  EXPECT_NE(sealer.Seal("Victim: Ada Example", 7), sealed);  // a fresh nonce each time
  EXPECT_EQ(sealer.Open(sealed, 8).status().code(), absl::StatusCode::kDataLoss);
  std::string altered = sealed;
  altered[20] ^= 1;
  EXPECT_EQ(sealer.Open(altered, 7).status().code(), absl::StatusCode::kDataLoss);
  const Sealer other = Sealer::WithKey(std::string(kSealKeyBytes, 'o')).value();
  EXPECT_EQ(other.Open(sealed, 7).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Sealer::WithKey("short").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hirs::replication
