// Replicated hirsd (services/server/replica.h) in-process over a real etcd:
// a replica that was away longer than the log keeps, and a new replica
// with an empty store, re-seed themselves from the leader's store and
// follow the log from there; the snapshot is only for the cluster; each
// replica serves its metrics on one listener, following or leading; a
// follower with TLS answers HTTPS naming the leader.
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "hirs/replication/v1/replica_service.grpc.pb.h"
#include "hirs/v1/reporting_service.grpc.pb.h"
#include "httplib.h"
#include "services/collation/keyed_hasher.h"
#include "services/replication/etcd.h"
#include "services/replication/snapshot.h"
#include "services/server/replica.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/test_support.h"

namespace hirs::server {
namespace {

using testing::Eventually;

// Replicas of cluster "test" sharing one principals file and HMAC key.
class Cluster {
 public:
  explicit Cluster(const testing::EtcdCluster& etcd) : etcd_(etcd) {
    principals_ = testing::WritePrincipals(dir_.path());
    hmac_key_ = dir_.path() + "/hmac.key";
    (void)collation::KeyedHasher::LoadOrCreate(hmac_key_).value();
  }

  ServerOptions Options(const std::string& id) {
    ServerOptions o;
    const int port = testing::FreeLoopbackPort();
    o.listen = absl::StrCat("127.0.0.1:", port);
    o.advertise = o.listen;
    o.data_dir = absl::StrCat(dir_.path(), "/", id);
    o.principals_file = principals_;
    o.hmac_key_file = hmac_key_;
    o.worker_threads = 4;
    o.replication = "etcd";
    o.etcd_endpoints = etcd_.endpoints();
    o.replica_id = id;
    o.cluster = "test";
    o.replication_lease = absl::Seconds(2);
    o.replication_keep_entries = 5;
    o.replication_truncate_every = absl::Milliseconds(200);
    return o;
  }

  std::unique_ptr<Replica> Start(const ServerOptions& options) {
    auto replica = Replica::Start(options);
    EXPECT_TRUE(replica.ok()) << replica.status();
    return replica.ok() ? *std::move(replica) : nullptr;
  }

  // The log's first kept index as etcd holds it (1 before any truncation).
  uint64_t FirstKept() {
    replication::EtcdOptions options;
    options.endpoints = etcd_.endpoints();
    auto client = replication::Etcd::Connect(options).value();
    etcdserverpb::RangeRequest range;
    range.set_key("/hirs/test/first");
    auto read = client->Range(range);
    uint64_t first = 1;
    if (read.ok() && read->kvs_size() > 0) (void)absl::SimpleAtoi(read->kvs(0).value(), &first);
    return first;
  }

  std::string secret() const {
    return collation::KeyedHasher::LoadOrCreate(hmac_key_).value().Mac(replication::kReplicaSecretLabel, {});
  }
  const std::string& dir() const { return dir_.path(); }

