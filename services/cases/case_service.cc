#include "services/cases/case_service.h"

#include "absl/strings/str_cat.h"
#include "services/rpc/rpc.h"

namespace hirs::cases {
// Who may call each method: services/auth/access.h (checked by the rpc layer).

grpc::ServerUnaryReactor* CaseServiceImpl::GetCase(grpc::CallbackServerContext* context,
                                                   const hirs::v1::GetCaseRequest* request, hirs::v1::Case* response) {
  return rpc::RunUnary(context, *gate_, "hirs.v1.CaseService/GetCase", *request, pools_.reads, response,
                       [this, request](const auth::Principal& p) { return cases_->GetCase(p, request->case_id()); });
}

grpc::ServerUnaryReactor* CaseServiceImpl::ListCases(grpc::CallbackServerContext* context,
                                                     const hirs::v1::ListCasesRequest* request,
                                                     hirs::v1::ListCasesResponse* response) {
  return rpc::RunUnary(context, *gate_, "hirs.v1.CaseService/ListCases", *request, pools_.reads, response,
                       [this, request](const auth::Principal& p) { return cases_->ListCases(p, *request); });
}

grpc::ServerUnaryReactor* CaseServiceImpl::UpdateCase(grpc::CallbackServerContext* context,
                                                      const hirs::v1::UpdateCaseRequest* request,
                                                      hirs::v1::Case* response) {
  return rpc::RunUnary(context, *gate_, "hirs.v1.CaseService/UpdateCase", *request, pools_.writes, response,
                       [this, request](const auth::Principal& p) { return cases_->UpdateCase(p, *request); });
}

grpc::ServerUnaryReactor* CaseServiceImpl::MergeCases(grpc::CallbackServerContext* context,
                                                      const hirs::v1::MergeCasesRequest* request,
                                                      hirs::v1::Case* response) {
  return rpc::RunUnary(context, *gate_, "hirs.v1.CaseService/MergeCases", *request, pools_.writes, response,
                       [this, request](const auth::Principal& p) { return cases_->MergeCases(p, *request); });
}

grpc::ServerUnaryReactor* CaseServiceImpl::SplitReport(grpc::CallbackServerContext* context,
                                                       const hirs::v1::SplitReportRequest* request,
                                                       hirs::v1::SplitReportResponse* response) {
  return rpc::RunUnary(context, *gate_, "hirs.v1.CaseService/SplitReport", *request, pools_.writes, response,
                       [this, request](const auth::Principal& p) { return cases_->SplitReport(p, *request); });
}

grpc::ServerUnaryReactor* CaseServiceImpl::ListCaseReports(grpc::CallbackServerContext* context,
                                                           const hirs::v1::ListCaseReportsRequest* request,
                                                           hirs::v1::ListCaseReportsResponse* response) {
  return rpc::RunUnary(context, *gate_, "hirs.v1.CaseService/ListCaseReports", *request, pools_.reads, response,
                       [this, request](const auth::Principal& p) { return cases_->ListCaseReports(p, *request); });
}

grpc::ServerUnaryReactor* CaseServiceImpl::ListCaseEvents(grpc::CallbackServerContext* context,
                                                          const hirs::v1::ListCaseEventsRequest* request,
                                                          hirs::v1::ListCaseEventsResponse* response) {
  return rpc::RunUnary(context, *gate_, "hirs.v1.CaseService/ListCaseEvents", *request, pools_.reads, response,
                       [this, request](const auth::Principal& p) { return cases_->ListCaseEvents(p, *request); });
}

grpc::ServerUnaryReactor* CaseServiceImpl::ListReviewItems(grpc::CallbackServerContext* context,
                                                           const hirs::v1::ListReviewItemsRequest* request,
                                                           hirs::v1::ListReviewItemsResponse* response) {
  return rpc::RunUnary(context, *gate_, "hirs.v1.CaseService/ListReviewItems", *request, pools_.reads, response,
                       [this, request](const auth::Principal& p) { return cases_->ListReviewItems(p, *request); });
}

grpc::ServerUnaryReactor* CaseServiceImpl::ResolveReviewItem(grpc::CallbackServerContext* context,
                                                             const hirs::v1::ResolveReviewItemRequest* request,
                                                             hirs::v1::ReviewItem* response) {
  return rpc::RunUnary(context, *gate_, "hirs.v1.CaseService/ResolveReviewItem", *request, pools_.writes, response,
                       [this, request](const auth::Principal& p) { return cases_->ResolveReviewItem(p, *request); });
}

grpc::ServerWriteReactor<hirs::v1::CaseEvent>* CaseServiceImpl::WatchCases(grpc::CallbackServerContext* context,
                                                                           const hirs::v1::WatchCasesRequest* request) {
  // Events carry no personal data.
  return feed::AdmitWatch<hirs::v1::CaseEvent>(
      context, *gate_, "hirs.v1.CaseService/WatchCases", *request,
      [this, context, request](const auth::Principal& caller, std::function<bool()> still_allowed) {
        const uint64_t from = request->from_cursor() == 0 && request->start_at_end() ? feed::ChangeFeed::kFromEnd
                                                                                     : request->from_cursor();
        return feed_->Watch(context, caller.id, from, std::move(still_allowed));
      });
}

}  // namespace hirs::cases
