// hirsd: the hirs server. See DESIGN.md "Operational contract".
//
//   hirsd --listen=127.0.0.1:50051 --data_dir=DIR --principals=FILE
//         [--config=FILE.json] [--hmac_key_file=F] [--sync_writes=false]
//         [--postcode_directory=ONSPD.csv]
//
// Prints "listening on HOST:PORT" once serving; exits 0 after SIGTERM or
// SIGINT once calls in flight have drained.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/area.h"
#include "common/log.h"
#include "google/protobuf/util/json_util.h"
#include "hirs/config/v1/config.pb.h"
#include "services/collation/matcher.h"
#include "services/server/server.h"
#include "storage/backup.h"

ABSL_FLAG(std::string, config, "", "JSON server config file (hirs.config.v1.ServerConfig); flags override it");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "HOST:PORT to serve gRPC on (port 0: any free port)");
ABSL_FLAG(std::string, data_dir, "", "data directory (RocksDB store and, by default, the HMAC key)");
ABSL_FLAG(std::string, principals, "", "principals JSON file");
ABSL_FLAG(std::string, hmac_key_file, "", "HMAC key file (hex); default <data_dir>/hmac.key, created if absent");
ABSL_FLAG(bool, sync_writes, true, "sync the write-ahead log before acknowledging a write");
ABSL_FLAG(uint64_t, min_free_disk_mb, hirs::server::ServerOptions().min_free_disk_bytes >> 20,
          "free space (MiB) on the data disk below which writes are refused while reads go on (0: no check)");
ABSL_FLAG(std::string, force_area, hirs::kLeicestershireForceArea,
          "GSS code of the police force area served: POLICE principals' scope; DISTRICT principals' scopes are its "
          "districts");
ABSL_FLAG(std::string, postcode_directory, "", "ONS Postcode Directory CSV (pcds, oslaua); default: bundled table");
ABSL_FLAG(int, worker_threads, 16, "threads doing blocking store writes (submissions, case updates, admin calls)");
ABSL_FLAG(int64_t, block_cache_mb, 256,
          "RocksDB block cache in MiB, holding the partitioned indexes and bloom filters too; 256 served 10M stored "
          "reports, and more did not speed them (tests/bench/README.md, session 16)");
ABSL_FLAG(int, read_threads, 8, "threads serving calls that only read (look-ups, lists, extracts)");
ABSL_FLAG(double, attach_threshold, hirs::collation::MatcherOptions().attach_threshold,
          "collation score at or above which a report joins a case");
ABSL_FLAG(double, attach_threshold_without_identity, hirs::collation::MatcherOptions().attach_threshold_without_identity,
          "collation score at or above which a report joins a case when victim identity gives no support");
ABSL_FLAG(double, review_threshold, hirs::collation::MatcherOptions().review_threshold,
          "collation score at or above which an uncertain match goes to review");
ABSL_FLAG(std::string, summary_releases, hirs::server::ServerOptions().summary_releases,
          "when district summaries are released: monthly (at the start of each month after theirs) or every_change "
          "(current figures, more revisions withheld)");
ABSL_FLAG(int, extract_suppression_max, hirs::server::ServerOptions().extract_suppression_max,
          "district summaries show counts from 1 to this as suppressed (0: no suppression)");
ABSL_FLAG(std::string, tls_cert_file, "", "server certificate chain (PEM); with --tls_key_file turns TLS on");
ABSL_FLAG(std::string, tls_key_file, "", "server private key (PEM)");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "CA bundle (PEM) verifying client certificates, which then authenticate as the principal naming them");
ABSL_FLAG(bool, tls_require_client_cert, false, "refuse clients without a valid client certificate (mutual TLS)");
ABSL_FLAG(bool, learn_from_reviews, false,
          "at start, re-estimate the collation weights from resolved review items (when there are at least 100, "
          "20 of each decision)");

ABSL_FLAG(double, rate_limit_per_second, hirs::server::ServerOptions().rate_limit_per_second,
          "calls per second each principal may make (SubmitReports items count one each); 0: no limit");
ABSL_FLAG(double, rate_limit_burst, hirs::server::ServerOptions().rate_limit_burst,
          "calls a principal may make at once above its rate");
ABSL_FLAG(int, nchi_review_days, 365,
          "days a non-crime hate incident's personal data is kept after the case became one");
ABSL_FLAG(absl::Duration, retention_interval, absl::Hours(24),
          "how often the retention run removes due NCHI personal data (0: only when an admin runs it)");

ABSL_FLAG(std::string, health_listen, "",
          "HOST:PORT of a plaintext listener serving only grpc.health.v1 (for probes that cannot speak TLS)");
