#include "services/auth/access.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace hirs::auth {

using hirs::v1::ADMIN;
using hirs::v1::DISTRICT;
using hirs::v1::POLICE;
using hirs::v1::REPORTING_CENTRE;

const std::vector<MethodRule>& AccessTable() {
  static const auto* const table = new std::vector<MethodRule>{
      {"hirs.v1.ReportingService/SubmitReport", {REPORTING_CENTRE}, Scope::kOwnReports},
      {"hirs.v1.ReportingService/SubmitReports", {REPORTING_CENTRE}, Scope::kOwnReports},
      {"hirs.v1.ReportingService/GetReport", {REPORTING_CENTRE}, Scope::kOwnReports},
      {"hirs.v1.ReportingService/ListReports", {REPORTING_CENTRE}, Scope::kOwnReports},
      {"hirs.v1.ReportingService/WatchReports", {REPORTING_CENTRE}, Scope::kOwnReports},
      // A centre withdraws its own reports; an administrator any, on a
      // documented request (the reason).
      {"hirs.v1.ReportingService/WithdrawReport", {REPORTING_CENTRE, ADMIN}, Scope::kOwnReports},
      {"hirs.v1.ReportingService/UpdateConsent", {REPORTING_CENTRE}, Scope::kOwnReports},
      {"hirs.v1.ReportingService/AmendReport", {REPORTING_CENTRE}, Scope::kOwnReports},
      // Police read and change cases; admin reads them (without personal
      // data: services/auth/redaction.h) but changes nothing.
      {"hirs.v1.CaseService/GetCase", {POLICE, ADMIN}, Scope::kAny},
      {"hirs.v1.CaseService/ListCases", {POLICE, ADMIN}, Scope::kAny},
      {"hirs.v1.CaseService/UpdateCase", {POLICE}, Scope::kAny},
      {"hirs.v1.CaseService/MergeCases", {POLICE}, Scope::kAny},
      {"hirs.v1.CaseService/SplitReport", {POLICE}, Scope::kAny},
      {"hirs.v1.CaseService/ListCaseReports", {POLICE, ADMIN}, Scope::kAny},
      {"hirs.v1.CaseService/ListCaseEvents", {POLICE, ADMIN}, Scope::kAny},
      {"hirs.v1.CaseService/ListReviewItems", {POLICE, ADMIN}, Scope::kAny},
      {"hirs.v1.CaseService/ResolveReviewItem", {POLICE}, Scope::kAny},
      {"hirs.v1.CaseService/WatchCases", {POLICE, ADMIN}, Scope::kAny},
      {"hirs.v1.ExtractService/StreamMonthlyExtract", {DISTRICT, POLICE, ADMIN}, Scope::kRequestDistrict},
      {"hirs.v1.ExtractService/GetMonthlySummary", {DISTRICT, POLICE, ADMIN}, Scope::kRequestDistrict},
      {"hirs.v1.AdminService/CreatePrincipal", {ADMIN}, Scope::kAny},
      {"hirs.v1.AdminService/ListPrincipals", {ADMIN}, Scope::kAny},
      {"hirs.v1.AdminService/DisablePrincipal", {ADMIN}, Scope::kAny},
      {"hirs.v1.AdminService/IssueToken", {ADMIN}, Scope::kAny},
      {"hirs.v1.AdminService/RevokeToken", {ADMIN}, Scope::kAny},
      {"hirs.v1.AdminService/CreateBackup", {ADMIN}, Scope::kAny},
      {"hirs.v1.AdminService/ListBackups", {ADMIN}, Scope::kAny},
      {"hirs.v1.AdminService/VerifyBackup", {ADMIN}, Scope::kAny},
      {"hirs.v1.AdminService/RunRetention", {ADMIN}, Scope::kAny},
      {"hirs.v1.AdminService/VerifyAudit", {ADMIN}, Scope::kAny},
      {"hirs.v1.AdminService/ListAuditEntries", {ADMIN}, Scope::kAny},
      {"hirs.v1.AdminService/CompactStore", {ADMIN}, Scope::kAny},
      {"hirs.v1.AdminService/CreatePerson", {ADMIN}, Scope::kAny},
      {"hirs.v1.AdminService/ListPeople", {ADMIN}, Scope::kAny},
      {"hirs.v1.AdminService/DisablePerson", {ADMIN}, Scope::kAny},
      {"hirs.v1.AdminService/ResetPassword", {ADMIN}, Scope::kAny},
      {"hirs.v1.AdminService/ResetSecondFactor", {ADMIN}, Scope::kAny},
      // People sign in without a credential; a session ends itself or
      // changes its person's password, whatever the role.
      {"hirs.v1.SessionService/SignIn", {}, Scope::kNoCredential},
      {"hirs.v1.SessionService/SignOut", {REPORTING_CENTRE, POLICE, DISTRICT, ADMIN}, Scope::kAny, Stage::kAny},
      {"hirs.v1.SessionService/ChangePassword",
       {REPORTING_CENTRE, POLICE, DISTRICT, ADMIN},
       Scope::kAny,
       Stage::kChoosingPassword},
      {"hirs.v1.SessionService/GetCaller", {REPORTING_CENTRE, POLICE, DISTRICT, ADMIN}, Scope::kAny, Stage::kAny},
      {"hirs.v1.SessionService/GetSecondFactorEnrolment",
       {REPORTING_CENTRE, POLICE, DISTRICT, ADMIN},
       Scope::kAny,
       Stage::kEnrolling},
      {"hirs.v1.SessionService/ConfirmSecondFactor",
       {REPORTING_CENTRE, POLICE, DISTRICT, ADMIN},
       Scope::kAny,
       Stage::kEnrolling},
  };
  return *table;
}

