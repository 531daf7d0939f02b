#include "services/server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/worker_pool.h"
#include "grpc/health/v1/health.pb.h"
#include "hirs/v1/admin_service.grpc.pb.h"
#include "hirs/v1/case_service.grpc.pb.h"
#include "hirs/v1/extract_service.grpc.pb.h"
#include "services/admin/admin_service.h"
#include "services/audit/audit_log.h"
#include "services/auth/directory.h"
#include "services/auth/people.h"
#include "services/cases/case_service.h"
#include "services/cases/cases.h"
#include "services/collation/case_aggregate.h"
#include "services/collation/keyed_hasher.h"
#include "services/collation/probabilistic_collator.h"
#include "services/extracts/extract_service.h"
#include "services/http/gateway.h"
#include "services/intake/intake.h"
#include "services/intake/postcode.h"
#include "services/intake/reporting_service.h"
#include "services/pages/site.h"
#include "services/records/migrations.h"
#include "services/replication/snapshot.h"
#include "services/retention/retention.h"
#include "services/rpc/gate.h"
#include "services/rpc/unparseable.h"
#include "services/server/settings.h"
#include "services/sessions/session_service.h"
#include "storage/store.h"

namespace hirs::server {

// Members are declared in dependency order, so they are destroyed in the
// reverse: the gRPC server first, the store last.
struct Server::State {
  ServerOptions options;
  std::unique_ptr<storage::Store> owned_store;  // null when served from a store it was given
  storage::Store* store = nullptr;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<metrics::Metrics> owned_metrics;
  metrics::Metrics* metrics = nullptr;  // owned_metrics, or the replica's
  std::unique_ptr<auth::PrincipalDirectory> principals;
  std::unique_ptr<auth::People> people;
  std::unique_ptr<rpc::CallGate> gate;
  std::unique_ptr<intake::DistrictRouter> router;
  std::unique_ptr<collation::KeyedHasher> hasher;
  std::unique_ptr<collation::Collator> collator;
  storage::CaseLocks locks;
  std::unique_ptr<intake::Intake> intake;
  std::unique_ptr<intake::CentreReports> centre_reports;
  std::unique_ptr<intake::ReportChanges> report_changes;
  std::unique_ptr<WorkerPool> read_pool;
  std::unique_ptr<WorkerPool> pool;  // writes, and the admin service's calls
  std::unique_ptr<feed::ChangeFeed> feed;
  std::unique_ptr<intake::ReportingServiceImpl> reporting;
  std::unique_ptr<cases::Cases> case_domain;
  std::unique_ptr<cases::CaseServiceImpl> cases;
  std::unique_ptr<extracts::Extracts> extract_domain;
  std::unique_ptr<extracts::ExtractServiceImpl> extracts;
  std::unique_ptr<retention::Retention> retention;
  std::unique_ptr<admin::AdminServiceImpl> admin;
  std::unique_ptr<sessions::SessionServiceImpl> sessions;
  // Replicated mode: snapshots of the store for replicas to re-seed from.
  std::unique_ptr<replication::SnapshotService> snapshots;
  std::unique_ptr<grpc::Server> grpc_server;
  // The HTTP/JSON door over grpc_server's in-process channel; may be null.
  std::unique_ptr<http::Gateway> http;
  // Health only, plaintext (ServerOptions::health_listen); may be null.
  std::unique_ptr<grpc::Server> health_server;
  int health_port = 0;
  std::string address;
  int port = 0;
  std::string metrics_address;  // empty without metrics_listen

