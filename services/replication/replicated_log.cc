#include "services/replication/replicated_log.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "google/rpc/error_details.pb.h"

namespace hirs::replication {
namespace {

using hirs::store::v1::LogEntry;

// How often a follower looks at the log when no watch event woke it.
constexpr absl::Duration kFollowPoll = absl::Milliseconds(200);
// Entries read per range while catching up.
constexpr int64_t kCatchUpBatch = 256;
// Entries the leader deletes in one truncation round at most.
constexpr uint64_t kTruncateBatch = 10000;

// A replica that needs entries the log no longer holds.
constexpr char kTruncatedPast[] = "hirs/replication/truncated-past";

absl::Status TruncatedPast(std::string message) {
  absl::Status status = absl::FailedPreconditionError(std::move(message));
  status.SetPayload(kTruncatedPast, absl::Cord());
  return status;
}

}  // namespace

struct ReplicatedLog::Pending {
  LogEntry entry;
  absl::Status status;
  bool done = false;
};

absl::Status NotLeaderError(const std::string& leader) {
  absl::Status status = absl::UnavailableError(
      leader.empty() ? "this replica is not the leader, and no leader is elected yet; retry shortly"
                     : absl::StrCat("this replica is not the leader; the leader is ", leader));
  google::rpc::ErrorInfo info;
  info.set_reason("NOT_LEADER");
  info.set_domain("hirs");
  if (!leader.empty()) (*info.mutable_metadata())["leader"] = leader;
  status.SetPayload("type.googleapis.com/google.rpc.ErrorInfo", absl::Cord(info.SerializeAsString()));
  return status;
}

std::string LogIndexKey(absl::string_view prefix, uint64_t index) {
  return absl::StrFormat("%s/log/%020u", prefix, index);
}

ReplicatedLog::ReplicatedLog(const Etcd* etcd, storage::Store* store, const Sealer* sealer, LogOptions options,
                             std::function<void(bool)> on_role)
    : etcd_(etcd),
      store_(store),
      sealer_(sealer),
      options_(std::move(options)),
      prefix_(absl::StrCat("/hirs/", options_.cluster)),
      on_role_(std::move(on_role)) {}

ReplicatedLog::~ReplicatedLog() { Stop(); }

void ReplicatedLog::Start() {
  watch_ = etcd_->WatchPrefix(
      absl::StrCat(prefix_, "/log/"), 0,
      [this](const etcdserverpb::WatchResponse&) {
        std::lock_guard<std::mutex> lock(mu_);
        ++log_events_;
        changed_.notify_all();
      },
      [](const absl::Status&) {});  // polling goes on without it
  runner_ = std::thread([this] { Run(); });
  committer_ = std::thread([this] { Commit(); });
  applier_ = std::thread([this] { ApplyCommitted(); });
}

void ReplicatedLog::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  changed_.notify_all();
  if (watch_ != nullptr) watch_->Stop();
  if (runner_.joinable()) runner_.join();
  if (committer_.joinable()) committer_.join();
  if (applier_.joinable()) applier_.join();
  if (presence_lease_ != 0) (void)etcd_->RevokeLease(presence_lease_);  // no longer counted as live
}

bool ReplicatedLog::leading() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leading_;
}

std::string ReplicatedLog::leader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leader_;
}

std::string ReplicatedLog::following_problem() const {
  std::lock_guard<std::mutex> lock(mu_);
  return following_problem_;
}

absl::StatusOr<std::string> ReplicatedLog::ReadLeader() const {
  etcdserverpb::RangeRequest range;
  range.set_key(absl::StrCat(prefix_, "/leader"));
  ASSIGN_OR_RETURN(etcdserverpb::RangeResponse read, etcd_->Range(range));
  return read.kvs_size() > 0 ? read.kvs(0).value() : std::string();
}

uint64_t ReplicatedLog::first_kept() const {
  std::lock_guard<std::mutex> lock(mu_);
  return first_kept_;
}

