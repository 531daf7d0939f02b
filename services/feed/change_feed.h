// The change feed streamed to watchers: WatchCases (police systems, every
// case event) and WatchReports (a centre's system, the changes that touched
// its reports).
//
// Every case change is a CaseEvent in the `changes` family under a strictly
// increasing cursor (storage assigns it in the same atomic write as the
// change). A watch replays the events after from_cursor and then follows new
// ones, reading only up to Store::LastVisibleChange, so an event committed
// late with a lower cursor is never skipped: no gap, no duplicate, and a
// client reconnecting with its last cursor misses nothing.
//
// One ChangeFeed thread serves every watcher. Events are read from the store
// at each watcher's own pace, at most kWatchBatch events and
// WatchOptions::max_batch_bytes at a time, and turned into what the watcher
// is sent by its view (WatchCases: the events as they are), with one
// message in flight in gRPC, so what a watcher holds is bounded in bytes
// and a slow watcher never slows intake (writers only wake the feed). A
// watcher whose client has not taken a message for `stall_limit` is ended
// with UNAVAILABLE naming the cursor to resume from, and, if its client does
// not take that either, its call is cancelled a grace period later, freeing
// what gRPC buffered for it. Every ending (stall, shutdown, a failed read)
// names the cursor of the last message handed to gRPC, or of the last event
// read when every message was taken: the client receives every message
// before the status, so resuming from that cursor misses nothing. A
// from_cursor beyond the feed's end is OUT_OF_RANGE; more than
// max_per_principal open watches of one principal RESOURCE_EXHAUSTED.
#ifndef HIRS_SERVICES_FEED_CHANGE_FEED_H_
#define HIRS_SERVICES_FEED_CHANGE_FEED_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hirs/v1/case_service.pb.h"
#include "hirs/v1/reporting_service.pb.h"
#include "services/rpc/gate.h"
#include "services/rpc/rpc.h"
#include "storage/store.h"

namespace hirs::feed {

inline constexpr size_t kWatchBatch = 128;

struct WatchOptions {
  // A watch whose client takes no event for this long is ended.
  absl::Duration stall_limit = absl::Seconds(60);
  // After ending a stalled watch, how long its client has to take the
  // status before the call is cancelled.
  absl::Duration cancel_grace = absl::Seconds(2);
  // Open watches one principal may hold.
  size_t max_per_principal = 16;
  // Bytes of events read for one watcher at a time (at least one event).
  size_t max_batch_bytes = 256 << 10;
  // How often a watch's credential is checked again: a watch whose
  // credential has ended (a person disabled or signed out, a session
  // expired, a token revoked) ends UNAUTHENTICATED.
  absl::Duration recheck_credentials = absl::Seconds(5);
};

// What one watcher is sent for a batch of events (in cursor order): the
// messages, in cursor order, each carrying the cursor to resume from once
// it is processed (never beyond the batch's last event). An error ends the
// watch UNAVAILABLE. Called on the feed's thread, one watcher at a time.
template <typename Item>
using View = std::function<absl::StatusOr<std::vector<Item>>(std::vector<hirs::v1::CaseEvent> events)>;

class Watcher;

// Thread safe. Owns its thread; Shutdown ends every watch.
class ChangeFeed {
 public:
  // `store` is borrowed and must outlive the feed; the feed installs the
  // store's change listener.
  explicit ChangeFeed(storage::Store* store, WatchOptions options = {});
  ~ChangeFeed();
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  // As Watch's from_cursor: the feed's end as the watch opens.
  static constexpr uint64_t kFromEnd = ~uint64_t{0};

  // A reactor streaming the events after `from_cursor` (kFromEnd: after
  // the feed's end as it opens) to principal `principal_id` (WatchCases'
  // handler returns it), as long as `still_allowed` (checked every
  // recheck_credentials; null: always) says its credential holds. After
  // Shutdown, it finishes at once with UNAVAILABLE.
  grpc::ServerWriteReactor<hirs::v1::CaseEvent>* Watch(grpc::CallbackServerContext* context,
                                                       const std::string& principal_id, uint64_t from_cursor,
                                                       std::function<bool()> still_allowed = nullptr);
  // The same, streaming what `view` makes of the events (WatchReports).
  grpc::ServerWriteReactor<hirs::v1::ReportChange>* Watch(grpc::CallbackServerContext* context,
                                                          const std::string& principal_id, uint64_t from_cursor,
                                                          View<hirs::v1::ReportChange> view,
                                                          std::function<bool()> still_allowed = nullptr);

