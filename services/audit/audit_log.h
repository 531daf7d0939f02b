// The audit trail: one entry per call (who, which method, which reports and
// cases, the outcome, when, from where), appended to the store's audit
// family as a hash chain. Entry n's hash is SHA-256 over entry n-1's hash
// and entry n's canonical encoding (ChainHash), so altering, removing or
// reordering any entry breaks every later hash; the chain's head (last
// sequence and hash) is also kept in the meta family, so removing entries
// from the end is caught too. VerifyChain checks all of it.
//
// A call's answer leaves only after its entry is durable, and a call whose
// entry cannot be written answers UNAVAILABLE. The entry gets there in one
// of three ways:
//   - Stage: a call that writes puts its entry into its own batch as a
//     pending record, so the entry costs no write of its own; Chain hands
//     it on once the batch is written.
//   - Write: a call on a worker thread that writes nothing (a read) writes
//     its pending record by itself, synced, then answers.
//   - Append: a call answered from a gRPC reaction (a refusal), which must
//     not block, queues its entry; it is written synced, then `done` runs.
// One chainer thread gives pending and queued entries their sequence and
// hash, in the order they reach it, and writes them with the head in one
// batch, deleting the pending records. Pending records left by a crash are
// chained when the log is next opened. Entries hold ids and codes only,
// never personal data.
#ifndef HIRS_SERVICES_AUDIT_AUDIT_LOG_H_
#define HIRS_SERVICES_AUDIT_AUDIT_LOG_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hirs/v1/admin_service.pb.h"
#include "storage/store.h"

namespace hirs::audit {

// An entry names at most this many resources (a page of cases, a stream).
inline constexpr size_t kMaxResourceIds = 1000;
// The hash before the first entry: 32 zero bytes.
std::string GenesisHash();

// SHA-256(previous_hash || canonical encoding of `entry` without its hash):
// length-prefixed fields in a fixed order, so it never depends on how
// protobuf serialises.
std::string ChainHash(absl::string_view previous_hash, const hirs::v1::AuditEntry& entry);

// An entry of `principal_id` calling `method` at `time` with `outcome`
// (its status code's name) and the ids it touched; AuditLog sets its
// sequence and hash.
hirs::v1::AuditEntry NewEntry(absl::string_view principal_id, absl::string_view method, absl::Time time,
                              absl::StatusCode outcome, std::vector<std::string> resource_ids = {});

// An entry staged into a call's batch (AuditLog::Stage). Move only.
class StagedEntry {
 public:
  StagedEntry() = default;
  StagedEntry(StagedEntry&&) = default;
  StagedEntry& operator=(StagedEntry&&) = default;

 private:
  friend class AuditLog;
  uint64_t ticket_ = 0;
  hirs::v1::AuditEntry entry_;
};

// Thread safe.
class AuditLog {
 public:
  // Reads the chain's head from the store, chains the pending records a
  // crash left (those that do not parse stay, and VerifyChain reports
  // them), and starts the chainer.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(storage::Store* store);
  // Stop().
  ~AuditLog();

  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Each way in cuts `entry`'s resource ids to kMaxResourceIds; its
  // sequence and hash are set when it is chained.

  // Adds `entry` to `batch` as a pending record: durable when the batch is.
  // Once Store::Write has written the batch, pass the result to Chain; if
  // the batch is not written, drop it (the call then records its failure
  // with Write or Append).
  StagedEntry Stage(hirs::v1::AuditEntry entry, storage::WriteBatch* batch);
  // Hands a written entry to the chainer. Does not wait. After Stop the
  // entry stays pending and is chained when the log is next opened.
  void Chain(StagedEntry staged);

  // Writes `entry` as a pending record in a batch of its own, synced, and
  // hands it to the chainer: OK once it is durable. Blocks for the write,
  // so only on worker threads. UNAVAILABLE when it could not be written, or
  // after Stop.
  absl::Status Write(hirs::v1::AuditEntry entry);

  // Queues `entry`. `done` runs on the chainer thread once the entry is
  // chained and written, synced (OK), or could not be (UNAVAILABLE, and
  // the entry is not in the chain); after Stop, at once with UNAVAILABLE.
  // `done` must be quick and must not append.
  void Append(hirs::v1::AuditEntry entry, std::function<void(const absl::Status&)> done);

  // Append and wait for the outcome.
  absl::Status AppendAndWait(hirs::v1::AuditEntry entry);

  // Waits until every entry handed on before the call is chained, so that
  // VerifyChain and ListEntries see every call answered before; false if
  // that took longer than `timeout` (the chainer cannot write: the
  // entries stay pending, and are chained once it can).
  bool Drain(absl::Duration timeout);

  // Chains what was handed on, then refuses further entries. Idempotent.
  void Stop();

 private:
  struct Queued {
    hirs::v1::AuditEntry entry;
    uint64_t ticket;  // 0: an Append, not yet durable
    std::function<void(const absl::Status&)> done;
  };
  AuditLog(storage::Store* store, uint64_t head_sequence, std::string head_hash, uint64_t next_ticket);
  // Moves `item` into the chainer's queue; false (and `item` untouched)
  // after Stop.
  bool Enqueue(Queued& item);
  void Run();
  // Whether the chainer should take the queue now rather than linger.
  bool ChainNow() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Chains `batch` after the head and writes it (synced when it holds an
  // Append); on success advances the head.
  absl::Status WriteChained(std::vector<Queued>& batch);

  storage::Store* const store_;
  std::atomic<uint64_t> next_ticket_;
  // Touched by the chainer thread (or Open, before it starts) only.
  uint64_t head_sequence_;
  std::string head_hash_;

  absl::Mutex mu_;
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  // Items ever queued, and items the chainer has finished with.
  uint64_t queued_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t finished_ ABSL_GUARDED_BY(mu_) = 0;
  // Appends in queue_ and Drain calls waiting: someone waits for the
  // chainer, which then does not linger (Run).
  size_t appends_queued_ ABSL_GUARDED_BY(mu_) = 0;
  int draining_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread chainer_;
  absl::once_flag stop_once_;
};

// Checks every entry: sequences 1, 2, ... without a gap, each key matching
// its entry's sequence, each hash matching ChainHash of the one before, and
// the last matching the head in meta; and counts pending records (written,
// not chained yet), each of which must parse. ok=false with the first
// problem found (entry sequence and what is wrong).
absl::StatusOr<hirs::v1::VerifyAuditResponse> VerifyChain(const storage::Store& store);

// Entries touching request.case_id (any report, case or other resource id)
// and/or made by request.principal_id (both: both), oldest first. Page
// size 50 by default, at most 1000. INVALID_ARGUMENT for a bad page size
// or token.
absl::StatusOr<hirs::v1::ListAuditEntriesResponse> ListEntries(const storage::Store& store,
                                                               const hirs::v1::ListAuditEntriesRequest& request);

}  // namespace hirs::audit

#endif  // HIRS_SERVICES_AUDIT_AUDIT_LOG_H_
