// The RocksDB store behind hirs. This is the only code that knows RocksDB:
// column families, write batches, iterators. rocksdb::Status never leaves
// storage/; errors come back as absl::Status:
//   UNAVAILABLE        I/O error, no space (or free space below the
//                      reserve, see StoreOptions::min_free_bytes), or the DB
//                      is shutting down
//   DATA_LOSS          corruption
//   FAILED_PRECONDITION a store written by a newer schema; a compaction
//                      already running or without the room it needs
#ifndef HIRS_STORAGE_STORE_H_
#define HIRS_STORAGE_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hirs/store/v1/records.pb.h"
#include "storage/backup.h"

namespace rocksdb {
class DB;
class Status;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace hirs::storage {

// Column families, each with one job (see DESIGN.md "Storage").
enum class Family {
  kReports,        // report_id -> StoredReport
  kCases,          // case_id -> StoredCase
  kFingerprints,   // fingerprint (32 bytes) -> FingerprintCases (storage/fingerprints.h)
  kRequests,       // idempotency: principal + request id / content digest
  kIndexes,        // secondary indexes of cases, keys only
  kChanges,        // change sequence (big endian) -> CaseEvent
  kReview,         // review items
  kAudit,          // audit hash chain
  kMeta,           // schema version and other store-wide values
  kFeatures,       // report_id -> MatchFeatures (what collation compares)
  kCounts,         // term-frequency counters for collation; 8-byte little-endian, summed by Merge
  kExtracts,       // district extract history (versions of each case's row) and pulls
  kPrincipals,     // principal id -> StoredPrincipal (managed through AdminService)
  kMembers,        // case id + "|" + report id -> CollationExplanation: every report of a case
  kPeople,         // person id -> StoredPerson (services/auth/people.h)
  kSessions,       // SHA-256 of a session token -> StoredSession
  kCentreReports,  // centre id + "\0" + report id -> "": each centre's reports (storage/keys.h)
  kCaseChanges,    // case id + "\0" + change sequence -> "": each case's changes (storage/keys.h)
  kCentreCases,    // centre id + "\0" + case id + "\0" + report id -> "": a centre's reports by case
};
inline constexpr int kFamilyCount = 19;

// The column family's name in RocksDB.
absl::string_view FamilyName(Family family);

struct StoreOptions {
  // Directory of the database; created if missing.
  std::string path;
  // Sync the write-ahead log before a write is acknowledged. Turning this off
  // trades durability on power loss (not on process crash) for throughput.
  bool sync_writes = true;
  // Memory, bounded whatever the store's size. The block cache holds data
  // blocks and every SST file's index and bloom filter (peak RSS by store
  // size: tests/bench/README.md, run_scale.sh).
  size_t block_cache_bytes = 256 << 20;
  // A ceiling on all families' memtables together, above what they hold in
  // steady use (each flushes its own at 64 MiB): reaching it flushes the
  // oldest, however small, and 256 MiB stalled submissions around such
  // flushes (measured 2026-11-23 with tests/bench/run_load.sh).
  size_t memtable_bytes = 512 << 20;
  // The write-ahead logs kept for families whose memtables are not yet
  // flushed: beyond this, the families holding the oldest log are flushed.
  // It bounds what a restart after a crash replays.
  uint64_t max_wal_bytes = uint64_t{1} << 30;
  // Free space below which Write refuses with UNAVAILABLE before touching
  // RocksDB (reads go on); batches marked WriteBatch::UseReserve (the audit
  // trail) may use its last quarter, which compactions also leave free.
  // Writes resume once space is freed. 0: no check.
  uint64_t min_free_bytes = 0;
};

// What Store::CompactAll did.
struct CompactionInfo {
  absl::Duration took;
  // The SST files' total size before and after.
  uint64_t size_bytes_before = 0;
  uint64_t size_bytes_after = 0;
};

// A set of puts and deletes applied atomically by Store::Write. Not thread
// safe; cheap to move.
class WriteBatch {
 public:
  void Put(Family family, absl::string_view key, absl::string_view value);
  void Delete(Family family, absl::string_view key);
  // Adds a merge operand to `key`. REQUIRES: a family with a merge operator
  // (kCounts through AddToCount, kFingerprints through fingerprints.h).
  void Merge(Family family, absl::string_view key, absl::string_view operand);
  // Adds `delta` to the counter at `key`. REQUIRES: family == Family::kCounts.
  void AddToCount(Family family, absl::string_view key, int64_t delta);
  // Appends a change-feed event about case `case_id`. Store::Write gives it
  // the next change sequence number, stores encode(sequence) under it in
  // kChanges, and indexes it under the case in kCaseChanges
  // (CaseChangeKey).
  void AppendChange(absl::string_view case_id, std::function<std::string(uint64_t sequence)> encode);

