// hirsd in replicated mode (--replication=etcd): one replica of a cluster
// whose log lives in etcd (services/replication/replicated_log.h). The
// store is opened once; the log applies every write to it. While another
// replica leads, this one answers on its listeners only that it is not the
// leader: gRPC calls UNAVAILABLE with the leader's address in the message
// and a google.rpc.ErrorInfo (reason NOT_LEADER, metadata "leader"),
// grpc.health.v1 NOT_SERVING (on health_listen too), and on the HTTP door
// (TLS as the leader's; no pages) /healthz 200, /readyz 503 and every API
// call 503 NOT_LEADER. Once it leads (the whole log applied), it serves as the single
// node does (Server), its writes through the log; when it stops leading it
// stops that server at once and answers as a follower again.
//
// A replica that finds the log entries it needs truncated (it was away
// longer than the leader keeps entries, or starts empty after that)
// re-seeds itself: it fetches a snapshot of the leader's store
// (services/replication/snapshot.h), puts it in place of its own store,
// and follows the log from there. Over TLS it calls the leader with its
// own certificate, trusting tls_client_ca_file (else the system's roots).
#ifndef HIRS_SERVICES_SERVER_REPLICA_H_
#define HIRS_SERVICES_SERVER_REPLICA_H_

#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "services/replication/etcd.h"
#include "services/replication/replicated_log.h"
#include "services/replication/sealer.h"
#include "services/server/server.h"
#include "storage/store.h"

namespace hirs::server {

class FollowerFront;

// Thread safe.
class Replica {
 public:
  // Opens the store, connects to etcd and starts following and
  // campaigning. Errors name what could not be set up.
  static absl::StatusOr<std::unique_ptr<Replica>> Start(const ServerOptions& options);
  ~Replica();

  // The gRPC and HTTP addresses bound (the same whether following or
  // leading).
  const std::string& address() const { return options_.listen; }
  const std::string& http_address() const { return options_.http_listen; }
  // The metrics listener (--metrics_listen), "" without: the replica's
  // for its whole life, following or leading. Its store's figures always;
  // the calls and watches of the leader's server while it leads.
  const std::string& metrics_address() const { return metrics_address_; }
  bool leading() const;
  // Snapshots this replica has re-seeded itself from.
  int reseeds() const;
  // The last log index its store applied.
  absl::StatusOr<uint64_t> applied_index() const;

  // Stops serving, resigns the leadership if held, closes the store.
  void Shutdown();

 private:
  Replica() = default;
  void OnRole(bool leading);
  bool stopping() const;
  // The follower's listeners, on options_'s addresses.
  absl::Status StartFront();
  // The metrics listener, when asked for.
  absl::Status ServeMetrics();
  // Creates the log over store_ and starts following. REQUIRES: mu_ held
  // or the replica not yet shared.
  absl::Status StartLog();
  // On the log's thread: starts a re-seed unless one runs.
  void OnTruncatedPast();
  // The re-seeding thread: fetches and swaps until it succeeds or the
  // replica stops.
  void Reseed();
  absl::Status ReseedOnce();
  // Stops following, puts the snapshot in `fresh` in place of the store
  // and follows again (on the old store if the new one does not open).
  absl::Status SwapStore(const std::string& fresh);

  // Serves --metrics_listen from Start until destroyed; the leader's
  // server counts its calls here. Declared first: destroyed last.
  std::unique_ptr<metrics::Metrics> metrics_;
  std::string metrics_address_;
  ServerOptions options_;  // listen, http_listen and health_listen with the ports bound
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<replication::Etcd> etcd_;
  std::unique_ptr<replication::Sealer> sealer_;
  std::string replica_secret_;  // presented to the leader for a snapshot
  std::unique_ptr<replication::ReplicatedLog> log_;
  mutable std::mutex mu_;
  bool stopping_ = false;
  bool reseeding_ = false;
  int reseeds_ = 0;
  std::thread reseeder_;
  std::unique_ptr<FollowerFront> front_;
  std::unique_ptr<Server> server_;
};

}  // namespace hirs::server

#endif  // HIRS_SERVICES_SERVER_REPLICA_H_
