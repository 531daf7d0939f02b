// People and their sessions (services/auth/people.h) on a real store with
// a clock the test moves: creation and its rules, sign-in and each way it
// fails (all one answer), replayed codes, lockout and its expiry, the
// per-address limit, idle and absolute expiry, and the changes that end
// sessions.
#include "services/auth/people.h"

#include "absl/strings/match.h"
#include "common/bad_request.h"
#include "common/civil_time.h"
#include "gtest/gtest.h"
#include "services/auth/credentials.h"
#include "tests/support/domain_support.h"

namespace hirs::auth {
namespace {

using hirs::testing::TempDir;

class PeopleTest : public ::testing::Test {
 protected:
  PeopleTest() {
    storage::StoreOptions options;
    options.path = dir_.path() + "/db";
    options.sync_writes = false;
    store_ = *storage::Store::Open(options);
    PeopleOptions people;
    people.force_area = "E23000021";
    people_ = std::make_unique<People>(
        store_.get(), [this] { return now_; }, people);
  }

  hirs::v1::Person Jo() const {
    hirs::v1::Person p;
    p.set_person_id("jo.bloggs");
    p.set_display_name("Jo Bloggs");
    p.set_email("Jo.Bloggs@example.org");
    p.set_role(hirs::v1::REPORTING_CENTRE);
    p.set_scope("centre-a");
    return p;
  }

  // Creates Jo, signs in with the one-time password and sets a password of
  // Jo's own; returns the TOTP secret (decoded from the URI's account).
  void CreateJo() {
    auto created = people_->Create(Jo());
    ASSERT_TRUE(created.ok()) << created.status();
    one_time_ = created->one_time_password();
    const std::string& uri = created->second_factor().totp_uri();
    secret_ = hirs::testing::TotpSecretOf(uri);
  }

  absl::StatusOr<hirs::v1::SignInResponse> SignIn(const std::string& login, const std::string& password,
                                                  const std::string& code, const std::string& address = "ipv4:a") {
    hirs::v1::SignInRequest request;
    request.set_login(login);
    request.set_password(password);
    request.set_code(code);
    return people_->SignIn(request, address);
  }

  std::string Code() const { return TotpCode(secret_, now_); }
  // The next step's code, so that no two sign-ins of a test reuse one.
  std::string NextCode() {
    now_ += absl::Seconds(kTotpStepSeconds);
    return Code();
  }

  TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<People> people_;
  absl::Time now_ = absl::FromUnixSeconds(1790000000);
  std::string one_time_, secret_;
};

TEST_F(PeopleTest, AFirstSignInWithoutACodeMaySetUpTheSecondFactorAndNothingElse) {
  CreateJo();
  auto first = SignIn("jo.bloggs", one_time_, "");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->must_enrol_second_factor());
  EXPECT_TRUE(first->must_change_password());
  const std::string token = first->session_token();
  EXPECT_TRUE(people_->Authenticate(token)->must_enrol_second_factor);
  auto enrolment = people_->SecondFactorToEnrol(token);
  ASSERT_TRUE(enrolment.ok()) << enrolment.status();
  EXPECT_EQ(hirs::testing::TotpSecretOf(enrolment->totp_uri()), secret_);
  EXPECT_TRUE(absl::StrContains(enrolment->totp_qr_svg(), "<svg"));
  EXPECT_EQ(FieldViolationsOf(people_->ConfirmSecondFactor(token, "000000"))[0].field, "code");
  ASSERT_TRUE(people_->ConfirmSecondFactor(token, Code()).ok());
  EXPECT_FALSE(people_->Authenticate(token)->must_enrol_second_factor);
  // Set up: the secret is not shown again, and every sign-in needs a code,
  // a fresh one.
  EXPECT_EQ(people_->SecondFactorToEnrol(token).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(people_->ConfirmSecondFactor(token, NextCode()).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(SignIn("jo.bloggs", one_time_, "").status().code(), absl::StatusCode::kUnauthenticated);
  auto second = SignIn("jo.bloggs", one_time_, NextCode());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->must_enrol_second_factor());
}

TEST_F(PeopleTest, OnlyAOneTimePasswordSignsInWithoutACode) {
  CreateJo();
  auto session = SignIn("jo.bloggs", one_time_, Code());  // set up from the administrator's QR code
  ASSERT_TRUE(session.ok()) << session.status();
  hirs::v1::ChangePasswordRequest change;
  change.set_current_password(one_time_);
  change.set_new_password("a walk by the soar at dusk");
  ASSERT_TRUE(people_->ChangePassword(session->session_token(), change).ok());
  EXPECT_EQ(SignIn("jo.bloggs", "a walk by the soar at dusk", "").status().code(), absl::StatusCode::kUnauthenticated);
  // A second factor reset by an administrator is handed over by them: the
  // person's own password alone does not open a session to set it up.
  ASSERT_TRUE(people_->ResetSecondFactor("jo.bloggs").ok());
  EXPECT_EQ(SignIn("jo.bloggs", "a walk by the soar at dusk", "").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(PeopleTest, CreatedPeopleSignInAndMustChangeTheOneTimePassword) {
  CreateJo();
  EXPECT_EQ(one_time_.size(), 21u);
  auto session = SignIn("jo.bloggs", one_time_, Code());
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_TRUE(session->must_change_password());
  EXPECT_EQ(session->session_token().size(), 64u);
  EXPECT_EQ(ToAbslTime(session->expire_time()), now_ + absl::Hours(12));
  auto principal = people_->Authenticate(session->session_token());
  ASSERT_TRUE(principal.ok());
  EXPECT_EQ(principal->id, "jo.bloggs");
  EXPECT_EQ(principal->role, hirs::v1::REPORTING_CENTRE);
  EXPECT_EQ(principal->scope, "centre-a");
  EXPECT_TRUE(principal->person);
  EXPECT_TRUE(principal->must_change_password);

  hirs::v1::ChangePasswordRequest change;
  change.set_new_password("a walk by the soar at dusk");
  EXPECT_EQ(FieldViolationsOf(people_->ChangePassword(session->session_token(), change))[0].field, "current_password");
  change.set_current_password("not the one-time password");
  const absl::Status wrong = people_->ChangePassword(session->session_token(), change);
  EXPECT_EQ(wrong.code(), absl::StatusCode::kInvalidArgument) << "the session holds: not UNAUTHENTICATED";
  EXPECT_EQ(FieldViolationsOf(wrong)[0].field, "current_password");
  change.set_current_password(one_time_);
  change.set_new_password("password1234");
  EXPECT_EQ(FieldViolationsOf(people_->ChangePassword(session->session_token(), change))[0].field, "new_password");
  change.set_new_password("a walk by the soar at dusk");
  ASSERT_TRUE(people_->ChangePassword(session->session_token(), change).ok());
  EXPECT_FALSE(people_->Authenticate(session->session_token())->must_change_password);
  // By e-mail, any case, with the new password.
  auto again = SignIn("jo.bloggs@EXAMPLE.org", "a walk by the soar at dusk", NextCode());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->must_change_password());
  EXPECT_NE(again->session_token(), session->session_token()) << "a new token at each sign-in";
}

TEST_F(PeopleTest, CreationRules) {
  hirs::v1::Person forged = Jo();
  (void)hirs::testing::ForgeOutputOnlyFields(&forged);
  auto created = people_->Create(forged);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE(created->person().disabled());
  EXPECT_TRUE(created->person().must_change_password());
  EXPECT_EQ(ToAbslTime(created->person().create_time()), now_);
  one_time_ = created->one_time_password();
  EXPECT_EQ(people_->Create(Jo()).status().code(), absl::StatusCode::kAlreadyExists);
  hirs::v1::Person other = Jo();
  other.set_person_id("jo.other");
  EXPECT_EQ(people_->Create(other).status().code(), absl::StatusCode::kAlreadyExists) << "the same e-mail";
  other.set_email("not an address");
  EXPECT_EQ(FieldViolationsOf(people_->Create(other).status())[0].field, "person.email");
  other.set_email("jo.other@example.org");
  other.set_role(hirs::v1::DISTRICT);
  other.set_scope("E06000099");
  EXPECT_EQ(FieldViolationsOf(people_->Create(other).status())[0].field, "person.scope");
  other.set_scope("E07000130");
  ASSERT_TRUE(people_->Create(other).ok());
  EXPECT_EQ(people_->List()->size(), 2u);
  EXPECT_EQ(FieldViolationsOf(people_->Disable("").status())[0].field, "person_id");
  EXPECT_EQ(people_->ResetPassword("nobody").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(PeopleTest, EveryFailureIsTheSameAnswer) {
  CreateJo();
  const auto refused = [](const absl::StatusOr<hirs::v1::SignInResponse>& r) {
    return !r.ok() && r.status().code() == absl::StatusCode::kUnauthenticated &&
           r.status().message() == "sign-in failed: check your id or e-mail, password and code";
  };
  EXPECT_TRUE(refused(SignIn("jo.bloggs", "wrong password!", Code())));
  EXPECT_TRUE(refused(SignIn("jo.bloggs", one_time_, "000000")));
  EXPECT_TRUE(refused(SignIn("nobody", one_time_, Code())));
  EXPECT_TRUE(refused(SignIn("nobody@example.org", one_time_, Code())));
  EXPECT_EQ(SignIn("jo.bloggs", std::string(kMaxPasswordBytes + 1, 'x'), Code()).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A code accepted once is refused again, even within its window.
  now_ += absl::Minutes(5);
  const std::string code = Code();
  ASSERT_TRUE(SignIn("jo.bloggs", one_time_, code).ok());
  EXPECT_TRUE(refused(SignIn("jo.bloggs", one_time_, code)));
  // Disabled: refused, and the session has ended.
  auto live = SignIn("jo.bloggs", one_time_, NextCode());
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE(people_->Disable("jo.bloggs").ok());
  EXPECT_EQ(people_->Authenticate(live->session_token()).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(refused(SignIn("jo.bloggs", one_time_, NextCode())));
}

TEST_F(PeopleTest, AnUnknownAccountCostsWhatAKnownOneDoes) {
  CreateJo();
  const auto time = [&](const std::string& login, const std::string& address) {
    const absl::Time start = absl::Now();
    for (int i = 0; i < 4; ++i) EXPECT_FALSE(SignIn(login, "wrong password!", Code(), address).ok());
    return absl::Now() - start;
  };
  // Both paths once first: the decoy hash an unknown account is checked
  // against is made on first use, and must not be timed.
  (void)time("jo.bloggs", "ipv4:warm");
  (void)time("nobody.at.all", "ipv4:warm-unknown");
  const absl::Duration known = time("jo.bloggs", "ipv4:k");
  const absl::Duration unknown = time("nobody.at.all", "ipv4:u");
  EXPECT_GT(unknown, known / 2);
  EXPECT_LT(unknown, known * 2);
}

TEST_F(PeopleTest, RepeatedFailuresLockTheAccountForAGrowingTime) {
  CreateJo();
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(SignIn("jo.bloggs", "wrong password!", Code(), "ipv4:b").ok());
  // Locked for a minute: even the right password and code are refused.
  EXPECT_FALSE(SignIn("jo.bloggs", one_time_, NextCode(), "ipv4:c").ok());  // 6th failure: 2 minutes
  now_ += absl::Seconds(60);
  EXPECT_FALSE(SignIn("jo.bloggs", one_time_, NextCode(), "ipv4:c").ok()) << "still locked";
  now_ += absl::Minutes(5);
  EXPECT_TRUE(SignIn("jo.bloggs", one_time_, NextCode(), "ipv4:c").ok()) << "the lock expired";
  // A reset clears a lock too.
  for (int i = 0; i < 6; ++i) EXPECT_FALSE(SignIn("jo.bloggs", "wrong password!", NextCode(), "ipv4:d").ok());
  auto reset = people_->ResetPassword("jo.bloggs");
  ASSERT_TRUE(reset.ok());
  EXPECT_TRUE(SignIn("jo.bloggs", reset->one_time_password(), NextCode(), "ipv4:e").ok());
}

TEST_F(PeopleTest, OneAddressFailingTooOftenIsRefused) {
  CreateJo();
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(SignIn("nobody", "wrong password!", Code(), "ipv4:x").ok());
  EXPECT_FALSE(SignIn("jo.bloggs", one_time_, Code(), "ipv4:x").ok());
  EXPECT_TRUE(SignIn("jo.bloggs", one_time_, NextCode(), "ipv4:y").ok());
  now_ += absl::Minutes(16);
  EXPECT_TRUE(SignIn("jo.bloggs", one_time_, Code(), "ipv4:x").ok()) << "after a quarter of an hour";
}

TEST_F(PeopleTest, SessionsEndIdleAbsoluteOnSignOutAndOnResets) {
  CreateJo();
  auto s = SignIn("jo.bloggs", one_time_, Code());
  ASSERT_TRUE(s.ok());
  const std::string token = s->session_token();
  for (int i = 0; i < 30; ++i) {  // kept alive by calls every 25 minutes, for 12.5 hours
    now_ += absl::Minutes(25);
    if (now_ - absl::FromUnixSeconds(1790000000) < absl::Hours(12)) {
      EXPECT_TRUE(people_->Authenticate(token).ok()) << i;
    } else {
      EXPECT_FALSE(people_->Authenticate(token).ok()) << "absolute expiry";
    }
  }
  s = SignIn("jo.bloggs", one_time_, Code());
  ASSERT_TRUE(s.ok());
  now_ += absl::Minutes(31);
  EXPECT_FALSE(people_->Authenticate(s->session_token()).ok()) << "idle expiry";

  s = SignIn("jo.bloggs", one_time_, Code());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(people_->SignOut(s->session_token()).ok());
  EXPECT_FALSE(people_->Authenticate(s->session_token()).ok());
  EXPECT_EQ(people_->SignOut(s->session_token()).code(), absl::StatusCode::kNotFound);

  s = SignIn("jo.bloggs", one_time_, NextCode());
  ASSERT_TRUE(s.ok());
  auto enrolment = people_->ResetSecondFactor("jo.bloggs");
  ASSERT_TRUE(enrolment.ok());
  EXPECT_FALSE(people_->Authenticate(s->session_token()).ok()) << "a second-factor reset ends sessions";
  EXPECT_TRUE(absl::StartsWith(enrolment->totp_qr_svg(), "<svg"));
  secret_ = hirs::testing::TotpSecretOf(enrolment->totp_uri());
  EXPECT_TRUE(SignIn("jo.bloggs", one_time_, NextCode()).ok()) << "with the new secret";
}

}  // namespace
}  // namespace hirs::auth
