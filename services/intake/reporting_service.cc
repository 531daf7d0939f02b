#include "services/intake/reporting_service.h"

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
void RecordSubmission(absl::string_view centre, const absl::StatusOr<SubmitResult>& result,
                      metrics::Metrics* metrics) {
  if (result.ok() && metrics != nullptr) metrics->RecordCollation(result->collation);
  if (result.ok()) {
    LogInfo(absl::StrCat("submit centre=", centre, " report=", result->report_id, " case=", result->case_id,
                         " collation=", hirs::v1::CollationOutcome_Name(result->collation)));
  } else if (result.status().code() == absl::StatusCode::kUnavailable ||
             result.status().code() == absl::StatusCode::kInternal ||
             result.status().code() == absl::StatusCode::kDataLoss) {
    // These come from storage, whose messages name files and RocksDB
    // states, never report content.
    LogError(absl::StrCat("submit centre=", centre, " failed code=",
                          absl::StatusCodeToString(result.status().code()), " error=", result.status().message()));
  } else {
    LogInfo(absl::StrCat("submit centre=", centre, " refused code=",
                         absl::StatusCodeToString(result.status().code())));
  }
}

// Submits `request` for `call` and audits it, leaving the answer in
// `response` (cleared on failure): the outcome to answer with. A
// submission's entry goes into its own write (CallGate::Stage), so it costs
// no write of its own; a call that writes nothing or fails writes its entry
// by itself. Runs on a worker thread.
absl::Status SubmitAndAudit(Intake& intake, rpc::CallGate& gate, const rpc::Call& call,
                            const hirs::v1::SubmitReportRequest& request, hirs::v1::SubmitReportResponse* response) {
  std::optional<audit::StagedEntry> staged;
  absl::StatusOr<SubmitResult> result =
      intake.Submit(call.principal.id, request, [&](const SubmitResult& will_return, storage::WriteBatch* batch) {
        FillResponse(will_return, response);
        staged = gate.Stage(call, &request, response, batch);
      });
  RecordSubmission(call.principal.id, result, gate.metrics());
  if (result.ok() && staged.has_value()) {
    gate.Staged(call, *std::move(staged));
    return absl::OkStatus();
  }
  response->Clear();
  if (result.ok()) FillResponse(*result, response);
  return gate.RecordNow(call, &request, result.ok() ? response : nullptr, result.status());
}

// SubmitReports: reads one request, submits it on the pool, audits it,
// writes its response, then reads the next, so responses come in request
// order with at most one read or write in flight. Each item counts against
// the caller's rate; an item over it gets RESOURCE_EXHAUSTED in its error.
class SubmitStream final
    : public grpc::ServerBidiReactor<hirs::v1::SubmitReportRequest, hirs::v1::SubmitReportResponse> {
 public:
  SubmitStream(grpc::CallbackServerContext* context, Intake* intake, rpc::CallGate* gate, WorkerPool* pool)
      : context_(context), intake_(intake), gate_(gate), pool_(pool) {
    std::optional<rpc::Call> call = gate->Admit(*context, "hirs.v1.ReportingService/SubmitReports", nullptr,
                                                [this](const grpc::Status& status) { Finish(status); });
    if (!call.has_value()) return;
    call_ = *std::move(call);
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client half-closed (or the call failed): all answered
      Finish(grpc::Status::OK);
      return;
    }
    if (!pool_->TrySchedule([this] { Process(); })) Finish(rpc::ToGrpcStatus(rpc::Overloaded()));
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the stream broke while writing"));
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  void Process() {
    response_.Clear();
    absl::Status admitted = rpc::CheckStillWanted(*context_);
    if (admitted.ok()) admitted = gate_->TakeItem(call_);
    const absl::Status outcome = admitted.ok() ? SubmitAndAudit(*intake_, *gate_, call_, request_, &response_)
                                               : gate_->RecordNow(call_, &request_, nullptr, admitted);
    if (!outcome.ok()) {
      response_.Clear();
      *response_.mutable_error() = rpc::ToRpcStatus(outcome);
    }
    gate_->Answer([this] { StartWrite(&response_); });
  }

  grpc::CallbackServerContext* const context_;
  Intake* const intake_;
  rpc::CallGate* const gate_;
  WorkerPool* const pool_;
  rpc::Call call_;
  hirs::v1::SubmitReportRequest request_;
  hirs::v1::SubmitReportResponse response_;
};

}  // namespace

grpc::ServerUnaryReactor* ReportingServiceImpl::SubmitReport(grpc::CallbackServerContext* context,
                                                             const hirs::v1::SubmitReportRequest* request,
                                                             hirs::v1::SubmitReportResponse* response) {
  return rpc::RunUnaryAudited(context, *gate_, "hirs.v1.ReportingService/SubmitReport", *request, pools_.writes,
                              [this, request, response](const rpc::Call& call) {
                                return SubmitAndAudit(*intake_, *gate_, call, *request, response);
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
                       [this, request](const auth::Principal& p) { return intake_->GetReport(p.id, request->report_id()); });
}

}  // namespace hirs::intake
