#include "storage/store.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "hirs/store/v1/records.pb.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/memtablerep.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/options.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/sst_file_manager.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "storage/fingerprints.h"
#include "storage/keys.h"
#include "storage/rocks_status.h"
#include "storage/schema.h"

namespace hirs::storage {
namespace {

// What a caller is told when the disk is (nearly) full: no path, nothing
// it cannot act on.
constexpr absl::string_view kDiskFullMessage =
    "the service's data disk is full, so nothing can be stored now; retry later "
    "(its operators are alerted by its log and metrics)";

constexpr uint64_t kMiB = 1 << 20;

constexpr absl::string_view kFamilyNames[kFamilyCount] = {
    "reports", "cases",    "fingerprints",   "requests",     "indexes",     "changes",    "review",
    "audit",   "meta",     "features",       "counts",       "extracts",    "principals", "members",
    "people",  "sessions", "centre_reports", "case_changes", "centre_cases"};

std::string EncodeCount(int64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff);
  return out;
}

int64_t DecodeCount(absl::string_view bytes) {
  if (bytes.size() != 8) return 0;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return static_cast<int64_t>(v);
}

// Sums 8-byte little-endian counters, so that counts are kept current with
// a blind Merge instead of a read-modify-write under a lock.
class CountAddOperator final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger* logger) const override {
    const int64_t base = existing == nullptr ? 0 : DecodeCount(absl::string_view(existing->data(), existing->size()));
    *new_value = EncodeCount(base + DecodeCount(absl::string_view(value.data(), value.size())));
    return true;
  }
  const char* Name() const override { return "hirs.CountAdd"; }
};

// Folds the fingerprints family's set and remove operands (fingerprints.h).
class FingerprintCasesOperator final : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    absl::string_view existing;
    if (in.existing_value != nullptr)
      existing = absl::string_view(in.existing_value->data(), in.existing_value->size());
    std::vector<absl::string_view> operands;
    operands.reserve(in.operand_list.size());
    for (const rocksdb::Slice& op : in.operand_list) operands.emplace_back(op.data(), op.size());
    // False makes the read or compaction fail with Corruption: DATA_LOSS.
    return FoldFingerprintCases(in.existing_value != nullptr ? &existing : nullptr, operands, &out->new_value);
  }
  const char* Name() const override { return "hirs.FingerprintCases"; }
};

// RocksDB's own log (warnings and errors) goes to hirsd's log, not to a LOG
// file on the data disk: on a full disk RocksDB 7.8 aborts when it writes
// to a log file whose earlier write failed (an assertion Debian's build
// keeps), and an operator reads one log instead of two. Its messages name
// files and column families, never stored values.
class RocksLogger final : public rocksdb::Logger {
 public:
  RocksLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  // Headers and level-less lines are informational: dropped.
  void LogHeader(const char*, va_list) override {}
  void Logv(const char*, va_list) override {}
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char buffer[1024];
    const int n = std::vsnprintf(buffer, sizeof(buffer), format, ap);
    if (n < 0) return;
    const std::string message =
        absl::StrCat("rocksdb: ", absl::string_view(buffer, std::min<size_t>(n, sizeof(buffer) - 1)));
    hirs::Log(level >= rocksdb::InfoLogLevel::ERROR_LEVEL ? LogLevel::kError : LogLevel::kWarning, message);
  }
};

rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