  // The batch may use the reserve of free space (StoreOptions::min_free_bytes).
  void UseReserve() { use_reserve_ = true; }
  // Write may return before the batch is on disk, even with sync_writes:
  // for a batch whose loss in a power cut is repaired at the next start.
  // The WAL keeps order: any later synced write makes it durable too.
  void SkipSync() { skip_sync_ = true; }

  bool empty() const { return ops_.empty() && changes_.empty(); }
  // The keys' and values' bytes added so far (change events aside).
  size_t bytes() const { return bytes_; }

 private:
  friend class Store;
  struct Op {
    enum Kind { kPut, kDelete, kMerge };
    Family family;
    std::string key;
    std::string value;
    Kind kind;
  };
  std::vector<Op> ops_;
  struct Change {
    std::string case_id;
    std::function<std::string(uint64_t)> encode;
  };
  std::vector<Change> changes_;
  size_t bytes_ = 0;
  bool use_reserve_ = false;
  bool skip_sync_ = false;
};

enum class ScanOrder { kAscending, kDescending };

// Replicated mode's log under Store::Write (services/replication): each
// write, resolved to its final operations, goes to the log, which makes it
// durable on a quorum and then applies it to this store in log order
// (Store::ApplyLogged) before Append returns.
class WriteLog {
 public:
  virtual ~WriteLog() = default;
  // OK once `entry` is in the log and applied here; otherwise it may or may
  // not be in the log (as a write whose answer was lost), and is not
  // applied here.
  virtual absl::Status Append(hirs::store::v1::LogEntry entry) = 0;
};

// kMeta: the index of the last log entry applied (8 bytes, big endian).
inline constexpr char kLogAppliedKey[] = "log_applied";

// Thread safe. Owns the rocksdb::DB; closing (destruction) flushes memtables.

class Store {
 public:
  // Opens or creates the store at options.path, creating missing column
  // families, and checks the schema version in kMeta: a new store gets
  // kSchemaVersion, one of a newer version is refused. An older store is
  // opened as it is; hirsd brings it up to date before serving
  // (services/records/migrations.h).
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The value at `key`, or std::nullopt when there is none.
  absl::StatusOr<std::optional<std::string>> Get(Family family, absl::string_view key) const;

  // The values at `keys`, in the same order (std::nullopt where there is
  // none): one batched read, cheaper than a Get per key.
  absl::StatusOr<std::vector<std::optional<std::string>>> MultiGet(Family family,
                                                                   const std::vector<std::string>& keys) const;

  // Calls `visit` for each entry whose key starts with `prefix`, in key
  // order (or its reverse), until it returns false or `limit` entries were
  // visited (0: no limit). A non-empty `resume_after` starts the scan just
  // beyond the key prefix + resume_after in the scan's order (a page's end).
  absl::Status Scan(Family family, absl::string_view prefix, size_t limit,
                    const std::function<bool(absl::string_view key, absl::string_view value)>& visit,
                    ScanOrder order = ScanOrder::kAscending, absl::string_view resume_after = "") const;

  // Scan over each of `prefixes` in turn with one iterator (cheaper than a
  // Scan per prefix); `visit` also receives the index of the prefix. Stops
  // everything when `visit` returns false.
  // `limits[i]` bounds the entries visited for prefixes[i] (0: no limit).
  // `resume_after`, when not empty, holds a resume point for each prefix
  // (as Scan's; "" for none).
  absl::Status ScanEach(
      Family family, const std::vector<std::string>& prefixes, const std::vector<size_t>& limits,
      const std::function<bool(size_t prefix_index, absl::string_view key, absl::string_view value)>& visit,
      ScanOrder order = ScanOrder::kAscending, const std::vector<std::string>& resume_after = {}) const;

  // Applies `batch` atomically. With sync_writes, the batch is in the synced
  // WAL when this returns OK. UNAVAILABLE, with nothing written, when free
  // space is below the reserve (StoreOptions::min_free_bytes). With a
  // WriteLog set, the batch goes through it (WriteLog::Append).
  absl::Status Write(WriteBatch batch);

