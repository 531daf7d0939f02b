#include "services/feed/change_feed.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/worker_pool.h"
#include "services/rpc/rpc.h"
#include "storage/keys.h"

namespace hirs::feed {

// The feed's side of one watch: what its thread calls. Implemented by
// WatchReactor<Item>.
class Watcher {
 public:
  Watcher(std::string principal_id, std::function<bool()> still_allowed)
      : principal_id_(std::move(principal_id)), still_allowed_(std::move(still_allowed)) {}
  virtual ~Watcher() = default;

  const std::string& principal_id() const { return principal_id_; }

  // Ends the watch UNAUTHENTICATED when its credential no longer holds
  // (checked every `every`).
  void CheckCredential(absl::Time now, absl::Duration every) {
    if (!still_allowed_ || now - checked_ < every) return;
    checked_ = now;
    if (still_allowed_()) return;
    End(absl::StatusCode::kUnauthenticated,
        "the watch's credential has ended (signed out, disabled, expired or revoked); sign in again");
  }

  // True when idle (no write in flight, not finished) and wanting events
  // after *cursor.
  virtual bool WantsEvents(uint64_t* cursor) = 0;
  // The next events (in cursor order), made into messages by the watch's
  // view. True when they made none: the watcher wants the events after
  // them at once.
  virtual bool Deliver(std::vector<hirs::v1::CaseEvent> events) = 0;
  // Ends the watch if its client has not taken a message for
  // `options.stall_limit`, and cancels the call of a watch ended that long
  // ago plus `options.cancel_grace` whose client still has not taken what
  // was sent.
  virtual void CheckStall(absl::Time now, const WatchOptions& options) = 0;
  // Ends the watch with `code` and `why`, naming the cursor to resume from.
  virtual void End(absl::StatusCode code, absl::string_view why) = 0;
  // Ends the watch with `status` as it is.
  virtual void EndWith(const absl::Status& status) = 0;
  // Tells the client the watch is open (rpc::AnnounceOpen), unless a
  // message or the end has gone first.
  virtual void Announce() = 0;

 private:
  const std::string principal_id_;
  const std::function<bool()> still_allowed_;
  absl::Time checked_ = absl::Now();  // the feed thread's only
};

// One watch call streaming `Item`s (each with a cursor()). Its state is
// guarded by mu_; the feed thread fills it when it is idle, and gRPC calls
// OnWriteDone / OnCancel / OnDone.
template <typename Item>
class WatchReactor final : public grpc::ServerWriteReactor<Item>, public Watcher {
 public:
  WatchReactor(ChangeFeed* feed, grpc::CallbackServerContext* context, std::string principal_id, uint64_t cursor,
               View<Item> view, std::function<bool()> still_allowed)
      : Watcher(std::move(principal_id), std::move(still_allowed)),
        feed_(feed),
        context_(context),
        view_(std::move(view)),
        cursor_(cursor) {}

  bool WantsEvents(uint64_t* cursor) override {
    absl::MutexLock lock(&mu_);
    *cursor = cursor_;
    return !writing_ && !finished_;
  }

  bool Deliver(std::vector<hirs::v1::CaseEvent> events) override {
    if (events.empty()) return false;
    const uint64_t through = events.back().cursor();
    absl::StatusOr<std::vector<Item>> items = view_(std::move(events));  // only this thread starts writes
    absl::MutexLock lock(&mu_);
    if (writing_ || finished_) return false;
    if (!items.ok()) {
      LogError(absl::StrCat("watch: making the messages of a change failed: ", items.status().message()));
      FinishLocked(absl::StatusCode::kUnavailable, "the change feed cannot be read now");
      return false;
    }
    if (items->empty()) {
      cursor_ = through;
      return true;
    }
    pending_ = *std::move(items);
    through_ = through;
    next_ = 0;
    StartNextLocked();
    return false;
  }

  void CheckStall(absl::Time now, const WatchOptions& options) override {
    absl::MutexLock lock(&mu_);
    if (writing_ && !finished_ && now - write_started_ > options.stall_limit) {
      FinishLocked(absl::StatusCode::kUnavailable, absl::StrCat("this watch fell behind (its client took no event for ",
                                                                absl::FormatDuration(options.stall_limit), ")"));
      ended_at_ = now;
    }
    if (finished_ && writing_ && !cancelled_ && ended_at_ != absl::InfinitePast() &&
        now - ended_at_ > options.cancel_grace) {
      cancelled_ = true;
      context_->TryCancel();  // gRPC drops what it holds for the call
    }
  }

  void End(absl::StatusCode code, absl::string_view why) override {
    absl::MutexLock lock(&mu_);
    FinishLocked(code, why);
  }

