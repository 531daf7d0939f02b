#include "services/intake/reporting_service.h"

#include <deque>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "services/rpc/rpc.h"

namespace hirs::intake {
namespace {

void FillResponse(const SubmitResult& result, hirs::v1::SubmitReportResponse* response) {
  response->set_report_id(result.report_id);
  response->set_case_id(result.case_id);
  response->set_collation(result.collation);
  response->set_match_score(result.match_score);
  response->set_receipt(result.receipt);
}

// Logs the outcome of a submission (ids and codes only, never content) and
// counts its collation outcome in `metrics` (may be null).
void RecordSubmission(absl::string_view centre, const absl::StatusOr<SubmitResult>& result, metrics::Metrics* metrics) {
  if (result.ok() && metrics != nullptr) metrics->RecordCollation(result->collation);
  if (result.ok()) {
    LogInfo(absl::StrCat("submit centre=", centre, " report=", result->report_id, " case=", result->case_id,
                         " collation=", hirs::v1::CollationOutcome_Name(result->collation)));
  } else if (result.status().code() == absl::StatusCode::kUnavailable ||
             result.status().code() == absl::StatusCode::kInternal ||
             result.status().code() == absl::StatusCode::kDataLoss) {
    // These come from storage, whose messages name files and RocksDB
    // states, never report content.
    LogError(absl::StrCat("submit centre=", centre, " failed code=", absl::StatusCodeToString(result.status().code()),
                          " error=", result.status().message()));
  } else {
    LogInfo(absl::StrCat("submit centre=", centre, " refused code=", absl::StatusCodeToString(result.status().code())));
  }
}

// Submits `request` for `call`, leaving the answer in `response` (cleared
// on failure), and ends it through the gate, which answers with the
// outcome. A submission's entry goes into its own write (CallGate::Stage),
// so it costs no write of its own; a call that writes nothing or fails
// writes its entry by itself. Runs on a worker thread.
void SubmitAndAudit(Intake& intake, rpc::CallGate& gate, const rpc::Call& call,
                    const hirs::v1::SubmitReportRequest& request, hirs::v1::SubmitReportResponse* response,
                    rpc::Answer answer) {
  std::optional<audit::StagedEntry> staged;
  absl::StatusOr<SubmitResult> result = intake.Submit(
      call.principal.scope, request,
      [&](const SubmitResult& will_return, storage::WriteBatch* batch) {
        FillResponse(will_return, response);
        staged = gate.Stage(call, &request, response, batch);
      },
      call.principal.id);
  RecordSubmission(call.principal.scope, result, gate.metrics());
  if (result.ok() && staged.has_value()) {
    gate.AuditStaged(call, *std::move(staged), std::move(answer));
    return;
  }
  response->Clear();
  if (result.ok()) FillResponse(*result, response);
  gate.Audit(call, &request, result.ok() ? response : nullptr, result.status(), std::move(answer));
}

// SubmitReports: up to kStreamWindow items of one stream are submitted at
// once on the pool, and their responses written in request order, one
// write in flight. One item at a time left each stream a single synced
// write in flight, so a stream's items joined few others in RocksDB's
// group commit and cost more each than unary calls did
// (2026-12-02, hirs-load --workload=bulk). Each item counts against the caller's rate; an
// item over it gets RESOURCE_EXHAUSTED in its error.
class SubmitStream final
    : public grpc::ServerBidiReactor<hirs::v1::SubmitReportRequest, hirs::v1::SubmitReportResponse> {
 public:
  static constexpr size_t kStreamWindow = 8;

  SubmitStream(grpc::CallbackServerContext* context, Intake* intake, rpc::CallGate* gate, WorkerPool* pool)
      : context_(context), intake_(intake), gate_(gate), pool_(pool) {
    std::optional<rpc::Call> call =
        gate->Admit(*context, "hirs.v1.ReportingService/SubmitReports", nullptr,
                    [this](const absl::Status& refused) { Finish(rpc::ToGrpcStatus(refused)); });
    if (!call.has_value()) return;
    call_ = *std::move(call);
    rpc::AnnounceOpen(context, this);
    Next next;
    {
      absl::MutexLock lock(&mu_);
      next.read = ReadMoreLocked();
    }
    Start(next);
  }

  void OnReadDone(bool ok) override {
    Next next;
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      if (!ok) {  // the client half-closed (or the call failed)
        half_closed_ = true;
        next.finish = FinishIfDoneLocked();
      } else {
        items_.emplace_back();
        Item* item = &items_.back();  // a deque keeps it in place until popped
        item->request = std::move(incoming_);
        ++processing_;  // before the worker runs: `this` must outlive it
        if (!pool_->TrySchedule([this, item] { Process(item); })) {
          --processing_;
          item->answered = true;  // the item's own error; the stream goes on
          *item->response.mutable_error() = rpc::ToRpcStatus(rpc::Overloaded());
          next.write = WriteNextLocked();
        }
        next.read = ReadMoreLocked();
      }
    }
    Start(next);
  }

