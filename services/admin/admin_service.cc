#include "services/admin/admin_service.h"

#include "absl/strings/str_cat.h"
#include "services/audit/audit_log.h"
#include "services/rpc/rpc.h"

namespace hirs::admin {
namespace {

constexpr char kService[] = "hirs.v1.AdminService/";

std::string Method(absl::string_view name) { return absl::StrCat(kService, name); }

absl::Status BackupsNotYet() {
  return absl::UnimplementedError(
      "backups are not available in this version of hirsd; until they are, stop hirsd and copy its data "
      "directory");
}

}  // namespace

grpc::ServerUnaryReactor* AdminServiceImpl::CreatePrincipal(grpc::CallbackServerContext* context,
                                                            const hirs::v1::CreatePrincipalRequest* request,
                                                            hirs::v1::Principal* response) {
  return rpc::RunUnary(context, *gate_, Method("CreatePrincipal"), *request, pool_, response,
                       [this, request](const auth::Principal&) { return directory_->Create(request->principal()); });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListPrincipals(grpc::CallbackServerContext* context,
                                                           const hirs::v1::ListPrincipalsRequest* request,
                                                           hirs::v1::ListPrincipalsResponse* response) {
  return rpc::RunUnary(context, *gate_, Method("ListPrincipals"), *request, pool_, response,
                       [this](const auth::Principal&) -> absl::StatusOr<hirs::v1::ListPrincipalsResponse> {
                         hirs::v1::ListPrincipalsResponse out;
                         for (hirs::v1::Principal& p : directory_->List()) *out.add_principals() = std::move(p);
                         return out;
                       });
}

grpc::ServerUnaryReactor* AdminServiceImpl::DisablePrincipal(grpc::CallbackServerContext* context,
                                                             const hirs::v1::DisablePrincipalRequest* request,
                                                             hirs::v1::Principal* response) {
  return rpc::RunUnary(context, *gate_, Method("DisablePrincipal"), *request, pool_, response,
                       [this, request](const auth::Principal& caller) {
                         return directory_->Disable(request->id(), caller.id);
                       });
}

grpc::ServerUnaryReactor* AdminServiceImpl::IssueToken(grpc::CallbackServerContext* context,
                                                       const hirs::v1::IssueTokenRequest* request,
                                                       hirs::v1::IssueTokenResponse* response) {
  return rpc::RunUnary(context, *gate_, Method("IssueToken"), *request, pool_, response,
                       [this, request](const auth::Principal&) { return directory_->IssueToken(*request); });
}

grpc::ServerUnaryReactor* AdminServiceImpl::RevokeToken(grpc::CallbackServerContext* context,
                                                        const hirs::v1::RevokeTokenRequest* request,
                                                        hirs::v1::Principal* response) {
  return rpc::RunUnary(context, *gate_, Method("RevokeToken"), *request, pool_, response,
                       [this, request](const auth::Principal&) { return directory_->RevokeToken(request->principal_id()); });
}

grpc::ServerUnaryReactor* AdminServiceImpl::CreateBackup(grpc::CallbackServerContext* context,
                                                         const hirs::v1::CreateBackupRequest* request,
                                                         hirs::v1::Backup* response) {
  return rpc::RunUnary(context, *gate_, Method("CreateBackup"), *request, pool_, response,
                       [](const auth::Principal&) -> absl::StatusOr<hirs::v1::Backup> { return BackupsNotYet(); });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListBackups(grpc::CallbackServerContext* context,
                                                        const hirs::v1::ListBackupsRequest* request,
                                                        hirs::v1::ListBackupsResponse* response) {
  return rpc::RunUnary(context, *gate_, Method("ListBackups"), *request, pool_, response,
                       [](const auth::Principal&) -> absl::StatusOr<hirs::v1::ListBackupsResponse> {
                         return BackupsNotYet();
                       });
}

grpc::ServerUnaryReactor* AdminServiceImpl::VerifyBackup(grpc::CallbackServerContext* context,
                                                         const hirs::v1::VerifyBackupRequest* request,
                                                         hirs::v1::Backup* response) {
  return rpc::RunUnary(context, *gate_, Method("VerifyBackup"), *request, pool_, response,
                       [](const auth::Principal&) -> absl::StatusOr<hirs::v1::Backup> { return BackupsNotYet(); });
}

grpc::ServerUnaryReactor* AdminServiceImpl::RunRetention(grpc::CallbackServerContext* context,
                                                         const hirs::v1::RunRetentionRequest* request,
                                                         hirs::v1::RunRetentionResponse* response) {
  return rpc::RunUnary(context, *gate_, Method("RunRetention"), *request, pool_, response,
                       [this, request](const auth::Principal& caller) -> absl::StatusOr<hirs::v1::RunRetentionResponse> {
                         auto outcome = retention_->Run(caller.id, Method("RunRetention"), request->dry_run());
                         if (!outcome.ok()) return outcome.status();
                         hirs::v1::RunRetentionResponse out;
                         out.set_cases_redacted(outcome->cases);
                         out.set_reports_redacted(outcome->reports);
                         return out;
                       });
}

grpc::ServerUnaryReactor* AdminServiceImpl::VerifyAudit(grpc::CallbackServerContext* context,
                                                        const hirs::v1::VerifyAuditRequest* request,
                                                        hirs::v1::VerifyAuditResponse* response) {
  return rpc::RunUnary(context, *gate_, Method("VerifyAudit"), *request, pool_, response,
                       [this](const auth::Principal&) { return audit::VerifyChain(*store_); });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListAuditEntries(grpc::CallbackServerContext* context,
                                                             const hirs::v1::ListAuditEntriesRequest* request,
                                                             hirs::v1::ListAuditEntriesResponse* response) {
  return rpc::RunUnary(context, *gate_, Method("ListAuditEntries"), *request, pool_, response,
                       [this, request](const auth::Principal&) { return audit::ListEntries(*store_, *request); });
}

}  // namespace hirs::admin