  void Announce() override {
    absl::MutexLock lock(&mu_);
    if (!finished_ && !wrote_) rpc::AnnounceOpen(context_, this);
    wrote_ = true;
  }

  void EndWith(const absl::Status& status) override {
    absl::MutexLock lock(&mu_);
    FinishAsIsLocked(status);
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      if (!ok) {
        writing_ = false;
        pending_.clear();
        FinishAsIsLocked(absl::CancelledError("the client went away"));
        return;
      }
      cursor_ = pending_[next_].cursor();
      ++next_;
      if (next_ < pending_.size() && !finished_) {
        StartNextLocked();
        return;
      }
      writing_ = false;
      if (next_ == pending_.size() && !finished_) cursor_ = std::max(cursor_, through_);  // all of them processed
      pending_.clear();
    }
    feed_->Wake();
  }

  void OnCancel() override { EndWith(absl::CancelledError("the client cancelled the watch")); }

  void OnDone() override {
    feed_->Remove(this);
    delete this;
  }

 private:
  void StartNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    writing_ = true;
    wrote_ = true;
    write_started_ = absl::Now();
    this->StartWrite(&pending_[next_]);
  }

  // The cursor of the last message handed to gRPC: the one in flight, if
  // any. gRPC sends it before the status, so a client that reads the
  // status has it.
  uint64_t ResumeCursorLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return writing_ ? pending_[next_].cursor() : cursor_;
  }

  void FinishLocked(absl::StatusCode code, absl::string_view why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    FinishAsIsLocked(absl::Status(code, absl::StrCat(why, "; resume with from_cursor=", ResumeCursorLocked())));
  }

  void FinishAsIsLocked(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    // Messages not yet handed to gRPC are dropped now; the one in flight
    // stays until gRPC is done with it.
    if (writing_) pending_.erase(pending_.begin() + next_ + 1, pending_.end());
    this->Finish(rpc::ToGrpcStatus(status));
  }

  ChangeFeed* const feed_;
  grpc::CallbackServerContext* const context_;  // gRPC's, valid until OnDone
  const View<Item> view_;                       // the feed thread's only
  absl::Mutex mu_;
  uint64_t cursor_ ABSL_GUARDED_BY(mu_);  // where the client would resume, as of what gRPC took
  std::vector<Item> pending_ ABSL_GUARDED_BY(mu_);
  uint64_t through_ ABSL_GUARDED_BY(mu_) = 0;  // the last event pending_ was made from
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;       // pending_[next_] is in flight while writing_
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool wrote_ ABSL_GUARDED_BY(mu_) = false;  // initial metadata has gone
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time write_started_ ABSL_GUARDED_BY(mu_);
  absl::Time ended_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();  // set when ended for a stall
};

ChangeFeed::ChangeFeed(storage::Store* store, WatchOptions options) : store_(store), options_(options) {
  store_->SetChangeListener([this] { WakeForWrite(); });
  thread_ = std::thread([this] {
    NameThisThread("hirs-watch");
    Run();
  });
}

ChangeFeed::~ChangeFeed() {
  Shutdown();
  store_->SetChangeListener(nullptr);
}

grpc::ServerWriteReactor<hirs::v1::CaseEvent>* ChangeFeed::Watch(grpc::CallbackServerContext* context,
                                                                 const std::string& principal_id, uint64_t from_cursor,
                                                                 std::function<bool()> still_allowed) {
  View<hirs::v1::CaseEvent> as_they_are = [](std::vector<hirs::v1::CaseEvent> events) {
    return absl::StatusOr<std::vector<hirs::v1::CaseEvent>>(std::move(events));
  };
  return Open(context, principal_id, from_cursor, std::move(as_they_are), std::move(still_allowed));
}

grpc::ServerWriteReactor<hirs::v1::ReportChange>* ChangeFeed::Watch(grpc::CallbackServerContext* context,
                                                                    const std::string& principal_id,
                                                                    uint64_t from_cursor,
                                                                    View<hirs::v1::ReportChange> view,
                                                                    std::function<bool()> still_allowed) {
  return Open(context, principal_id, from_cursor, std::move(view), std::move(still_allowed));
}

