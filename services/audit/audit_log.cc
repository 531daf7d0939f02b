#include "services/audit/audit_log.h"

#include <openssl/sha.h>

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

void AppendField(absl::string_view value, std::string* out) {
  out->append(storage::EncodeChangeKey(value.size()));
  out->append(value.data(), value.size());
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
  return std::unique_ptr<AuditLog>(new AuditLog(store, sequence, std::move(hash)));
}

AuditLog::AuditLog(storage::Store* store, uint64_t head_sequence, std::string head_hash)
    : store_(store), head_sequence_(head_sequence), head_hash_(std::move(head_hash)) {
  writer_ = std::thread([this] {
    NameThisThread("hirs-audit");
    Run();
  });
}

AuditLog::~AuditLog() { Stop(); }

void AuditLog::Append(hirs::v1::AuditEntry entry, std::function<void(const absl::Status&)> done) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back(Pending{std::move(entry), std::move(done)});
      return;
    }
  }
  done(absl::UnavailableError("the audit trail is closed: the server is stopping"));
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

void AuditLog::Stop() {
  absl::call_once(stop_once_, [this] {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    writer_.join();
  });
}

void AuditLog::Run() {
  for (;;) {
    std::vector<Pending> batch;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](AuditLog* log) ABSL_EXCLUSIVE_LOCKS_REQUIRED(log->mu_) { return log->stopping_ || !log->queue_.empty(); },
          this));
      if (queue_.empty()) return;  // stopping, and everything written
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    storage::WriteBatch write;
    write.UseReserve();  // reads stay served, and audited, on a nearly full disk
    uint64_t sequence = head_sequence_;
    std::string hash = head_hash_;
    for (Pending& p : batch) {
      hirs::v1::AuditEntry& e = p.entry;
      if (static_cast<size_t>(e.resource_ids_size()) > kMaxResourceIds) {
        e.mutable_resource_ids()->DeleteSubrange(kMaxResourceIds, e.resource_ids_size() - kMaxResourceIds);
      }
      e.set_sequence(++sequence);
      e.clear_hash();
      hash = ChainHash(hash, e);
      e.set_hash(hash);
      const std::string key = storage::AuditEntryKey(sequence);
      write.Put(storage::Family::kAudit, key, e.SerializeAsString());
      const std::string seq_bytes = storage::EncodeChangeKey(sequence);
      if (!e.principal_id().empty()) {
        write.Put(storage::Family::kAudit, storage::AuditPrincipalPrefix(e.principal_id()) + seq_bytes, "");
      }
      for (const std::string& id : e.resource_ids()) {
        write.Put(storage::Family::kAudit, storage::AuditResourcePrefix(id) + seq_bytes, "");
      }
    }
    write.Put(storage::Family::kMeta, storage::kAuditHeadKey, EncodeHead(sequence, hash));
    absl::Status written = store_->Write(std::move(write));
    if (written.ok()) {
      head_sequence_ = sequence;
      head_hash_ = hash;
    } else {
      LogError(absl::StrCat("audit trail: ", batch.size(), " entries not written: ", written.message()));
      written = absl::UnavailableError(
          absl::StrCat("the audit trail could not be written, so the call was not completed: ", written.message()));
    }
    for (Pending& p : batch) p.done(written);
  }
}

absl::StatusOr<hirs::v1::VerifyAuditResponse> VerifyChain(const storage::Store& store) {
  hirs::v1::VerifyAuditResponse response;
  uint64_t expected = 1;
  std::string previous = GenesisHash();
  std::string problem;
  RETURN_IF_ERROR(store.Scan(storage::Family::kAudit, storage::kAuditEntryPrefix, 0,
                             [&](absl::string_view key, absl::string_view value) {
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
      problem = absl::StrCat("entry ", key_sequence, " holds sequence ", entry.sequence(),
                             " (moved or reordered)");
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
