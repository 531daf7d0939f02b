#include "services/audit/audit_log.h"

#include <openssl/sha.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/bad_request.h"
#include "common/civil_time.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/worker_pool.h"
#include "storage/keys.h"

namespace hirs::audit {
namespace {

constexpr size_t kHashBytes = SHA256_DIGEST_LENGTH;
// Most entries one write carries.
constexpr size_t kMaxBatch = 1024;
// How long the chainer waits for more pending records before chaining
// those it has, when nobody waits for it: at a few thousand calls a second
// it then writes one batch for several calls instead of one per call.
constexpr absl::Duration kLinger = absl::Milliseconds(2);

void AppendField(absl::string_view value, std::string* out) {
  out->append(storage::EncodeChangeKey(value.size()));
  out->append(value.data(), value.size());
}

void CutResourceIds(hirs::v1::AuditEntry* entry) {
  if (static_cast<size_t>(entry->resource_ids_size()) > kMaxResourceIds) {
    entry->mutable_resource_ids()->DeleteSubrange(kMaxResourceIds, entry->resource_ids_size() - kMaxResourceIds);
  }
}

absl::Status Closed() { return absl::UnavailableError("the audit trail is closed: the server is stopping"); }

// What a call whose entry could not be written answers.
absl::Status NotWritten(const absl::Status& written) {
  return absl::UnavailableError(
      absl::StrCat("the audit trail could not be written, so the call was not completed: ", written.message()));
}

// A pending record's ticket (set whenever its key holds one) and entry;
// false when the key or the value does not parse. Tickets start at 1.
bool ParsePending(absl::string_view key, absl::string_view value, uint64_t* ticket, hirs::v1::AuditEntry* entry) {
  return storage::AuditSequenceOfKey(key, ticket) && *ticket != 0 &&
         entry->ParseFromArray(value.data(), static_cast<int>(value.size()));
}

std::string EncodeHead(uint64_t sequence, absl::string_view hash) {
  return absl::StrCat(storage::EncodeChangeKey(sequence), hash);
}

}  // namespace

hirs::v1::AuditEntry NewEntry(absl::string_view principal_id, absl::string_view method, absl::Time time,
                              absl::StatusCode outcome, std::vector<std::string> resource_ids) {
  hirs::v1::AuditEntry entry;
  entry.set_principal_id(std::string(principal_id));
  entry.set_method(std::string(method));
  *entry.mutable_time() = ToTimestamp(time);
  entry.set_outcome(absl::StatusCodeToString(outcome));
  for (std::string& id : resource_ids) entry.add_resource_ids(std::move(id));
  return entry;
}

std::string GenesisHash() { return std::string(kHashBytes, '\0'); }

std::string ChainHash(absl::string_view previous_hash, const hirs::v1::AuditEntry& entry) {
  std::string encoded = "hirs-audit-v1";
  AppendField(previous_hash, &encoded);
  AppendField(absl::StrCat(entry.sequence()), &encoded);
  AppendField(absl::StrCat(entry.time().seconds(), ".", entry.time().nanos()), &encoded);
  AppendField(entry.principal_id(), &encoded);
  AppendField(entry.method(), &encoded);
  AppendField(entry.outcome(), &encoded);
  AppendField(entry.peer(), &encoded);
  AppendField(absl::StrCat(entry.resource_ids_size()), &encoded);
  for (const std::string& id : entry.resource_ids()) AppendField(id, &encoded);
  // Only when set, so that entries written before the field hash as they did.
  if (!entry.agency().empty()) AppendField(entry.agency(), &encoded);
  unsigned char digest[kHashBytes];
  SHA256(reinterpret_cast<const unsigned char*>(encoded.data()), encoded.size(), digest);
  return std::string(reinterpret_cast<char*>(digest), kHashBytes);
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(storage::Store* store) {
  ASSIGN_OR_RETURN(std::optional<std::string> head, store->Get(storage::Family::kMeta, storage::kAuditHeadKey));
  uint64_t sequence = 0;
  std::string hash = GenesisHash();
  if (head.has_value()) {
    if (head->size() != 8 + kHashBytes || !storage::DecodeChangeKey(head->substr(0, 8), &sequence)) {
      return absl::DataLossError("the audit chain's head in meta is malformed; run hirs admin audit verify");
    }
    hash = head->substr(8);
  }
  // Pending records a crash left: written with their calls, never chained.
  std::vector<Queued> left;
  uint64_t last_ticket = 0;
  size_t unreadable = 0;
  RETURN_IF_ERROR(store->Scan(storage::Family::kAudit, storage::kAuditPendingPrefix, 0,
                              [&](absl::string_view key, absl::string_view value) {
                                Queued q{{}, 0, nullptr};
                                const bool parsed = ParsePending(key, value, &q.ticket, &q.entry);
                                last_ticket = std::max(last_ticket, q.ticket);
                                if (!parsed) {
                                  ++unreadable;
                                  return true;
                                }
                                left.push_back(std::move(q));
                                return true;
                              }));
  if (unreadable > 0) {
    LogError(absl::StrCat("audit trail: ", unreadable,
                          " pending records do not parse and stay unchained; hirs admin audit verify reports them"));
  }
  std::unique_ptr<AuditLog> log(new AuditLog(store, sequence, std::move(hash), last_ticket + 1));
  if (!left.empty()) {
    const absl::Status chained = log->WriteChained(left);
    if (!chained.ok()) {
      return absl::UnavailableError(absl::StrCat("the audit trail's ", left.size(),
                                                 " pending entries could not be chained: ", chained.message()));
    }
    LogInfo(absl::StrCat("audit trail: chained ", left.size(), " entries written before the last stop"));
  }
  log->chainer_ = std::thread([raw = log.get()] {
    NameThisThread("hirs-audit");
    raw->Run();
  });
  return log;
}

AuditLog::AuditLog(storage::Store* store, uint64_t head_sequence, std::string head_hash, uint64_t next_ticket)
    : store_(store), next_ticket_(next_ticket), head_sequence_(head_sequence), head_hash_(std::move(head_hash)) {}

AuditLog::~AuditLog() { Stop(); }

StagedEntry AuditLog::Stage(hirs::v1::AuditEntry entry, storage::WriteBatch* batch) {
  CutResourceIds(&entry);
  entry.clear_sequence();
  entry.clear_hash();
  StagedEntry staged;
  staged.ticket_ = next_ticket_.fetch_add(1);
  batch->Put(storage::Family::kAudit, storage::AuditPendingKey(staged.ticket_), entry.SerializeAsString());
  staged.entry_ = std::move(entry);
  return staged;
}

void AuditLog::Chain(StagedEntry staged) {
  if (staged.ticket_ == 0) return;
  // After Stop the record stays pending: Open chains it.
  Queued item{std::move(staged.entry_), staged.ticket_, nullptr};
  Enqueue(item);
}

absl::Status AuditLog::Write(hirs::v1::AuditEntry entry) {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return Closed();
  }
  storage::WriteBatch batch;
  batch.UseReserve();  // reads stay served, and audited, on a nearly full disk
  StagedEntry staged = Stage(std::move(entry), &batch);
  const absl::Status written = store_->Write(std::move(batch));
  if (!written.ok()) {
    LogError(absl::StrCat("audit trail: an entry was not written: ", written.message()));
    return NotWritten(written);
  }
  Chain(std::move(staged));
  return absl::OkStatus();
}

bool AuditLog::Enqueue(Queued& item) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return false;
  if (item.ticket == 0) ++appends_queued_;
  queue_.push_back(std::move(item));
  ++queued_;
  return true;
}

