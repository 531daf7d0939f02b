// People's credentials (services/auth/credentials.h): Argon2id with OWASP's
// cost, the password rules, TOTP against RFC 6238's test vector with its
// one-step window, and the enrolment URI and QR code.
#include "services/auth/credentials.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace hirs::auth {
namespace {

TEST(Credentials, PasswordsAreArgon2idWithOwaspsCost) {
  const Argon2Cost cost;
  EXPECT_EQ(cost.memory_kib, 19456u);
  EXPECT_EQ(cost.iterations, 2u);
  EXPECT_EQ(cost.lanes, 1u);
  const absl::Time start = absl::Now();
  auto hash = HashPassword("correct horse battery staple");
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_TRUE(absl::StartsWith(*hash, "$argon2id$v=19$m=19456,t=2,p=1$")) << *hash;
  EXPECT_TRUE(VerifyPassword(*hash, "correct horse battery staple"));
  EXPECT_FALSE(VerifyPassword(*hash, "correct horse battery stapler"));
  EXPECT_FALSE(VerifyPassword(*hash, ""));
  EXPECT_FALSE(VerifyPassword(*hash, std::string(kMaxPasswordBytes + 1, 'a')));
  EXPECT_NE(*HashPassword("correct horse battery staple"), *hash) << "a salt of its own";
  EXPECT_FALSE(VerifyPassword(DecoyHash(), ""));
  EXPECT_LT(took, absl::Seconds(2));
  std::printf("argon2id hash: %s\n", absl::FormatDuration(took).c_str());
}

TEST(Credentials, PasswordRules) {
  EXPECT_FALSE(PasswordProblem("a long enough phrase", "jo.bloggs").has_value());
  EXPECT_TRUE(PasswordProblem("short", "jo.bloggs").has_value());
  EXPECT_TRUE(PasswordProblem(std::string(kMaxPasswordBytes + 1, 'x'), "jo.bloggs").has_value());
  EXPECT_TRUE(PasswordProblem("winniethepooh", "jo.bloggs").has_value()) << "on the list";
  EXPECT_TRUE(PasswordProblem("PASSWORD1234", "jo.bloggs").has_value()) << "common, any case, digits added";
  EXPECT_TRUE(PasswordProblem("!!Monkey2026!!", "jo.bloggs").has_value());
  EXPECT_TRUE(PasswordProblem("1234567890123", "jo.bloggs").has_value()) << "only digits";
  EXPECT_TRUE(PasswordProblem("abababababab", "jo.bloggs").has_value()) << "too few characters";
  EXPECT_TRUE(PasswordProblem("my name is Jo.Bloggs!", "jo.bloggs").has_value());
  EXPECT_TRUE(PasswordProblem("bad bytes \xff\xfe here", "jo.bloggs").has_value());
  const std::string one_time = NewOneTimePassword();
  EXPECT_EQ(one_time.size(), 21u);
  EXPECT_FALSE(PasswordProblem(one_time, "jo.bloggs").has_value());
  EXPECT_NE(NewOneTimePassword(), one_time);
}

TEST(Credentials, TotpFollowsRfc6238WithOneStepEitherSide) {
  const std::string secret = "12345678901234567890";  // RFC 6238 appendix B, SHA-1
  EXPECT_EQ(TotpCode(secret, absl::FromUnixSeconds(59)), "287082");
  EXPECT_EQ(TotpCode(secret, absl::FromUnixSeconds(1111111109)), "081804");
  const absl::Time now = absl::FromUnixSeconds(1111111109);  // step 37037036
  EXPECT_EQ(TotpStep(secret, "081804", now), 37037036);
  EXPECT_EQ(TotpStep(secret, TotpCode(secret, now - absl::Seconds(30)), now), 37037035);
  EXPECT_EQ(TotpStep(secret, TotpCode(secret, now + absl::Seconds(30)), now), 37037037);
  EXPECT_EQ(TotpStep(secret, TotpCode(secret, now - absl::Seconds(90)), now), std::nullopt);
  EXPECT_EQ(TotpStep(secret, "000000", now), std::nullopt);
  EXPECT_EQ(TotpStep(secret, "08180", now), std::nullopt);
  EXPECT_EQ(TotpStep(secret, "08180x", now), std::nullopt);
}

TEST(Credentials, EnrolmentUriAndQrCode) {
  const std::string secret = NewTotpSecret();
  EXPECT_EQ(secret.size(), 20u);
  const std::string uri = TotpUri("12345678901234567890", "jo.bloggs");
  EXPECT_EQ(uri,
            "otpauth://totp/hirs:jo.bloggs?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=hirs&algorithm=SHA1&digits=6"
            "&period=30");
  auto svg = QrSvg(uri);
  ASSERT_TRUE(svg.ok());
  EXPECT_TRUE(absl::StartsWith(*svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"")) << *svg;
  EXPECT_TRUE(absl::StrContains(*svg, "aria-label=\"QR code\""));
  EXPECT_GT(svg->size(), 2000u);
}

}  // namespace
}  // namespace hirs::auth