// The first key after every key that starts with `prefix`; empty when there
// is none (the prefix is empty or all 0xff bytes).
std::string PrefixSuccessor(std::string prefix) {
  while (!prefix.empty()) {
    if (static_cast<unsigned char>(prefix.back()) != 0xff) {
      prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

rocksdb::ColumnFamilyOptions FamilyOptions(Family family, const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions options;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  // Level-0 files are read by every look-up: their filters and indexes stay.
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Fingerprint and request look-ups are mostly misses: a bloom filter on
  // the whole key lets each skip the files that cannot hold it.
  if (family == Family::kFingerprints || family == Family::kRequests || family == Family::kReports ||
      family == Family::kCases || family == Family::kFeatures || family == Family::kCounts) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    // A file's filter (and index) in 4 KiB partitions under a small top
    // level, so that a look-up reads one partition into the cache, not the
    // file's whole filter: with whole filters, 10M stored reports thrashed
    // a 256 MiB cache, re-reading megabytes per look-up (2026-11-24,
    // run_scale.sh).
    table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
    table.partition_filters = true;
    table.metadata_block_size = 4096;
  }
  if (family == Family::kFeatures || family == Family::kFingerprints || family == Family::kCounts ||
      family == Family::kReports || family == Family::kRequests) {
    // Point reads and writes only, at random keys: a hash-indexed memtable
    // (buckets by the whole key; keys are at most 32 bytes but for a few
    // long counter keys, which share buckets) inserts and finds a key
    // without walking a skiplist of the whole memtable. Features: matching
    // median at 200k stored reports 304 -> 222 us (tests/eval/README.md).
    // Fingerprints (about 10 merges per submission) and counters (about
    // 4): submissions +8% (2026-11-23, run_load.sh); the sorting moves to
    // the flush. Reports and idempotency records (3 puts per submission,
    // never scanned): about +4%, within the noise. Idempotency keys begin
    // with the centre's id, so they are hashed whole. Scans need total
    // order (ScanEach sets it).
    options.prefix_extractor.reset(family == Family::kRequests ? rocksdb::NewNoopTransform()
                                                               : rocksdb::NewCappedPrefixTransform(32));
    const size_t buckets = family == Family::kFingerprints                             ? 1 << 19
                           : family == Family::kFeatures || family == Family::kReports ? 1 << 18
                                                                                       : 1 << 16;
    options.memtable_factory.reset(rocksdb::NewHashSkipListRepFactory(buckets));
  }
  // Most blocking-key and idempotency look-ups find nothing; a bloom filter
  // in the memtable answers those without walking its skiplist.
  if (family == Family::kFingerprints || family == Family::kRequests || family == Family::kCounts ||
      family == Family::kFeatures) {
    options.memtable_prefix_bloom_size_ratio = family == Family::kFingerprints ? 0.1 : 0.05;
    options.memtable_whole_key_filtering = true;
  }
  if (family == Family::kFingerprints) {
    options.merge_operator = std::make_shared<FingerprintCasesOperator>();
  }
  if (family == Family::kCounts) {
    options.merge_operator = std::make_shared<CountAddOperator>();
  }
  if (family == Family::kFingerprints || family == Family::kCounts) {
    // A hot key (a counter of a common surname; the fingerprints of one
    // incident reported thousands of times) would otherwise gather thousands
    // of operands in the memtable, each read folding them all: 5,000 reports
    // of one incident fell from 739 to 133 reports/s (big_case_bench).
    // Past 16 operands a write folds them into one value.
    options.max_successive_merges = 16;
  }
  // Each family flushes its memtable at 64 MiB; the ceiling over all
  // families together, and why it sits above them: StoreOptions::memtable_bytes.
  options.write_buffer_size = 64 * kMiB;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.compression = rocksdb::kNoCompression;
  options.bottommost_compression = rocksdb::kZSTD;
  return options;
}

// Opens RocksDB at options.path with every family of Family.
rocksdb::Status OpenDb(const StoreOptions& options, std::unique_ptr<rocksdb::DB>* db,
                       std::vector<rocksdb::ColumnFamilyHandle*>* handles) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.enable_pipelined_write = true;
  // The features family's hash memtable cannot take concurrent inserts;
  // the write group's leader inserts for all (two cores: little lost).
  db_options.allow_concurrent_memtable_write = false;
  db_options.info_log = std::make_shared<RocksLogger>();
  db_options.db_write_buffer_size = options.memtable_bytes;
  db_options.max_total_wal_size = options.max_wal_bytes;
  // A flush or compaction writes its file out 1 MiB at a time as it goes,
  // not all at its closing fsync: one 64 MiB sync at the end of a flush
  // held the disk while submissions waited for their WAL syncs, the
  // half-rate p99's long episodes (measured 2026-11-23/24 with
  // tests/bench/run_load.sh).
  db_options.bytes_per_sync = 1 * kMiB;
  // On a full disk RocksDB stops writes with a background error; the SST
  // file manager polls free space and resumes them when it returns (after
  // a failed flush or compaction; a failed log write needs Store's
  // reopening), and keeps compactions out of the audit trail's part of
  // the reserve.
  std::shared_ptr<rocksdb::SstFileManager> files(rocksdb::NewSstFileManager(rocksdb::Env::Default()));
  files->SetCompactionBufferSize(options.min_free_bytes / 4);
  db_options.sst_file_manager = files;

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (int i = 0; i < kFamilyCount; ++i) {
    descriptors.emplace_back(std::string(kFamilyNames[i]), FamilyOptions(static_cast<Family>(i), cache));
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, descriptors, handles, &raw);
  db->reset(raw);
  return s;
}

}  // namespace