bool NeedsNoCredential(absl::string_view method) {
  for (const MethodRule& r : AccessTable()) {
    if (r.method == method) return r.scope == Scope::kNoCredential;
  }
  return false;
}

absl::Status AuthorizeMethod(const Principal& principal, absl::string_view method,
                             const google::protobuf::Message* request) {
  const MethodRule* rule = nullptr;
  for (const MethodRule& r : AccessTable()) {
    if (r.method == method) rule = &r;
  }
  if (rule == nullptr) return absl::PermissionDeniedError(absl::StrCat("no access rule for ", method));
  bool allowed = false;
  for (hirs::v1::Role role : rule->roles) allowed |= role == principal.role;
  if (!allowed) {
    std::vector<std::string> roles;
    for (hirs::v1::Role role : rule->roles) roles.push_back(hirs::v1::Role_Name(role));
    return absl::PermissionDeniedError(absl::StrCat("principal ", principal.id, " (role ",
                                                    hirs::v1::Role_Name(principal.role), ") may not call ", method,
                                                    " (", absl::StrJoin(roles, ", "), " only)"));
  }
  if (principal.must_enrol_second_factor && rule->stage < Stage::kEnrolling) {
    return absl::PermissionDeniedError(absl::StrCat(
        "person ", principal.id,
        " must set up their second factor first (SessionService.GetSecondFactorEnrolment, ConfirmSecondFactor)"));
  }
  if (principal.must_change_password && rule->stage < Stage::kChoosingPassword) {
    return absl::PermissionDeniedError(
        absl::StrCat("person ", principal.id, " must choose a new password first (SessionService.ChangePassword)"));
  }
  if (rule->scope == Scope::kRequestDistrict && principal.role == DISTRICT && request != nullptr) {
    const auto* field = request->GetDescriptor()->FindFieldByName("district_code");
    const std::string district =
        field != nullptr ? request->GetReflection()->GetString(*request, field) : std::string();
    if (district != principal.scope) {
      return absl::PermissionDeniedError(absl::StrCat("principal ", principal.id, " may read only district ",
                                                      principal.scope, ", not \"", district, "\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace hirs::auth
