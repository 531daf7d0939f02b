// gRPC adapter of hirs.v1.AdminService: principals and tokens
// (auth/directory.h), people and their credentials (auth/people.h),
// retention runs (retention/retention.h) and the audit
// trail (audit/audit_log.h), backups (storage/backup.h, into the server's
// backup directory) and compactions of the store (storage/store.h). Every
// call passes the gate (rpc/gate.h): ADMIN only, audited.
#ifndef HIRS_SERVICES_ADMIN_ADMIN_SERVICE_H_
#define HIRS_SERVICES_ADMIN_ADMIN_SERVICE_H_

#include <string>

#include "common/worker_pool.h"
#include "hirs/v1/admin_service.grpc.pb.h"
#include "services/audit/audit_log.h"
#include "services/auth/directory.h"
#include "services/auth/people.h"
#include "services/retention/retention.h"
#include "services/rpc/gate.h"
#include "storage/store.h"

namespace hirs::admin {

// Thread safe. Every pointer is borrowed and must outlive the service.
class AdminServiceImpl final : public hirs::v1::AdminService::CallbackService {
 public:
  // VerifyAudit and ListAuditEntries first wait for `audit` to chain what
  // it was handed (AuditLog::Drain), so they show every call answered
  // before them.
  AdminServiceImpl(auth::PrincipalDirectory* directory, auth::People* people, retention::Retention* retention,
                   storage::Store* store, audit::AuditLog* audit, std::string backup_dir, rpc::CallGate* gate,
                   WorkerPool* pool)
      : directory_(directory),
        people_(people),
        retention_(retention),
        store_(store),
        audit_(audit),
        backup_dir_(std::move(backup_dir)),
        gate_(gate),
        pool_(pool) {}

  grpc::ServerUnaryReactor* CreatePrincipal(grpc::CallbackServerContext* context,
                                            const hirs::v1::CreatePrincipalRequest* request,
                                            hirs::v1::Principal* response) override;
  grpc::ServerUnaryReactor* ListPrincipals(grpc::CallbackServerContext* context,
                                           const hirs::v1::ListPrincipalsRequest* request,
                                           hirs::v1::ListPrincipalsResponse* response) override;
  grpc::ServerUnaryReactor* DisablePrincipal(grpc::CallbackServerContext* context,
                                             const hirs::v1::DisablePrincipalRequest* request,
                                             hirs::v1::Principal* response) override;
  grpc::ServerUnaryReactor* IssueToken(grpc::CallbackServerContext* context, const hirs::v1::IssueTokenRequest* request,
                                       hirs::v1::IssueTokenResponse* response) override;
  grpc::ServerUnaryReactor* RevokeToken(grpc::CallbackServerContext* context,
                                        const hirs::v1::RevokeTokenRequest* request,
                                        hirs::v1::Principal* response) override;
  grpc::ServerUnaryReactor* CreateBackup(grpc::CallbackServerContext* context,
                                         const hirs::v1::CreateBackupRequest* request,
                                         hirs::v1::Backup* response) override;
  grpc::ServerUnaryReactor* ListBackups(grpc::CallbackServerContext* context,
                                        const hirs::v1::ListBackupsRequest* request,
                                        hirs::v1::ListBackupsResponse* response) override;
  grpc::ServerUnaryReactor* VerifyBackup(grpc::CallbackServerContext* context,
                                         const hirs::v1::VerifyBackupRequest* request,
                                         hirs::v1::Backup* response) override;
  grpc::ServerUnaryReactor* RunRetention(grpc::CallbackServerContext* context,
                                         const hirs::v1::RunRetentionRequest* request,
                                         hirs::v1::RunRetentionResponse* response) override;
  grpc::ServerUnaryReactor* VerifyAudit(grpc::CallbackServerContext* context,
                                        const hirs::v1::VerifyAuditRequest* request,
                                        hirs::v1::VerifyAuditResponse* response) override;
  grpc::ServerUnaryReactor* ListAuditEntries(grpc::CallbackServerContext* context,
                                             const hirs::v1::ListAuditEntriesRequest* request,
                                             hirs::v1::ListAuditEntriesResponse* response) override;
  // Holds one of `pool`'s workers until the compaction ends; stops it when
  // the call is cancelled or its deadline passes (checked every 100 ms).
  grpc::ServerUnaryReactor* CompactStore(grpc::CallbackServerContext* context,
                                         const hirs::v1::CompactStoreRequest* request,
                                         hirs::v1::CompactStoreResponse* response) override;
  grpc::ServerUnaryReactor* CreatePerson(grpc::CallbackServerContext* context,
                                         const hirs::v1::CreatePersonRequest* request,
                                         hirs::v1::CreatePersonResponse* response) override;
  grpc::ServerUnaryReactor* ListPeople(grpc::CallbackServerContext* context, const hirs::v1::ListPeopleRequest* request,
                                       hirs::v1::ListPeopleResponse* response) override;
  grpc::ServerUnaryReactor* DisablePerson(grpc::CallbackServerContext* context,
                                          const hirs::v1::DisablePersonRequest* request,
                                          hirs::v1::Person* response) override;
  grpc::ServerUnaryReactor* ResetPassword(grpc::CallbackServerContext* context,
                                          const hirs::v1::ResetPasswordRequest* request,
                                          hirs::v1::ResetPasswordResponse* response) override;
  grpc::ServerUnaryReactor* ResetSecondFactor(grpc::CallbackServerContext* context,
                                              const hirs::v1::ResetSecondFactorRequest* request,
                                              hirs::v1::SecondFactorEnrolment* response) override;

 private:
  auth::PrincipalDirectory* const directory_;
  auth::People* const people_;
  retention::Retention* const retention_;
  storage::Store* const store_;
  audit::AuditLog* const audit_;
  const std::string backup_dir_;
  rpc::CallGate* const gate_;
  WorkerPool* const pool_;
};

}  // namespace hirs::admin

#endif  // HIRS_SERVICES_ADMIN_ADMIN_SERVICE_H_