  absl::Mutex mu;
  bool shut_down ABSL_GUARDED_BY(mu) = false;
  // The scheduled retention runs (see ServerOptions::retention_interval).
  std::thread retention_thread;
};

std::string BoundAddress(absl::string_view listen, int port) {
  return absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port);
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServerOptions& options) {
  if (options.tls_cert_file.empty()) return grpc::InsecureServerCredentials();  // loopback: ValidateOptions
  for (const std::string& f : {options.tls_cert_file, options.tls_key_file, options.tls_client_ca_file}) {
    if (!f.empty() && !std::filesystem::exists(f)) return absl::NotFoundError(absl::StrCat("cannot open ", f));
  }
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      options.tls_key_file, options.tls_cert_file, options.tls_client_ca_file,
      static_cast<unsigned int>(std::max(1, options.tls_reload_seconds)));
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  tls.watch_identity_key_cert_pairs();
  if (options.tls_client_ca_file.empty()) {
    tls.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    tls.watch_root_certs();
    tls.set_cert_request_type(options.tls_require_client_cert
                                  ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                  : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(tls);
}

namespace {

// Start's steps, in order. Each fills its part of `state` from `options`.

// The data directory, the principals, the HMAC key, the postcode table,
// the store (migrated), the audit log, metrics and the call gate.
absl::Status OpenFoundations(const ServerOptions& options, storage::Store* given_store, metrics::Metrics* given_metrics,
                             Server::State* state) {
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot create data dir ", options.data_dir, ": ", ec.message()));
  }
  ASSIGN_OR_RETURN(std::vector<hirs::store::v1::StoredPrincipal> file_principals,
                   auth::LoadPrincipalsFile(options.principals_file));
  const std::string key_file = options.hmac_key_file.empty() ? options.data_dir + "/hmac.key" : options.hmac_key_file;
  ASSIGN_OR_RETURN(collation::KeyedHasher hasher, collation::KeyedHasher::LoadOrCreate(key_file));
  state->hasher = std::make_unique<collation::KeyedHasher>(std::move(hasher));
  if (options.postcode_directory.empty()) {
    state->router = intake::DistrictRouter::LeicestershireDefault();
  } else {
    ASSIGN_OR_RETURN(state->router, intake::DistrictRouter::FromOnsFile(options.postcode_directory));
  }
  if (given_store != nullptr) {
    state->store = given_store;
  } else {
    ASSIGN_OR_RETURN(state->owned_store, storage::Store::Open(StoreOptionsOf(options)));
    state->store = state->owned_store.get();
  }
  RETURN_IF_ERROR(records::Migrate(state->store, absl::Now()));
  ASSIGN_OR_RETURN(state->principals,
                   auth::PrincipalDirectory::Open(
                       state->store, std::move(file_principals), [] { return absl::Now(); }, options.force_area));
  auth::PeopleOptions people;
  people.force_area = options.force_area;
  people.session_idle = options.session_idle;
  people.session_absolute = options.session_absolute;
  state->people = std::make_unique<auth::People>(
      state->store, [] { return absl::Now(); }, people);
  ASSIGN_OR_RETURN(state->audit, audit::AuditLog::Open(state->store));
  if (given_metrics == nullptr) {
    state->owned_metrics = std::make_unique<metrics::Metrics>();
    given_metrics = state->owned_metrics.get();
  }
  state->metrics = given_metrics;
  state->gate = std::make_unique<rpc::CallGate>(&state->principals->registry(), state->audit.get(),
                                                rpc::RateLimit{options.rate_limit_per_second, options.rate_limit_burst},
                                                state->metrics, state->people.get());

  return absl::OkStatus();
}

// The collation model: the defaults, or with learn_from_reviews, weights
// re-estimated from enough resolved review items.
absl::StatusOr<collation::MatchModel> LoadModel(const ServerOptions& options, const storage::Store& store) {
  collation::MatchModel model = collation::MatchModel::Default();
  if (options.learn_from_reviews) {
    ASSIGN_OR_RETURN(cases::LabelledPairs labelled, cases::ReviewDecisions(store, model));
    const size_t merges = std::count(labelled.is_match.begin(), labelled.is_match.end(), true);
    const size_t kept = labelled.is_match.size() - merges;
    if (labelled.pairs.size() >= cases::kMinReviewDecisions && merges >= cases::kMinEachDecision &&
        kept >= cases::kMinEachDecision) {
      model = model.FromLabelled(labelled.pairs, labelled.is_match);
      LogInfo(absl::StrCat("collation weights re-estimated from ", labelled.pairs.size(), " review decisions (", merges,
                           " merge, ", kept, " keep separate):\n", model.ToText()));
    } else {
      LogInfo(absl::StrCat("collation weights: defaults (", labelled.pairs.size(),
                           " review decisions, too few to learn from)"));
    }
  }
  return model;
}

// The domain classes, the worker pools and the gRPC services over them.
void BuildServices(const ServerOptions& options, collation::MatchModel model, Server::State* state) {
  state->collator =
      std::make_unique<collation::ProbabilisticCollator>(state->hasher.get(), std::move(model), options.collation);
  state->intake = std::make_unique<intake::Intake>(state->store, &state->locks, state->collator.get(),
                                                   state->router.get(), state->hasher.get());
  state->pool = std::make_unique<WorkerPool>(options.worker_threads, options.max_queued_calls, "hirs-writes");
  state->read_pool = std::make_unique<WorkerPool>(options.read_threads, options.max_queued_calls, "hirs-reads");
  const WorkerPools pools{state->read_pool.get(), state->pool.get()};
  state->centre_reports = std::make_unique<intake::CentreReports>(state->store, state->hasher.get());
  state->report_changes =
      std::make_unique<intake::ReportChanges>(state->store, &state->locks, state->collator.get(), state->router.get());
  state->feed = std::make_unique<feed::ChangeFeed>(state->store, options.watch);
  state->reporting = std::make_unique<intake::ReportingServiceImpl>(state->intake.get(), state->centre_reports.get(),
                                                                    state->report_changes.get(), state->feed.get(),
                                                                    state->gate.get(), pools);
  state->case_domain =
      std::make_unique<cases::Cases>(state->store, &state->locks, state->collator.get(), state->hasher.get());
  state->cases =
      std::make_unique<cases::CaseServiceImpl>(state->case_domain.get(), state->feed.get(), state->gate.get(), pools);
  extracts::ExtractOptions extract_options;
  extract_options.suppress_max = options.extract_suppression_max;
  extract_options.release_at_every_change = options.summary_releases == "every_change";
  state->extract_domain = std::make_unique<extracts::Extracts>(
      state->store, state->hasher.get(), [] { return absl::Now(); }, extract_options);
  state->extracts = std::make_unique<extracts::ExtractServiceImpl>(state->extract_domain.get(), state->gate.get(),
                                                                   state->read_pool.get());
  retention::RetentionOptions retention_options;
  retention_options.review_period = options.nchi_review_period;
  state->retention = std::make_unique<retention::Retention>(
      state->store, &state->locks, state->collator.get(), state->audit.get(), [] { return absl::Now(); },
      retention_options);
  state->admin = std::make_unique<admin::AdminServiceImpl>(
      state->principals.get(), state->people.get(), state->retention.get(), state->store, state->audit.get(),
      options.backup_dir.empty() ? options.data_dir + "/backups" : options.backup_dir, state->gate.get(),
      state->pool.get());
  state->sessions =
      std::make_unique<sessions::SessionServiceImpl>(state->people.get(), state->gate.get(), state->pool.get());
  if (!options.replication.empty()) {
    state->snapshots = std::make_unique<replication::SnapshotService>(
        state->store, options.data_dir + "/snapshots", state->hasher->Mac(replication::kReplicaSecretLabel, {}));
  }
}

// The gRPC server on options.listen, with health checking, reflection and
// the unparseable-request interceptor.
absl::Status Listen(const ServerOptions& options, Server::State* state) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  // Link the health proto's descriptor into the pool reflection serves.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();

  grpc::ServerBuilder builder;
  int port = 0;
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials, Credentials(options));
  builder.AddListeningPort(options.listen, credentials, &port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.RegisterService(state->reporting.get());
  builder.RegisterService(state->cases.get());
  builder.RegisterService(state->extracts.get());
  builder.RegisterService(state->admin.get());
  builder.RegisterService(state->sessions.get());
  if (state->snapshots != nullptr) builder.RegisterService(state->snapshots.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(rpc::UnparseableRequestInterceptor(state->gate.get()));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  state->grpc_server = builder.BuildAndStart();
  if (state->grpc_server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen, " (address in use, or not an address of this host)"));
  }
  state->port = port;
  state->address = BoundAddress(options.listen, port);
  state->grpc_server->GetHealthCheckService()->SetServingStatus(true);
  return absl::OkStatus();
}