template <typename Item>
grpc::ServerWriteReactor<Item>* ChangeFeed::Open(grpc::CallbackServerContext* context, const std::string& principal_id,
                                                 uint64_t from_cursor, View<Item> view,
                                                 std::function<bool()> still_allowed) {
  const uint64_t last = store_->LastVisibleChange();
  if (from_cursor == kFromEnd) from_cursor = last;
  auto* w = new WatchReactor<Item>(this, context, principal_id, from_cursor, std::move(view), std::move(still_allowed));
  {
    absl::MutexLock lock(&wake_mu_);
    ++open_;  // Remove, from OnDone, counts it out
  }
  {
    absl::MutexLock lock(&mu_);
    watchers_.push_back(w);  // OnDone removes it
    const size_t open = ++per_principal_[principal_id];
    if (shut_down_) {
      w->End(absl::StatusCode::kUnavailable, "the server is shutting down");
      return w;
    }
    if (open > options_.max_per_principal) {
      w->EndWith(absl::ResourceExhaustedError(absl::StrCat("principal ", principal_id, " already has ", open - 1,
                                                           " open watches (at most ", options_.max_per_principal,
                                                           "); close one, or wait for a stalled one to end")));
      return w;
    }
  }
  if (from_cursor > last) {
    w->EndWith(
        absl::OutOfRangeError(absl::StrCat("from_cursor ", from_cursor, " is beyond the feed's last event (", last,
                                           "); resume from a cursor you received, or 0 to replay everything")));
    return w;
  }
  w->Announce();
  Wake();
  return w;
}

void ChangeFeed::Wake() {
  absl::MutexLock lock(&wake_mu_);
  woken_ = true;
}

void ChangeFeed::WakeForWrite() {
  absl::MutexLock lock(&wake_mu_);
  if (open_ > 0) woken_ = true;
}

void ChangeFeed::Remove(Watcher* w) {
  {
    absl::MutexLock lock(&mu_);
    watchers_.erase(std::remove(watchers_.begin(), watchers_.end(), w), watchers_.end());
    auto it = per_principal_.find(w->principal_id());
    if (it != per_principal_.end() && --it->second == 0) per_principal_.erase(it);
  }
  absl::MutexLock lock(&wake_mu_);
  --open_;
}

size_t ChangeFeed::watchers() const {
  absl::MutexLock lock(&mu_);
  return watchers_.size();
}

void ChangeFeed::Shutdown() {
  {
    absl::MutexLock lock(&wake_mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
  for (Watcher* w : watchers_) {
    w->End(absl::StatusCode::kUnavailable, "the server is shutting down");
  }
}

void ChangeFeed::Run() {
  for (;;) {
    {
      // Wake on a write or a watcher going idle; look at stalls now and then.
      absl::MutexLock lock(&wake_mu_);
      wake_mu_.AwaitWithTimeout(absl::Condition(this, &ChangeFeed::WokenOrStopping), absl::Seconds(1));
      if (stopping_) return;
      woken_ = false;
    }
    bool read_on = false;  // a watcher was sent nothing and wants the events after
    {
      // Reading and delivering happen under mu_, so no watcher is deleted
      // meanwhile (OnDone waits in Remove). Deliver never blocks.
      absl::MutexLock lock(&mu_);
      const uint64_t visible = store_->LastVisibleChange();
      const absl::Time now = absl::Now();
      for (Watcher* w : watchers_) {
        w->CheckStall(now, options_);
        w->CheckCredential(now, options_.recheck_credentials);
        uint64_t cursor = 0;
        if (!w->WantsEvents(&cursor) || cursor >= visible) continue;
        absl::StatusOr<std::vector<hirs::v1::CaseEvent>> events = ReadAfter(cursor, visible);
        if (!events.ok()) {
          LogError(absl::StrCat("watch: reading the change feed failed: ", events.status().message()));
          w->End(absl::StatusCode::kUnavailable, "the change feed cannot be read now");
          continue;
        }
        read_on = w->Deliver(*std::move(events)) || read_on;
      }
    }
    if (read_on) Wake();
  }
}

absl::StatusOr<std::vector<hirs::v1::CaseEvent>> ChangeFeed::ReadAfter(uint64_t cursor, uint64_t visible) const {
  std::vector<hirs::v1::CaseEvent> events;
  size_t bytes = 0;
  bool unreadable = false;
  absl::Status scanned = store_->Scan(
      storage::Family::kChanges, "", kWatchBatch,
      [&](absl::string_view key, absl::string_view value) {
        uint64_t seq = 0;
        if (!storage::DecodeChangeKey(key, &seq) || seq > visible) return false;
        if (!events.empty() && bytes + value.size() > options_.max_batch_bytes) return false;
        hirs::v1::CaseEvent event;
        if (!event.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          unreadable = true;
          return false;
        }
        bytes += value.size();
        events.push_back(std::move(event));
        return true;
      },
      storage::ScanOrder::kAscending, storage::EncodeChangeKey(cursor));
  if (unreadable) return absl::DataLossError("an event does not parse");
  RETURN_IF_ERROR(scanned);
  return events;
}

}  // namespace hirs::feed
