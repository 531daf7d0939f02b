// A client of etcd's v3 API (gRPC, proto/etcd/) with what replicated mode
// needs: ranges, transactions, leases and watches, each call bounded by a
// deadline and answered as an absl::Status. etcd does consensus, leader
// election's atomicity and the durability of the log on a quorum; this is
// only the wire.
#ifndef HIRS_SERVICES_REPLICATION_ETCD_H_
#define HIRS_SERVICES_REPLICATION_ETCD_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"

namespace hirs::replication {

struct EtcdOptions {
  // Client URLs, e.g. "https://10.0.0.1:2379"; the channel fails over
  // between them. All http:// or all https://.
  std::vector<std::string> endpoints;
  // TLS (https:// endpoints): the CA that signed etcd's certificate, and
  // this client's certificate and key (etcd's --client-cert-auth).
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // The deadline of every unary call.
  absl::Duration call_timeout = absl::Seconds(5);
};

// The end of the key range holding every key that starts with `prefix`
// (etcd's range_end for a prefix).
std::string PrefixEnd(absl::string_view prefix);

// Makes `txn` hold only if `key` was created at `revision` (0: only if
// `key` does not exist).
void RequireCreateRevision(etcdserverpb::TxnRequest* txn, absl::string_view key, int64_t revision);

// The contents of a PEM file (a certificate, key or CA bundle);
// INVALID_ARGUMENT naming it when it cannot be read.
absl::StatusOr<std::string> ReadPem(const std::string& path);

// A status from a gRPC call to etcd: the same code, "etcd: " + message.
absl::Status FromEtcd(const grpc::Status& status);

// Thread safe.
class Etcd {
 public:
  // INVALID_ARGUMENT for no endpoint, mixed schemes or an unreadable TLS
  // file. Connects lazily: an unreachable etcd shows in the first call.
  static absl::StatusOr<std::unique_ptr<Etcd>> Connect(const EtcdOptions& options);

  absl::StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request) const;
  absl::StatusOr<etcdserverpb::PutResponse> Put(const etcdserverpb::PutRequest& request) const;
  absl::StatusOr<etcdserverpb::DeleteRangeResponse> DeleteRange(const etcdserverpb::DeleteRangeRequest& request) const;
  absl::StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request) const;
  absl::StatusOr<etcdserverpb::CompactionResponse> Compact(int64_t revision) const;
  // Defragments the member this channel is connected to.
  absl::Status Defragment() const;

  // A lease of `ttl` (whole seconds, at least 1); its id.
  absl::StatusOr<int64_t> GrantLease(absl::Duration ttl) const;
  // Renews lease `id` once: its remaining TTL. NOT_FOUND once it expired.
  absl::StatusOr<absl::Duration> KeepAlive(int64_t id, absl::Duration timeout) const;
  absl::Status RevokeLease(int64_t id) const;

  // A watch over every key starting with `prefix` from `start_revision`
  // (0: from now). `on_events` runs on the watch's own thread, once per
  // response with events, in revision order; `on_end` once when the watch
  // ends (etcd cancelled it, e.g. because start_revision was compacted, or
  // the stream broke), unless it was stopped. Stops on destruction.
  class Watch {
   public:
    ~Watch();
    void Stop();

   private:
    friend class Etcd;
    Watch() = default;
    std::unique_ptr<grpc::ClientContext> context_;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
  };
  using OnEvents = std::function<void(const etcdserverpb::WatchResponse& response)>;
  using OnEnd = std::function<void(const absl::Status& why)>;
  std::unique_ptr<Watch> WatchPrefix(absl::string_view prefix, int64_t start_revision, OnEvents on_events,
                                     OnEnd on_end) const;

 private:
  Etcd(std::shared_ptr<grpc::Channel> channel, absl::Duration call_timeout);
  std::unique_ptr<grpc::ClientContext> CallContext() const;

  const std::shared_ptr<grpc::Channel> channel_;
  const absl::Duration call_timeout_;
  std::unique_ptr<etcdserverpb::KV::Stub> kv_;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease_;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch_;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance_;
};

}  // namespace hirs::replication

#endif  // HIRS_SERVICES_REPLICATION_ETCD_H_