  // Ends every watch (UNAVAILABLE: resume from your cursor elsewhere or
  // later) and stops the thread. Idempotent.
  void Shutdown();

  // Watchers now open (for tests and metrics).
  size_t watchers() const;

 private:
  template <typename Item>
  friend class WatchReactor;
  template <typename Item>
  grpc::ServerWriteReactor<Item>* Open(grpc::CallbackServerContext* context, const std::string& principal_id,
                                       uint64_t from_cursor, View<Item> view, std::function<bool()> still_allowed);
  void Wake();
  // A write's wake-up: only while a watch is open, so that with none the
  // feed's thread sleeps and writers never pay for waking it.
  void WakeForWrite();
  bool WokenOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(wake_mu_) { return woken_ || stopping_; }
  void Run();
  void Remove(Watcher* w);
  // Up to kWatchBatch events after `cursor`, at most max_batch_bytes (but
  // one at least), none after `visible`.
  absl::StatusOr<std::vector<hirs::v1::CaseEvent>> ReadAfter(uint64_t cursor, uint64_t visible) const;

  storage::Store* const store_;
  const WatchOptions options_;
  // Writers only touch wake_mu_, held for an instant: the feed's reading,
  // done under mu_, never delays them.
  mutable absl::Mutex wake_mu_;
  bool woken_ ABSL_GUARDED_BY(wake_mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(wake_mu_) = false;
  // Watches handed to gRPC and not yet done. A watch counts itself before
  // it first wakes the feed, and a write's change is visible before the
  // write looks at the count, so no change is missed by a new watch.
  size_t open_ ABSL_GUARDED_BY(wake_mu_) = 0;
  mutable absl::Mutex mu_ ABSL_ACQUIRED_AFTER(wake_mu_);
  std::vector<Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
  // Open watches by principal id (entries removed at zero).
  absl::flat_hash_map<std::string, size_t> per_principal_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// A watch call of `method` admitted through `gate` (authenticated, allowed,
// within its rate) and opened by `open`, given the caller and whether its
// credential still holds (for ChangeFeed::Watch's still_allowed). The call
// is audited as it opens; a refusal, or an error `open` returns (a bad
// request), finishes it with that status.
template <typename Item>
grpc::ServerWriteReactor<Item>* AdmitWatch(
    grpc::CallbackServerContext* context, rpc::CallGate& gate, absl::string_view method,
    const google::protobuf::Message& request,
    const std::function<absl::StatusOr<grpc::ServerWriteReactor<Item>*>(const auth::Principal& caller,
                                                                        std::function<bool()> still_allowed)>& open) {
  // A reactor that only reports a refusal.
  class Refused final : public grpc::ServerWriteReactor<Item> {
   public:
    void OnDone() override { delete this; }
  };
  auto* refused = new Refused();
  const rpc::Answer refuse = [refused](const absl::Status& s) { refused->Finish(rpc::ToGrpcStatus(s)); };
  std::optional<rpc::Call> call = gate.Admit(*context, method, &request, refuse);
  if (!call.has_value()) return refused;
  absl::StatusOr<grpc::ServerWriteReactor<Item>*> opened =
      open(call->principal, [g = &gate, token = rpc::BearerToken(*context)] { return g->StillAuthenticated(token); });
  if (!opened.ok()) {
    gate.Audit(*call, &request, nullptr, opened.status(), refuse);
    return refused;
  }
  delete refused;  // never handed to gRPC
  gate.Audit(*call, &request, nullptr, absl::OkStatus(), [](const absl::Status&) {});
  return *opened;
}

}  // namespace hirs::feed

#endif  // HIRS_SERVICES_FEED_CHANGE_FEED_H_
