// The etcd client (services/replication/etcd.h) against real etcd members:
// transactions that create a key only where it is absent, leases that take
// their keys with them, watches in revision order (and their end when the
// revision asked for was compacted), and calls going on when a member dies.
#include "services/replication/etcd.h"

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/etcd_cluster.h"

namespace hirs::replication {
namespace {

std::unique_ptr<Etcd> ConnectTo(const std::vector<std::string>& endpoints) {
  EtcdOptions options;
  options.endpoints = endpoints;
  options.call_timeout = absl::Seconds(3);
  auto etcd = Etcd::Connect(options);
  EXPECT_TRUE(etcd.ok()) << etcd.status();
  return std::move(*etcd);
}

// A transaction putting `key` = `value` only if `key` does not exist.
etcdserverpb::TxnRequest CreateIfAbsent(const std::string& key, const std::string& value, int64_t lease = 0) {
  etcdserverpb::TxnRequest txn;
  RequireCreateRevision(&txn, key, 0);
  auto* put = txn.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(value);
  put->set_lease(lease);
  return txn;
}

std::optional<std::string> Get(const Etcd& etcd, const std::string& key) {
  etcdserverpb::RangeRequest range;
  range.set_key(key);
  auto got = etcd.Range(range);
  EXPECT_TRUE(got.ok()) << got.status();
  if (!got.ok() || got->kvs_size() == 0) return std::nullopt;
  return got->kvs(0).value();
}

TEST(Etcd, ConnectRefusesWhatIsNotAnEndpointList) {
  EtcdOptions options;
  EXPECT_EQ(Etcd::Connect(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.endpoints = {"127.0.0.1:2379"};
  EXPECT_EQ(Etcd::Connect(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.endpoints = {"http://127.0.0.1:2379", "https://127.0.0.1:2380"};
  EXPECT_EQ(Etcd::Connect(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.endpoints = {"http://etcd-a:2379", "http://etcd-b:2379"};
  EXPECT_EQ(Etcd::Connect(options).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PrefixEnd("a/b"), "a/c");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
}

TEST(Etcd, ACreateIfAbsentTransactionSucceedsOnce) {
  testing::EtcdCluster cluster(1);
  auto etcd = ConnectTo(cluster.endpoints());
  auto first = etcd->Txn(CreateIfAbsent("/t/leader", "a"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->succeeded());
  auto second = etcd->Txn(CreateIfAbsent("/t/leader", "b"));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->succeeded());
  EXPECT_EQ(Get(*etcd, "/t/leader"), "a");
}

TEST(Etcd, AKeyBoundToALeaseGoesWhenTheLeaseExpiresOrIsRevoked) {
  testing::EtcdCluster cluster(1);
  auto etcd = ConnectTo(cluster.endpoints());
  auto lease = etcd->GrantLease(absl::Seconds(2));
  ASSERT_TRUE(lease.ok()) << lease.status();
  ASSERT_TRUE(etcd->Txn(CreateIfAbsent("/t/held", "x", *lease)).ok());
  // Renewed, it stays past its TTL.
  for (int i = 0; i < 4; ++i) {
    absl::SleepFor(absl::Milliseconds(700));
    auto ttl = etcd->KeepAlive(*lease, absl::Seconds(1));
    ASSERT_TRUE(ttl.ok()) << ttl.status();
    EXPECT_GE(*ttl, absl::Seconds(1));
  }
  EXPECT_EQ(Get(*etcd, "/t/held"), "x");
  // Left alone, it expires and the key goes with it.
  absl::SleepFor(absl::Seconds(3));
  EXPECT_EQ(Get(*etcd, "/t/held"), std::nullopt);
  EXPECT_EQ(etcd->KeepAlive(*lease, absl::Seconds(1)).status().code(), absl::StatusCode::kNotFound);
  auto other = etcd->GrantLease(absl::Seconds(30));
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(etcd->Txn(CreateIfAbsent("/t/held", "y", *other)).ok());
  ASSERT_TRUE(etcd->RevokeLease(*other).ok());
  EXPECT_EQ(Get(*etcd, "/t/held"), std::nullopt);
}

TEST(Etcd, AWatchSeesEveryChangeFromItsRevisionInOrder) {
  testing::EtcdCluster cluster(1);
  auto etcd = ConnectTo(cluster.endpoints());
  etcdserverpb::PutRequest put;
  put.set_key("/w/0");
  put.set_value("0");
  auto first = etcd->Put(put);
  ASSERT_TRUE(first.ok());
  for (int i = 1; i < 5; ++i) {
    put.set_key(absl::StrCat("/w/", i));
    put.set_value(absl::StrCat(i));
    ASSERT_TRUE(etcd->Put(put).ok());
  }
  put.set_key("/elsewhere");
  ASSERT_TRUE(etcd->Put(put).ok());
  std::mutex mu;
  std::vector<std::string> seen;
  absl::Notification five;
  auto watch = etcd->WatchPrefix(
      "/w/", first->header().revision(),
      [&](const etcdserverpb::WatchResponse& r) {
        std::lock_guard<std::mutex> lock(mu);
        for (const auto& e : r.events()) seen.push_back(e.kv().value());
        if (seen.size() == 5 && !five.HasBeenNotified()) five.Notify();
      },
      [](const absl::Status&) {});
  ASSERT_TRUE(five.WaitForNotificationWithTimeout(absl::Seconds(10)));
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_THAT(seen, ::testing::ElementsAre("0", "1", "2", "3", "4"));
  }
  watch->Stop();

  // From a compacted revision the watch ends, saying so.
  auto latest = etcd->Put(put);
  ASSERT_TRUE(latest.ok());
  ASSERT_TRUE(etcd->Compact(latest->header().revision()).ok());
  absl::Notification ended;
  absl::Status why;
  auto late = etcd->WatchPrefix(
      "/w/", first->header().revision(), [](const etcdserverpb::WatchResponse&) {},
      [&](const absl::Status& s) {
        why = s;
        ended.Notify();
      });
  ASSERT_TRUE(ended.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(why.code(), absl::StatusCode::kOutOfRange) << why;
}

TEST(Etcd, CallsGoOnWhenAMemberDies) {
  testing::EtcdCluster cluster(3);
  auto etcd = ConnectTo(cluster.endpoints());
  ASSERT_TRUE(etcd->Txn(CreateIfAbsent("/f/0", "before")).ok());
  cluster.Kill(0);
  int ok = 0;
  for (int i = 1; i <= 10; ++i) {
    absl::StatusOr<etcdserverpb::TxnResponse> r;
    for (int attempt = 0; attempt < 3; ++attempt) {  // a call to the dead member is refused at once
      r = etcd->Txn(CreateIfAbsent(absl::StrCat("/f/", i), "after"));
      if (r.ok()) break;
    }
    ok += r.ok() && r->succeeded();
  }
  EXPECT_EQ(ok, 10);
  cluster.Restart(0);
  EXPECT_EQ(Get(*etcd, "/f/0"), "before");
}

TEST(Etcd, OverTlsOnlyAClientWithACertificateOfTheCaIsServed) {
  testing::TempDir certs;
  ASSERT_EQ(
      std::system(
          absl::StrCat(HIRS_SOURCE_DIR, "/deploy/dev-certs.sh ", certs.path(), " probe replica-a >/dev/null").c_str()),
      0);
  testing::EtcdCluster cluster(3, certs.path());
  EtcdOptions options;
  options.endpoints = cluster.endpoints();
  options.call_timeout = absl::Seconds(3);
  options.ca_file = certs.path() + "/ca.pem";
  options.cert_file = certs.path() + "/client-replica-a.pem";
  options.key_file = certs.path() + "/client-replica-a.key";
  auto with_certificate = Etcd::Connect(options);
  ASSERT_TRUE(with_certificate.ok()) << with_certificate.status();
  auto created = (*with_certificate)->Txn(CreateIfAbsent("/tls/a", "x"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(created->succeeded());
  options.cert_file.clear();
  options.key_file.clear();
  auto without = Etcd::Connect(options);
  ASSERT_TRUE(without.ok());
  EXPECT_FALSE((*without)->Txn(CreateIfAbsent("/tls/b", "y")).ok());
  options.cert_file = "/nonexistent.pem";
  EXPECT_EQ(Etcd::Connect(options).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hirs::replication
