#include "services/cases/case_service.h"

#include "absl/strings/str_cat.h"
#include "services/rpc/rpc.h"

namespace hirs::cases {
// Who may call each method: services/auth/access.h (checked by the rpc layer).

grpc::ServerUnaryReactor* CaseServiceImpl::GetCase(grpc::CallbackServerContext* context,
                                                   const hirs::v1::GetCaseRequest* request, hirs::v1::Case* response) {
  return rpc::RunUnary(context, *principals_, "hirs.v1.CaseService/GetCase", *request, pool_, response,
                       [this, request](const auth::Principal& p) { return cases_->GetCase(p, request->case_id()); });
}

grpc::ServerUnaryReactor* CaseServiceImpl::ListCases(grpc::CallbackServerContext* context,
                                                     const hirs::v1::ListCasesRequest* request,
                                                     hirs::v1::ListCasesResponse* response) {
  return rpc::RunUnary(context, *principals_, "hirs.v1.CaseService/ListCases", *request, pool_, response,
                       [this, request](const auth::Principal& p) { return cases_->ListCases(p, *request); });
}

grpc::ServerUnaryReactor* CaseServiceImpl::UpdateCase(grpc::CallbackServerContext* context,
                                                      const hirs::v1::UpdateCaseRequest* request,
                                                      hirs::v1::Case* response) {
  return rpc::RunUnary(context, *principals_, "hirs.v1.CaseService/UpdateCase", *request, pool_, response,
                       [this, request](const auth::Principal& p) { return cases_->UpdateCase(p, *request); });
}

grpc::ServerUnaryReactor* CaseServiceImpl::MergeCases(grpc::CallbackServerContext* context,
                                                      const hirs::v1::MergeCasesRequest* request,
                                                      hirs::v1::Case* response) {
  return rpc::RunUnary(context, *principals_, "hirs.v1.CaseService/MergeCases", *request, pool_, response,
                       [this, request](const auth::Principal& p) { return cases_->MergeCases(p, *request); });
}

grpc::ServerUnaryReactor* CaseServiceImpl::SplitReport(grpc::CallbackServerContext* context,
                                                       const hirs::v1::SplitReportRequest* request,
                                                       hirs::v1::SplitReportResponse* response) {
  return rpc::RunUnary(context, *principals_, "hirs.v1.CaseService/SplitReport", *request, pool_, response,
                       [this, request](const auth::Principal& p) { return cases_->SplitReport(p, *request); });
}

grpc::ServerUnaryReactor* CaseServiceImpl::ListReviewItems(grpc::CallbackServerContext* context,
                                                           const hirs::v1::ListReviewItemsRequest* request,
                                                           hirs::v1::ListReviewItemsResponse* response) {
  return rpc::RunUnary(context, *principals_, "hirs.v1.CaseService/ListReviewItems", *request, pool_, response,
                       [this, request](const auth::Principal& p) { return cases_->ListReviewItems(p, *request); });
}

grpc::ServerUnaryReactor* CaseServiceImpl::ResolveReviewItem(grpc::CallbackServerContext* context,
                                                             const hirs::v1::ResolveReviewItemRequest* request,
                                                             hirs::v1::ReviewItem* response) {
  return rpc::RunUnary(context, *principals_, "hirs.v1.CaseService/ResolveReviewItem", *request, pool_, response,
                       [this, request](const auth::Principal& p) { return cases_->ResolveReviewItem(p, *request); });
}

grpc::ServerWriteReactor<hirs::v1::CaseEvent>* CaseServiceImpl::WatchCases(
    grpc::CallbackServerContext* context, const hirs::v1::WatchCasesRequest* request) {
  absl::StatusOr<auth::Principal> principal = rpc::AuthorizeCall(*context, *principals_, "hirs.v1.CaseService/WatchCases", request);
  if (!principal.ok()) {
    // A reactor that only reports the refusal.
    class Refused final : public grpc::ServerWriteReactor<hirs::v1::CaseEvent> {
     public:
      explicit Refused(const grpc::Status& s) { Finish(s); }
      void OnDone() override { delete this; }
    };
    return new Refused(rpc::ToGrpcStatus(principal.status()));
  }
  return feed_->Watch(context, request->from_cursor());
}

}  // namespace hirs::cases