// The plaintext health-only listener, when asked for.
absl::Status ServeHealth(const ServerOptions& options, Server::State* state) {
  if (options.health_listen.empty()) return absl::OkStatus();
  // A server with no service registered: only the default health service.
  grpc::ServerBuilder health;
  int health_port = 0;
  health.AddListeningPort(options.health_listen, grpc::InsecureServerCredentials(), &health_port);
  state->health_server = health.BuildAndStart();
  if (state->health_server == nullptr || health_port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.health_listen, " for health checks"));
  }
  state->health_server->GetHealthCheckService()->SetServingStatus(true);
  state->health_port = health_port;
  LogInfo(absl::StrCat("health checks (plaintext, health only) on ", options.health_listen));
  return absl::OkStatus();
}

// The HTTP/JSON door, when asked for: the API through the gRPC server's
// in-process channel, with the gRPC listener's TLS settings, and the web
// pages beside it.
absl::Status ServeHttp(const ServerOptions& options, Server::State* state) {
  if (options.http_listen.empty()) return absl::OkStatus();
  http::GatewayOptions http;
  SetGatewayListener(options, &http);
  http.forwarding_key = state->gate->forwarding_key();
  pages::SiteOptions site;
  site.secure_cookies = !options.tls_cert_file.empty();
  ASSIGN_OR_RETURN(http.site, pages::PagesSite::Create(site));
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  Server::State* st = state;
  ASSIGN_OR_RETURN(state->http, http::Gateway::Start(http, state->grpc_server->InProcessChannel(args), [st] {
                     absl::MutexLock lock(&st->mu);
                     return !st->shut_down;
                   }));
  return absl::OkStatus();
}

}  // namespace

