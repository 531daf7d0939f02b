#include "services/admin/admin_service.h"

#include <atomic>
#include <thread>

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/bad_request.h"
#include "common/civil_time.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "services/audit/audit_log.h"
#include "services/rpc/rpc.h"

namespace hirs::admin {
namespace {

constexpr char kService[] = "hirs.v1.AdminService/";
// How long VerifyAudit and ListAuditEntries wait for entries to be chained
// (milliseconds, unless the store cannot be written: then pending entries
// are counted as such).
constexpr absl::Duration kDrainWait = absl::Seconds(5);

std::string Method(absl::string_view name) { return absl::StrCat(kService, name); }

hirs::v1::Backup ToProto(const storage::BackupInfo& info, bool verified) {
  hirs::v1::Backup out;
  out.set_backup_id(info.id);
  *out.mutable_created_at() = ToTimestamp(info.created);
  out.set_size_bytes(info.size_bytes);
  out.set_verified(verified);
  return out;
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
  return rpc::RunUnary(
      context, *gate_, Method("DisablePrincipal"), *request, pool_, response,
      [this, request](const auth::Principal& caller) { return directory_->Disable(request->id(), caller.id); });
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
  return rpc::RunUnary(
      context, *gate_, Method("RevokeToken"), *request, pool_, response,
      [this, request](const auth::Principal&) { return directory_->RevokeToken(request->principal_id()); });
}

grpc::ServerUnaryReactor* AdminServiceImpl::CreateBackup(grpc::CallbackServerContext* context,
                                                         const hirs::v1::CreateBackupRequest* request,
                                                         hirs::v1::Backup* response) {
  return rpc::RunUnary(context, *gate_, Method("CreateBackup"), *request, pool_, response,
                       [this](const auth::Principal&) -> absl::StatusOr<hirs::v1::Backup> {
                         auto info = store_->CreateBackup(backup_dir_);
                         if (!info.ok()) return info.status();
                         LogInfo(absl::StrCat("backup ", info->id, " created in ", backup_dir_, ": ", info->files,
                                              " files, ", info->size_bytes, " bytes"));
                         return ToProto(*info, false);
                       });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListBackups(grpc::CallbackServerContext* context,
                                                        const hirs::v1::ListBackupsRequest* request,
                                                        hirs::v1::ListBackupsResponse* response) {
  return rpc::RunUnary(context, *gate_, Method("ListBackups"), *request, pool_, response,
                       [this](const auth::Principal&) -> absl::StatusOr<hirs::v1::ListBackupsResponse> {
                         auto infos = storage::ListBackups(backup_dir_);
                         if (!infos.ok()) return infos.status();
                         hirs::v1::ListBackupsResponse out;
                         for (const auto& info : *infos) *out.add_backups() = ToProto(info, false);
                         return out;
                       });
}

grpc::ServerUnaryReactor* AdminServiceImpl::VerifyBackup(grpc::CallbackServerContext* context,
                                                         const hirs::v1::VerifyBackupRequest* request,
                                                         hirs::v1::Backup* response) {
  return rpc::RunUnary(
      context, *gate_, Method("VerifyBackup"), *request, pool_, response,
      [this, request](const auth::Principal&) -> absl::StatusOr<hirs::v1::Backup> {
        if (request->backup_id() == 0) {
          return InvalidArgumentWithViolations({{"backup_id", "give the id of a backup (hirs admin backup list)"}});
        }
        auto info = storage::VerifyBackup(backup_dir_, request->backup_id());
        if (!info.ok()) return info.status();
        return ToProto(*info, true);
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::RunRetention(grpc::CallbackServerContext* context,
                                                         const hirs::v1::RunRetentionRequest* request,
                                                         hirs::v1::RunRetentionResponse* response) {
  return rpc::RunUnary(
      context, *gate_, Method("RunRetention"), *request, pool_, response,
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
                       [this](const auth::Principal&) {
                         audit_->Drain(kDrainWait);
                         return audit::VerifyChain(*store_);
                       });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListAuditEntries(grpc::CallbackServerContext* context,
                                                             const hirs::v1::ListAuditEntriesRequest* request,
                                                             hirs::v1::ListAuditEntriesResponse* response) {
  return rpc::RunUnary(context, *gate_, Method("ListAuditEntries"), *request, pool_, response,
                       [this, request](const auth::Principal&) {
                         audit_->Drain(kDrainWait);
                         return audit::ListEntries(*store_, *request);
                       });
}

grpc::ServerUnaryReactor* AdminServiceImpl::CompactStore(grpc::CallbackServerContext* context,
                                                         const hirs::v1::CompactStoreRequest* request,
                                                         hirs::v1::CompactStoreResponse* response) {
  return rpc::RunUnary(
      context, *gate_, Method("CompactStore"), *request, pool_, response,
      [this, context](const auth::Principal& caller) -> absl::StatusOr<hirs::v1::CompactStoreResponse> {
        std::atomic<bool> canceled{false};
        absl::Notification finished;
        std::thread watch([context, &canceled, &finished] {
          NameThisThread("hirs-compact");
          while (!finished.WaitForNotificationWithTimeout(absl::Milliseconds(100))) {
            if (context->IsCancelled()) {
              canceled.store(true);
              return;
            }
          }
        });
        LogInfo(absl::StrCat("store compaction started by ", caller.id));
        absl::StatusOr<storage::CompactionInfo> info = store_->CompactAll(&canceled);
        finished.Notify();
        watch.join();
        if (!info.ok()) {
          LogInfo(absl::StrCat("store compaction: ", info.status().ToString()));
          return info.status();
        }
        LogInfo(absl::StrCat("store compacted in ", absl::FormatDuration(absl::Trunc(info->took, absl::Seconds(1))),
                             ": ", info->size_bytes_before >> 20, " MiB of SST files before, ",
                             info->size_bytes_after >> 20, " MiB after"));
        hirs::v1::CompactStoreResponse out;
        *out.mutable_took() =
            google::protobuf::util::TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(info->took));
        out.set_size_bytes_before(info->size_bytes_before);
        out.set_size_bytes_after(info->size_bytes_after);
        return out;
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::CreatePerson(grpc::CallbackServerContext* context,
                                                         const hirs::v1::CreatePersonRequest* request,
                                                         hirs::v1::CreatePersonResponse* response) {
  return rpc::RunUnary(context, *gate_, Method("CreatePerson"), *request, pool_, response,
                       [this, request](const auth::Principal&) { return people_->Create(request->person()); });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListPeople(grpc::CallbackServerContext* context,
                                                       const hirs::v1::ListPeopleRequest* request,
                                                       hirs::v1::ListPeopleResponse* response) {
  return rpc::RunUnary(context, *gate_, Method("ListPeople"), *request, pool_, response,
                       [this](const auth::Principal&) -> absl::StatusOr<hirs::v1::ListPeopleResponse> {
                         ASSIGN_OR_RETURN(std::vector<hirs::v1::Person> people, people_->List());
                         hirs::v1::ListPeopleResponse out;
                         for (hirs::v1::Person& p : people) *out.add_people() = std::move(p);
                         return out;
                       });
}

grpc::ServerUnaryReactor* AdminServiceImpl::DisablePerson(grpc::CallbackServerContext* context,
                                                          const hirs::v1::DisablePersonRequest* request,
                                                          hirs::v1::Person* response) {
  return rpc::RunUnary(context, *gate_, Method("DisablePerson"), *request, pool_, response,
                       [this, request](const auth::Principal&) { return people_->Disable(request->person_id()); });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ResetPassword(grpc::CallbackServerContext* context,
                                                          const hirs::v1::ResetPasswordRequest* request,
                                                          hirs::v1::ResetPasswordResponse* response) {
  return rpc::RunUnary(
      context, *gate_, Method("ResetPassword"), *request, pool_, response,
      [this, request](const auth::Principal&) { return people_->ResetPassword(request->person_id()); });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ResetSecondFactor(grpc::CallbackServerContext* context,
                                                              const hirs::v1::ResetSecondFactorRequest* request,
                                                              hirs::v1::SecondFactorEnrolment* response) {
  return rpc::RunUnary(
      context, *gate_, Method("ResetSecondFactor"), *request, pool_, response,
      [this, request](const auth::Principal&) { return people_->ResetSecondFactor(request->person_id()); });
}

}  // namespace hirs::admin
