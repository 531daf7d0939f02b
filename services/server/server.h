// hirsd's assembly: opens the store, loads principals, the HMAC key and the
// postcode table, wires the services and serves them with health checking
// and reflection. Tests start it in-process on 127.0.0.1:0.
#ifndef HIRS_SERVICES_SERVER_SERVER_H_
#define HIRS_SERVICES_SERVER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/area.h"
#include "services/cases/watch.h"
#include "services/collation/matcher.h"

namespace hirs::server {

struct ServerOptions {
  // HOST:PORT; port 0 picks a free port (see Server::address()).
  std::string listen = "127.0.0.1:50051";
  // Holds the RocksDB store (db/) and, by default, the HMAC key (hmac.key).
  std::string data_dir;
  std::string principals_file;
  // Default: <data_dir>/hmac.key, generated on first start.
  std::string hmac_key_file;
  bool sync_writes = true;
  // Free space on the data disk below which writes are refused with
  // UNAVAILABLE while reads go on (storage::StoreOptions::min_free_bytes;
  // the audit trail may use the last quarter of it). 0: no check.
  uint64_t min_free_disk_bytes = uint64_t{256} << 20;
  // RocksDB's block cache (storage::StoreOptions::block_cache_bytes), which
  // also holds every index and bloom filter: give a large store enough for
  // its filters (tests/bench/README.md, run_scale.sh at 10M).
  size_t block_cache_bytes = size_t{256} << 20;
  // GSS code of the police force area served (common/area.h): the scope of
  // POLICE principals; DISTRICT principals' scopes are its districts.
  std::string force_area = kLeicestershireForceArea;
  // ONS Postcode Directory CSV; empty: the bundled Leicestershire table.
  std::string postcode_directory;
  // Threads doing blocking store work, and how many calls may wait for one.
  int worker_threads = 16;  // writes (and admin calls)
  int read_threads = 8;     // calls that only read: never queued behind writes
  size_t max_queued_calls = 4096;
  // Largest request message accepted.
  int max_message_bytes = 1 << 20;
  // Collation thresholds and caps (see services/collation/matcher.h).
  collation::MatcherOptions collation;
  // Re-estimate the model's m and u at start from resolved review items
  // (merge = same incident, keep separate = different), when there are at
  // least kMinReviewDecisions with kMinEachDecision of each kind; otherwise,
  // and by default, the documented defaults. Off by default: review items
  // are the borderline pairs only, so check the learnt model (logged at
  // start) before relying on it.
  bool learn_from_reviews = false;
  // District summaries: counts from 1 to this are suppressed (0: none).
  int extract_suppression_max = 4;
  // When district summaries are released (services/extracts/publication.h):
  // "monthly" (at the start of each month after theirs) or "every_change"
  // (current figures; more revisions withheld).
  std::string summary_releases = "monthly";
  // TLS: the server's certificate chain and key (PEM). Without them the
  // server speaks plaintext, which is allowed on a loopback address only.
  // The files are watched and reloaded every tls_reload_seconds, so a
  // renewed certificate is taken up without a restart.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Mutual TLS: CAs whose client certificates are verified and mapped to
  // principals (their cert_names); with tls_require_client_cert a client
  // without a valid certificate cannot connect, otherwise it may still
  // authenticate with a bearer token.
  std::string tls_client_ca_file;
  bool tls_require_client_cert = false;
  int tls_reload_seconds = 60;
  // Calls per principal (SubmitReports items count one each): a token
  // bucket refilled at this rate up to the burst; RESOURCE_EXHAUSTED with
  // RetryInfo beyond it. 0: no limit.
  double rate_limit_per_second = 200;
  double rate_limit_burst = 1000;
  // Non-crime hate incidents: personal data kept this long after the case
  // became one (services/retention/retention.h), removed by a retention run
  // every retention_interval (0: only on AdminService.RunRetention). The
  // first scheduled run is a minute after start (sooner if the interval is).
  absl::Duration nchi_review_period = absl::Hours(24 * 365);
  absl::Duration retention_interval = absl::Hours(24);
  // HOST:PORT of a plaintext listener serving grpc.health.v1 only (no other
  // service, no data), for probes that cannot speak TLS (Kubernetes'
  // native gRPC probes); allowed on any address; port 0 picks one
  // (Server::health_port()). Empty: none.
  std::string health_listen;
  // HOST:PORT serving Prometheus metrics at /metrics (port 0 picks one,
  // see Server::metrics_port()); empty: no endpoint.
  std::string metrics_listen;
  // WatchCases: stall limit, open watches per principal, bytes held per
  // watcher (services/cases/watch.h).
  cases::WatchOptions watch;
  // Where AdminService.CreateBackup puts backups (storage/backup.h).
  // Default: <data_dir>/backups; put it on another disk in production.
  std::string backup_dir;
};

// Thread safe.
class Server {
 public:
  // Starts serving. Errors name what could not be set up (bad principals
  // file, unreadable key, store locked by another hirsd, port in use).
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options);

  // Shuts down (if not yet) and closes the store.
  ~Server();

  // The address actually bound, e.g. "127.0.0.1:41234".
  const std::string& address() const;
  int port() const;
  // The health-only port, 0 without health_listen.
  int health_port() const;
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