  void OnWriteDone(bool ok) override {
    Next next;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) {
        next.finish = FinishLocked(rpc::ToGrpcStatus(absl::CancelledError("the stream broke while writing")));
      } else {
        items_.pop_front();
        next.write = WriteNextLocked();
        next.read = ReadMoreLocked();
        next.finish = FinishIfDoneLocked();
      }
    }
    Start(next);
  }

  void OnDone() override {
    // gRPC calls this once every operation has ended; items still being
    // submitted hold `this`, so the last of them deletes it.
    bool last = false;
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
      last = processing_ == 0;
    }
    if (last) delete this;
  }

 private:
  struct Item {
    hirs::v1::SubmitReportRequest request;
    hirs::v1::SubmitReportResponse response;
    bool answered = false;
  };

  // What to start once mu_ is released (no gRPC operation starts under it,
  // since a reaction may run at once on the same thread).
  struct Next {
    bool read = false;
    const hirs::v1::SubmitReportResponse* write = nullptr;
    std::optional<grpc::Status> finish;
  };

  void Start(const Next& next) {
    if (next.read) StartRead(&incoming_);
    if (next.write != nullptr) StartWrite(next.write);
    if (next.finish.has_value()) Finish(*next.finish);
  }

  // On a worker: submits and audits one item, answered by Answered.
  void Process(Item* item) {
    absl::Status admitted = rpc::CheckStillWanted(*context_);
    if (admitted.ok()) admitted = gate_->TakeItem(call_);
    rpc::Answer answer = [this, item](const absl::Status& outcome) { Answered(item, outcome); };
    if (admitted.ok()) {
      SubmitAndAudit(*intake_, *gate_, call_, item->request, &item->response, std::move(answer));
    } else {
      gate_->Audit(call_, &item->request, nullptr, admitted, std::move(answer));
    }
  }

  // On the gate's answering thread: the item's outcome is audited; its
  // response is written in its turn.
  void Answered(Item* item, const absl::Status& outcome) {
    if (!outcome.ok()) {
      item->response.Clear();
      *item->response.mutable_error() = rpc::ToRpcStatus(outcome);
    }
    Next next;
    bool last = false;
    {
      absl::MutexLock lock(&mu_);
      item->answered = true;
      --processing_;
      if (!done_) next.write = WriteNextLocked();
      last = done_ && processing_ == 0;
    }
    if (last) {
      delete this;
    } else if (next.write != nullptr) {
      // writing_ is set, so the stream cannot end before this write does.
      Start(next);
    }
  }

  // The oldest item's response, once answered, to write (one at a time).
  const hirs::v1::SubmitReportResponse* WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_ || items_.empty() || !items_.front().answered) return nullptr;
    writing_ = true;
    return &items_.front().response;
  }

  // Whether to read another item: fewer than kStreamWindow unwritten.
  bool ReadMoreLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (reading_ || half_closed_ || finished_ || items_.size() >= kStreamWindow) return false;
    reading_ = true;
    return true;
  }

  // OK once every item is answered and written after the client half-closed.
  std::optional<grpc::Status> FinishIfDoneLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (half_closed_ && items_.empty() && !writing_) return FinishLocked(grpc::Status::OK);
    return std::nullopt;
  }

  std::optional<grpc::Status> FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return std::nullopt;
    finished_ = true;
    return status;
  }

  grpc::CallbackServerContext* const context_;
  Intake* const intake_;
  rpc::CallGate* const gate_;
  WorkerPool* const pool_;
  rpc::Call call_;
  absl::Mutex mu_;
  // The read in flight's target: gRPC fills it while reading_, then
  // OnReadDone takes it under mu_.
  hirs::v1::SubmitReportRequest incoming_;
  std::deque<Item> items_ ABSL_GUARDED_BY(mu_);  // read and not yet written, in request order
  size_t processing_ ABSL_GUARDED_BY(mu_) = 0;   // items submitted and not yet answered
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool half_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;  // OnDone ran: gRPC holds no more of the stream
};

}  // namespace