absl::string_view FamilyName(Family family) { return kFamilyNames[static_cast<int>(family)]; }

void WriteBatch::Put(Family family, absl::string_view key, absl::string_view value) {
  bytes_ += key.size() + value.size();
  ops_.push_back(Op{family, std::string(key), std::string(value), Op::kPut});
}

void WriteBatch::Delete(Family family, absl::string_view key) {
  bytes_ += key.size();
  ops_.push_back(Op{family, std::string(key), std::string(), Op::kDelete});
}

void WriteBatch::Merge(Family family, absl::string_view key, absl::string_view operand) {
  bytes_ += key.size() + operand.size();
  ops_.push_back(Op{family, std::string(key), std::string(operand), Op::kMerge});
}

void WriteBatch::AddToCount(Family family, absl::string_view key, int64_t delta) {
  Merge(family, key, EncodeCount(delta));
}

void WriteBatch::AppendChange(absl::string_view case_id, std::function<std::string(uint64_t)> encode) {
  changes_.push_back(Change{std::string(case_id), std::move(encode)});
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("store path is empty");
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);  // else RocksDB logs an error creating it
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", options.path, ": ", ec.message()));
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  RETURN_IF_ERROR(FromRocks(OpenDb(options, &db, &handles), absl::StrCat("opening the store at ", options.path)));
  std::unique_ptr<Store> store(new Store(options, std::move(db), std::move(handles)));
  RETURN_IF_ERROR(store->CheckSchema());

  // Resume the change sequence after the last stored change.
  std::unique_ptr<rocksdb::Iterator> it(
      store->db_->NewIterator(rocksdb::ReadOptions(), store->handle(Family::kChanges)));
  it->SeekToLast();
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the change feed"));
  if (it->Valid()) {
    uint64_t last = 0;
    if (!DecodeChangeKey(absl::string_view(it->key().data(), it->key().size()), &last)) {
      return absl::DataLossError("change feed key has the wrong length");
    }
    absl::MutexLock lock(&store->changes_mu_);
    store->next_change_ = last + 1;
  }
  return store;
}

Store::Store(StoreOptions options, std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> handles)
    : options_(std::move(options)), db_(std::move(db)), handles_(std::move(handles)) {}

Store::~Store() { CloseDb(/*flush=*/true); }

void Store::CloseDb(bool flush) {
  if (db_ == nullptr) return;
  rocksdb::FlushOptions options;
  options.wait = true;
  if (flush) {
    for (auto* h : handles_) db_->Flush(options, h).PermitUncheckedError();
  }
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  handles_.clear();
  db_->Close().PermitUncheckedError();
  db_.reset();
}

rocksdb::ColumnFamilyHandle* Store::handle(Family family) const {
  // handles_[0] is the default family, unused.
  return handles_[static_cast<int>(family) + 1];
}

