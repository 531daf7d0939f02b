#include "services/server/replica.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <filesystem>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "services/collation/keyed_hasher.h"
#include "services/http/gateway.h"
#include "services/replication/snapshot.h"
#include "services/rpc/rpc.h"
#include "services/server/settings.h"

namespace hirs::server {
namespace {

// Every gRPC method but health: NOT_LEADER.
class NotLeaderService : public grpc::CallbackGenericService {
 public:
  explicit NotLeaderService(const replication::ReplicatedLog* log) : log_(log) {}
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override {
    class Reactor : public grpc::ServerGenericBidiReactor {
     public:
      explicit Reactor(const absl::Status& status) { Finish(rpc::ToGrpcStatus(status)); }
      void OnDone() override { delete this; }
    };
    return new Reactor(replication::NotLeaderError(log_->leader()));
  }

 private:
  const replication::ReplicatedLog* const log_;
};

// The credentials a replica calls its leader with: its listener's kind
// (plaintext on loopback, or TLS with its own certificate as the client's).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> LeaderCredentials(const ServerOptions& options) {
  if (options.tls_cert_file.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ASSIGN_OR_RETURN(ssl.pem_cert_chain, replication::ReadPem(options.tls_cert_file));
  ASSIGN_OR_RETURN(ssl.pem_private_key, replication::ReadPem(options.tls_key_file));
  if (!options.tls_client_ca_file.empty()) {
    ASSIGN_OR_RETURN(ssl.pem_root_certs, replication::ReadPem(options.tls_client_ca_file));
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace

// A follower's listeners.
class FollowerFront {
 public:
  explicit FollowerFront(const replication::ReplicatedLog* log) : not_leader_(log) {}
  ~FollowerFront() {
    if (http_ != nullptr) http_->Stop();
    if (grpc_ != nullptr) grpc_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    if (health_ != nullptr) health_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  }

  // Binds `options`' listeners, setting their ports where they were 0.
  absl::Status Start(ServerOptions* options) {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    int port = 0;
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = Credentials(*options);
    if (!credentials.ok()) return credentials.status();
    builder.AddListeningPort(options->listen, *credentials, &port);
    builder.RegisterCallbackGenericService(&not_leader_);
    grpc_ = builder.BuildAndStart();
    if (grpc_ == nullptr || port == 0)
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options->listen));
    grpc_->GetHealthCheckService()->SetServingStatus(false);
    options->listen = BoundAddress(options->listen, port);
    if (!options->health_listen.empty()) {  // Kubernetes' probes: NOT_SERVING here too
      grpc::ServerBuilder health;
      int health_port = 0;
      health.AddListeningPort(options->health_listen, grpc::InsecureServerCredentials(), &health_port);
      health_ = health.BuildAndStart();
      if (health_ == nullptr || health_port == 0) {
        return absl::UnavailableError(absl::StrCat("cannot listen on ", options->health_listen));
      }
      health_->GetHealthCheckService()->SetServingStatus(false);
      options->health_listen = BoundAddress(options->health_listen, health_port);
    }
    if (options->http_listen.empty()) return absl::OkStatus();
    // The HTTP door over this front's gRPC: every call answers NOT_LEADER
    // naming the leader, /readyz is NOT_SERVING; TLS as the leader's.
    http::GatewayOptions http;
    SetGatewayListener(*options, &http);
    http.threads = std::min(http.threads, 8);
    grpc::ChannelArguments args;
    ASSIGN_OR_RETURN(http_, http::Gateway::Start(http, grpc_->InProcessChannel(args), [] { return false; }));
    options->http_listen = http_->address();
    return absl::OkStatus();
  }

 private:
  NotLeaderService not_leader_;
  std::unique_ptr<grpc::Server> grpc_;
  std::unique_ptr<grpc::Server> health_;
  std::unique_ptr<http::Gateway> http_;
};

absl::StatusOr<std::unique_ptr<Replica>> Replica::Start(const ServerOptions& options) {
  RETURN_IF_ERROR(ValidateOptions(options));
  std::unique_ptr<Replica> r(new Replica());
  r->options_ = options;
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create data dir ", options.data_dir, ": ", ec.message()));
  ASSIGN_OR_RETURN(r->store_, storage::Store::Open(StoreOptionsOf(options)));
  // Entries are sealed with a key derived from the HMAC key, which every
  // replica holds alike; so is the secret a snapshot is asked with.
  ASSIGN_OR_RETURN(collation::KeyedHasher hasher, collation::KeyedHasher::LoadOrCreate(options.hmac_key_file));
  ASSIGN_OR_RETURN(replication::Sealer sealer, replication::Sealer::WithKey(hasher.Mac("replicated-log-sealing", {})));
  r->sealer_ = std::make_unique<replication::Sealer>(std::move(sealer));
  r->replica_secret_ = hasher.Mac(replication::kReplicaSecretLabel, {});
  replication::EtcdOptions etcd;
  etcd.endpoints = options.etcd_endpoints;
  etcd.ca_file = options.etcd_ca_file;
  etcd.cert_file = options.etcd_cert_file;
  etcd.key_file = options.etcd_key_file;
  ASSIGN_OR_RETURN(r->etcd_, replication::Etcd::Connect(etcd));
  RETURN_IF_ERROR(r->ServeMetrics());
  RETURN_IF_ERROR(r->StartLog());
  LogInfo(absl::StrCat("hirsd replica ", options.replica_id, " of cluster ", options.cluster, " following on ",
                       r->options_.listen));
  return r;
}

absl::Status Replica::StartLog() {
  replication::LogOptions log;
  log.cluster = options_.cluster;
  log.replica_id = options_.replica_id;
  log.advertise = options_.advertise;
  log.lease_ttl = options_.replication_lease;
  log.keep_entries = options_.replication_keep_entries;
  log.truncate_every = options_.replication_truncate_every;
  log_ = std::make_unique<replication::ReplicatedLog>(etcd_.get(), store_.get(), sealer_.get(), log,
                                                      [this](bool leading) { OnRole(leading); });
  log_->OnTruncatedPast([this] { OnTruncatedPast(); });
  store_->SetWriteLog(log_.get());
  RETURN_IF_ERROR(StartFront());
  log_->Start();
  return absl::OkStatus();
}

Replica::~Replica() {
  Shutdown();
  metrics_.reset();  // its scrapes read the store, under mu_
}

absl::Status Replica::ServeMetrics() {
  metrics_ = std::make_unique<metrics::Metrics>();
  if (options_.metrics_listen.empty()) return absl::OkStatus();
  metrics::Sources sources = StoreMetricSources([this](const auto& use) {
    std::lock_guard<std::mutex> lock(mu_);
    if (store_ != nullptr) use(*store_);
  });
  sources.watchers = [this] {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int64_t>(server_ != nullptr ? server_->open_watches() : 0);
  };
  RETURN_IF_ERROR(metrics_->Serve(options_.metrics_listen, std::move(sources)));
  metrics_address_ = BoundAddress(options_.metrics_listen, metrics_->port());
  LogInfo(absl::StrCat("metrics on ", metrics_address_, "/metrics"));
  return absl::OkStatus();
}

bool Replica::leading() const {
  std::lock_guard<std::mutex> lock(mu_);
  return server_ != nullptr;
}

int Replica::reseeds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reseeds_;
}

absl::StatusOr<uint64_t> Replica::applied_index() const {
  std::lock_guard<std::mutex> lock(mu_);
  return store_->LastAppliedIndex();
}

void Replica::OnTruncatedPast() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_ || reseeding_) return;
  reseeding_ = true;
  if (reseeder_.joinable()) reseeder_.join();  // the previous one has finished
  reseeder_ = std::thread([this] { Reseed(); });
}

