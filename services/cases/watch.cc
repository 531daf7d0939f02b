#include "services/cases/watch.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/worker_pool.h"
#include "storage/keys.h"

namespace hirs::cases {

// One WatchCases call. Its state is guarded by mu_; the feed thread fills
// it when it is idle, and gRPC calls OnWriteDone / OnCancel / OnDone.
class WatchReactor final : public grpc::ServerWriteReactor<hirs::v1::CaseEvent> {
 public:
  WatchReactor(ChangeFeed* feed, uint64_t cursor) : feed_(feed), cursor_(cursor) {}

  // Called by the feed thread: true when idle (no write in flight, not
  // finished) and wanting events after *cursor.
  bool WantsEvents(uint64_t* cursor) {
    absl::MutexLock lock(&mu_);
    *cursor = cursor_;
    return !writing_ && !finished_;
  }

  // Called by the feed thread with the next events (in cursor order).
  void Deliver(std::vector<hirs::v1::CaseEvent> events) {
    absl::MutexLock lock(&mu_);
    if (writing_ || finished_ || events.empty()) return;
    pending_ = std::move(events);
    next_ = 0;
    StartNextLocked();
  }

  // Called by the feed thread: ends the watch if its client has not taken
  // a message for `limit`.
  void CheckStall(absl::Time now, absl::Duration limit) {
    absl::MutexLock lock(&mu_);
    if (writing_ && !finished_ && now - write_started_ > limit) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                absl::StrCat("this watch fell behind (its client took no event for ",
                                             absl::FormatDuration(limit), "); resume with from_cursor=", cursor_)));
    }
  }

  void End(const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    FinishLocked(status);
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      if (!ok) {
        FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
        return;
      }
      cursor_ = pending_[next_].cursor();
      ++next_;
      if (next_ < pending_.size() && !finished_) {
        StartNextLocked();
        return;
      }
      writing_ = false;
      pending_.clear();
    }
    feed_->Wake();
  }

  void OnCancel() override { End(grpc::Status::CANCELLED); }

  void OnDone() override {
    feed_->Remove(this);
    delete this;
  }

 private:
  void StartNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    writing_ = true;
    write_started_ = absl::Now();
    StartWrite(&pending_[next_]);
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  ChangeFeed* const feed_;
  absl::Mutex mu_;
  uint64_t cursor_ ABSL_GUARDED_BY(mu_);  // the last event the client was sent
  std::vector<hirs::v1::CaseEvent> pending_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time write_started_ ABSL_GUARDED_BY(mu_);
};

ChangeFeed::ChangeFeed(storage::Store* store, absl::Duration stall_limit) : store_(store), stall_limit_(stall_limit) {
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
                                                                 uint64_t from_cursor) {
  auto* w = new WatchReactor(this, from_cursor);
  {
    absl::MutexLock lock(&wake_mu_);
    ++open_;  // Remove, from OnDone, counts it out
  }
  const uint64_t last = store_->LastVisibleChange();
  {
    absl::MutexLock lock(&mu_);
    watchers_.push_back(w);  // OnDone removes it
    if (shut_down_) {
      w->End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down; resume from your cursor"));
      return w;
    }
  }
  if (from_cursor > last) {
    w->End(grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                        absl::StrCat("from_cursor ", from_cursor, " is beyond the feed's last event (", last,
                                     "); resume from a cursor you received, or 0 to replay everything")));
    return w;
  }
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

void ChangeFeed::Remove(WatchReactor* w) {
  {
    absl::MutexLock lock(&mu_);
    watchers_.erase(std::remove(watchers_.begin(), watchers_.end(), w), watchers_.end());
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
  for (WatchReactor* w : watchers_) {
    w->End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down; resume from your cursor"));
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
    // Reading and delivering happen under mu_, so no watcher is deleted
    // meanwhile (OnDone waits in Remove). Deliver never blocks.
    absl::MutexLock lock(&mu_);
    const uint64_t visible = store_->LastVisibleChange();
    const absl::Time now = absl::Now();
    for (WatchReactor* w : watchers_) {
      w->CheckStall(now, stall_limit_);
      uint64_t cursor = 0;
      if (!w->WantsEvents(&cursor) || cursor >= visible) continue;
      std::vector<hirs::v1::CaseEvent> events;
      bool unreadable = false;
      absl::Status scanned = store_->Scan(
          storage::Family::kChanges, "", kWatchBatch,
          [&](absl::string_view key, absl::string_view value) {
            uint64_t seq = 0;
            if (!storage::DecodeChangeKey(key, &seq) || seq > visible) return false;
            hirs::v1::CaseEvent event;
            if (!event.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
              unreadable = true;
              return false;
            }
            events.push_back(std::move(event));
            return true;
          },
          storage::ScanOrder::kAscending, storage::EncodeChangeKey(cursor));
      if (unreadable) scanned = absl::DataLossError("an event does not parse");
      if (!scanned.ok()) {
        LogError(absl::StrCat("watch: reading the change feed failed: ", scanned.message()));
        w->End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            absl::StrCat("the change feed cannot be read now; resume with from_cursor=", cursor)));
        continue;
      }
      w->Deliver(std::move(events));
    }
  }
}

}  // namespace hirs::cases