absl::Status Store::CheckSchema() {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, Get(Family::kMeta, kSchemaVersionKey));
  if (!stored.has_value()) {
    WriteBatch batch;
    batch.Put(Family::kMeta, kSchemaVersionKey, absl::StrCat(kSchemaVersion));
    return Write(std::move(batch));
  }
  uint32_t version = 0;
  if (!absl::SimpleAtoi(*stored, &version)) {
    return absl::DataLossError(absl::StrCat("schema version is not a number: ", *stored));
  }
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat("the store at ", options_.path, " has schema version ", version,
                                                      ", newer than this hirsd understands (", kSchemaVersion,
                                                      "); run a newer hirsd or restore a backup made by this version"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> Store::Get(Family family, absl::string_view key) const {
  std::string value;
  DbUse use(this);
  if (!use.ok()) return Closed();
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handle(family), ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  RETURN_IF_ERROR(FromRocks(s, absl::StrCat("reading ", FamilyName(family))));
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<std::vector<std::optional<std::string>>> Store::MultiGet(Family family,
                                                                        const std::vector<std::string>& keys) const {
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (const auto& k : keys) slices.push_back(ToSlice(k));
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  DbUse use(this);
  if (!use.ok()) return Closed();
  db_->MultiGet(rocksdb::ReadOptions(), handle(family), keys.size(), slices.data(), values.data(), statuses.data());
  std::vector<std::optional<std::string>> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    RETURN_IF_ERROR(FromRocks(statuses[i], absl::StrCat("reading ", FamilyName(family))));
    out[i].emplace(values[i].data(), values[i].size());
  }
  return out;
}

absl::Status Store::Scan(Family family, absl::string_view prefix, size_t limit,
                         const std::function<bool(absl::string_view, absl::string_view)>& visit, ScanOrder order,
                         absl::string_view resume_after) const {
  return ScanEach(family, {std::string(prefix)}, {limit},
                  [&visit](size_t, absl::string_view key, absl::string_view value) { return visit(key, value); }, order,
                  {std::string(resume_after)});
}

absl::Status Store::ScanEach(Family family, const std::vector<std::string>& prefixes, const std::vector<size_t>& limits,
                             const std::function<bool(size_t, absl::string_view, absl::string_view)>& visit,
                             ScanOrder order, const std::vector<std::string>& resume_after) const {
  rocksdb::ReadOptions read;
  // Scans are in total order (the features family's prefix extractor is for
  // its memtable's hash index, not for scans).
  read.total_order_seek = true;
  DbUse use(this);
  if (!use.ok()) return Closed();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, handle(family)));
  for (size_t p = 0; p < prefixes.size(); ++p) {
    const std::string& prefix = prefixes[p];
    size_t visited = 0;
    const bool descending = order == ScanOrder::kDescending;
    const std::string resume = p < resume_after.size() && !resume_after[p].empty() ? prefix + resume_after[p] : "";
    if (!resume.empty()) {
      // Strictly beyond the resume key, in scan order.
      if (descending) {
        it->SeekForPrev(ToSlice(resume));
        if (it->Valid() && it->key() == ToSlice(resume)) it->Prev();
      } else {
        it->Seek(ToSlice(resume));
        if (it->Valid() && it->key() == ToSlice(resume)) it->Next();
      }
    } else if (!descending) {
      it->Seek(ToSlice(prefix));
    } else {
      const std::string after = PrefixSuccessor(prefix);
      if (after.empty()) {
        it->SeekToLast();
      } else {
        it->SeekForPrev(ToSlice(after));
        if (it->Valid() && it->key() == ToSlice(after)) it->Prev();
      }
    }
    for (; it->Valid(); descending ? it->Prev() : it->Next()) {
      absl::string_view key(it->key().data(), it->key().size());
      if (!absl::StartsWith(key, prefix)) break;
      ++visited;
      if (!visit(p, key, absl::string_view(it->value().data(), it->value().size()))) {
        return FromRocks(it->status(), absl::StrCat("scanning ", FamilyName(family)));
      }
      if (p < limits.size() && limits[p] != 0 && visited >= limits[p]) break;
    }
    RETURN_IF_ERROR(FromRocks(it->status(), absl::StrCat("scanning ", FamilyName(family))));
  }
  return absl::OkStatus();
}