void Replica::Reseed() {
  absl::Duration backoff = absl::Seconds(1);
  for (;;) {
    const absl::Status done = ReseedOnce();
    std::unique_lock<std::mutex> lock(mu_);
    if (done.ok() || stopping_) {
      reseeding_ = false;
      return;
    }
    LogError(absl::StrCat("replication: re-seeding from the leader failed (", done.ToString(), "); retrying in ",
                          absl::FormatDuration(backoff)));
    lock.unlock();
    for (absl::Time until = absl::Now() + backoff; absl::Now() < until && !stopping();) {
      absl::SleepFor(absl::Milliseconds(100));
    }
    backoff = std::min(backoff * 2, absl::Seconds(30));
  }
}

absl::Status Replica::ReseedOnce() {
  replication::FetchOptions fetch;
  ASSIGN_OR_RETURN(fetch.leader, log_->ReadLeader());
  if (fetch.leader.empty()) return absl::UnavailableError("no replica leads yet");
  ASSIGN_OR_RETURN(fetch.credentials, LeaderCredentials(options_));
  fetch.secret = replica_secret_;
  fetch.replica_id = options_.replica_id;
  fetch.stopping = [this] { return stopping(); };
  const std::string fresh = options_.data_dir + "/db.reseed";
  std::error_code ec;
  std::filesystem::remove_all(fresh, ec);
  LogInfo(absl::StrCat("replication: re-seeding this replica from the leader at ", fetch.leader));
  const absl::Time began = absl::Now();
  ASSIGN_OR_RETURN(uint64_t bytes, replication::FetchSnapshot(fetch, fresh));
  RETURN_IF_ERROR(SwapStore(fresh));
  LogInfo(absl::StrCat("replication: re-seeded from a snapshot of ", bytes, " bytes in ",
                       absl::FormatDuration(absl::Now() - began), "; following the log from index ",
                       store_->LastAppliedIndex().value_or(0)));
  return absl::OkStatus();
}

