// hirsd: the hirs server.
//
//   hirsd --listen=127.0.0.1:50051 --data_dir=DIR --principals=FILE [settings]
//
// Its settings are defined in services/server/settings.h (hirsd --help lists
// them). Prints "listening on HOST:PORT" once serving; exits 0 after SIGTERM
// or SIGINT once calls in flight have drained; 2 for bad settings.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "services/server/replica.h"
#include "services/server/server.h"
#include "services/server/settings.h"
#include "storage/backup.h"

namespace {

// --restore_from: restores a backup into <data_dir>/db and exits.
int Restore(const hirs::server::CommandLine& command) {
  const std::string& data_dir = command.settings.data_dir();
  if (data_dir.empty()) {
    hirs::LogError("--restore_from needs --data_dir (the new data directory)");
    return 2;
  }
  auto restored = hirs::storage::RestoreBackup(command.restore_from, command.restore_backup_id, data_dir + "/db");
  if (!restored.ok()) {
    hirs::LogError(absl::StrCat("restore failed: ", restored.status().ToString()));
    return 1;
  }
  std::printf(
      "restored backup %u (taken %s, schema %u) into %s/db; start hirsd on --data_dir=%s with the "
      "same HMAC key file\n",
      restored->id, absl::FormatTime(absl::RFC3339_sec, restored->created, absl::UTCTimeZone()).c_str(),
      restored->schema_version, data_dir.c_str(), data_dir.c_str());
  return 0;
}

// Prints where `started` (a Server or a Replica) listens, then runs it
// until SIGTERM or SIGINT.
template <typename Serving>
int RunUntilSignalled(absl::StatusOr<std::unique_ptr<Serving>> started, const sigset_t& signals) {
  if (!started.ok()) {
    hirs::LogError(absl::StrCat("hirsd cannot start: ", started.status().ToString()));
    return started.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  Serving& serving = **started;
  std::printf("listening on %s\n", serving.address().c_str());
  if (!serving.metrics_address().empty()) std::printf("metrics on %s\n", serving.metrics_address().c_str());
  if (!serving.http_address().empty()) std::printf("http on %s\n", serving.http_address().c_str());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&signals, &signal);
  hirs::LogInfo(absl::StrCat("hirsd received ", signal == SIGTERM ? "SIGTERM" : "SIGINT", "; shutting down"));
  serving.Shutdown();
  started->reset();
  return 0;
}

// Serves until SIGTERM or SIGINT: the single node, or one replica of a
// cluster (replica.h).
int Serve(const hirs::server::ServerOptions& options) {
  // Signals are taken synchronously by this thread; block them before any
  // other thread starts so that none of those receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  if (options.replication == "etcd") return RunUntilSignalled(hirs::server::Replica::Start(options), signals);
  return RunUntilSignalled(hirs::server::Server::Start(options), signals);
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built with its Mutex deadlock detector on, which
  // takes a global lock and updates a graph on every Mutex acquisition. The
  // unit and integration tests run the same code in-process with it on;
  // the server does not pay for it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto command = hirs::server::ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  if (!command.ok()) {
    hirs::LogError(command.status().ToString());
    return 2;
  }
  if (command->help) {
    std::fputs(hirs::server::Usage().c_str(), stdout);
    return 0;
  }
  if (!command->restore_from.empty()) return Restore(*command);
  return Serve(hirs::server::ToServerOptions(command->settings));
}