std::optional<uint64_t> Store::FreeDiskBytes() const {
  struct statvfs fs;
  if (statvfs(options_.path.c_str(), &fs) != 0) return std::nullopt;
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

absl::Status Store::CheckFreeSpace(bool use_reserve) {
  if (options_.min_free_bytes == 0) return absl::OkStatus();
  const std::optional<uint64_t> free = FreeDiskBytes();
  if (!free.has_value()) return absl::OkStatus();  // RocksDB reports a real failure
  const uint64_t needed = use_reserve ? options_.min_free_bytes / 4 : options_.min_free_bytes;
  const bool refuse = *free < needed;
  if (!use_reserve && refusing_writes_.exchange(refuse) != refuse) {
    if (refuse) {
      LogError(absl::StrCat("store: ", *free / kMiB, " MiB free on the disk of ", options_.path,
                            ", below the reserve of ", options_.min_free_bytes / kMiB,
                            " MiB: refusing writes (reads and their audit continue) until space is freed"));
    } else {
      LogInfo(absl::StrCat("store: ", *free / kMiB, " MiB free on the disk of ", options_.path, ": writes resume"));
    }
  }
  if (refuse) return absl::UnavailableError(kDiskFullMessage);
  return absl::OkStatus();
}

Store::DbUse::DbUse(const Store* store) : store_(store) {
  store_->users_.fetch_add(1);
  // Dekker's pattern (both sequentially consistent): either this sees the
  // reopening, or the reopening sees this use and gives up.
  ok_ = !store_->reopening_.load() && store_->db_ != nullptr;
}

Store::DbUse::~DbUse() { store_->users_.fetch_sub(1); }

absl::Status Store::Closed() const {
  return absl::UnavailableError("the store is closed after a write error and is being reopened; retry later");
}

absl::Status Store::RecoverIfStopped() {
  absl::MutexLock lock(&recovery_mu_);
  if (stopped_.ok()) return absl::OkStatus();
  if (absl::Now() - last_recovery_ < absl::Seconds(1)) return stopped_;
  last_recovery_ = absl::Now();
  // A reopened store needs room for a new log and manifest.
  const std::optional<uint64_t> free = FreeDiskBytes();
  if (free.has_value() && *free < std::max<uint64_t>(options_.min_free_bytes, 16 * kMiB)) return stopped_;
  {
    DbUse use(this);
    if (use.ok() && db_->Resume().ok()) {
      LogInfo("store: writes resume after an I/O error");
      stopped_ = absl::OkStatus();
      return absl::OkStatus();
    }
  }
  // RocksDB 7.8 cannot resume after a failed write to its log (it keeps
  // appending to the failed file): close and open it again, which replays
  // the log as after a crash, so every acknowledged write is kept. Only
  // when nothing uses the DB: a user may be this thread, writing from
  // inside a scan, so waiting for none could wait for ever.
  bool idle = false;
  if (!reopening_.compare_exchange_strong(idle, true)) return stopped_;
  if (users_.load() != 0) {
    reopening_.store(false);
    return stopped_;
  }
  CloseDb(/*flush=*/false);
  rocksdb::Status s = OpenDb(options_, &db_, &handles_);
  if (!s.ok()) CloseDb(/*flush=*/false);
  reopening_.store(false);
  if (!s.ok()) {
    LogError(absl::StrCat("store: reopening after an I/O error failed: ", s.ToString()));
    return stopped_;
  }
  LogInfo("store: reopened after an I/O error; writes resume");
  stopped_ = absl::OkStatus();
  return absl::OkStatus();
}

absl::Status Store::Write(WriteBatch batch) {
  RETURN_IF_ERROR(CheckFreeSpace(batch.use_reserve_));
  RETURN_IF_ERROR(RecoverIfStopped());
  std::vector<uint64_t> sequences;
  if (!batch.changes_.empty()) {
    absl::MutexLock lock(&changes_mu_);
    for (size_t i = 0; i < batch.changes_.size(); ++i) {
      sequences.push_back(next_change_);
      changes_in_flight_.insert(next_change_++);
    }
  }
  const bool skip_sync = batch.skip_sync_;
  std::vector<WriteBatch::Op> ops = Resolve(std::move(batch), sequences);
  absl::Status status;
  if (log_ != nullptr) {
    hirs::store::v1::LogEntry entry;
    for (auto& op : ops) {
      auto* o = entry.add_ops();
      o->set_family(static_cast<uint32_t>(op.family));
      o->set_kind(static_cast<hirs::store::v1::LogEntry::Op::Kind>(op.kind + 1));
      o->set_key(std::move(op.key));
      o->set_value(std::move(op.value));
    }
    if (!sequences.empty()) entry.set_last_change(sequences.back());
    status = log_->Append(std::move(entry));
  } else {
    const rocksdb::Status s = Apply(ops, skip_sync);
    status = FromRocks(s, "writing");
    if (s.IsIOError()) {
      absl::MutexLock lock(&recovery_mu_);
      stopped_ = status;
    }
  }
  if (!sequences.empty()) {
    {
      absl::MutexLock lock(&changes_mu_);
      for (uint64_t seq : sequences) changes_in_flight_.erase(seq);
    }
    if (change_listener_) change_listener_();
  }
  return status;
}

std::vector<WriteBatch::Op> Store::Resolve(WriteBatch batch, const std::vector<uint64_t>& sequences) {
  std::vector<WriteBatch::Op> ops = std::move(batch.ops_);
  for (size_t i = 0; i < sequences.size(); ++i) {
    const WriteBatch::Change& change = batch.changes_[i];
    ops.push_back({Family::kChanges, EncodeChangeKey(sequences[i]), change.encode(sequences[i]), WriteBatch::Op::kPut});
    ops.push_back({Family::kCaseChanges, CaseChangeKey(change.case_id, sequences[i]), "", WriteBatch::Op::kPut});
  }
  return ops;
}

rocksdb::Status Store::AddOp(rocksdb::WriteBatch* rb, rocksdb::ColumnFamilyHandle* family, int kind,
                             absl::string_view key, absl::string_view value) {
  static_assert(WriteBatch::Op::kPut + 1 == hirs::store::v1::LogEntry::Op::PUT &&
                    WriteBatch::Op::kDelete + 1 == hirs::store::v1::LogEntry::Op::DELETE &&
                    WriteBatch::Op::kMerge + 1 == hirs::store::v1::LogEntry::Op::MERGE,
                "log entries number operations as WriteBatch does, after UNSPECIFIED");

  switch (kind) {
    case WriteBatch::Op::kPut:
      return rb->Put(family, ToSlice(key), ToSlice(value));
    case WriteBatch::Op::kDelete:
      return rb->Delete(family, ToSlice(key));
    case WriteBatch::Op::kMerge:
      return rb->Merge(family, ToSlice(key), ToSlice(value));
  }
  return rocksdb::Status::InvalidArgument("unknown operation");
}

rocksdb::Status Store::Apply(const std::vector<WriteBatch::Op>& ops, bool skip_sync) {
  DbUse use(this);
  if (!use.ok()) return rocksdb::Status::Incomplete("the store is closed after a write error; retry later");
  rocksdb::WriteBatch rb;
  for (const auto& op : ops) {
    rocksdb::Status s = AddOp(&rb, handle(op.family), op.kind, op.key, op.value);
    if (!s.ok()) return s;
  }
  rocksdb::WriteOptions write;
  write.sync = options_.sync_writes && !skip_sync;
  return db_->Write(write, &rb);
}

absl::Status Store::ApplyLogged(const std::vector<const hirs::store::v1::LogEntry*>& entries, uint64_t last_index) {
  DbUse use(this);
  if (!use.ok()) return Closed();
  rocksdb::WriteBatch rb;
  uint64_t last_change = 0;
  for (const auto* entry : entries) {
    for (const auto& op : entry->ops()) {
      if (op.family() >= static_cast<uint32_t>(kFamilyCount)) {
        return absl::DataLossError(absl::StrCat("a log entry names column family ", op.family(), ", which is unknown"));
      }
      RETURN_IF_ERROR(
          FromRocks(AddOp(&rb, handle(static_cast<Family>(op.family())), op.kind() - 1, op.key(), op.value()),
                    "applying the log"));
    }
    last_change = std::max<uint64_t>(last_change, entry->last_change());
  }
  RETURN_IF_ERROR(
      FromRocks(rb.Put(handle(Family::kMeta), kLogAppliedKey, EncodeChangeKey(last_index)), "applying the log"));
  RETURN_IF_ERROR(FromRocks(db_->Write(rocksdb::WriteOptions(), &rb), "applying the log"));
  absl::MutexLock lock(&changes_mu_);
  next_change_ = std::max(next_change_, last_change + 1);
  return absl::OkStatus();
}

absl::Status Store::SyncApplied() {
  DbUse use(this);
  if (!use.ok()) return Closed();
  return FromRocks(db_->SyncWAL(), "syncing the applied log entries");
}

absl::StatusOr<uint64_t> Store::LastAppliedIndex() const {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, Get(Family::kMeta, kLogAppliedKey));
  uint64_t index = 0;
  if (stored.has_value() && !DecodeChangeKey(*stored, &index)) {
    return absl::DataLossError("the last applied log index is unreadable");
  }
  return index;
}

