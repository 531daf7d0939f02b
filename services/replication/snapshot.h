// Re-seeding a replica from its leader (replicated mode). A replica whose
// next log entries were truncated cannot follow the log; it fetches a
// snapshot of the leader's store instead (ReplicaService.FetchSnapshot,
// proto/hirs/replication/v1/replica_service.proto), checks every file's
// SHA-256, opens its store from the snapshot and follows the log from the
// index the snapshot holds.
//
// The call is the cluster's own: the caller presents a secret derived from
// the HMAC key every replica holds (kReplicaSecretLabel), in hex, as the
// `x-hirs-replica-key` metadata; it travels over the gRPC listener's TLS
// where TLS is configured.
#ifndef HIRS_SERVICES_REPLICATION_SNAPSHOT_H_
#define HIRS_SERVICES_REPLICATION_SNAPSHOT_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hirs/replication/v1/replica_service.grpc.pb.h"
#include "storage/store.h"

namespace hirs::replication {

// The KeyedHasher::Mac domain the replicas' secret is derived under.
inline constexpr char kReplicaSecretLabel[] = "replica-snapshot";
inline constexpr char kReplicaKeyMetadata[] = "x-hirs-replica-key";

// The leader's side. One snapshot is sent at a time; each is a checkpoint
// written under `scratch_dir` (on the store's filesystem, so that its
// files are hard links) and removed once sent or abandoned.
class SnapshotService : public hirs::replication::v1::ReplicaService::CallbackService {
 public:
  // `store` is borrowed and must outlive the service.
  SnapshotService(storage::Store* store, std::string scratch_dir, std::string secret);

  grpc::ServerWriteReactor<hirs::replication::v1::FetchSnapshotResponse>* FetchSnapshot(
      grpc::CallbackServerContext* context, const hirs::replication::v1::FetchSnapshotRequest* request) override;

 private:
  class Sender;

  storage::Store* const store_;
  const std::string scratch_dir_;
  const std::string secret_hex_;
  std::atomic<bool> busy_{false};  // one snapshot at a time, in <scratch_dir>/snapshot
};

struct FetchOptions {
  std::string leader;  // HOST:PORT of the leader's gRPC listener
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  std::string secret;  // KeyedHasher::Mac(kReplicaSecretLabel, {})
  std::string replica_id;
  // Bounds the whole transfer.
  absl::Duration deadline = absl::Minutes(30);
  // Checked between pieces: true abandons the fetch (CANCELLED).
  std::function<bool()> stopping = [] { return false; };
};

// Fetches the leader's snapshot into `dir`, which must not exist (it is
// created; on an error it may hold part of the snapshot). Every file is
// written, checked against its SHA-256 and synced. Returns the bytes
// received. Errors: the leader's (PERMISSION_DENIED, UNAVAILABLE, ...),
// DATA_LOSS for a file that does not match its digest or a stream that
// ends early.
absl::StatusOr<uint64_t> FetchSnapshot(const FetchOptions& options, const std::string& dir);

}  // namespace hirs::replication

#endif  // HIRS_SERVICES_REPLICATION_SNAPSHOT_H_