void ReplicatedLog::PublishApplied() {
  absl::StatusOr<uint64_t> applied = store_->LastAppliedIndex();
  if (!applied.ok()) return;
  const absl::Time now = absl::Now();
  if (now - published_at_ < absl::Seconds(1)) return;
  // Applied entries are not synced one by one (Store::ApplyLogged): the
  // index published, below which the log may go, must be on disk.
  if (!store_->SyncApplied().ok()) return;
  // The presence lease outlives a few missed rounds; renewed on every
  // publication, granted again once it lapsed.
  if (presence_lease_ != 0 && !etcd_->KeepAlive(presence_lease_, absl::Seconds(1)).ok()) presence_lease_ = 0;
  if (presence_lease_ == 0) {
    absl::StatusOr<int64_t> lease = etcd_->GrantLease(std::max(absl::Seconds(10), options_.lease_ttl * 3));
    if (!lease.ok()) return;
    presence_lease_ = *lease;
  }
  etcdserverpb::PutRequest put;
  put.set_key(absl::StrCat(prefix_, "/applied/", options_.replica_id));
  put.set_value(absl::StrCat(*applied));
  put.set_lease(presence_lease_);
  if (etcd_->Put(put).ok()) {
    published_ = *applied;
    published_at_ = now;
  }
}

void ReplicatedLog::Truncate() {
  const absl::Time now = absl::Now();
  uint64_t last = 0, first = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!leading_ || now - truncated_at_ < options_.truncate_every) return;
    truncated_at_ = now;
    last = next_index_ - 1;
    first = first_kept_;
  }
  etcdserverpb::RangeRequest range;
  range.set_key(absl::StrCat(prefix_, "/applied/"));
  range.set_range_end(PrefixEnd(range.key()));
  absl::StatusOr<etcdserverpb::RangeResponse> published = etcd_->Range(range);
  if (!published.ok()) return;
  uint64_t slowest = last;
  for (const auto& kv : published->kvs()) {
    uint64_t applied = 0;
    if (absl::SimpleAtoi(kv.value(), &applied)) slowest = std::min(slowest, applied);
  }
  // Below the slowest live replica's next entry, keeping keep_entries,
  // and at most max_entries whatever.
  uint64_t below = std::min(slowest + 1, last >= options_.keep_entries ? last - options_.keep_entries + 1 : 1);
  if (last >= options_.max_entries) below = std::max(below, last - options_.max_entries + 1);
  // A bounded deletion per round: it runs between lease renewals.
  below = std::min(below, first + kTruncateBatch);
  if (below <= first) return;
  // The deletion and the new first index in one transaction, fenced like
  // an append.
  etcdserverpb::TxnRequest txn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    RequireCreateRevision(&txn, absl::StrCat(prefix_, "/leader"), leader_revision_);
  }
  auto* drop = txn.add_success()->mutable_request_delete_range();
  drop->set_key(LogIndexKey(prefix_, 0));
  drop->set_range_end(LogIndexKey(prefix_, below));
  auto* mark = txn.add_success()->mutable_request_put();
  mark->set_key(absl::StrCat(prefix_, "/first"));
  mark->set_value(absl::StrCat(below));
  absl::StatusOr<etcdserverpb::TxnResponse> done = etcd_->Txn(txn);
  if (!done.ok() || !done->succeeded()) return;
  std::lock_guard<std::mutex> lock(mu_);
  first_kept_ = below;
}

absl::Status ReplicatedLog::Append(LogEntry entry) {
  if (entry.ByteSizeLong() > options_.max_group_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("a write of ", entry.ByteSizeLong(),
                                                     " bytes is more than the replicated log takes in one entry (",
                                                     options_.max_group_bytes, " bytes)"));
  }
  Pending p;
  p.entry = std::move(entry);
  std::unique_lock<std::mutex> lock(mu_);
  if (!leading_ || stopping_) return NotLeaderError(leader_);
  pending_.push_back(&p);
  changed_.notify_all();
  changed_.wait(lock, [&] { return p.done; });
  return p.status;
}

void ReplicatedLog::Run() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
    }
    if (FollowAndCampaign()) {
      // The lease is renewed from the start: taking up the role (a
      // migration, say) may outlast it.
      std::thread keeper([this] { Lead(); });
      on_role_(true);
      keeper.join();
      {
        // What was committed as leader is applied before following.
        std::unique_lock<std::mutex> lock(mu_);
        changed_.wait(lock, [this] { return committed_.empty() && !applying_; });
      }
      on_role_(false);
      continue;
    }
    std::unique_lock<std::mutex> lock(mu_);
    const uint64_t seen = log_events_;
    changed_.wait_for(lock, absl::ToChronoNanoseconds(kFollowPoll),
                      [this, seen] { return stopping_ || log_events_ != seen; });
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (leading_) {
    leading_ = false;
    for (Pending* p : pending_) {
      p->status = absl::UnavailableError("the replica is stopping");
      p->done = true;
    }
    pending_.clear();
    changed_.notify_all();
  }
}