uint64_t Store::LastVisibleChange() const {
  absl::MutexLock lock(&changes_mu_);
  return changes_in_flight_.empty() ? next_change_ - 1 : *changes_in_flight_.begin() - 1;
}

absl::StatusOr<std::vector<int64_t>> ReadCounts(const Store& store, const std::vector<std::string>& keys) {
  auto values = store.MultiGet(Family::kCounts, keys);
  if (!values.ok()) return values.status();
  std::vector<int64_t> out;
  out.reserve(values->size());
  for (const auto& v : *values) out.push_back(v.has_value() ? DecodeCount(*v) : 0);
  return out;
}

absl::StatusOr<int64_t> ReadCount(const Store& store, absl::string_view key) {
  absl::StatusOr<std::optional<std::string>> bytes = store.Get(Family::kCounts, key);
  if (!bytes.ok()) return bytes.status();
  return bytes->has_value() ? DecodeCount(**bytes) : 0;
}

absl::Status Store::Flush() {
  rocksdb::FlushOptions flush;
  flush.wait = true;
  DbUse use(this);
  if (!use.ok()) return Closed();
  for (int i = 0; i < kFamilyCount; ++i) {
    RETURN_IF_ERROR(FromRocks(db_->Flush(flush, handle(static_cast<Family>(i))), "flushing"));
  }
  return absl::OkStatus();
}