 private:
  const testing::EtcdCluster& etcd_;
  testing::TempDir dir_;
  std::string principals_;
  std::string hmac_key_;
};

// Submits a report to `address` with `request_id`; the stored report's id.
std::string Submit(const std::string& address, const std::string& request_id) {
  auto stub = hirs::v1::ReportingService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  auto context = testing::ContextWithToken(testing::kCentreAToken);
  hirs::v1::SubmitReportResponse response;
  const grpc::Status status =
      stub->SubmitReport(context.get(), testing::Request(testing::ValidReport(), request_id), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.report_id();
}

uint64_t Applied(const Replica& replica) { return replica.applied_index().value_or(0); }

std::vector<std::string> StoreEntries(const std::string& data_dir) {
  storage::StoreOptions options;
  options.path = data_dir + "/db";
  auto store = storage::Store::Open(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? testing::EveryEntry(**store) : std::vector<std::string>();
}

TEST(Replica, ReplicasBehindTheTruncatedLogReseedThemselvesFromTheLeaderAndFollowOn) {
  testing::EtcdCluster etcd(1);
  Cluster cluster(etcd);
  const ServerOptions a_options = cluster.Options("a");
  const ServerOptions b_options = cluster.Options("b");
  const ServerOptions c_options = cluster.Options("c");
  std::unique_ptr<Replica> a = cluster.Start(a_options);
  ASSERT_TRUE(Eventually([&] { return a->leading(); }));
  std::unique_ptr<Replica> b = cluster.Start(b_options);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(Submit(a->address(), absl::StrCat("early-", i)));
  ASSERT_TRUE(Eventually([&] { return Applied(*b) == Applied(*a); }));

  // b stops; the log moves on and is truncated past it.
  const uint64_t b_applied = Applied(*b);
  b.reset();
  for (int i = 0; i < 12; ++i) ids.push_back(Submit(a->address(), absl::StrCat("while-away-", i)));
  ASSERT_TRUE(Eventually([&] { return cluster.FirstKept() > b_applied + 1; })) << cluster.FirstKept();

  // b comes back, and c joins with an empty store: both re-seed.
  b = cluster.Start(b_options);
  std::unique_ptr<Replica> c = cluster.Start(c_options);
  ASSERT_TRUE(Eventually([&] { return b->reseeds() == 1 && c->reseeds() == 1; }, absl::Seconds(30)));
  ASSERT_TRUE(Eventually([&] { return Applied(*b) == Applied(*a) && Applied(*c) == Applied(*a); }));
  // And follow the log from there.
  for (int i = 0; i < 3; ++i) ids.push_back(Submit(a->address(), absl::StrCat("after-", i)));
  ASSERT_TRUE(Eventually([&] { return Applied(*b) == Applied(*a) && Applied(*c) == Applied(*a); }));
  EXPECT_EQ(b->reseeds(), 1);
  EXPECT_EQ(c->reseeds(), 1);

  // The leader goes; a re-seeded replica leads and holds every report,
  // under the id it was acknowledged with.
  a.reset();
  ASSERT_TRUE(Eventually([&] { return b->leading() || c->leading(); }));
  const std::string leader = b->leading() ? b->address() : c->address();
  EXPECT_EQ(Submit(leader, "early-0"), ids[0]);
  EXPECT_EQ(Submit(leader, "while-away-11"), ids[14]);
  ASSERT_TRUE(Eventually([&] { return Applied(*b) == Applied(*c); }));

  // Every family of every store alike, at the same applied index.
  b.reset();
  c.reset();
  const std::vector<std::string> b_entries = StoreEntries(b_options.data_dir);
  EXPECT_FALSE(b_entries.empty());
  EXPECT_EQ(StoreEntries(c_options.data_dir), b_entries);
}

TEST(Replica, ASingleNodesStoreBecomesTheClustersBaseAndAnEmptyReplicaReseedsFromIt) {
  testing::EtcdCluster etcd(1);
  Cluster cluster(etcd);
  const ServerOptions a_options = cluster.Options("a");
  ServerOptions single = a_options;  // the same store, served as a single node first
  single.replication.clear();
  single.etcd_endpoints.clear();
  single.replica_id.clear();
  single.cluster.clear();
  std::string report_id;
  {
    auto server = Server::Start(single);
    ASSERT_TRUE(server.ok()) << server.status();
    report_id = Submit((*server)->address(), "before-replication");
  }
  std::unique_ptr<Replica> a = cluster.Start(a_options);
  ASSERT_TRUE(Eventually([&] { return a->leading(); }));
  EXPECT_EQ(cluster.FirstKept(), 2u);
  std::unique_ptr<Replica> b = cluster.Start(cluster.Options("b"));
  ASSERT_TRUE(Eventually([&] { return b->reseeds() == 1; }, absl::Seconds(30)));
  Submit(a->address(), "after");
  ASSERT_TRUE(Eventually([&] { return Applied(*b) == Applied(*a); }));
  a.reset();
  ASSERT_TRUE(Eventually([&] { return b->leading(); }));
  EXPECT_EQ(Submit(b->address(), "before-replication"), report_id);
}

TEST(Replica, TheLeadersSnapshotIsOnlyForTheClustersReplicas) {
  testing::EtcdCluster etcd(1);
  Cluster cluster(etcd);
  std::unique_ptr<Replica> a = cluster.Start(cluster.Options("a"));
  ASSERT_TRUE(Eventually([&] { return a->leading(); }));
  Submit(a->address(), "one");
  auto stub = hirs::replication::v1::ReplicaService::NewStub(
      grpc::CreateChannel(a->address(), grpc::InsecureChannelCredentials()));
  for (const std::string& key : {std::string(), absl::BytesToHexString(std::string(32, 'x'))}) {
    grpc::ClientContext context;
    if (!key.empty()) context.AddMetadata(replication::kReplicaKeyMetadata, key);
    hirs::replication::v1::FetchSnapshotRequest request;
    auto reader = stub->FetchSnapshot(&context, request);
    hirs::replication::v1::FetchSnapshotResponse piece;
    EXPECT_FALSE(reader->Read(&piece));
    const grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  }

  // With the cluster's secret: a store at the leader's applied index.
  replication::FetchOptions fetch;
  fetch.leader = a->address();
  fetch.credentials = grpc::InsecureChannelCredentials();
  fetch.secret = cluster.secret();
  fetch.replica_id = "tool";
  const std::string into = cluster.dir() + "/fetched";
  auto bytes = replication::FetchSnapshot(fetch, into + "/db");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_GT(*bytes, 0u);
  const uint64_t applied = Applied(*a);
  a.reset();
  storage::StoreOptions options;
  options.path = into + "/db";
  auto store = storage::Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->LastAppliedIndex().value(), applied);
  // A second fetch into the same directory is refused, not merged.
  EXPECT_EQ(replication::FetchSnapshot(fetch, into + "/db").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Replica, EachReplicaServesMetricsOnOneListenerWhetherFollowingOrLeading) {
  testing::EtcdCluster etcd(1);
  Cluster cluster(etcd);
  ServerOptions a_options = cluster.Options("a"), b_options = cluster.Options("b");
  a_options.metrics_listen = b_options.metrics_listen = "127.0.0.1:0";
  std::unique_ptr<Replica> a = cluster.Start(a_options);
  ASSERT_TRUE(Eventually([&] { return a->leading(); }));
  std::unique_ptr<Replica> b = cluster.Start(b_options);
  const auto port_of = [](const std::string& address) {
    int port = 0;
    EXPECT_TRUE(absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port)) << address;
    return port;
  };
  const int a_port = port_of(a->metrics_address()), b_port = port_of(b->metrics_address());
  Submit(a->address(), "before");
  // The leader counts its calls; the follower shows its own store.
  EXPECT_NE(testing::ScrapeMetrics(a_port).find("grpc_method=\"SubmitReport\""), std::string::npos);
  const std::string following = testing::ScrapeMetrics(b_port);
  EXPECT_NE(following.find("hirs_store_disk_free_bytes"), std::string::npos) << following;
  EXPECT_EQ(following.find("grpc_method=\"SubmitReport\""), std::string::npos);

  // The leader goes: b leads, serving its metrics on the same listener,
  // now with its calls.
  a.reset();
  ASSERT_TRUE(Eventually([&] { return b->leading(); }));
  EXPECT_EQ(port_of(b->metrics_address()), b_port);
  Submit(b->address(), "after");
  const std::string leading = testing::ScrapeMetrics(b_port);
  EXPECT_NE(leading.find("grpc_method=\"SubmitReport\""), std::string::npos) << leading;
  EXPECT_NE(leading.find("hirs_rocksdb"), std::string::npos);
}

TEST(Replica, AFollowerWithTlsAnswersHttpsNamingTheLeader) {
  testing::EtcdCluster etcd(1);
  Cluster cluster(etcd);
  const std::string certs = cluster.dir() + "/certs";
  const std::string make = absl::StrCat(HIRS_SOURCE_DIR, "/deploy/dev-certs.sh ", certs, " centre-a >/dev/null");
  ASSERT_EQ(std::system(make.c_str()), 0) << make;
  const auto with_tls = [&](ServerOptions o) {
    o.tls_cert_file = certs + "/server.pem";
    o.tls_key_file = certs + "/server.key";
    o.tls_client_ca_file = certs + "/ca.pem";
    o.http_listen = "127.0.0.1:0";
    return o;
  };
  std::unique_ptr<Replica> a = cluster.Start(with_tls(cluster.Options("a")));
  ASSERT_TRUE(Eventually([&] { return a->leading(); }));
  std::unique_ptr<Replica> b = cluster.Start(with_tls(cluster.Options("b")));
  ASSERT_FALSE(b->leading());
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(b->http_address().substr(b->http_address().rfind(':') + 1), &port)) << b->http_address();
  httplib::SSLClient client("localhost", port);
  client.set_ca_cert_path((certs + "/ca.pem").c_str());
  client.enable_server_certificate_verification(true);
  client.set_connection_timeout(5, 0);
  auto ready = client.Get("/readyz");
  ASSERT_TRUE(ready) << httplib::to_string(ready.error());
  EXPECT_EQ(ready->status, 503);
  auto call = client.Get("/v1/reports", {{"Authorization", "Bearer token-centre-a"}});
  ASSERT_TRUE(call);
  EXPECT_EQ(call->status, 503);
  EXPECT_NE(call->body.find(absl::StrCat("the leader is ", a->address())), std::string::npos) << call->body;
  httplib::Client plain("127.0.0.1", port);  // plaintext to the TLS port gets nothing
  plain.set_read_timeout(5, 0);
  EXPECT_FALSE(plain.Get("/healthz"));
}

}  // namespace
}  // namespace hirs::server