absl::StatusOr<uint64_t> ReplicatedLog::ApplyKeyValues(const google::protobuf::RepeatedPtrField<mvccpb::KeyValue>& kvs,
                                                       uint64_t applied) {
  std::vector<LogEntry> entries;
  uint64_t last = applied;
  const std::string log_prefix = absl::StrCat(prefix_, "/log/");
  for (const auto& kv : kvs) {
    uint64_t index = 0;
    if (!absl::SimpleAtoi(absl::string_view(kv.key()).substr(log_prefix.size()), &index)) {
      return absl::DataLossError(absl::StrCat("a log key is not an index: ", kv.key()));
    }
    if (index <= last) continue;
    if (index != last + 1) {
      return TruncatedPast(absl::StrCat("the log holds index ", index, " after ", last,
                                        ": the entries between were truncated; this replica must be re-seeded"));
    }
    absl::StatusOr<std::string> opened = sealer_->Open(kv.value(), index);
    if (!opened.ok()) return opened.status();
    entries.emplace_back();
    if (!entries.back().ParseFromString(*opened)) {
      return absl::DataLossError(absl::StrCat("log entry ", index, " is unreadable"));
    }
    last = index;
  }
  if (entries.empty()) return last;
  std::vector<const LogEntry*> pointers;
  for (const auto& e : entries) pointers.push_back(&e);
  RETURN_IF_ERROR(store_->ApplyLogged(pointers, last));
  return last;
}

absl::StatusOr<int64_t> ReplicatedLog::CatchUp(bool check_first) {
  absl::StatusOr<uint64_t> start = store_->LastAppliedIndex();
  if (!start.ok()) return start.status();
  if (check_first) RETURN_IF_ERROR(CheckNotTruncatedPast(*start));
  uint64_t applied = *start;
  for (;;) {
    etcdserverpb::RangeRequest range;
    range.set_key(LogIndexKey(prefix_, applied + 1));
    range.set_range_end(PrefixEnd(absl::StrCat(prefix_, "/log/")));
    range.set_limit(kCatchUpBatch);
    absl::StatusOr<etcdserverpb::RangeResponse> read = etcd_->Range(range);
    if (!read.ok()) return read.status();
    ASSIGN_OR_RETURN(applied, ApplyKeyValues(read->kvs(), applied));
    if (!read->more()) return read->header().revision();
  }
}

