#include "tests/support/etcd_cluster.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace hirs::testing {

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

EtcdCluster::EtcdCluster(int members) : EtcdCluster(members, "") {}

EtcdCluster::EtcdCluster(int members, std::string tls_dir) : tls_dir_(std::move(tls_dir)), members_(members) {
  for (Member& m : members_) {
    m.client_port = FreeLoopbackPort();
    m.peer_port = FreeLoopbackPort();
  }
  for (int i = 0; i < members; ++i) Start(i, /*existing=*/false);
  AwaitHealthy();
}

// Ready once a member's /health says so (asked with the CA and the
// server's own certificate, which is good for clients too here).
void EtcdCluster::AwaitHealthy() {
  const std::string tls = tls_dir_.empty() ? ""
                                           : absl::StrCat(" --cacert ", tls_dir_, "/ca.pem --cert ", tls_dir_,
                                                          "/client-probe.pem --key ", tls_dir_, "/client-probe.key");
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  for (;;) {
    const std::string probe =
        absl::StrCat("curl -sf -m 1", tls, " ", endpoint(0), "/health 2>/dev/null | grep -q '\"health\":\"true\"'");
    if (std::system(probe.c_str()) == 0) break;
    if (absl::Now() > deadline) {
      ADD_FAILURE() << "etcd did not become healthy; its logs are in " << dir_.path();
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

EtcdCluster::~EtcdCluster() {
  for (int i = 0; i < static_cast<int>(members_.size()); ++i) {
    if (members_[i].pid > 0) {
      kill(members_[i].pid, SIGCONT);
      Kill(i);
    }
  }
}

std::string EtcdCluster::endpoint(int member) const {
  return absl::StrCat(Scheme(), "://127.0.0.1:", members_[member].client_port);
}

std::vector<std::string> EtcdCluster::endpoints() const {
  std::vector<std::string> out;
  for (int i = 0; i < static_cast<int>(members_.size()); ++i) out.push_back(endpoint(i));
  return out;
}

void EtcdCluster::Start(int member, bool existing) {
  std::vector<std::string> peers;
  for (int i = 0; i < static_cast<int>(members_.size()); ++i) {
    peers.push_back(absl::StrCat("m", i, "=http://127.0.0.1:", members_[i].peer_port));
  }
  const Member& m = members_[member];
  const std::string name = absl::StrCat("m", member);
  std::vector<std::string> args = {
      "/usr/bin/etcd",
      "--name=" + name,
      absl::StrCat("--data-dir=", dir_.path(), "/", name),
      absl::StrCat("--listen-client-urls=", Scheme(), "://127.0.0.1:", m.client_port),
      absl::StrCat("--advertise-client-urls=", Scheme(), "://127.0.0.1:", m.client_port),
      absl::StrCat("--listen-peer-urls=http://127.0.0.1:", m.peer_port),
      absl::StrCat("--initial-advertise-peer-urls=http://127.0.0.1:", m.peer_port),
      "--initial-cluster=" + absl::StrJoin(peers, ","),
      std::string("--initial-cluster-state=") + (existing ? "existing" : "new"),
      "--initial-cluster-token=hirs-test",
      "--heartbeat-interval=50",
      "--election-timeout=500",
      "--logger=zap",
      absl::StrCat("--log-outputs=", dir_.path(), "/", name, ".log"),
  };
  if (!tls_dir_.empty()) {
    args.push_back("--client-cert-auth");
    args.push_back(absl::StrCat("--trusted-ca-file=", tls_dir_, "/ca.pem"));
    args.push_back(absl::StrCat("--cert-file=", tls_dir_, "/server.pem"));
    args.push_back(absl::StrCat("--key-file=", tls_dir_, "/server.key"));
  }
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  members_[member].pid = pid;
}

void EtcdCluster::Kill(int member) {
  Member& m = members_[member];
  if (m.pid <= 0) return;
  kill(m.pid, SIGKILL);
  waitpid(m.pid, nullptr, 0);
  m.pid = -1;
}

void EtcdCluster::Pause(int member) { kill(members_[member].pid, SIGSTOP); }

void EtcdCluster::Continue(int member) { kill(members_[member].pid, SIGCONT); }

void EtcdCluster::Restart(int member) { Start(member, /*existing=*/true); }

bool Eventually(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return true;
}

}  // namespace hirs::testing
