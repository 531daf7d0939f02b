#include "services/intake/reporting_service.h"

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

// Logs the outcome of a submission: ids and codes only, never content.
void LogSubmission(absl::string_view centre, const absl::StatusOr<SubmitResult>& result) {
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

// SubmitReports: reads one request, submits it on the pool, writes its
// response, then reads the next, so responses come in request order with at
// most one read or write in flight.
class SubmitStream final
    : public grpc::ServerBidiReactor<hirs::v1::SubmitReportRequest, hirs::v1::SubmitReportResponse> {
 public:
  SubmitStream(grpc::CallbackServerContext* context, Intake* intake,
               const auth::PrincipalRegistry* principals, WorkerPool* pool)
      : context_(context), intake_(intake), pool_(pool) {
    absl::StatusOr<auth::Principal> principal = rpc::AuthorizeCall(*context, *principals, "hirs.v1.ReportingService/SubmitReports", nullptr);
    if (!principal.ok()) {
      Finish(rpc::ToGrpcStatus(principal.status()));
      return;
    }
    centre_ = principal->id;
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
    absl::Status wanted = rpc::CheckStillWanted(*context_);
    absl::StatusOr<SubmitResult> result = wanted.ok() ? intake_->Submit(centre_, request_) : wanted;
    LogSubmission(centre_, result);
    if (result.ok()) {
      FillResponse(*result, &response_);
    } else {
      *response_.mutable_error() = rpc::ToRpcStatus(result.status());
    }
    StartWrite(&response_);
  }

  grpc::CallbackServerContext* const context_;
  Intake* const intake_;
  WorkerPool* const pool_;
  std::string centre_;
  hirs::v1::SubmitReportRequest request_;
  hirs::v1::SubmitReportResponse response_;
};

}  // namespace

grpc::ServerUnaryReactor* ReportingServiceImpl::SubmitReport(grpc::CallbackServerContext* context,
                                                             const hirs::v1::SubmitReportRequest* request,
                                                             hirs::v1::SubmitReportResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<auth::Principal> principal = rpc::AuthorizeCall(*context, *principals_, "hirs.v1.ReportingService/SubmitReport", request);
  if (!principal.ok()) {
    reactor->Finish(rpc::ToGrpcStatus(principal.status()));
    return reactor;
  }
  const bool scheduled = pool_->TrySchedule([this, context, request, response, reactor, centre = principal->id] {
    absl::Status wanted = rpc::CheckStillWanted(*context);
    absl::StatusOr<SubmitResult> result = wanted.ok() ? intake_->Submit(centre, *request) : wanted;
    LogSubmission(centre, result);
    if (result.ok()) FillResponse(*result, response);
    reactor->Finish(rpc::ToGrpcStatus(result.status()));
  });
  if (!scheduled) reactor->Finish(rpc::ToGrpcStatus(rpc::Overloaded()));
  return reactor;
}

grpc::ServerBidiReactor<hirs::v1::SubmitReportRequest, hirs::v1::SubmitReportResponse>*
ReportingServiceImpl::SubmitReports(grpc::CallbackServerContext* context) {
  return new SubmitStream(context, intake_, principals_, pool_);
}

grpc::ServerUnaryReactor* ReportingServiceImpl::GetReport(grpc::CallbackServerContext* context,
                                                          const hirs::v1::GetReportRequest* request,
                                                          hirs::v1::Report* response) {
  return rpc::RunUnary(context, *principals_, "hirs.v1.ReportingService/GetReport", *request, pool_, response, [this, request](const auth::Principal& p) {
    return intake_->GetReport(p.id, request->report_id());
  });
}

}  // namespace hirs::intake
