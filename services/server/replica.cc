#include "services/server/replica.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <filesystem>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "httplib.h"
#include "services/collation/keyed_hasher.h"
#include "services/http/errors.h"
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

}  // namespace

// A follower's listeners.
class FollowerFront {
 public:
  FollowerFront(const replication::ReplicatedLog* log) : not_leader_(log), log_(log) {}
  ~FollowerFront() {
    if (http_ != nullptr) {
      http_->stop();
      if (http_thread_.joinable()) http_thread_.join();
    }
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
    if (options->http_listen.empty() || !options->tls_cert_file.empty()) return absl::OkStatus();
    http_ = std::make_unique<httplib::Server>();
    http_->Get("/healthz",
               [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
    http_->set_error_handler([](const httplib::Request&, httplib::Response&) {});
    auto refuse = [this](const httplib::Request&, httplib::Response& res) {
      http::AnswerError(res, rpc::ToRpcStatus(replication::NotLeaderError(log_->leader())));
    };
    for (const char* pattern : {"/readyz", "/(.*)"}) {
      http_->Get(pattern, refuse);
      http_->Post(pattern, refuse);
      http_->Patch(pattern, refuse);
      http_->Delete(pattern, refuse);
    }
    const std::string host = options->http_listen.substr(0, options->http_listen.rfind(':'));
    int http_port = 0;
    if (!absl::SimpleAtoi(options->http_listen.substr(options->http_listen.rfind(':') + 1), &http_port)) {
      return absl::InvalidArgumentError(absl::StrCat("--http_listen ", options->http_listen, " is not HOST:PORT"));
    }
    http_port =
        http_port == 0 ? http_->bind_to_any_port(host) : (http_->bind_to_port(host, http_port) ? http_port : -1);
    if (http_port <= 0) return absl::UnavailableError(absl::StrCat("cannot listen on ", options->http_listen));
    options->http_listen = BoundAddress(options->http_listen, http_port);
    http_thread_ = std::thread([this] { http_->listen_after_bind(); });
    return absl::OkStatus();
  }

 private:
  NotLeaderService not_leader_;
  const replication::ReplicatedLog* const log_;
  std::unique_ptr<grpc::Server> grpc_;
  std::unique_ptr<grpc::Server> health_;
  std::unique_ptr<httplib::Server> http_;
  std::thread http_thread_;
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
  // replica holds alike.
  ASSIGN_OR_RETURN(collation::KeyedHasher hasher, collation::KeyedHasher::LoadOrCreate(options.hmac_key_file));
  ASSIGN_OR_RETURN(replication::Sealer sealer, replication::Sealer::WithKey(hasher.Mac("replicated-log-sealing", {})));
  r->sealer_ = std::make_unique<replication::Sealer>(std::move(sealer));
  replication::EtcdOptions etcd;
  etcd.endpoints = options.etcd_endpoints;
  etcd.ca_file = options.etcd_ca_file;
  etcd.cert_file = options.etcd_cert_file;
  etcd.key_file = options.etcd_key_file;
  ASSIGN_OR_RETURN(r->etcd_, replication::Etcd::Connect(etcd));
  replication::LogOptions log;
  log.cluster = options.cluster;
  log.replica_id = options.replica_id;
  log.advertise = options.advertise;
  log.lease_ttl = options.replication_lease;
  Replica* raw = r.get();
  r->log_ = std::make_unique<replication::ReplicatedLog>(r->etcd_.get(), r->store_.get(), r->sealer_.get(), log,
                                                         [raw](bool leading) { raw->OnRole(leading); });
  r->store_->SetWriteLog(r->log_.get());
  RETURN_IF_ERROR(r->StartFront());
  LogInfo(absl::StrCat("hirsd replica ", options.replica_id, " of cluster ", options.cluster, " following on ",
                       r->options_.listen));
  r->log_->Start();
  return r;
}

Replica::~Replica() { Shutdown(); }

bool Replica::leading() const {
  std::lock_guard<std::mutex> lock(mu_);
  return server_ != nullptr;
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
    absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(options_, store_.get());
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

void Replica::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (log_ != nullptr) log_->Stop();  // resigns; OnRole(false) stops the server
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