grpc::ServerUnaryReactor* ReportingServiceImpl::SubmitReport(grpc::CallbackServerContext* context,
                                                             const hirs::v1::SubmitReportRequest* request,
                                                             hirs::v1::SubmitReportResponse* response) {
  return rpc::RunUnaryAudited(context, *gate_, "hirs.v1.ReportingService/SubmitReport", *request, pools_.writes,
                              [this, request, response](const rpc::Call& call, const rpc::Answer& answer) {
                                SubmitAndAudit(*intake_, *gate_, call, *request, response, answer);
                              });
}

grpc::ServerBidiReactor<hirs::v1::SubmitReportRequest, hirs::v1::SubmitReportResponse>*
ReportingServiceImpl::SubmitReports(grpc::CallbackServerContext* context) {
  return new SubmitStream(context, intake_, gate_, pools_.writes);
}

grpc::ServerUnaryReactor* ReportingServiceImpl::GetReport(grpc::CallbackServerContext* context,
                                                          const hirs::v1::GetReportRequest* request,
                                                          hirs::v1::Report* response) {
  return rpc::RunUnary(context, *gate_, "hirs.v1.ReportingService/GetReport", *request, pools_.reads, response,
                       [this, request](const auth::Principal& p) {
                         return reports_->GetReport(p.scope, request->report_id(), request->version());
                       });
}

grpc::ServerUnaryReactor* ReportingServiceImpl::ListReports(grpc::CallbackServerContext* context,
                                                            const hirs::v1::ListReportsRequest* request,
                                                            hirs::v1::ListReportsResponse* response) {
  return rpc::RunUnary(
      context, *gate_, "hirs.v1.ReportingService/ListReports", *request, pools_.reads, response,
      [this, request](const auth::Principal& p) { return reports_->ListReports(p.scope, p.id, *request); });
}

grpc::ServerWriteReactor<hirs::v1::ReportChange>* ReportingServiceImpl::WatchReports(
    grpc::CallbackServerContext* context, const hirs::v1::WatchReportsRequest* request) {
  using Reactor = grpc::ServerWriteReactor<hirs::v1::ReportChange>;
  return feed::AdmitWatch<hirs::v1::ReportChange>(
      context, *gate_, "hirs.v1.ReportingService/WatchReports", *request,
      [this, context, request](const auth::Principal& caller,
                               std::function<bool()> still_allowed) -> absl::StatusOr<Reactor*> {
        absl::StatusOr<query::Filter> filter = query::Filter::Parse(request->filter(), query::FilterSubject::kReports);
        if (!filter.ok()) return filter.status();
        const uint64_t from = request->from_cursor() == 0 && request->start_at_end() ? feed::ChangeFeed::kFromEnd
                                                                                     : request->from_cursor();
        // The caller's scope is its centre: only its own reports are sent.
        feed::View<hirs::v1::ReportChange> view = [reports = reports_, centre = caller.scope,
                                                   filter = *std::move(filter)](auto events) {
          return reports->Changes(centre, filter, std::move(events));
        };
        return feed_->Watch(context, caller.id, from, std::move(view), std::move(still_allowed));
      });
}

grpc::ServerUnaryReactor* ReportingServiceImpl::WithdrawReport(grpc::CallbackServerContext* context,
                                                               const hirs::v1::WithdrawReportRequest* request,
                                                               hirs::v1::Report* response) {
  return rpc::RunUnary(context, *gate_, "hirs.v1.ReportingService/WithdrawReport", *request, pools_.writes, response,
                       [this, request](const auth::Principal& p) { return AsRead(changes_->Withdraw(p, *request)); });
}

grpc::ServerUnaryReactor* ReportingServiceImpl::UpdateConsent(grpc::CallbackServerContext* context,
                                                              const hirs::v1::UpdateConsentRequest* request,
                                                              hirs::v1::Report* response) {
  return rpc::RunUnary(
      context, *gate_, "hirs.v1.ReportingService/UpdateConsent", *request, pools_.writes, response,
      [this, request](const auth::Principal& p) { return AsRead(changes_->UpdateConsent(p, *request)); });
}

grpc::ServerUnaryReactor* ReportingServiceImpl::AmendReport(grpc::CallbackServerContext* context,
                                                            const hirs::v1::AmendReportRequest* request,
                                                            hirs::v1::Report* response) {
  return rpc::RunUnary(context, *gate_, "hirs.v1.ReportingService/AmendReport", *request, pools_.writes, response,
                       [this, request](const auth::Principal& p) { return AsRead(changes_->Amend(p, *request)); });
}

absl::StatusOr<hirs::v1::Report> ReportingServiceImpl::AsRead(absl::StatusOr<hirs::v1::Report> changed) const {
  if (!changed.ok()) return changed;
  return reports_->GetReport(changed->reporting_centre(), changed->report_id());
}

}  // namespace hirs::intake
