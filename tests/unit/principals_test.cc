#include "services/auth/principals.h"
#include "services/auth/access.h"
#include "services/auth/directory.h"

#include "absl/strings/match.h"
#include "common/area.h"
#include "common/bad_request.h"
#include "common/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hirs/v1/admin_service.pb.h"
#include "hirs/v1/case_service.pb.h"
#include "hirs/v1/extract_service.pb.h"
#include "hirs/v1/reporting_service.pb.h"
#include "storage/keys.h"
#include "tests/support/domain_support.h"

namespace hirs::auth {
namespace {

using ::testing::HasSubstr;

std::string Entry(const std::string& id, const std::string& role, const std::string& scope, const std::string& token) {
  return absl::StrCat(R"({"id":")", id, R"(","role":")", role, R"(","scope":")", scope, R"(","token_sha256":")",
                      TokenSha256Hex(token), R"("})");
}

TEST(PrincipalRegistry, AuthenticatesByTokenHash) {
  auto registry = PrincipalRegistry::FromJson(
      absl::StrCat(R"({"principals":[)", Entry("centre-x", "REPORTING_CENTRE", "centre-x", "secret"), "]}"));
  ASSERT_TRUE(registry.ok()) << registry.status();
  auto p = (*registry)->Authenticate("secret");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->id, "centre-x");
  EXPECT_EQ(p->role, hirs::v1::REPORTING_CENTRE);
  EXPECT_EQ((*registry)->Authenticate("Secret").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ((*registry)->Authenticate("").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(PrincipalRegistry, TokenHashIsSha256Hex) {
  EXPECT_EQ(TokenSha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(PrincipalRegistry, DisabledPrincipalsCannotAuthenticate) {
  hirs::testing::TempDir dir;
  auto registry = PrincipalRegistry::LoadFile(hirs::testing::WritePrincipals(dir.path()));
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_TRUE((*registry)->Authenticate(hirs::testing::kCentreAToken).ok());
  EXPECT_EQ((*registry)->Authenticate("token-centre-c").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(PrincipalRegistry, BadFilesAreRefusedNamingTheEntry) {
  struct Case {
    std::string json;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"principals":[{"id":"x","role":"POLICE","token_sha256":"abc"}]})", "64 hex digits"},
      {R"({"principals":[{"role":"POLICE"}]})", "id is required"},
      {R"({"principals":[{"id":"x","token_sha256":")" + TokenSha256Hex("t") + R"("}]})", "role is required"},
      {R"({"principals":[{"id":"d","role":"DISTRICT","token_sha256":")" + TokenSha256Hex("t") + R"("}]})",
       "scope is required"},
      {absl::StrCat(R"({"principals":[)", Entry("a", "POLICE", "", "t"), ",", Entry("a", "POLICE", "", "u"), "]}"),
       "duplicate id"},
      {absl::StrCat(R"({"principals":[)", Entry("a", "POLICE", "", "t"), ",", Entry("b", "POLICE", "", "t"), "]}"),
       "used by another principal"},
      {R"({"principals":[{"id":"x","rolle":"POLICE"}]})", "rolle"},
      {R"({"principals":[{"id":"x","role":"SUPERUSER"}]})", "principals file"},
  };
  for (const auto& c : cases) {
    auto registry = PrincipalRegistry::FromJson(c.json);
    ASSERT_FALSE(registry.ok()) << c.json;
    EXPECT_EQ(registry.status().code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(std::string(registry.status().message()), HasSubstr(c.message)) << c.json;
  }
}

TEST(PrincipalRegistry, ClientCertificateNamesAuthenticateTheirPrincipal) {
  auto registry = PrincipalRegistry::FromJson(
      R"({"principals": [{"id": "police", "role": "POLICE", "scope": "E23000021",
                          "cert_names": ["hirs:principal:police", "police.example.org"]}]})");
  ASSERT_TRUE(registry.ok()) << registry.status();  // no token needed
  auto p = (*registry)->AuthenticateCertificate({"CN=whatever", "police.example.org"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->id, "police");
  EXPECT_EQ((*registry)->AuthenticateCertificate({"hirs:principal:centre-a"}).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ((*registry)->Authenticate("").status().code(), absl::StatusCode::kUnauthenticated);
  auto duplicate = PrincipalRegistry::FromJson(
      R"({"principals": [{"id": "a", "role": "ADMIN", "cert_names": ["x"]},
                         {"id": "b", "role": "ADMIN", "cert_names": ["x"]}]})");
  EXPECT_EQ(duplicate.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(duplicate.status().message().find("principals[1] (b)"), std::string::npos) << duplicate.status();
  auto neither = PrincipalRegistry::FromJson(R"({"principals": [{"id": "a", "role": "ADMIN"}]})");
  EXPECT_EQ(neither.status().code(), absl::StatusCode::kInvalidArgument);
}

hirs::store::v1::StoredPrincipal Record(const std::string& id, const std::string& token) {
  hirs::store::v1::StoredPrincipal r;
  r.mutable_principal()->set_id(id);
  r.mutable_principal()->set_role(hirs::v1::POLICE);
  r.mutable_principal()->set_token_sha256(TokenSha256Hex(token));
  return r;
}

TEST(PrincipalRegistry, ARotatedOutTokenWorksUntilItExpires) {
  hirs::store::v1::StoredPrincipal rotated = Record("police", "new-token");
  rotated.set_previous_token_sha256(TokenSha256Hex("old-token"));
  *rotated.mutable_principal()->mutable_previous_token_expires_at() =
      ToTimestamp(hirs::testing::kTestNow + absl::Hours(1));
  auto registry = PrincipalRegistry::FromRecords({rotated});
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_TRUE((*registry)->Authenticate("old-token", hirs::testing::kTestNow).ok());
  EXPECT_EQ((*registry)->Authenticate("old-token", hirs::testing::kTestNow + absl::Hours(2)).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE((*registry)->Authenticate("new-token", hirs::testing::kTestNow + absl::Hours(2)).ok());
}

TEST(PrincipalRegistry, ReplaceIsAllOrNothing) {
  auto registry = PrincipalRegistry::FromRecords({Record("a", "token-a")});
  ASSERT_TRUE(registry.ok());
  // Two principals with one token: refused, and the old set stays.
  EXPECT_EQ((*registry)->Replace({Record("b", "token-b"), Record("c", "token-b")}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE((*registry)->Authenticate("token-a").ok());
  EXPECT_FALSE((*registry)->Authenticate("token-b").ok());
  ASSERT_TRUE((*registry)->Replace({Record("b", "token-b")}).ok());
  EXPECT_FALSE((*registry)->Authenticate("token-a").ok());
  EXPECT_EQ((*registry)->Authenticate("token-b")->id, "b");
  EXPECT_EQ((*registry)->size(), 1u);
}

TEST(PrincipalProblem, NamesTheRuleBroken) {
  hirs::v1::Principal p;
  EXPECT_EQ(PrincipalProblem(p)->description, "id is required");
  p.set_id("centre|a");
  EXPECT_THAT(PrincipalProblem(p)->description, HasSubstr("letters, digits"));
  EXPECT_EQ(PrincipalProblem(p)->field, "id");
  p.set_id("centre-a");
  EXPECT_THAT(PrincipalProblem(p)->description, HasSubstr("role is required"));
  EXPECT_EQ(PrincipalProblem(p)->field, "role");
  p.set_role(hirs::v1::DISTRICT);
  EXPECT_THAT(PrincipalProblem(p)->description, HasSubstr("scope is required"));
  EXPECT_EQ(PrincipalProblem(p)->field, "scope");
  p.set_scope("E07000130");
  EXPECT_FALSE(PrincipalProblem(p).has_value());
  p.set_token_sha256("abc");
  EXPECT_THAT(PrincipalProblem(p)->description, HasSubstr("64 hex digits"));
}

// Every method of every hirs.v1 service, from the compiled descriptors.
std::vector<std::string> AllMethods() {
  std::vector<std::string> out;
  for (const auto* d : hirs::testing::ApiServices()) {
    EXPECT_NE(d, nullptr);
    for (int m = 0; d != nullptr && m < d->method_count(); ++m) {
      out.push_back(absl::StrCat(d->full_name(), "/", d->method(m)->name()));
    }
  }
  return out;
}

TEST(AccessTable, EveryMethodHasExactlyOneRuleAndEachRoleReachesOnlyItsOwn) {
  const std::vector<std::string> methods = AllMethods();
  ASSERT_EQ(methods.size(), AccessTable().size());
  for (const std::string& m : methods) {
    int rules = 0;
    for (const auto& r : AccessTable()) rules += r.method == m;
    EXPECT_EQ(rules, 1) << m;
  }
  const Principal centre{"c", hirs::v1::REPORTING_CENTRE, "c"};
  const Principal police{"p", hirs::v1::POLICE, "E23000021"};
  const Principal district{"d", hirs::v1::DISTRICT, "E07000130"};
  const Principal admin{"a", hirs::v1::ADMIN, ""};
  // The expected matrix, service by service (writes to cases: police only).
  for (const std::string& m : methods) {
    const bool reporting = absl::StartsWith(m, "hirs.v1.ReportingService/");
    const bool cases = absl::StartsWith(m, "hirs.v1.CaseService/");
    const bool case_write = m == "hirs.v1.CaseService/UpdateCase" || m == "hirs.v1.CaseService/MergeCases" ||
                            m == "hirs.v1.CaseService/SplitReport" || m == "hirs.v1.CaseService/ResolveReviewItem";
    const bool extract = absl::StartsWith(m, "hirs.v1.ExtractService/");
    const bool admin_only = absl::StartsWith(m, "hirs.v1.AdminService/");
    // An administrator withdraws a report on a victim's documented request.
    const bool admin_withdraws = m == "hirs.v1.ReportingService/WithdrawReport";
    // A session's own calls, for every role; signing in needs no role at
    // all (the gate admits it without a credential: NeedsNoCredential).
    const bool session = absl::StartsWith(m, "hirs.v1.SessionService/") && m != "hirs.v1.SessionService/SignIn";
    EXPECT_EQ(NeedsNoCredential(m), m == "hirs.v1.SessionService/SignIn") << m;
    hirs::v1::MonthlyExtractRequest own;
    own.set_district_code("E07000130");
    const google::protobuf::Message* request = extract ? &own : nullptr;
    EXPECT_EQ(AuthorizeMethod(centre, m, request).ok(), reporting || session) << m;
    EXPECT_EQ(AuthorizeMethod(police, m, request).ok(), cases || extract || session) << m;
    EXPECT_EQ(AuthorizeMethod(district, m, request).ok(), extract || session) << m;
    EXPECT_EQ(AuthorizeMethod(admin, m, request).ok(),
              (cases && !case_write) || extract || admin_only || session || admin_withdraws)
        << m;
  }
  EXPECT_EQ(AuthorizeMethod(admin, "hirs.v1.Unknown/Call", nullptr).code(), absl::StatusCode::kPermissionDenied);
}

TEST(AccessTable, APersonWhoMustChangeTheirPasswordMayDoNothingElse) {
  Principal jo{"jo", hirs::v1::REPORTING_CENTRE, "centre-a", /*person=*/true, /*must_change_password=*/true};
  EXPECT_EQ(AuthorizeMethod(jo, "hirs.v1.ReportingService/SubmitReport", nullptr).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(AuthorizeMethod(jo, "hirs.v1.SessionService/ChangePassword", nullptr).ok());
  EXPECT_TRUE(AuthorizeMethod(jo, "hirs.v1.SessionService/SignOut", nullptr).ok());
  EXPECT_TRUE(AuthorizeMethod(jo, "hirs.v1.SessionService/GetCaller", nullptr).ok());
  // At a first sign-in without a code: the second factor first.
  jo.must_enrol_second_factor = true;
  EXPECT_EQ(AuthorizeMethod(jo, "hirs.v1.SessionService/ChangePassword", nullptr).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(AuthorizeMethod(jo, "hirs.v1.SessionService/GetSecondFactorEnrolment", nullptr).ok());
  EXPECT_TRUE(AuthorizeMethod(jo, "hirs.v1.SessionService/ConfirmSecondFactor", nullptr).ok());
  jo.must_enrol_second_factor = false;
  jo.must_change_password = false;
  EXPECT_TRUE(AuthorizeMethod(jo, "hirs.v1.ReportingService/SubmitReport", nullptr).ok());
}

TEST(AccessTable, ADistrictReachesOnlyItsOwnDistrict) {
  const Principal charnwood{"charnwood", hirs::v1::DISTRICT, "E07000130"};
  const Principal police{"p", hirs::v1::POLICE, "E23000021"};
  hirs::v1::MonthlyExtractRequest rutland;
  rutland.set_district_code("E06000017");
  for (const char* m : {"hirs.v1.ExtractService/StreamMonthlyExtract", "hirs.v1.ExtractService/GetMonthlySummary"}) {
    const absl::Status refused = AuthorizeMethod(charnwood, m, &rutland);
    EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied) << m;
    EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr("only district E07000130")) << m;
    EXPECT_TRUE(AuthorizeMethod(police, m, &rutland).ok()) << m;
  }
}
}  // namespace
}  // namespace hirs::auth

namespace hirs::auth {
namespace {

hirs::v1::Principal Make(const std::string& id, hirs::v1::Role role, const std::string& scope) {
  hirs::v1::Principal p;
  p.set_id(id);
  p.set_role(role);
  p.set_scope(scope);
  return p;
}

TEST(ScopeProblem, ADeploymentServesItsForceAreaAndItsDistrictsOnly) {
  const std::string area = kLeicestershireForceArea;
  EXPECT_FALSE(ScopeProblem(Make("p", hirs::v1::POLICE, "E23000021"), area).has_value());
  EXPECT_THAT(ScopeProblem(Make("p", hirs::v1::POLICE, "nottinghamshire"), area)->description,
              HasSubstr("force area this deployment serves (\"E23000021\")"));
  EXPECT_TRUE(ScopeProblem(Make("p", hirs::v1::POLICE, "leicestershire"), area).has_value());
  EXPECT_FALSE(ScopeProblem(Make("d", hirs::v1::DISTRICT, "E06000017"), area).has_value());
  EXPECT_THAT(ScopeProblem(Make("d", hirs::v1::DISTRICT, "E09000001"), area)->description,
              HasSubstr("not a district of police force area E23000021"));
  EXPECT_EQ(ScopeProblem(Make("d", hirs::v1::DISTRICT, "E09000001"), area)->field, "scope");
  EXPECT_TRUE(ScopeProblem(Make("a", hirs::v1::ADMIN, "E23000021"), area).has_value());
  EXPECT_FALSE(ScopeProblem(Make("c", hirs::v1::REPORTING_CENTRE, "centre-c"), area).has_value());
}

class DirectoryScopeTest : public ::testing::Test {
 protected:
  DirectoryScopeTest() {
    storage::StoreOptions options;
    options.path = dir_.path();
    store_ = std::move(storage::Store::Open(options)).value();
  }
  absl::StatusOr<std::unique_ptr<PrincipalDirectory>> Open(const std::string& file_json) {
    auto records = ParsePrincipalsFile(file_json);
    if (!records.ok()) return records.status();
    return PrincipalDirectory::Open(store_.get(), *records, [] { return hirs::testing::kTestNow; });
  }
  hirs::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(DirectoryScopeTest, CreateRefusesScopesThisDeploymentDoesNotServe) {
  auto directory = Open(R"({"principals": []})").value();
  auto outside = directory->Create(Make("city", hirs::v1::DISTRICT, "E09000001"));
  EXPECT_EQ(outside.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(outside.status()).at(0).field, "principal.scope");
  EXPECT_EQ(directory->Create(Make("notts", hirs::v1::POLICE, "nottinghamshire")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(directory->Create(Make("melton", hirs::v1::DISTRICT, "E07000133")).ok());
  EXPECT_TRUE(directory->Create(Make("force", hirs::v1::POLICE, "E23000021")).ok());
}

TEST_F(DirectoryScopeTest, AFilePrincipalWithAScopeNotServedStopsTheStartNamingIt) {
  auto opened = Open(absl::StrCat(R"({"principals": [)", Entry("police", "POLICE", "leicestershire", "t"), "]}"));
  ASSERT_FALSE(opened.ok());
  EXPECT_THAT(opened.status().message(), HasSubstr("principal \"police\" in the principals file"));
  EXPECT_TRUE(Open(absl::StrCat(R"({"principals": [)", Entry("police", "POLICE", "E23000021", "t"), "]}")).ok());
}

TEST_F(DirectoryScopeTest, AStoredPrincipalWithAScopeNotServedIsKeptDisabled) {
  // As an older hirsd, which did not check scopes, could have stored it.
  hirs::store::v1::StoredPrincipal record;
  *record.mutable_principal() = Make("notts", hirs::v1::POLICE, "nottinghamshire");
  record.mutable_principal()->set_source("store");
  record.mutable_principal()->set_token_sha256(TokenSha256Hex("token-notts"));
  storage::WriteBatch batch;
  batch.Put(storage::Family::kPrincipals, "notts", record.SerializeAsString());
  ASSERT_TRUE(store_->Write(std::move(batch)).ok());
  auto directory = Open(R"({"principals": []})");
  ASSERT_TRUE(directory.ok()) << directory.status();
  EXPECT_FALSE((*directory)->registry().Authenticate("token-notts").ok());
  ASSERT_EQ((*directory)->List().size(), 1u);
  EXPECT_TRUE((*directory)->List()[0].disabled());
}

TEST_F(DirectoryScopeTest, ACentrePrincipalThatSentReportsUnderItsIdMustKeepItAsItsScope) {
  // An older hirsd kept the reports of "library-system" under its id.
  storage::WriteBatch batch;
  batch.Put(storage::Family::kRequests, storage::RequestKey("library-system", "req-1"), "x");
  ASSERT_TRUE(store_->Write(std::move(batch)).ok());
  const auto file = [](const std::string& scope, const std::string& more) {
    return absl::StrCat(R"({"principals": [)", Entry("library-system", "REPORTING_CENTRE", scope, "t"), more, "]}");
  };
  auto moved = Open(file("centre-library", ""));
  ASSERT_FALSE(moved.ok());
  EXPECT_THAT(moved.status().message(), HasSubstr("principal \"library-system\" in the principals file"));
  EXPECT_THAT(moved.status().message(), HasSubstr("give it scope \"library-system\""));
  EXPECT_TRUE(Open(file("library-system", "")).ok());
  // Another principal acting for centre "library-system" keeps it visible.
  EXPECT_TRUE(
      Open(file("centre-library", absl::StrCat(", ", Entry("kiosk", "REPORTING_CENTRE", "library-system", "u")))).ok());
  // One that sent nothing may have any scope.
  EXPECT_TRUE(
      Open(absl::StrCat(R"({"principals": [)", Entry("kiosk", "REPORTING_CENTRE", "centre-library", "u"), "]}")).ok());
}

TEST_F(DirectoryScopeTest, AStoredCentrePrincipalThatSentReportsUnderItsIdIsKeptDisabled) {
  hirs::store::v1::StoredPrincipal record;
  *record.mutable_principal() = Make("library-system", hirs::v1::REPORTING_CENTRE, "centre-library");
  record.mutable_principal()->set_source("store");
  record.mutable_principal()->set_token_sha256(TokenSha256Hex("token-library"));
  storage::WriteBatch batch;
  batch.Put(storage::Family::kPrincipals, "library-system", record.SerializeAsString());
  batch.Put(storage::Family::kRequests, storage::ContentKey("library-system", "abc"), "x");
  ASSERT_TRUE(store_->Write(std::move(batch)).ok());
  auto directory = Open(R"({"principals": []})");
  ASSERT_TRUE(directory.ok()) << directory.status();
  EXPECT_FALSE((*directory)->registry().Authenticate("token-library").ok());
  EXPECT_TRUE((*directory)->List().at(0).disabled());
}

}  // namespace
}  // namespace hirs::auth