void SetGatewayListener(const ServerOptions& options, http::GatewayOptions* out) {
  out->listen = options.http_listen;
  out->threads = options.http_threads;
  out->tls_cert_file = options.tls_cert_file;
  out->tls_key_file = options.tls_key_file;
  out->tls_client_ca_file = options.tls_client_ca_file;
  out->tls_require_client_cert = options.tls_require_client_cert;
  out->tls_reload = absl::Seconds(std::max(1, options.tls_reload_seconds));
}

metrics::Sources StoreMetricSources(std::function<void(const std::function<void(storage::Store&)>&)> with_store) {
  metrics::Sources sources;
  sources.review_queue_length = [with_store] {
    int64_t open = 0;
    with_store([&](storage::Store& store) {
      (void)store.Scan(storage::Family::kReview, "", 0, [&](absl::string_view, absl::string_view v) {
        hirs::v1::ReviewItem item;
        if (item.ParseFromArray(v.data(), static_cast<int>(v.size())) && !item.has_resolved_at()) ++open;
        return true;
      });
    });
    return open;
  };
  sources.rocksdb = [with_store] {
    absl::flat_hash_map<std::string, uint64_t> properties;
    with_store([&](storage::Store& store) { properties = store.Properties(); });
    return properties;
  };
  sources.disk_free_bytes = [with_store] {
    std::optional<uint64_t> free;
    with_store([&](storage::Store& store) { free = store.FreeDiskBytes(); });
    return free;
  };
  sources.writes_refused = [with_store] {
    bool refused = false;
    with_store([&](storage::Store& store) { refused = store.refusing_writes(); });
    return refused;
  };
  return sources;
}

namespace {

// The Prometheus endpoint, when asked for and the metrics are the server's
// own.
absl::Status ServeMetrics(const ServerOptions& options, Server::State* state) {
  if (options.metrics_listen.empty() || state->owned_metrics == nullptr) return absl::OkStatus();
  Server::State* st = state;
  metrics::Sources sources = StoreMetricSources([st](const auto& use) { use(*st->store); });
  sources.watchers = [st] { return static_cast<int64_t>(st->feed->watchers()); };
  RETURN_IF_ERROR(state->metrics->Serve(options.metrics_listen, std::move(sources)));
  state->metrics_address = BoundAddress(options.metrics_listen, state->metrics->port());
  LogInfo(absl::StrCat("metrics on ", state->metrics_address, "/metrics"));
  return absl::OkStatus();
}

// The scheduled retention runs, when an interval is set.
void ScheduleRetention(Server::State* state) {
  if (state->options.retention_interval <= absl::ZeroDuration()) return;
  Server::State* st = state;
  state->retention_thread = std::thread([st] {
    NameThisThread("hirs-retention");
    absl::Duration wait = std::min(absl::Minutes(1), st->options.retention_interval);
    for (;;) {
      {
        absl::MutexLock lock(&st->mu);
        if (st->mu.AwaitWithTimeout(absl::Condition(&st->shut_down), wait)) return;
      }
      auto outcome = st->retention->Run("hirsd", "hirsd/ScheduledRetention", /*dry_run=*/false);
      if (!outcome.ok()) LogError(absl::StrCat("scheduled retention failed: ", outcome.status().message()));
      wait = st->options.retention_interval;
    }
  });
}

}  // namespace