absl::Status Replica::SwapStore(const std::string& fresh) {
  log_->Stop();  // not under mu_: its thread may be waiting for it
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return absl::CancelledError("the replica is stopping");
  front_.reset();
  store_->SetWriteLog(nullptr);
  log_.reset();
  store_.reset();
  const std::string db = StoreOptionsOf(options_).path;
  const std::string old = db + ".replaced";
  std::error_code ec;
  std::filesystem::remove_all(old, ec);
  std::filesystem::rename(db, old, ec);
  if (!ec) std::filesystem::rename(fresh, db, ec);
  absl::StatusOr<std::unique_ptr<storage::Store>> opened =
      ec ? absl::UnavailableError(absl::StrCat("cannot move the snapshot into place: ", ec.message()))
         : storage::Store::Open(StoreOptionsOf(options_));
  absl::Status swapped = opened.status();
  if (opened.ok()) {
    store_ = *std::move(opened);
    std::filesystem::remove_all(old, ec);
    ++reseeds_;
  } else {  // back to the old store, to try again
    std::filesystem::remove_all(db + ".unusable", ec);
    std::filesystem::rename(db, db + ".unusable", ec);
    std::filesystem::rename(old, db, ec);
    ASSIGN_OR_RETURN(store_, storage::Store::Open(StoreOptionsOf(options_)));
  }
  RETURN_IF_ERROR(StartLog());
  return swapped;
}

absl::Status Replica::StartFront() {
  auto front = std::make_unique<FollowerFront>(log_.get());
  // The leader's listeners may take a moment to release the ports.
  absl::Status started;
  for (int attempt = 0; attempt < 50; ++attempt) {
    started = front->Start(&options_);
    if (started.ok()) break;
    front = std::make_unique<FollowerFront>(log_.get());
    absl::SleepFor(absl::Milliseconds(100));
  }
  RETURN_IF_ERROR(started);
  front_ = std::move(front);
  return absl::OkStatus();
}

void Replica::OnRole(bool leading) {
  std::lock_guard<std::mutex> lock(mu_);
  if (leading) {
    front_.reset();  // frees the ports for the server
    absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(options_, store_.get(), metrics_.get());
    if (!server.ok()) {
      // Without a server this replica must not hold the leadership: exit,
      // so that the lease lapses and another replica leads.
      LogError(absl::StrCat("hirsd replica cannot serve as leader: ", server.status().ToString()));
      std::_Exit(1);
    }
    server_ = *std::move(server);
    LogInfo(absl::StrCat("hirsd replica ", options_.replica_id, " leads, serving on ", options_.listen));
    return;
  }
  if (server_ != nullptr) {
    server_->Shutdown(absl::Seconds(1));
    server_.reset();
  }
  if (!stopping_) {
    absl::Status front = StartFront();
    if (!front.ok()) LogError(absl::StrCat("hirsd replica cannot listen as a follower: ", front.ToString()));
  }
}

bool Replica::stopping() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopping_;
}

void Replica::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (reseeder_.joinable()) reseeder_.join();  // it sees stopping_ within a piece
  if (log_ != nullptr) log_->Stop();           // resigns; OnRole(false) stops the server
  std::lock_guard<std::mutex> lock(mu_);
  if (server_ != nullptr) {
    server_->Shutdown(absl::Seconds(1));
    server_.reset();
  }
  front_.reset();
  store_->SetWriteLog(nullptr);
  log_.reset();
}

}  // namespace hirs::server
