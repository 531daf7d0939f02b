// The audit trail: one entry per call (who, which method, which reports and
// cases, the outcome, when, from where), appended to the store's audit
// family as a hash chain. Entry n's hash is SHA-256 over entry n-1's hash
// and entry n's canonical encoding (ChainHash), so altering, removing or
// reordering any entry breaks every later hash; the chain's head (last
// sequence and hash) is also kept in the meta family, so removing entries
// from the end is caught too. VerifyChain checks all of it.
//
// Appends are group-committed by one writer thread: whatever is queued is
// chained in queue order and written in one batch (synced like every write
// of the store), then each caller's `done` runs. Callers finish their RPC
// in `done`, so a call's answer leaves only after its audit entry is
// durable, and a call whose entry cannot be written answers UNAVAILABLE.
// Entries hold ids and codes only, never personal data.
#ifndef HIRS_SERVICES_AUDIT_AUDIT_LOG_H_
#define HIRS_SERVICES_AUDIT_AUDIT_LOG_H_

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

// Thread safe.
class AuditLog {
 public:
  // Reads the chain's head from the store and starts the writer.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(storage::Store* store);
  // Stop().
  ~AuditLog();

  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Queues `entry`; its sequence and hash are set when it is chained, and
  // its resource ids cut to kMaxResourceIds. `done` runs on the writer
  // thread once the entry is written (OK) or could not be (UNAVAILABLE, and
  // the entry is not in the chain); after Stop, at once with UNAVAILABLE.
  // `done` must be quick and must not append.
  void Append(hirs::v1::AuditEntry entry, std::function<void(const absl::Status&)> done);

  // Append and wait for the outcome.
  absl::Status AppendAndWait(hirs::v1::AuditEntry entry);

  // Writes what is queued, then refuses further appends. Idempotent.
  void Stop();

 private:
  struct Pending {
    hirs::v1::AuditEntry entry;
    std::function<void(const absl::Status&)> done;
  };
  AuditLog(storage::Store* store, uint64_t head_sequence, std::string head_hash);
  void Run();

  storage::Store* const store_;
  // Touched by the writer thread only.
  uint64_t head_sequence_;
  std::string head_hash_;

  absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
  absl::once_flag stop_once_;
};

// Checks every entry: sequences 1, 2, ... without a gap, each key matching
// its entry's sequence, each hash matching ChainHash of the one before, and
// the last matching the head in meta. ok=false with the first problem
// found (entry sequence and what is wrong).
absl::StatusOr<hirs::v1::VerifyAuditResponse> VerifyChain(const storage::Store& store);

// Entries touching request.case_id (any report, case or other resource id)
// and/or made by request.principal_id (both: both), oldest first. Page
// size 50 by default, at most 1000. INVALID_ARGUMENT for a bad page size
// or token.
absl::StatusOr<hirs::v1::ListAuditEntriesResponse> ListEntries(const storage::Store& store,
                                                              const hirs::v1::ListAuditEntriesRequest& request);

}  // namespace hirs::audit

#endif  // HIRS_SERVICES_AUDIT_AUDIT_LOG_H_
