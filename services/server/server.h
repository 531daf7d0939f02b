// hirsd's assembly: opens the store, loads principals, the HMAC key and the
// postcode table, wires the services and serves them with health checking
// and reflection. Tests start it in-process on 127.0.0.1:0.
#ifndef HIRS_SERVICES_SERVER_SERVER_H_
#define HIRS_SERVICES_SERVER_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/security/server_credentials.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/area.h"
#include "services/collation/matcher.h"
#include "services/feed/change_feed.h"
#include "services/metrics/metrics.h"
#include "storage/store.h"

namespace hirs::http {
struct GatewayOptions;
}  // namespace hirs::http

namespace hirs::server {

// worker_threads in replicated mode when none is given: each write waits
// for etcd's quorum (a few ms, against a synced local write's one), so
// more are in flight for the same throughput (Little's law).
inline constexpr int kReplicatedWorkerThreads = 64;

// The settings in the form the server takes them. Each field is the
// setting of the same name in hirs.config.v1.ServerConfig, whose `setting`
// option holds its meaning and default (`hirsd --help`); ToServerOptions
// (settings.h) converts units, and the defaults here are those
// (Settings.DefaultsAreThoseOfServerOptions checks). Tests set fields
// directly.
struct ServerOptions {
  std::string listen = "127.0.0.1:50051";
  std::string data_dir;
  std::string principals_file;
  std::string hmac_key_file;  // "": <data_dir>/hmac.key
  bool sync_writes = true;
  uint64_t min_free_disk_bytes = uint64_t{256} << 20;  // min_free_disk_mb
  size_t block_cache_bytes = size_t{256} << 20;        // block_cache_mb
  std::string force_area = kLeicestershireForceArea;
  std::string postcode_directory;
  int worker_threads = 16;  // kReplicatedWorkerThreads in replicated mode
  int read_threads = 8;
  size_t max_queued_calls = 4096;
  int max_message_bytes = 1 << 20;  // max_message_kb
  // attach_threshold, review_threshold, attach_threshold_without_identity;
  // the rest of MatcherOptions is not a setting.
  collation::MatcherOptions collation;
  bool learn_from_reviews = false;
  int extract_suppression_max = 4;
  std::string summary_releases = "monthly";
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  bool tls_require_client_cert = false;
  int tls_reload_seconds = 60;
  double rate_limit_per_second = 200;
  double rate_limit_burst = 1000;
  absl::Duration nchi_review_period = absl::Hours(24 * 365);  // nchi_review_days
  absl::Duration retention_interval = absl::Hours(24);        // retention_interval_hours
  std::string health_listen;
  std::string metrics_listen;
  std::string http_listen;  // "": no HTTP/JSON door
  int http_threads = 64;
  absl::Duration session_idle = absl::Minutes(30);    // session_idle_seconds
  absl::Duration session_absolute = absl::Hours(12);  // session_max_hours
  // watch_stall_limit_seconds, watches_per_principal; the rest of
  // WatchOptions is not a setting.
  feed::WatchOptions watch;
  std::string backup_dir;  // "": <data_dir>/backups
  // Replicated mode (replica.h): "etcd", or "" for the embedded single node.
  std::string replication;
  std::vector<std::string> etcd_endpoints;
  std::string etcd_ca_file;
  std::string etcd_cert_file;
  std::string etcd_key_file;
  std::string replica_id;
  std::string advertise;  // HOST:PORT clients reach this replica's gRPC at
  std::string cluster;
  absl::Duration replication_lease = absl::Seconds(3);  // replication_lease_seconds
  uint64_t replication_keep_entries = 100000;
  // Not a setting: how often the leader truncates the log (tests shorten it).
  absl::Duration replication_truncate_every = absl::Seconds(10);
};

// The store's options from the server's.
storage::StoreOptions StoreOptionsOf(const ServerOptions& options);

// `listen` (HOST:PORT) with the port actually bound.
std::string BoundAddress(absl::string_view listen, int port);

// The gRPC listener's credentials: TLS (reloading the files as they
// change), mutual TLS, or plaintext on loopback only.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServerOptions& options);

// Thread safe.
// The HTTP door's listener, threads and TLS from `options` (--http_listen,
// --http_threads, the TLS files), into *out; the caller adds the site and
// the forwarding key.
void SetGatewayListener(const ServerOptions& options, http::GatewayOptions* out);

// What /metrics reads at each scrape from the store served: the review
// queue's length, RocksDB's properties, the free disk and whether writes
// are refused. `with_store` runs its argument on the store served now, or
// not at all. Sources::watchers is left to the caller.
metrics::Sources StoreMetricSources(std::function<void(const std::function<void(storage::Store&)>&)> with_store);

class Server {
 public:
  // Starts serving. Errors name what could not be set up (bad principals
  // file, unreadable key, store locked by another hirsd, port in use).
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options);
  // Serves from `store`, already open (replicated mode: its writes go
  // through the replicated log), which must outlive the server. With
  // `metrics` (replicated mode: the replica's, served on one listener for
  // its whole life), which must outlive the server too, calls are counted
  // there and the server opens no metrics listener of its own.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options, storage::Store* store,
                                                       metrics::Metrics* metrics = nullptr);

  // Shuts down (if not yet) and closes the store.
  ~Server();

  // The address actually bound, e.g. "127.0.0.1:41234".
  const std::string& address() const;
  int port() const;
  // The health-only port, 0 without health_listen.
  int health_port() const;
  // The HTTP/JSON port, 0 without http_listen; its address, "" without.
  int http_port() const;
  const std::string& http_address() const;
  // The metrics port, 0 without --metrics_listen; the address bound, ""
  // without it.
  int metrics_port() const;
  const std::string& metrics_address() const;
  // WatchCases calls open now.
  size_t open_watches() const;

  // Reports NOT_SERVING to health checks, stops a running CompactStore (it
  // answers UNAVAILABLE), stops accepting calls, lets calls in flight finish
  // for up to `grace` (then cancels them), runs queued work, and flushes
  // the store. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(10));

  struct State;

 private:
  explicit Server(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace hirs::server

#endif  // HIRS_SERVICES_SERVER_SERVER_H_