  // Replicated mode. Sets the log every Write goes through (null: none).
  // Set before the store is written concurrently.
  void SetWriteLog(WriteLog* log) { log_ = log; }
  // Applies log entries in order, in one write that also records
  // `last_index` as the last applied (kLogAppliedKey); change sequences
  // then continue after the entries' last_change. The write is not synced:
  // the log, on a quorum, is the durable copy. After a power loss the store
  // comes back at an earlier applied index (a consistent prefix: RocksDB's
  // point-in-time recovery), and the replica applies the rest from the log
  // again. A process that dies without the machine loses nothing (the
  // write is in the OS's cache).
  absl::Status ApplyLogged(const std::vector<const hirs::store::v1::LogEntry*>& entries, uint64_t last_index);
  // Makes every write applied so far durable (RocksDB's SyncWAL): call it
  // before telling others an applied index, as the log is truncated below
  // what replicas report.
  absl::Status SyncApplied();
  // The last applied log index (0: none).
  absl::StatusOr<uint64_t> LastAppliedIndex() const;

  // Free bytes on the store's file system (for an unprivileged user), or
  // std::nullopt when it cannot be read.
  std::optional<uint64_t> FreeDiskBytes() const;
  // Whether the last ordinary write was refused for want of free space.
  bool refusing_writes() const { return refusing_writes_.load(std::memory_order_relaxed); }

  // Every change with a sequence number at or below this one is written and
  // visible; none above it is. Watchers read only up to here, so that a
  // change committed late with a lower number is never skipped.
  uint64_t LastVisibleChange() const;

  // Calls `listener` after every write that carried changes (whether or not
  // it succeeded), outside any lock. It must be cheap and must not block:
  // a wake-up. Set once, before the store is used concurrently.
  void SetChangeListener(std::function<void()> listener) { change_listener_ = std::move(listener); }

  // Flushes memtables to SST files (tests, backups, shutdown).
  absl::Status Flush();

  // A full compaction: every family rewritten into its last level, so that
  // each key is in one file and a look-up reads one level (the operands of
  // merged keys folded, deleted keys dropped), in the current table format
  // (after a change of FamilyOptions). Reads and writes go on meanwhile;
  // automatic compactions too. Blocks until done, one at a time: while one
  // runs, another gets FAILED_PRECONDITION. Refused with FAILED_PRECONDITION
  // before it starts when the disk's free space, less the reserve
  // (StoreOptions::min_free_bytes), is below the largest family's size (a
  // family's new files are written before its old ones go). When `*canceled`
  // turns true it stops with CANCELLED (on a 10M store, once measured, 10 ms
  // after the call's deadline, measured 2026-11-24), and with
  // UNAVAILABLE when StopCompactions is called; what it compacted by then
  // stays, and the store is as correct as before.
  absl::StatusOr<CompactionInfo> CompactAll(std::atomic<bool>* canceled = nullptr);

  // For a shutdown, which should not wait minutes for a compaction: stops
  // a running CompactAll (it returns UNAVAILABLE; what it compacted by then
  // stays) and refuses later ones with UNAVAILABLE. Returns once RocksDB has
  // stopped it. Automatic compactions go on.
  void StopCompactions();
  // Whether a CompactAll is running.
  bool compacting() const { return compacting_.load(); }

  // RocksDB's figures for monitoring, summed over the column families:
  // total-sst-files-size, estimate-pending-compaction-bytes,
  // is-write-stopped, actual-delayed-write-rate, num-running-compactions,
  // num-running-flushes, mem-table-flush-pending, cur-size-all-mem-tables,
  // block-cache-usage (keys "rocksdb.<name>").
  absl::flat_hash_map<std::string, uint64_t> Properties() const;

  // Adds a backup of the store as it is now to `backup_dir` (created if
  // missing) while the store keeps serving; see storage/backup.h.
  // Backups are taken one at a time.
  absl::StatusOr<BackupInfo> CreateBackup(const std::string& backup_dir);

  // Writes a checkpoint of the store as it is now into `dir` (which must
  // not exist; its parent must be on the store's filesystem): the
  // memtables flushed, then a point-in-time set of files, hard-linked
  // where they can be. It opens as a store (replicated mode re-seeds a
  // replica from it: the last applied log index is in it).
  absl::Status CreateCheckpoint(const std::string& dir);

  const StoreOptions& options() const { return options_; }

 private:
  Store(StoreOptions options, std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> handles);
  absl::Status CheckSchema();
  rocksdb::ColumnFamilyHandle* handle(Family family) const;
  // OK, or UNAVAILABLE when free space is below what the batch needs.
  absl::Status CheckFreeSpace(bool use_reserve);
  // After a write failed with an I/O error (a full disk, typically): once
  // there is room again, at most once a second, asks RocksDB to resume
  // writes or else reopens it. OK once writes may go on; the write error
  // until then.
  absl::Status RecoverIfStopped();
  // Every use of db_ and handles_ holds a DbUse, and goes on only when
  // ok(): the DB is open and not being reopened. Never blocks, so a scan's
  // visitor may use the store again.
  class DbUse {
   public:
    explicit DbUse(const Store* store);
    ~DbUse();
    DbUse(const DbUse&) = delete;
    DbUse& operator=(const DbUse&) = delete;
    bool ok() const { return ok_; }

