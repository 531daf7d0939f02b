// hirs admin ...: principals, tokens, the audit trail, retention, backups
// and the store.
#include <map>

#include "clients/cli/cli.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "hirs/v1/admin_service.grpc.pb.h"

ABSL_FLAG(std::string, role, "",
          "admin principals create, admin people create: REPORTING_CENTRE, POLICE, DISTRICT or ADMIN");
ABSL_FLAG(std::string, scope, "",
          "admin principals create, admin people create: centre id, district GSS code or force area");
ABSL_FLAG(std::string, display_name, "", "admin principals create, admin people create: a name for people");
ABSL_FLAG(std::string, cert_names, "", "admin principals create: client certificate names, comma separated");
ABSL_FLAG(std::string, email, "", "admin people create: the person's work e-mail");
ABSL_FLAG(std::string, overlap, "", "admin token issue/rotate: how long the old token keeps working (rotate: 24h)");
ABSL_FLAG(std::string, case_id, "", "admin audit list: entries touching this case, report or resource id");
ABSL_FLAG(std::string, principal_id, "", "admin audit list: entries made by this principal");
ABSL_FLAG(bool, dry_run, false, "admin retention run: count what would be removed, remove nothing");

namespace hirs::cli {

namespace {

// --role as a Role; nullopt after saying it is wrong.
std::optional<hirs::v1::Role> RoleOrSay() {
  hirs::v1::Role role = hirs::v1::ROLE_UNSPECIFIED;
  if (hirs::v1::Role_Parse(absl::GetFlag(FLAGS_role), &role)) return role;
  std::fprintf(stderr, "error: --role must be REPORTING_CENTRE, POLICE, DISTRICT or ADMIN\n");
  return std::nullopt;
}

// hirs admin principals list | create ID | disable ID.
int AdminPrincipals(hirs::v1::AdminService::Stub& stub, const std::string& verb,
                    const std::vector<std::string>& words) {
  if (verb == "list" && words.size() == 3) {
    const std::optional<ListFormat> format = ListFormatOrSay();
    if (!format.has_value()) return kExitUsage;
    grpc::ClientContext context;
    Authorize(&context);
    hirs::v1::ListPrincipalsResponse response;
    const grpc::Status status = stub.ListPrincipals(&context, hirs::v1::ListPrincipalsRequest(), &response);
    if (!status.ok()) return Failed(status);
    std::vector<const hirs::v1::Principal*> page;
    for (const auto& p : response.principals()) page.push_back(&p);
    PrintPage(page,
              {{"ID", "id"},
               {"ROLE", "role"},
               {"SCOPE", "scope"},
               {"DISABLED", "disabled"},
               {"SOURCE", "source"},
               {"NAME", "display_name"}},
              *format, /*first=*/true);
    return kExitOk;
  }
  if (verb == "create" && words.size() == 4) {
    hirs::v1::CreatePrincipalRequest request;
    hirs::v1::Principal* p = request.mutable_principal();
    p->set_id(words[3]);
    const std::optional<hirs::v1::Role> role = RoleOrSay();
    if (!role.has_value()) return kExitUsage;
    p->set_role(*role);
    p->set_scope(absl::GetFlag(FLAGS_scope));
    p->set_display_name(absl::GetFlag(FLAGS_display_name));
    for (absl::string_view name : absl::StrSplit(absl::GetFlag(FLAGS_cert_names), ',', absl::SkipEmpty())) {
      p->add_cert_names(std::string(name));
    }
    return Unary<hirs::v1::Principal>(
        [&](grpc::ClientContext* c, hirs::v1::Principal* r) { return stub.CreatePrincipal(c, request, r); });
  }
  if (verb == "disable" && words.size() == 4) {
    hirs::v1::DisablePrincipalRequest request;
    request.set_id(words[3]);
    return Unary<hirs::v1::Principal>(
        [&](grpc::ClientContext* c, hirs::v1::Principal* r) { return stub.DisablePrincipal(c, request, r); });
  }
  return kNotACommand;
}

// hirs admin people list | create ID | disable ID | reset-password ID |
// reset-second-factor ID.
int AdminPeople(hirs::v1::AdminService::Stub& stub, const std::string& verb, const std::vector<std::string>& words) {
  if (verb == "list" && words.size() == 3) {
    const std::optional<ListFormat> format = ListFormatOrSay();
    if (!format.has_value()) return kExitUsage;
    grpc::ClientContext context;
    Authorize(&context);
    hirs::v1::ListPeopleResponse response;
    const grpc::Status status = stub.ListPeople(&context, hirs::v1::ListPeopleRequest(), &response);
    if (!status.ok()) return Failed(status);
    std::vector<const hirs::v1::Person*> page;
    for (const auto& p : response.people()) page.push_back(&p);
    PrintPage(page,
              {{"ID", "person_id"},
               {"ROLE", "role"},
               {"SCOPE", "scope"},
               {"DISABLED", "disabled"},
               {"E-MAIL", "email"},
               {"NAME", "display_name"}},
              *format, /*first=*/true);
    return kExitOk;
  }
  if (words.size() != 4) return kNotACommand;
  if (verb == "create") {
    hirs::v1::CreatePersonRequest request;
    hirs::v1::Person* p = request.mutable_person();
    p->set_person_id(words[3]);
    const std::optional<hirs::v1::Role> role = RoleOrSay();
    if (!role.has_value()) return kExitUsage;
    p->set_role(*role);
    p->set_scope(absl::GetFlag(FLAGS_scope));
    p->set_display_name(absl::GetFlag(FLAGS_display_name));
    p->set_email(absl::GetFlag(FLAGS_email));
    return Unary<hirs::v1::CreatePersonResponse>(
        [&](grpc::ClientContext* c, hirs::v1::CreatePersonResponse* r) { return stub.CreatePerson(c, request, r); });
  }
  if (verb == "disable") {
    hirs::v1::DisablePersonRequest request;
    request.set_person_id(words[3]);
    return Unary<hirs::v1::Person>(
        [&](grpc::ClientContext* c, hirs::v1::Person* r) { return stub.DisablePerson(c, request, r); });
  }
  if (verb == "reset-password") {
    hirs::v1::ResetPasswordRequest request;
    request.set_person_id(words[3]);
    return Unary<hirs::v1::ResetPasswordResponse>(
        [&](grpc::ClientContext* c, hirs::v1::ResetPasswordResponse* r) { return stub.ResetPassword(c, request, r); });
  }
  if (verb == "reset-second-factor") {
    hirs::v1::ResetSecondFactorRequest request;
    request.set_person_id(words[3]);
    return Unary<hirs::v1::SecondFactorEnrolment>([&](grpc::ClientContext* c, hirs::v1::SecondFactorEnrolment* r) {
      return stub.ResetSecondFactor(c, request, r);
    });
  }
  return kNotACommand;
}

// hirs admin token issue|rotate|revoke ID.
int AdminToken(hirs::v1::AdminService::Stub& stub, const std::string& verb, const std::vector<std::string>& words) {
  if ((verb == "issue" || verb == "rotate") && words.size() == 4) {
    hirs::v1::IssueTokenRequest request;
    request.set_principal_id(words[3]);
    std::string overlap = absl::GetFlag(FLAGS_overlap);
    if (overlap.empty() && verb == "rotate") overlap = "24h";
    if (!overlap.empty()) {
      absl::Duration d;
      if (!absl::ParseDuration(overlap, &d)) {
        std::fprintf(stderr, "error: --overlap takes a duration such as 24h or 90m\n");
        return kExitUsage;
      }
      request.mutable_previous_token_valid_for()->set_seconds(absl::ToInt64Seconds(d));
    }
    // The token is shown once: printed with the principal, to be stored by
    // the caller's system.
    return Unary<hirs::v1::IssueTokenResponse>(
        [&](grpc::ClientContext* c, hirs::v1::IssueTokenResponse* r) { return stub.IssueToken(c, request, r); });
  }
  if (verb == "revoke" && words.size() == 4) {
    hirs::v1::RevokeTokenRequest request;
    request.set_principal_id(words[3]);
    return Unary<hirs::v1::Principal>(
        [&](grpc::ClientContext* c, hirs::v1::Principal* r) { return stub.RevokeToken(c, request, r); });
  }
  return kNotACommand;
}

// hirs admin audit verify | list.
int AdminAudit(hirs::v1::AdminService::Stub& stub, const std::string& verb, const std::vector<std::string>& words) {
  if (verb == "verify" && words.size() == 3) {
    grpc::ClientContext context;
    Authorize(&context);
    hirs::v1::VerifyAuditResponse response;
    grpc::Status status = stub.VerifyAudit(&context, hirs::v1::VerifyAuditRequest(), &response);
    if (!status.ok()) return Failed(status);
    PrintJson(response);
    if (!response.ok()) {
      std::fprintf(stderr, "audit chain BROKEN: %s\n", response.first_problem().c_str());
      return kExitRefused;
    }
    std::fprintf(stderr, "audit chain intact: %llu entries; record the head (sequence %llu, hash %s)\n",
                 static_cast<unsigned long long>(response.entries_checked()),
                 static_cast<unsigned long long>(response.head_sequence()),
                 absl::BytesToHexString(response.head_hash()).c_str());
    if (response.pending_entries() > 0) {
      std::fprintf(stderr,
                   "%llu more entries are written but not chained yet: hirsd chains them as soon as it can write "
                   "(or when it next starts)\n",
                   static_cast<unsigned long long>(response.pending_entries()));
    }
    return kExitOk;
  }
  if (verb == "list" && words.size() == 3) {
    hirs::v1::ListAuditEntriesRequest request;
    request.set_case_id(absl::GetFlag(FLAGS_case_id));
    request.set_principal_id(absl::GetFlag(FLAGS_principal_id));
    request.set_page_size(absl::GetFlag(FLAGS_page_size));
    return ListPages<hirs::v1::ListAuditEntriesRequest, hirs::v1::ListAuditEntriesResponse>(
        request,
        [&](grpc::ClientContext* c, const hirs::v1::ListAuditEntriesRequest& q, hirs::v1::ListAuditEntriesResponse* r) {
          return stub.ListAuditEntries(c, q, r);
        },
        [](const hirs::v1::ListAuditEntriesResponse& r) { return r.entries(); },
        {{"SEQUENCE", "sequence"},
         {"TIME", "time"},
         {"PRINCIPAL", "principal_id"},
         {"METHOD", "method"},
         {"OUTCOME", "outcome"},
         {"RESOURCES", "resource_ids"}});
  }
  return kNotACommand;
}

// hirs admin backup create | list | verify ID.
int AdminBackup(hirs::v1::AdminService::Stub& stub, const std::string& verb, const std::vector<std::string>& words) {
  if (verb == "create" && words.size() == 3) {
    return Unary<hirs::v1::Backup>([&](grpc::ClientContext* c, hirs::v1::Backup* r) {
      return stub.CreateBackup(c, hirs::v1::CreateBackupRequest(), r);
    });
  }
  if (verb == "list" && words.size() == 3) {
    return Unary<hirs::v1::ListBackupsResponse>([&](grpc::ClientContext* c, hirs::v1::ListBackupsResponse* r) {
      return stub.ListBackups(c, hirs::v1::ListBackupsRequest(), r);
    });
  }
  if (verb == "verify" && words.size() == 4) {
    hirs::v1::VerifyBackupRequest request;
    uint32_t id = 0;
    if (!absl::SimpleAtoi(words[3], &id)) {
      std::fprintf(stderr, "error: backup verify takes a backup id (hirs admin backup list)\n");
      return kExitUsage;
    }
    request.set_backup_id(id);
    return Unary<hirs::v1::Backup>(
        [&](grpc::ClientContext* c, hirs::v1::Backup* r) { return stub.VerifyBackup(c, request, r); });
  }
  return kNotACommand;
}

// hirs admin store compact.
int AdminStore(hirs::v1::AdminService::Stub& stub, const std::string& verb, const std::vector<std::string>& words) {
  if (verb == "compact" && words.size() == 3) {
    grpc::ClientContext context;
    Authorize(&context);
    hirs::v1::CompactStoreResponse response;
    const grpc::Status status = stub.CompactStore(&context, hirs::v1::CompactStoreRequest(), &response);
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      std::fprintf(stderr,
                   "the compaction stopped at the deadline and keeps what it compacted; a large store "
                   "takes minutes: run it again with e.g. --timeout_seconds=3600\n");
    }
    if (!status.ok()) return Failed(status);
    return PrintJson(response) ? kExitOk : kExitRefused;
  }
  return kNotACommand;
}

// hirs admin retention run.
int AdminRetention(hirs::v1::AdminService::Stub& stub, const std::string& verb, const std::vector<std::string>& words) {
  if (verb == "run" && words.size() == 3) {
    hirs::v1::RunRetentionRequest request;
    request.set_dry_run(absl::GetFlag(FLAGS_dry_run));
    return Unary<hirs::v1::RunRetentionResponse>(
        [&](grpc::ClientContext* c, hirs::v1::RunRetentionResponse* r) { return stub.RunRetention(c, request, r); });
  }
  return kNotACommand;
}

}  // namespace

int AdminCommand(const std::vector<std::string>& words) {
  if (words.size() < 3) return kNotACommand;
  using Noun = int (*)(hirs::v1::AdminService::Stub&, const std::string&, const std::vector<std::string>&);
  static const auto* nouns = new std::map<std::string, Noun>{
      {"principals", AdminPrincipals}, {"people", AdminPeople}, {"token", AdminToken},         {"audit", AdminAudit},
      {"backup", AdminBackup},         {"store", AdminStore},   {"retention", AdminRetention},
  };
  const auto it = nouns->find(words[1]);
  if (it == nouns->end()) return kNotACommand;
  auto stub = hirs::v1::AdminService::NewStub(Channel());
  return it->second(*stub, words[2], words);
}

}  // namespace hirs::cli
