#include "services/auth/principals.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace hirs::auth {
namespace {

using ::testing::HasSubstr;

std::string Entry(const std::string& id, const std::string& role, const std::string& scope,
                  const std::string& token) {
  return absl::StrCat(R"({"id":")", id, R"(","role":")", role, R"(","scope":")", scope, R"(","token_sha256":")",
                      TokenSha256Hex(token), R"("})");
}

TEST(PrincipalRegistry, AuthenticatesByTokenHash) {
  auto registry = PrincipalRegistry::FromJson(absl::StrCat(
      R"({"principals":[)", Entry("centre-x", "REPORTING_CENTRE", "centre-x", "secret"), "]}"));
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
      R"({"principals": [{"id": "police", "role": "POLICE", "scope": "leicestershire",
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

TEST(AuthorizeService, EachRoleReachesOnlyItsServices) {
  const Principal centre{"c", hirs::v1::REPORTING_CENTRE, "c"};
  const Principal police{"p", hirs::v1::POLICE, ""};
  const Principal district{"d", hirs::v1::DISTRICT, "E07000130"};
  const Principal admin{"a", hirs::v1::ADMIN, ""};
  EXPECT_TRUE(AuthorizeService(centre, "hirs.v1.ReportingService").ok());
  for (const auto& p : {police, district, admin}) {
    EXPECT_EQ(AuthorizeService(p, "hirs.v1.ReportingService").code(), absl::StatusCode::kPermissionDenied);
  }
  EXPECT_TRUE(AuthorizeService(police, "hirs.v1.CaseService").ok());
  EXPECT_EQ(AuthorizeService(centre, "hirs.v1.CaseService").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(AuthorizeService(district, "hirs.v1.CaseService").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(AuthorizeService(district, "hirs.v1.ExtractService").ok());
  EXPECT_EQ(AuthorizeService(centre, "hirs.v1.ExtractService").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(AuthorizeService(admin, "hirs.v1.AdminService").ok());
  EXPECT_EQ(AuthorizeService(police, "hirs.v1.AdminService").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(AuthorizeService(admin, "hirs.v1.Unknown").code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace hirs::auth