ABSL_FLAG(std::string, metrics_listen, "", "HOST:PORT serving Prometheus metrics at /metrics (port 0: any free port)");
ABSL_FLAG(std::string, backup_dir, "", "where AdminService backups go (default <data_dir>/backups)");
ABSL_FLAG(std::string, restore_from, "",
          "offline restore: restore a backup from this directory into <data_dir>/db (which must not hold a store), "
          "then exit");
ABSL_FLAG(uint32_t, restore_backup_id, 0, "with --restore_from: the backup to restore (0: the newest)");

namespace {

// A flag overrides the config file when set to other than its default
// (Debian's Abseil does not expose whether a flag was given at all).
bool Specified(absl::string_view name) {
  const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  return flag != nullptr && flag->CurrentValue() != flag->DefaultValue();
}

absl::Status ApplyConfigFile(const std::string& path, hirs::server::ServerOptions* options) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open config file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  hirs::config::v1::ServerConfig config;
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  auto parsed = google::protobuf::util::JsonStringToMessage(buffer.str(), &config, parse);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("config file ", path, ": ", parsed.message().as_string()));
  }
  if (!config.metrics_listen().empty()) options->metrics_listen = config.metrics_listen();
  if (!config.health_listen().empty()) options->health_listen = config.health_listen();
  if (!config.listen().empty()) options->listen = config.listen();
  if (!config.data_dir().empty()) options->data_dir = config.data_dir();
  if (!config.principals_file().empty()) options->principals_file = config.principals_file();
  if (!config.hmac_key_file().empty()) options->hmac_key_file = config.hmac_key_file();
  if (config.has_sync_writes()) options->sync_writes = config.sync_writes();
  if (config.has_min_free_disk_mb()) options->min_free_disk_bytes = config.min_free_disk_mb() << 20;
  if (config.has_extract_suppression_max()) options->extract_suppression_max = config.extract_suppression_max();
  if (!config.summary_releases().empty()) options->summary_releases = config.summary_releases();
  if (!config.tls_cert_file().empty()) options->tls_cert_file = config.tls_cert_file();
  if (!config.tls_key_file().empty()) options->tls_key_file = config.tls_key_file();
  if (!config.tls_client_ca_file().empty()) options->tls_client_ca_file = config.tls_client_ca_file();
  if (config.tls_require_client_cert()) options->tls_require_client_cert = true;
  if (!config.postcode_directory().empty()) options->postcode_directory = config.postcode_directory();
  if (!config.force_area().empty()) options->force_area = config.force_area();
  if (config.has_attach_threshold()) options->collation.attach_threshold = config.attach_threshold();
  if (config.has_review_threshold()) options->collation.review_threshold = config.review_threshold();
  if (config.has_attach_threshold_without_identity()) {
    options->collation.attach_threshold_without_identity = config.attach_threshold_without_identity();
  }
  if (!config.backup_dir().empty()) options->backup_dir = config.backup_dir();
  if (config.has_rate_limit_per_second()) options->rate_limit_per_second = config.rate_limit_per_second();
  if (config.has_rate_limit_burst()) options->rate_limit_burst = config.rate_limit_burst();
  if (config.has_nchi_review_days()) options->nchi_review_period = absl::Hours(24) * config.nchi_review_days();
  if (config.has_retention_interval_hours()) {
    options->retention_interval = absl::Hours(config.retention_interval_hours());
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("hirsd --listen=HOST:PORT --data_dir=DIR --principals=FILE [flags]");
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built with its Mutex deadlock detector on, which
  // takes a global lock and updates a graph on every Mutex acquisition. The
  // unit and integration tests run the same code in-process with it on;
  // the server does not pay for it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  hirs::server::ServerOptions options;
  if (!absl::GetFlag(FLAGS_config).empty()) {
    absl::Status s = ApplyConfigFile(absl::GetFlag(FLAGS_config), &options);
    if (!s.ok()) {
      hirs::LogError(s.ToString());
      return 2;
    }
  }
  if (Specified("listen") || absl::GetFlag(FLAGS_config).empty()) options.listen = absl::GetFlag(FLAGS_listen);
  if (Specified("data_dir")) options.data_dir = absl::GetFlag(FLAGS_data_dir);
  if (Specified("principals")) options.principals_file = absl::GetFlag(FLAGS_principals);
  if (Specified("hmac_key_file")) options.hmac_key_file = absl::GetFlag(FLAGS_hmac_key_file);
  if (Specified("sync_writes")) options.sync_writes = absl::GetFlag(FLAGS_sync_writes);
  if (Specified("min_free_disk_mb")) options.min_free_disk_bytes = absl::GetFlag(FLAGS_min_free_disk_mb) << 20;
  if (Specified("postcode_directory")) options.postcode_directory = absl::GetFlag(FLAGS_postcode_directory);
  if (Specified("force_area")) options.force_area = absl::GetFlag(FLAGS_force_area);
  options.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  options.read_threads = absl::GetFlag(FLAGS_read_threads);
  // Clamped before the shift so that no value wraps into the accepted range;
  // Server::Start refuses what is outside it.
  options.block_cache_bytes =
      static_cast<size_t>(std::clamp<int64_t>(absl::GetFlag(FLAGS_block_cache_mb), 0, int64_t{1} << 30)) << 20;
  options.learn_from_reviews = absl::GetFlag(FLAGS_learn_from_reviews);
  if (Specified("tls_cert_file")) options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  if (Specified("tls_key_file")) options.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  if (Specified("tls_client_ca_file")) options.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  if (Specified("tls_require_client_cert")) options.tls_require_client_cert = absl::GetFlag(FLAGS_tls_require_client_cert);
  if (Specified("summary_releases")) options.summary_releases = absl::GetFlag(FLAGS_summary_releases);
  if (options.summary_releases != "monthly" && options.summary_releases != "every_change") {
    hirs::LogError("--summary_releases must be monthly or every_change");
    return 2;
  }
  if (Specified("extract_suppression_max")) {
    options.extract_suppression_max = absl::GetFlag(FLAGS_extract_suppression_max);
  }
  if (options.extract_suppression_max < 0) {
    hirs::LogError("--extract_suppression_max must be 0 or more");
    return 2;
  }
  if (Specified("health_listen")) options.health_listen = absl::GetFlag(FLAGS_health_listen);
  if (Specified("metrics_listen")) options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  if (Specified("backup_dir")) options.backup_dir = absl::GetFlag(FLAGS_backup_dir);
  if (!absl::GetFlag(FLAGS_restore_from).empty()) {
    if (options.data_dir.empty()) {
      hirs::LogError("--restore_from needs --data_dir (the new data directory)");
      return 2;
    }
    auto restored = hirs::storage::RestoreBackup(absl::GetFlag(FLAGS_restore_from),
                                                 absl::GetFlag(FLAGS_restore_backup_id), options.data_dir + "/db");
    if (!restored.ok()) {
      hirs::LogError(absl::StrCat("restore failed: ", restored.status().ToString()));
      return 1;
    }
    std::printf("restored backup %u (taken %s, schema %u) into %s/db; start hirsd on --data_dir=%s with the "
                "same HMAC key file\n",
                restored->id, absl::FormatTime(absl::RFC3339_sec, restored->created, absl::UTCTimeZone()).c_str(),
                restored->schema_version, options.data_dir.c_str(), options.data_dir.c_str());
    return 0;
  }
  if (Specified("rate_limit_per_second")) options.rate_limit_per_second = absl::GetFlag(FLAGS_rate_limit_per_second);
  if (Specified("rate_limit_burst")) options.rate_limit_burst = absl::GetFlag(FLAGS_rate_limit_burst);
  if (Specified("nchi_review_days")) options.nchi_review_period = absl::Hours(24) * absl::GetFlag(FLAGS_nchi_review_days);
  if (Specified("retention_interval")) options.retention_interval = absl::GetFlag(FLAGS_retention_interval);
  if (options.rate_limit_per_second < 0 || options.rate_limit_burst < 0 ||
      options.nchi_review_period < absl::ZeroDuration() || options.retention_interval < absl::ZeroDuration()) {
    hirs::LogError("--rate_limit_per_second, --rate_limit_burst, --nchi_review_days and --retention_interval "
                   "must not be negative");
    return 2;
  }
  if (Specified("attach_threshold")) options.collation.attach_threshold = absl::GetFlag(FLAGS_attach_threshold);
  if (Specified("review_threshold")) options.collation.review_threshold = absl::GetFlag(FLAGS_review_threshold);
  if (Specified("attach_threshold_without_identity")) {
    options.collation.attach_threshold_without_identity = absl::GetFlag(FLAGS_attach_threshold_without_identity);
  }

  // Signals are taken synchronously by this thread; block them before any
  // other thread starts so that none of those receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = hirs::server::Server::Start(options);
  if (!server.ok()) {
    hirs::LogError(absl::StrCat("hirsd cannot start: ", server.status().ToString()));
    return 1;
  }
  std::printf("listening on %s\n", (*server)->address().c_str());
  if (!(*server)->metrics_address().empty()) std::printf("metrics on %s\n", (*server)->metrics_address().c_str());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&signals, &signal);
  hirs::LogInfo(absl::StrCat("hirsd received ", signal == SIGTERM ? "SIGTERM" : "SIGINT", "; shutting down"));
  (*server)->Shutdown();
  server->reset();
  return 0;
}