absl::Status ReplicatedLog::CheckNotTruncatedPast(uint64_t applied) {
  // Entries below the first kept were truncated: a replica that still
  // needs them cannot follow (nor lead) until it is re-seeded.
  etcdserverpb::RangeRequest first;
  first.set_key(absl::StrCat(prefix_, "/first"));
  absl::StatusOr<etcdserverpb::RangeResponse> marked = etcd_->Range(first);
  if (!marked.ok()) return marked.status();
  uint64_t first_kept = 1;
  if (marked->kvs_size() > 0 && !absl::SimpleAtoi(marked->kvs(0).value(), &first_kept)) {
    return absl::DataLossError("the log's first index is unreadable");
  }
  if (applied + 1 < first_kept) {
    return TruncatedPast(absl::StrCat("this replica has applied the log to index ", applied,
                                      ", but the log now starts at ", first_kept,
                                      ": the entries between were truncated; this replica must be re-seeded"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  first_kept_ = std::max(first_kept_, first_kept);
  return absl::OkStatus();
}

bool ReplicatedLog::Campaign() {
  absl::StatusOr<int64_t> lease = etcd_->GrantLease(options_.lease_ttl);
  if (!lease.ok()) return false;
  const std::string key = absl::StrCat(prefix_, "/leader");
  etcdserverpb::TxnRequest txn;
  RequireCreateRevision(&txn, key, 0);
  auto* put = txn.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(options_.advertise);
  put->set_lease(*lease);
  txn.add_failure()->mutable_request_range()->set_key(key);
  absl::StatusOr<etcdserverpb::TxnResponse> r = etcd_->Txn(txn);
  if (!r.ok() || !r->succeeded()) {
    (void)etcd_->RevokeLease(*lease);
    if (r.ok() && r->responses_size() > 0 && r->responses(0).response_range().kvs_size() > 0) {
      std::lock_guard<std::mutex> lock(mu_);
      leader_ = r->responses(0).response_range().kvs(0).value();
    }
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  lease_ = *lease;
  leader_revision_ = r->header().revision();
  return true;
}

bool ReplicatedLog::FollowAndCampaign() {
  // Under load a follower wakes for every group the leader appends; only
  // reading and applying the log then, and the rest (each a write to etcd's
  // consensus) at most every kFollowPoll, keeps etcd's work per write small.
  const absl::Time now = absl::Now();
  const bool full_round = now - campaigned_at_ >= kFollowPoll;
  absl::StatusOr<int64_t> caught_up = CatchUp(/*check_first=*/full_round);
  {
    std::lock_guard<std::mutex> lock(mu_);
    following_problem_ = caught_up.ok() ? "" : std::string(caught_up.status().message());
  }
  if (!caught_up.ok()) {
    LogError(absl::StrCat("replication: following the log: ", caught_up.status().message()));
    if (caught_up.status().GetPayload(kTruncatedPast).has_value() && on_truncated_past_) on_truncated_past_();
    return false;
  }
  if (!full_round) return false;
  campaigned_at_ = now;
  PublishApplied();
  if (!Campaign()) return false;
  // Elected: the previous leader can append nothing more (its transactions
  // compare a leadership key that is gone), so this reads the whole log.
  caught_up = CatchUp(/*check_first=*/true);
  absl::StatusOr<uint64_t> applied = store_->LastAppliedIndex();
  if (caught_up.ok() && applied.ok()) applied = MarkBase(*applied);
  if (!caught_up.ok() || !applied.ok()) {
    StepDown(caught_up.ok() ? applied.status() : caught_up.status());
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  next_index_ = *applied + 1;
  leading_ = true;
  leader_ = options_.advertise;
  LogInfo(absl::StrCat("replication: leading cluster ", options_.cluster, " from log index ", next_index_));
  return true;
}

absl::StatusOr<uint64_t> ReplicatedLog::MarkBase(uint64_t applied) {
  if (applied != 0) return applied;
  bool holds = false;
  for (int f = 0; f < storage::kFamilyCount && !holds; ++f) {
    const auto family = static_cast<storage::Family>(f);
    if (family == storage::Family::kMeta) continue;
    RETURN_IF_ERROR(store_->Scan(family, "", 1, [&](absl::string_view, absl::string_view) {
      holds = true;
      return false;
    }));
  }
  if (!holds) return applied;
  const LogEntry base;  // no operations
  etcdserverpb::TxnRequest txn = AppendTxn(1, {&base}, leader_revision_);
  auto* first = txn.add_success()->mutable_request_put();
  first->set_key(absl::StrCat(prefix_, "/first"));
  first->set_value("2");
  ASSIGN_OR_RETURN(etcdserverpb::TxnResponse r, etcd_->Txn(txn));
  if (!r.succeeded()) return absl::UnavailableError("the log changed while marking this store as its base");
  RETURN_IF_ERROR(store_->ApplyLogged({&base}, 1));
  std::lock_guard<std::mutex> lock(mu_);
  first_kept_ = 2;
  LogInfo(
      "replication: this store holds data the log does not: it is the cluster's base (index 1); replicas "
      "without it re-seed from it");
  return 1;
}

void ReplicatedLog::Lead() {
  absl::Time renewed = absl::Now();
  const absl::Duration step = options_.lease_ttl / 6;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait_for(lock, absl::ToChronoNanoseconds(step), [this] { return stopping_ || !leading_; });
      if (stopping_ || !leading_) break;
    }
    const absl::Time asked = absl::Now();
    absl::StatusOr<absl::Duration> ttl = etcd_->KeepAlive(lease_, step);
    if (ttl.ok()) renewed = asked;
    if (absl::Now() - renewed <= options_.lease_ttl / 2) {
      PublishApplied();
      Truncate();
    }
    if (absl::Now() - renewed > options_.lease_ttl / 2) {
      StepDown(ttl.ok() ? absl::UnavailableError("the lease was not renewed in time") : ttl.status());
      break;
    }
  }
  int64_t lease = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    lease = lease_;
    lease_ = 0;
  }
  if (lease != 0) (void)etcd_->RevokeLease(lease);  // the next leader need not wait for it
  StepDown(absl::UnavailableError("the replica stopped leading"));
}

void ReplicatedLog::StepDown(const absl::Status& why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (leading_) LogError(absl::StrCat("replication: no longer leading: ", why.message()));
  leading_ = false;
  leader_.clear();
  for (Pending* p : pending_) {
    p->status =
        absl::UnavailableError(absl::StrCat("the leader stepped down before the write was committed: ", why.message()));
    p->done = true;
  }
  pending_.clear();
  changed_.notify_all();
}

void ReplicatedLog::Finish(const std::deque<Pending*>& group, const absl::Status& status) {
  for (Pending* p : group) {
    p->status = status;
    p->done = true;
  }
  changed_.notify_all();
  if (!status.ok() && leading_) {
    leading_ = false;  // Lead() notices and resigns
    leader_.clear();
    LogError(absl::StrCat("replication: no longer leading: ", status.message()));
  }
}

void ReplicatedLog::Commit() {
  for (;;) {
    std::deque<Pending*> group;
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [this] { return stopping_ || (leading_ && !pending_.empty()); });
      if (stopping_ && pending_.empty()) return;
      size_t bytes = 0;
      while (!pending_.empty() && group.size() < options_.max_group_entries &&
             (group.empty() || bytes + pending_.front()->entry.ByteSizeLong() <= options_.max_group_bytes)) {
        bytes += pending_.front()->entry.ByteSizeLong();
        group.push_back(pending_.front());
        pending_.pop_front();
      }
    }
    uint64_t first = 0;
    const absl::Status status = AppendGroup(group, &first);
    std::lock_guard<std::mutex> lock(mu_);
    if (status.ok() && leading_ && !stopping_) {
      // The applier applies it while the next group is appended.
      committed_.push_back(Committed{std::move(group), first});
      changed_.notify_all();
    } else if (status.ok()) {
      // In the log, but this replica no longer applies as leader: it
      // follows the log, and the writer's retry finds the entries.
      Finish(group, absl::UnavailableError("this replica stopped leading as the write was committed; retry it"));
    } else {
      Finish(group, status);
    }
  }
}

