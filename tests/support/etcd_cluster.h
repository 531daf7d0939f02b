// Real etcd members (Debian's /usr/bin/etcd) on loopback ports, for the
// tests of replicated mode: started, killed, stopped, continued and
// restarted on their data.
#ifndef HIRS_TESTS_SUPPORT_ETCD_CLUSTER_H_
#define HIRS_TESTS_SUPPORT_ETCD_CLUSTER_H_

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"

#include "tests/support/domain_support.h"

namespace hirs::testing {

class EtcdCluster {
 public:
  // Starts `members` members and waits until the cluster answers
  // (ASSERT-style failure in the calling test otherwise). Elections are
  // tuned for loopback: 50 ms heartbeats, a 500 ms election timeout.
  explicit EtcdCluster(int members);
  // With clients served over TLS and required to present a certificate
  // signed by the CA: `tls_dir` holds deploy/dev-certs.sh's ca.pem and
  // server.pem/server.key (the members' certificate).
  EtcdCluster(int members, std::string tls_dir);
  ~EtcdCluster();

  // "http://127.0.0.1:PORT" of every member.
  std::vector<std::string> endpoints() const;
  std::string endpoint(int member) const;

  void Kill(int member);      // SIGKILL
  void Pause(int member);     // SIGSTOP
  void Continue(int member);  // SIGCONT
  // Starts a killed member again on its data.
  void Restart(int member);
  bool running(int member) const { return members_[member].pid > 0; }

 private:
  struct Member {
    int client_port = 0;
    int peer_port = 0;
    pid_t pid = -1;
  };
  void Start(int member, bool existing);
  void AwaitHealthy();
  std::string Scheme() const { return tls_dir_.empty() ? "http" : "https"; }

  TempDir dir_;
  std::string tls_dir_;
  std::vector<Member> members_;
};

// A TCP port on 127.0.0.1 free when asked.
int FreeLoopbackPort();

// Whether `done` turns true within `timeout`, asked every 50 ms.
bool Eventually(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(10));

}  // namespace hirs::testing

#endif  // HIRS_TESTS_SUPPORT_ETCD_CLUSTER_H_