absl::StatusOr<CompactionInfo> Store::CompactAll(std::atomic<bool>* canceled) {
  bool idle = false;
  if (!compacting_.compare_exchange_strong(idle, true)) {
    return absl::FailedPreconditionError("a compaction of the store is already running; wait for it to finish");
  }
  absl::Cleanup done = [this] { compacting_.store(false); };
  auto closing = [](absl::string_view what) {
    return absl::UnavailableError(
        absl::StrCat("the store is closing (hirsd is stopping)", what, ". Run it again once hirsd is back"));
  };
  if (compactions_stopped_.load()) return closing("");
  DbUse use(this);
  if (!use.ok()) return Closed();
  const absl::Time start = absl::Now();
  auto sst_bytes = [this](Family family) {
    uint64_t bytes = 0;
    db_->GetIntProperty(handle(family), "rocksdb.total-sst-files-size", &bytes);
    return bytes;
  };
  // The families a submission looks up first: a compaction stopped early
  // has then done the part that speeds submissions most.
  std::vector<Family> order = {Family::kFingerprints, Family::kFeatures, Family::kCounts, Family::kRequests};
  for (int i = 0; i < kFamilyCount; ++i) {
    if (std::find(order.begin(), order.end(), static_cast<Family>(i)) == order.end()) {
      order.push_back(static_cast<Family>(i));
    }
  }
  CompactionInfo info;
  uint64_t largest = 0;
  Family largest_family = Family::kReports;
  for (Family family : order) {
    const uint64_t bytes = sst_bytes(family);
    info.size_bytes_before += bytes;
    if (bytes > largest) {
      largest = bytes;
      largest_family = family;
    }
  }
  const std::optional<uint64_t> free = FreeDiskBytes();
  if (free.has_value() && *free < largest + options_.min_free_bytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("a full compaction writes a family's new files before removing its old ones and needs ",
                     (largest + options_.min_free_bytes) / kMiB, " MiB free (the largest family, ",
                     FamilyName(largest_family), ", is ", largest / kMiB, " MiB, and the reserve for writes ",
                     options_.min_free_bytes / kMiB, " MiB); ", *free / kMiB, " MiB are free: free some space first"));
  }
  rocksdb::CompactRangeOptions compact;  // flushes a family's memtable first when it holds anything
  // The last level too (its merge operands folded, deletions dropped), but
  // each file once: not again the files this compaction wrote there.
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  compact.exclusive_manual_compaction = false;  // automatic compactions go on
  compact.canceled = canceled;
  for (Family family : order) {
    const rocksdb::Status s = db_->CompactRange(compact, handle(family), nullptr, nullptr);
    if (s.IsManualCompactionPaused()) {
      const std::string where =
          absl::StrCat(" after ", absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Seconds(1))),
                       ", in family ", FamilyName(family), "; what it had compacted stays");
      // Paused by StopCompactions (RocksDB's DisableManualCompaction), or
      // else by *canceled.
      if (compactions_stopped_.load()) return closing(absl::StrCat(": the compaction was stopped", where));
      return absl::CancelledError(absl::StrCat("the compaction was stopped", where, ". Run it again to finish"));
    }
    RETURN_IF_ERROR(FromRocks(s, absl::StrCat("compacting family ", FamilyName(family))));
  }
  for (Family family : order) info.size_bytes_after += sst_bytes(family);
  info.took = absl::Now() - start;
  return info;
}