   private:
    const Store* store_;
    bool ok_;
  };
  // `batch`'s operations with its changes numbered `sequences` (a put in
  // kChanges and one in kCaseChanges each).
  static std::vector<WriteBatch::Op> Resolve(WriteBatch batch, const std::vector<uint64_t>& sequences);
  // Adds an operation of WriteBatch::Op::Kind `kind` (LogEntry::Op::Kind's
  // number less one) to `rb`; InvalidArgument for another number.
  static rocksdb::Status AddOp(rocksdb::WriteBatch* rb, rocksdb::ColumnFamilyHandle* family, int kind,
                               absl::string_view key, absl::string_view value);
  // Writes `ops` in one atomic, synced (unless `skip_sync`) write.
  rocksdb::Status Apply(const std::vector<WriteBatch::Op>& ops, bool skip_sync);
  // Closes the DB (db_ becomes null). REQUIRES: no DbUse (destruction, or
  // reopening_ set with users_ at 0).
  void CloseDb(bool flush);
  // UNAVAILABLE: the DB is closed (a reopening failed).
  absl::Status Closed() const;

  const StoreOptions options_;
  // DbUses in progress, and whether the DB is being reopened (which only
  // starts when there are none).
  mutable std::atomic<int> users_{0};
  std::atomic<bool> reopening_{false};
  std::unique_ptr<rocksdb::DB> db_;                    // null after a failed reopening
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // indexed by Family; owned

  std::atomic<bool> refusing_writes_{false};
  std::atomic<bool> compacting_{false};           // a CompactAll is running
  std::atomic<bool> compactions_stopped_{false};  // StopCompactions was called
  absl::Mutex recovery_mu_;
  absl::Status stopped_ ABSL_GUARDED_BY(recovery_mu_);  // the I/O error that stopped writes
  absl::Time last_recovery_ ABSL_GUARDED_BY(recovery_mu_);
  std::function<void()> change_listener_;
  WriteLog* log_ = nullptr;
  mutable absl::Mutex changes_mu_;
  uint64_t next_change_ ABSL_GUARDED_BY(changes_mu_) = 1;              // next sequence to hand out
  std::set<uint64_t> changes_in_flight_ ABSL_GUARDED_BY(changes_mu_);  // handed out, not yet written
};

// The counter at `key` of kCounts (0 when absent).
absl::StatusOr<int64_t> ReadCount(const Store& store, absl::string_view key);
// The counters at `keys`, in order (0 where absent), in one batched read.
absl::StatusOr<std::vector<int64_t>> ReadCounts(const Store& store, const std::vector<std::string>& keys);

// The protobuf message stored at `key`, or std::nullopt when there is none.
// DATA_LOSS when the stored bytes do not parse as a Message.
template <typename Message>
absl::StatusOr<std::optional<Message>> ParseStored(Family family, const std::optional<std::string>& bytes) {
  if (!bytes.has_value()) return std::optional<Message>();
  Message message;
  if (!message.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat("unreadable ", Message::descriptor()->name(), " in ", FamilyName(family)));
  }
  return std::optional<Message>(std::move(message));
}

template <typename Message>
absl::StatusOr<std::optional<Message>> ReadProto(const Store& store, Family family, absl::string_view key) {
  absl::StatusOr<std::optional<std::string>> bytes = store.Get(family, key);
  if (!bytes.ok()) return bytes.status();
  return ParseStored<Message>(family, *bytes);
}

// The messages at `keys`, in order (std::nullopt where absent), in one
// batched read. DATA_LOSS when any stored value does not parse.
template <typename Message>
absl::StatusOr<std::vector<std::optional<Message>>> ReadProtos(const Store& store, Family family,
                                                               const std::vector<std::string>& keys) {
  auto values = store.MultiGet(family, keys);
  if (!values.ok()) return values.status();
  std::vector<std::optional<Message>> out;
  out.reserve(values->size());
  for (const auto& bytes : *values) {
    auto parsed = ParseStored<Message>(family, bytes);
    if (!parsed.ok()) return parsed.status();
    out.push_back(std::move(*parsed));
  }
  return out;
}

}  // namespace hirs::storage

#endif  // HIRS_STORAGE_STORE_H_