void AuditLog::Append(hirs::v1::AuditEntry entry, std::function<void(const absl::Status&)> done) {
  CutResourceIds(&entry);
  Queued item{std::move(entry), 0, std::move(done)};
  if (!Enqueue(item)) item.done(Closed());
}

absl::Status AuditLog::AppendAndWait(hirs::v1::AuditEntry entry) {
  absl::Mutex mu;
  bool finished = false;
  absl::Status result;
  Append(std::move(entry), [&](const absl::Status& status) {
    absl::MutexLock lock(&mu);
    result = status;
    finished = true;
  });
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(&finished));
  return result;
}

bool AuditLog::Drain(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const uint64_t target = queued_;
  auto drained = [this, target]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return finished_ >= target; };
  ++draining_;
  const bool done = mu_.AwaitWithTimeout(absl::Condition(&drained), timeout);
  --draining_;
  return done;
}

void AuditLog::Stop() {
  absl::call_once(stop_once_, [this] {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (chainer_.joinable()) chainer_.join();
  });
}

absl::Status AuditLog::WriteChained(std::vector<Queued>& batch) {
  storage::WriteBatch write;
  write.UseReserve();  // reads stay served, and audited, on a nearly full disk
  bool appended = false;
  uint64_t sequence = head_sequence_;
  std::string hash = head_hash_;
  for (Queued& q : batch) {
    hirs::v1::AuditEntry& e = q.entry;
    e.set_sequence(++sequence);
    e.clear_hash();
    hash = ChainHash(hash, e);
    e.set_hash(hash);
    write.Put(storage::Family::kAudit, storage::AuditEntryKey(sequence), e.SerializeAsString());
    const std::string seq_bytes = storage::EncodeChangeKey(sequence);
    if (!e.principal_id().empty()) {
      write.Put(storage::Family::kAudit, storage::AuditPrincipalPrefix(e.principal_id()) + seq_bytes, "");
    }
    for (const std::string& id : e.resource_ids()) {
      write.Put(storage::Family::kAudit, storage::AuditResourcePrefix(id) + seq_bytes, "");
    }
    if (q.ticket != 0) {
      write.Delete(storage::Family::kAudit, storage::AuditPendingKey(q.ticket));
    } else {
      appended = true;
    }
  }
  write.Put(storage::Family::kMeta, storage::kAuditHeadKey, EncodeHead(sequence, hash));
  // Pending entries are durable already: losing this write in a power cut
  // leaves them pending, and Open chains them again. Appended ones are not.
  if (!appended) write.SkipSync();
  RETURN_IF_ERROR(store_->Write(std::move(write)));
  head_sequence_ = sequence;
  head_hash_ = hash;
  return absl::OkStatus();
}