storage::StoreOptions StoreOptionsOf(const ServerOptions& options) {
  storage::StoreOptions store_options;
  store_options.path = options.data_dir + "/db";
  store_options.sync_writes = options.sync_writes;
  store_options.min_free_bytes = options.min_free_disk_bytes;
  store_options.block_cache_bytes = options.block_cache_bytes;
  return store_options;
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) { return Start(options, nullptr); }

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, storage::Store* store,
                                                      metrics::Metrics* metrics) {
  RETURN_IF_ERROR(ValidateOptions(options));
  auto state = std::make_unique<State>();
  state->options = options;
  RETURN_IF_ERROR(OpenFoundations(options, store, metrics, state.get()));
  ASSIGN_OR_RETURN(collation::MatchModel model, LoadModel(options, *state->store));
  BuildServices(options, std::move(model), state.get());
  RETURN_IF_ERROR(Listen(options, state.get()));
  RETURN_IF_ERROR(ServeHealth(options, state.get()));
  RETURN_IF_ERROR(ServeHttp(options, state.get()));
  RETURN_IF_ERROR(ServeMetrics(options, state.get()));
  ScheduleRetention(state.get());
  LogInfo(absl::StrCat(
      "hirsd serving on ", state->address, "; principals=", state->principals->registry().size(),
      " postcode_sectors=", state->router->sector_count(), " postcodes=", state->router->postcode_count(),
      " sync_writes=", options.sync_writes ? "on" : "off", " min_free_disk_mb=", options.min_free_disk_bytes >> 20));
  return std::unique_ptr<Server>(new Server(std::move(state)));
}

Server::Server(std::unique_ptr<State> state) : state_(std::move(state)) {}

Server::~Server() { Shutdown(); }

const std::string& Server::address() const { return state_->address; }

int Server::port() const { return state_->port; }

int Server::health_port() const { return state_->health_port; }

int Server::http_port() const { return state_->http != nullptr ? state_->http->port() : 0; }

const std::string& Server::http_address() const {
  static const std::string none;
  return state_->http != nullptr ? state_->http->address() : none;
}

int Server::metrics_port() const { return state_->metrics->port(); }

const std::string& Server::metrics_address() const { return state_->metrics_address; }

void Server::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&state_->mu);
    if (state_->shut_down) return;
    state_->shut_down = true;
  }
  state_->grpc_server->GetHealthCheckService()->SetServingStatus(false);
  if (state_->health_server != nullptr) {
    state_->health_server->GetHealthCheckService()->SetServingStatus(false);
    state_->health_server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  }
  state_->feed->Shutdown();          // watches never end by themselves
  state_->store->StopCompactions();  // a CompactStore would hold the whole grace
  // Meanwhile the HTTP door answers /readyz NOT_SERVING and new calls 503.
  state_->grpc_server->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  if (state_->http != nullptr) state_->http->Stop();  // its calls have ended with the gRPC server's
  state_->pool->Drain();
  state_->read_pool->Drain();
  state_->gate->DrainAnswers();
  state_->grpc_server->Wait();
  if (state_->retention_thread.joinable()) state_->retention_thread.join();
  state_->audit->Stop();  // after every call has finished through it
  absl::Status flushed = state_->store->Flush();
  LogInfo(absl::StrCat("hirsd stopped; store flush: ", flushed.ok() ? "ok" : flushed.ToString()));
}

size_t Server::open_watches() const { return state_->feed->watchers(); }

}  // namespace hirs::server