void ReplicatedLog::ApplyCommitted() {
  for (;;) {
    Committed next;
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [this] { return stopping_ || !committed_.empty(); });
      if (committed_.empty()) return;  // stopping
      next = std::move(committed_.front());
      committed_.pop_front();
      applying_ = true;
    }
    std::vector<const LogEntry*> entries;
    for (Pending* p : next.group) entries.push_back(&p->entry);
    const absl::Status status = store_->ApplyLogged(entries, next.first + entries.size() - 1);
    std::lock_guard<std::mutex> lock(mu_);
    applying_ = false;
    Finish(next.group, status);
    if (!status.ok()) {
      // Nothing after a gap can be applied: those writes are in the log,
      // for this replica to apply as a follower.
      for (const Committed& later : committed_) Finish(later.group, status);
      committed_.clear();
    }
  }
}

etcdserverpb::TxnRequest ReplicatedLog::AppendTxn(uint64_t first, const std::vector<const LogEntry*>& entries,
                                                  int64_t fence) const {
  etcdserverpb::TxnRequest txn;
  RequireCreateRevision(&txn, absl::StrCat(prefix_, "/leader"), fence);
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string key = LogIndexKey(prefix_, first + i);
    RequireCreateRevision(&txn, key, 0);
    auto* put = txn.add_success()->mutable_request_put();
    put->set_key(key);
    put->set_value(sealer_->Seal(entries[i]->SerializeAsString(), first + i));
  }
  return txn;
}

absl::Status ReplicatedLog::AppendGroup(const std::deque<Pending*>& group, uint64_t* first) {
  int64_t fence = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!leading_) return absl::UnavailableError("this replica stopped leading");
    *first = next_index_;
    fence = leader_revision_;
  }
  std::vector<const LogEntry*> entries;
  for (Pending* p : group) entries.push_back(&p->entry);
  absl::StatusOr<etcdserverpb::TxnResponse> r = etcd_->Txn(AppendTxn(*first, entries, fence));
  // Unknown outcome: the entries may be in the log. Stepping down, this
  // replica follows the log and applies them if they are; the writer's
  // retry (with its request_id) then finds them.
  if (!r.ok()) return absl::UnavailableError(absl::StrCat("appending to the log: ", r.status().message()));
  if (!r->succeeded()) return absl::UnavailableError("this replica no longer holds the leadership");
  std::lock_guard<std::mutex> lock(mu_);
  next_index_ = *first + group.size();
  return absl::OkStatus();
}

}  // namespace hirs::replication