bool AuditLog::ChainNow() const {
  return stopping_ || appends_queued_ > 0 || draining_ > 0 || queue_.size() >= kMaxBatch;
}

void AuditLog::Run() {
  bool failing = false;  // the last write failed: do not log every retry
  for (;;) {
    std::vector<Queued> batch;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](AuditLog* log) ABSL_EXCLUSIVE_LOCKS_REQUIRED(log->mu_) { return log->stopping_ || !log->queue_.empty(); },
          this));
      if (queue_.empty()) return;  // stopping, and everything chained
      mu_.AwaitWithTimeout(absl::Condition(this, &AuditLog::ChainNow), kLinger);
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        if (queue_.front().ticket == 0) --appends_queued_;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    absl::Status written = WriteChained(batch);
    if (!written.ok()) {
      if (!failing) {
        LogError(absl::StrCat("audit trail: ", batch.size(), " entries not chained: ", written.message()));
      }
      written = NotWritten(written);
    }
    failing = !written.ok();
    // Appended entries fail with their calls; pending ones are durable, and
    // are tried again (or, once stopping, chained when the log is next
    // opened).
    std::vector<Queued> retry;
    for (Queued& q : batch) {
      if (q.ticket == 0) {
        q.done(written);
      } else if (!written.ok()) {
        retry.push_back(std::move(q));
      }
    }
    absl::MutexLock lock(&mu_);
    if (retry.empty() || stopping_) {
      finished_ += batch.size();
      continue;
    }
    finished_ += batch.size() - retry.size();
    for (auto it = retry.rbegin(); it != retry.rend(); ++it) queue_.push_front(std::move(*it));
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(100));  // a pause before trying again
  }
}

