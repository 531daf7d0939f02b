// Replicated mode's log (storage::WriteLog) in etcd. One replica leads: it
// holds the leadership key, bound to its lease, and appends each write to
// the log under `<prefix>/log/<index>` in a transaction that succeeds only
// while it still holds that key (fencing) and only where the index is free;
// once etcd has committed it (a quorum has it on disk) the entry is applied
// to the local store and the write answered. Concurrent writes share one
// transaction (group commit). Every other replica follows: it applies the
// log's entries in index order, byte for byte, and campaigns for the
// leadership key whenever it is free; a new leader first applies the whole
// log. A leader that cannot renew its lease in time stops leading at once,
// before the lease can expire.
//
// Every replica publishes the last index it applied, under a lease of its
// own so that a replica that died stops counting; the leader deletes the
// log below what every live replica has applied, but keeps `keep_entries`
// behind the last (for a replica re-seeded from a fresh backup) and never
// more than `max_entries` (so that a stuck replica cannot grow the log
// without bound). A replica that finds the entries it needs deleted
// stops following and says so (following_problem, on_truncated_past): it
// must be re-seeded from the leader (snapshot.h; the replica does it).
//
// Keys under `<prefix>` ("/hirs/<cluster>"):
//   leader                 the leader's advertised address (with its lease)
//   log/<index, 20 digits> a LogEntry, sealed (sealer.h)
//   applied/<replica id>   the last index the replica applied (with its
//                          presence lease)
//   first                  the lowest index not truncated (absent: 1)
#ifndef HIRS_SERVICES_REPLICATION_REPLICATED_LOG_H_
#define HIRS_SERVICES_REPLICATION_REPLICATED_LOG_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/replication/etcd.h"
#include "services/replication/sealer.h"
#include "storage/store.h"

namespace hirs::replication {

struct LogOptions {
  // The cluster's name: its keys live under "/hirs/<cluster>/".
  std::string cluster;
  // This replica's name, unique in the cluster.
  std::string replica_id;
  // This replica's address as clients reach it (HOST:PORT), published
  // while it leads.
  std::string advertise;
  // The leader's lease. It stops leading when a renewal has not succeeded
  // for half of it.
  absl::Duration lease_ttl = absl::Seconds(3);
  // Group commit: at most this many entries, and bytes, in one transaction
  // (etcd's limits: 128 operations, 1.5 MiB a request by default).
  size_t max_group_entries = 32;
  size_t max_group_bytes = 1 << 20;
  // Truncation (above): entries always kept behind the last, and the most
  // kept whatever a replica has applied.
  uint64_t keep_entries = 100000;
  uint64_t max_entries = 2000000;
  // How often the leader truncates.
  absl::Duration truncate_every = absl::Seconds(10);
};

// UNAVAILABLE saying this replica is not the leader and naming `leader`
// ("": none known), in the message and as a google.rpc.ErrorInfo payload
// (reason NOT_LEADER, domain "hirs", metadata "leader"), which the gRPC
// and HTTP doors pass on as an error detail.
absl::Status NotLeaderError(const std::string& leader);

// "<index, 20 digits>": log keys sort in index order.
std::string LogIndexKey(absl::string_view prefix, uint64_t index);

class ReplicatedLog : public storage::WriteLog {
 public:
  // `etcd`, `store` and `sealer` are borrowed. `on_role(true)` runs once this
  // replica leads (the whole log applied), `on_role(false)` once it stops;
  // both on the log's own thread.
  ReplicatedLog(const Etcd* etcd, storage::Store* store, const Sealer* sealer, LogOptions options,
                std::function<void(bool)> on_role);
  ~ReplicatedLog() override;

  // Called, on the log's thread, each time this replica finds that the
  // entries it needs next were truncated (it neither follows nor
  // campaigns). Set before Start.
  void OnTruncatedPast(std::function<void()> callback) { on_truncated_past_ = std::move(callback); }

  // Starts following and campaigning.
  void Start();
  // Stops, resigning the leadership if held.
  void Stop();

  // WriteLog: the leader appends; anywhere else UNAVAILABLE naming the
  // leader. RESOURCE_EXHAUSTED for an entry over max_group_bytes (etcd
  // would refuse it), appending nothing.
  absl::Status Append(hirs::store::v1::LogEntry entry) override;