void Store::StopCompactions() {
  // Set first: a CompactAll past its check and not yet in CompactRange is
  // refused by RocksDB, which stays disabled from here on.
  compactions_stopped_.store(true);
  DbUse use(this);
  if (use.ok()) db_->DisableManualCompaction();  // aborts a running CompactRange and waits for it
}

absl::flat_hash_map<std::string, uint64_t> Store::Properties() const {
  absl::flat_hash_map<std::string, uint64_t> out;
  DbUse use(this);
  if (!use.ok()) return out;
  for (const char* name :
       {"rocksdb.total-sst-files-size", "rocksdb.estimate-pending-compaction-bytes", "rocksdb.is-write-stopped",
        "rocksdb.actual-delayed-write-rate", "rocksdb.num-running-compactions", "rocksdb.num-running-flushes",
        "rocksdb.mem-table-flush-pending", "rocksdb.cur-size-all-mem-tables", "rocksdb.block-cache-usage"}) {
    uint64_t value = 0;
    if (db_->GetAggregatedIntProperty(name, &value)) out[name] = value;
  }
  return out;
}

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(what, ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsInvalidArgument() || s.IsNotSupported()) return absl::InternalError(message);
  if (s.IsTimedOut()) return absl::DeadlineExceededError(message);
  if (s.IsNoSpace()) {
    LogError(message);
    return absl::UnavailableError(kDiskFullMessage);
  }
  // IOError (including no space), Busy, TryAgain, ShutdownInProgress,
  // Incomplete: the caller may retry once the condition clears.
  return absl::UnavailableError(message);
}

}  // namespace hirs::storage
