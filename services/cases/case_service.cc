#include "services/cases/case_service.h"

#include "absl/strings/str_cat.h"
#include "services/rpc/rpc.h"

namespace hirs::cases {
namespace {

constexpr char kService[] = "hirs.v1.CaseService";

// ADMIN may read cases; only police change them.
absl::Status RequirePolice(const auth::Principal& p) {
  if (p.role == hirs::v1::POLICE) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("principal ", p.id, " (role ", hirs::v1::Role_Name(p.role), ") may read cases but not change them"));
}

// `work` (principal -> absl::StatusOr<...>) for police callers only.
template <typename Work>
auto PoliceOnly(Work work) {
  return [work = std::move(work)](const auth::Principal& p) -> decltype(work(p)) {
    if (absl::Status s = RequirePolice(p); !s.ok()) return s;
    return work(p);
  };
}

}  // namespace

grpc::ServerUnaryReactor* CaseServiceImpl::GetCase(grpc::CallbackServerContext* context,
                                                   const hirs::v1::GetCaseRequest* request, hirs::v1::Case* response) {
  return rpc::RunUnary(context, *principals_, kService, pool_, response,
                       [this, request](const auth::Principal& p) { return cases_->GetCase(p, request->case_id()); });
}

grpc::ServerUnaryReactor* CaseServiceImpl::ListCases(grpc::CallbackServerContext* context,
                                                     const hirs::v1::ListCasesRequest* request,
                                                     hirs::v1::ListCasesResponse* response) {
  return rpc::RunUnary(context, *principals_, kService, pool_, response,
                       [this, request](const auth::Principal& p) { return cases_->ListCases(p, *request); });
}

grpc::ServerUnaryReactor* CaseServiceImpl::UpdateCase(grpc::CallbackServerContext* context,
                                                      const hirs::v1::UpdateCaseRequest* request,
                                                      hirs::v1::Case* response) {
  return rpc::RunUnary(context, *principals_, kService, pool_, response,
                       PoliceOnly([this, request](const auth::Principal& p) {
                         return cases_->UpdateCase(p, *request);
                       }));
}

grpc::ServerUnaryReactor* CaseServiceImpl::MergeCases(grpc::CallbackServerContext* context,
                                                      const hirs::v1::MergeCasesRequest* request,
                                                      hirs::v1::Case* response) {
  return rpc::RunUnary(context, *principals_, kService, pool_, response,
                       PoliceOnly([this, request](const auth::Principal& p) {
                         return cases_->MergeCases(p, *request);
                       }));
}

grpc::ServerUnaryReactor* CaseServiceImpl::SplitReport(grpc::CallbackServerContext* context,
                                                       const hirs::v1::SplitReportRequest* request,
                                                       hirs::v1::SplitReportResponse* response) {
  return rpc::RunUnary(context, *principals_, kService, pool_, response,
                       PoliceOnly([this, request](const auth::Principal& p) {
                         return cases_->SplitReport(p, *request);
                       }));
}

grpc::ServerUnaryReactor* CaseServiceImpl::ListReviewItems(grpc::CallbackServerContext* context,
                                                           const hirs::v1::ListReviewItemsRequest* request,
                                                           hirs::v1::ListReviewItemsResponse* response) {
  return rpc::RunUnary(context, *principals_, kService, pool_, response,
                       [this, request](const auth::Principal& p) { return cases_->ListReviewItems(p, *request); });
}

grpc::ServerUnaryReactor* CaseServiceImpl::ResolveReviewItem(grpc::CallbackServerContext* context,
                                                             const hirs::v1::ResolveReviewItemRequest* request,
                                                             hirs::v1::ReviewItem* response) {
  return rpc::RunUnary(context, *principals_, kService, pool_, response,
                       PoliceOnly([this, request](const auth::Principal& p) {
                         return cases_->ResolveReviewItem(p, *request);
                       }));
}

grpc::ServerWriteReactor<hirs::v1::CaseEvent>* CaseServiceImpl::WatchCases(
    grpc::CallbackServerContext* context, const hirs::v1::WatchCasesRequest* request) {
  absl::StatusOr<auth::Principal> principal = rpc::AuthorizeCall(*context, *principals_, kService);
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