  bool leading() const;
  // The leader's advertised address, "" when none is known.
  std::string leader() const;
  // Why this replica cannot follow the log ("" when it can), e.g. that
  // the entries it needs were truncated and it must be re-seeded.
  std::string following_problem() const;
  // The leader's advertised address as etcd holds it now ("": none).
  absl::StatusOr<std::string> ReadLeader() const;
  // The lowest index the log still holds, as the leader last truncated
  // it (1 before any truncation); for tests and metrics.
  uint64_t first_kept() const;

 private:
  struct Pending;

  void Run();
  // One round as a follower: apply what the log holds beyond the store,
  // then campaign. True once elected.
  bool FollowAndCampaign();
  // Applies every entry after the store's last applied index; the revision
  // the read saw. With `check_first`, first fails (TruncatedPast) when the
  // entries after it were truncated; without, that shows only as a gap.
  absl::StatusOr<int64_t> CatchUp(bool check_first);
  // FAILED_PRECONDITION (TruncatedPast) when the log no longer holds the
  // entry after `applied`; notes the log's first index.
  absl::Status CheckNotTruncatedPast(uint64_t applied);
  // Applies the log entries among `kvs` that follow index `applied`, in
  // order: the last index applied after them.
  absl::StatusOr<uint64_t> ApplyKeyValues(const google::protobuf::RepeatedPtrField<mvccpb::KeyValue>& kvs,
                                          uint64_t applied);
  bool Campaign();
  // Once elected: a store holding data at applied index 0 (a single node's
  // store, a restored or filled one) becomes the log's base. The leader
  // appends an empty entry at index 1 and marks the log as starting at 2,
  // so that a replica still at index 0 re-seeds from it instead of
  // following the log over an empty store. The index applied after.
  absl::StatusOr<uint64_t> MarkBase(uint64_t applied);
  // While leading: renews the lease until it fails for half its TTL.
  void Lead();
  // Publishes this replica's applied index, synced to disk first (at most
  // every second), renewing its presence lease.
  void PublishApplied();
  // The leader's truncation (above).
  void Truncate();
  void StepDown(const absl::Status& why);
  // The committer: appends groups of pending writes to the log, one
  // transaction at a time, each handed to the applier once committed.
  void Commit();
  // Appends `group` at the next free index (`first`), fenced by the
  // leadership key.
  absl::Status AppendGroup(const std::deque<Pending*>& group, uint64_t* first);
  // The applier: applies committed groups in index order and answers
  // their writers, while the committer appends the next (so a group's
  // local write does not delay the next group's transaction).
  void ApplyCommitted();
  // Answers a group's writers; a failure also ends the leadership.
  // REQUIRES: mu_ held.
  void Finish(const std::deque<Pending*>& group, const absl::Status& status);
  // The transaction that appends `entries` at indexes `first`, `first` + 1,
  // ...: only while the leadership key is the one created at `fence` and
  // only where each index is free; each entry sealed for its index.
  etcdserverpb::TxnRequest AppendTxn(uint64_t first, const std::vector<const hirs::store::v1::LogEntry*>& entries,
                                     int64_t fence) const;

  const Etcd* const etcd_;
  storage::Store* const store_;
  const Sealer* const sealer_;
  const LogOptions options_;
  const std::string prefix_;
  const std::function<void(bool)> on_role_;
  std::function<void()> on_truncated_past_;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool stopping_ = false;
  bool leading_ = false;
  uint64_t log_events_ = 0;  // watch responses seen on the log: a follower reads on
  std::string following_problem_;
  int64_t presence_lease_ = 0;
  uint64_t published_ = 0;
  absl::Time published_at_ = absl::InfinitePast();
  absl::Time truncated_at_ = absl::InfinitePast();
  absl::Time campaigned_at_ = absl::InfinitePast();  // the runner's last full round
  uint64_t first_kept_ = 1;
  std::string leader_;
  int64_t lease_ = 0;
  int64_t leader_revision_ = 0;  // the create revision of our leadership key
  uint64_t next_index_ = 0;
  std::deque<Pending*> pending_;
  // Groups in the log, in index order, not yet applied here.
  struct Committed {
    std::deque<Pending*> group;
    uint64_t first = 0;
  };
  std::deque<Committed> committed_;
  bool applying_ = false;  // the applier holds a group taken from committed_
  std::unique_ptr<Etcd::Watch> watch_;
  std::thread runner_;
  std::thread committer_;
  std::thread applier_;
};

}  // namespace hirs::replication

#endif  // HIRS_SERVICES_REPLICATION_REPLICATED_LOG_H_