absl::StatusOr<hirs::v1::VerifyAuditResponse> VerifyChain(const storage::Store& store) {
  hirs::v1::VerifyAuditResponse response;
  uint64_t expected = 1;
  std::string previous = GenesisHash();
  std::string problem;
  RETURN_IF_ERROR(store.Scan(
      storage::Family::kAudit, storage::kAuditEntryPrefix, 0, [&](absl::string_view key, absl::string_view value) {
        uint64_t key_sequence = 0;
        if (key.size() != 9 || !storage::AuditSequenceOfKey(key, &key_sequence)) {
          problem = absl::StrCat("a malformed entry key after entry ", expected - 1);
          return false;
        }
        hirs::v1::AuditEntry entry;
        if (!entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          problem = absl::StrCat("entry ", key_sequence, " does not parse");
          return false;
        }
        if (key_sequence != expected) {
          problem = absl::StrCat("entry ", expected, " is missing (the next entry is ", key_sequence, ")");
          return false;
        }
        if (entry.sequence() != key_sequence) {
          problem = absl::StrCat("entry ", key_sequence, " holds sequence ", entry.sequence(), " (moved or reordered)");
          return false;
        }
        const std::string stored_hash = entry.hash();
        entry.clear_hash();
        if (ChainHash(previous, entry) != stored_hash) {
          problem = absl::StrCat("entry ", key_sequence, " does not match its hash (altered, or an earlier entry was)");
          return false;
        }
        previous = stored_hash;
        response.set_entries_checked(key_sequence);
        ++expected;
        return true;
      }));
  if (problem.empty()) {
    ASSIGN_OR_RETURN(std::optional<std::string> head, store.Get(storage::Family::kMeta, storage::kAuditHeadKey));
    const uint64_t last = expected - 1;
    if (!head.has_value()) {
      if (last != 0) problem = "the chain's head record is missing from meta";
    } else if (*head != EncodeHead(last, previous)) {
      uint64_t head_sequence = 0;
      storage::DecodeChangeKey(head->substr(0, 8), &head_sequence);
      problem = head_sequence > last
                    ? absl::StrCat("entries ", last + 1, " to ", head_sequence, " are missing from the end")
                    : absl::StrCat("the head in meta (", head_sequence, ") does not match the last entry (", last, ")");
    }
  }
  uint64_t pending = 0;
  RETURN_IF_ERROR(store.Scan(
      storage::Family::kAudit, storage::kAuditPendingPrefix, 0, [&](absl::string_view key, absl::string_view value) {
        ++pending;
        uint64_t ticket = 0;
        hirs::v1::AuditEntry entry;
        if (problem.empty() && !ParsePending(key, value, &ticket, &entry)) {
          problem = absl::StrCat("a pending entry (not chained yet) does not parse (ticket ", ticket, ")");
        }
        return true;
      }));
  response.set_pending_entries(pending);
  response.set_ok(problem.empty());
  response.set_first_problem(problem);
  response.set_head_sequence(expected - 1);
  response.set_head_hash(previous);
  if (!problem.empty()) LogError(absl::StrCat("audit chain verification failed: ", problem));
  return response;
}

absl::StatusOr<hirs::v1::ListAuditEntriesResponse> ListEntries(const storage::Store& store,
                                                               const hirs::v1::ListAuditEntriesRequest& request) {
  std::vector<FieldViolation> violations;
  if (request.page_size() < 0 || request.page_size() > 1000) {
    violations.push_back({"page_size", "must be between 0 (the default, 50) and 1000"});
  }
  uint64_t after = 0;
  if (!request.page_token().empty() && !absl::SimpleAtoi(request.page_token(), &after)) {
    violations.push_back({"page_token", "is not a token this method returned; start again without it"});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  const size_t page_size = request.page_size() == 0 ? 50 : request.page_size();
  const bool by_case = !request.case_id().empty();
  const bool by_principal = !request.principal_id().empty();
  const std::string prefix = by_case        ? storage::AuditResourcePrefix(request.case_id())
                             : by_principal ? storage::AuditPrincipalPrefix(request.principal_id())
                                            : std::string(storage::kAuditEntryPrefix);
  hirs::v1::ListAuditEntriesResponse response;
  absl::Status failed;
  RETURN_IF_ERROR(store.Scan(
      storage::Family::kAudit, prefix, 0,
      [&](absl::string_view key, absl::string_view value) {
        uint64_t sequence = 0;
        if (!storage::AuditSequenceOfKey(key, &sequence)) return true;
        std::string bytes(value);
        if (by_case || by_principal) {
          auto stored = store.Get(storage::Family::kAudit, storage::AuditEntryKey(sequence));
          if (!stored.ok()) {
            failed = stored.status();
            return false;
          }
          if (!stored->has_value()) return true;  // a look-up left behind: VerifyChain reports the gap
          bytes = **stored;
        }
        hirs::v1::AuditEntry entry;
        if (!entry.ParseFromString(bytes)) return true;
        if (by_case && by_principal && entry.principal_id() != request.principal_id()) return true;
        if (static_cast<size_t>(response.entries_size()) == page_size) {
          response.set_next_page_token(absl::StrCat(response.entries(response.entries_size() - 1).sequence()));
          return false;
        }
        *response.add_entries() = std::move(entry);
        return true;
      },
      storage::ScanOrder::kAscending, after > 0 ? storage::EncodeChangeKey(after) : ""));
  RETURN_IF_ERROR(failed);
  return response;
}

}  // namespace hirs::audit
