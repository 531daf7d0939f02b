#include "services/auth/people.h"

#include <openssl/rand.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/civil_time.h"
#include "common/field_behavior.h"
#include "common/status_macros.h"
#include "services/auth/credentials.h"

namespace hirs::auth {
namespace {

using hirs::store::v1::StoredPerson;
using hirs::store::v1::StoredSession;

// The one answer for every sign-in failure.
absl::Status SignInRefused() {
  return absl::UnauthenticatedError("sign-in failed: check your id or e-mail, password and code");
}

std::string NewSessionToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();  // the CSPRNG failing is not recoverable
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

// The sessions family's key: the token's SHA-256 (hex).
std::string SessionKey(absl::string_view token) { return TokenSha256Hex(token); }

// The rules a new person meets: a principal's (id, role, scope served) and
// a display name and e-mail.
std::optional<FieldViolation> PersonProblem(const hirs::v1::Person& person, absl::string_view force_area) {
  hirs::v1::Principal as_principal;
  as_principal.set_id(person.person_id());
  as_principal.set_role(person.role());
  as_principal.set_scope(person.scope());
  as_principal.set_display_name(person.display_name());
  for (auto problem : {PrincipalProblem(as_principal), ScopeProblem(as_principal, force_area)}) {
    if (problem.has_value()) {
      if (problem->field == "id") problem->field = "person_id";
      return problem;
    }
  }
  if (person.display_name().empty()) return FieldViolation{"display_name", "is required"};
  const std::string& email = person.email();
  const size_t at = email.find('@');
  if (email.size() > 254 || at == std::string::npos || at == 0 || at + 1 == email.size() ||
      email.find('@', at + 1) != std::string::npos || absl::StrContains(email, " ")) {
    return FieldViolation{"email", "is not an e-mail address (name@domain)"};
  }
  return std::nullopt;
}

// Whether a code of the person's second factor has ever been accepted.
bool Enrolled(const StoredPerson& record) { return record.last_totp_step() > 0; }

hirs::v1::SecondFactorEnrolment Enrolment(const StoredPerson& record) {
  hirs::v1::SecondFactorEnrolment out;
  out.set_totp_uri(TotpUri(record.totp_secret(), record.person().person_id()));
  absl::StatusOr<std::string> svg = QrSvg(out.totp_uri());
  if (svg.ok()) out.set_totp_qr_svg(*std::move(svg));
  return out;
}

}  // namespace

People::People(storage::Store* store, std::function<absl::Time()> clock, PeopleOptions options)
    : store_(store), clock_(std::move(clock)), options_(std::move(options)) {}

absl::StatusOr<StoredPerson> People::Read(absl::string_view person_id) const {
  if (!IsPrincipalId(person_id)) {
    return InvalidArgumentWithViolations(
        {{"person_id", "is not a person id (1 to 128 letters, digits and \". _ - :\")"}});
  }
  ASSIGN_OR_RETURN(std::optional<std::string> value, store_->Get(storage::Family::kPeople, person_id));
  StoredPerson record;
  if (!value.has_value() || !record.ParseFromString(*value)) {
    return absl::NotFoundError(absl::StrCat("no person \"", person_id, "\""));
  }
  return record;
}

absl::StatusOr<hirs::v1::Person> People::Get(absl::string_view person_id) const {
  ASSIGN_OR_RETURN(StoredPerson record, Read(person_id));
  return std::move(*record.mutable_person());
}

absl::StatusOr<StoredPerson> People::FindLogin(absl::string_view login) const {
  if (IsPrincipalId(login)) {
    absl::StatusOr<StoredPerson> by_id = Read(login);
    if (by_id.ok() || by_id.status().code() != absl::StatusCode::kNotFound) return by_id;
  }
  std::optional<StoredPerson> found;
  const std::string wanted = absl::AsciiStrToLower(login);
  RETURN_IF_ERROR(store_->Scan(storage::Family::kPeople, "", 0, [&](absl::string_view, absl::string_view value) {
    StoredPerson record;
    if (record.ParseFromArray(value.data(), static_cast<int>(value.size())) &&
        absl::AsciiStrToLower(record.person().email()) == wanted) {
      found = std::move(record);
      return false;
    }
    return true;
  }));
  if (!found.has_value()) return absl::NotFoundError("no such person");
  return *std::move(found);
}

absl::Status People::Write(StoredPerson record, storage::WriteBatch* batch) {
  *record.mutable_updated_at() = ToTimestamp(clock_());
  if (batch != nullptr) {
    batch->Put(storage::Family::kPeople, record.person().person_id(), record.SerializeAsString());
    return absl::OkStatus();
  }
  storage::WriteBatch own;
  own.Put(storage::Family::kPeople, record.person().person_id(), record.SerializeAsString());
  return store_->Write(std::move(own));
}

absl::Status People::SaveEndingSessions(StoredPerson record, absl::string_view keep_token) {
  const std::string keep = keep_token.empty() ? "" : SessionKey(keep_token);
  storage::WriteBatch batch;
  RETURN_IF_ERROR(store_->Scan(storage::Family::kSessions, "", 0, [&](absl::string_view key, absl::string_view value) {
    StoredSession session;
    if (key != keep && session.ParseFromArray(value.data(), static_cast<int>(value.size())) &&
        session.person_id() == record.person().person_id()) {
      batch.Delete(storage::Family::kSessions, key);
    }
    return true;
  }));
  RETURN_IF_ERROR(Write(std::move(record), &batch));
  return store_->Write(std::move(batch));
}

absl::StatusOr<hirs::v1::CreatePersonResponse> People::Create(const hirs::v1::Person& person) {
  if (auto problem = PersonProblem(person, options_.force_area); problem.has_value()) {
    problem->field = absl::StrCat("person.", problem->field);
    return InvalidArgumentWithViolations({*problem});
  }
  absl::MutexLock lock(&mu_);
  if (Read(person.person_id()).ok()) {
    return absl::AlreadyExistsError(absl::StrCat("person \"", person.person_id(), "\" exists"));
  }
  if (FindLogin(person.email()).ok()) {
    return absl::AlreadyExistsError(absl::StrCat("another person has the e-mail \"", person.email(), "\""));
  }
  hirs::v1::CreatePersonResponse out;
  out.set_one_time_password(NewOneTimePassword());
  ASSIGN_OR_RETURN(std::string hash, HashPassword(out.one_time_password()));
  StoredPerson record;
  *record.mutable_person() = person;
  ClearOutputOnlyFields(record.mutable_person());
  record.mutable_person()->set_disabled(false);
  record.mutable_person()->set_must_change_password(true);
  *record.mutable_person()->mutable_create_time() = ToTimestamp(clock_());
  record.set_password_hash(std::move(hash));
  record.set_totp_secret(NewTotpSecret());
  RETURN_IF_ERROR(Write(record));
  *out.mutable_person() = record.person();
  *out.mutable_second_factor() = Enrolment(record);
  return out;
}

absl::StatusOr<std::vector<hirs::v1::Person>> People::List() const {
  std::vector<hirs::v1::Person> out;
  RETURN_IF_ERROR(store_->Scan(storage::Family::kPeople, "", 0, [&](absl::string_view, absl::string_view value) {
    StoredPerson record;
    if (record.ParseFromArray(value.data(), static_cast<int>(value.size()))) out.push_back(record.person());
    return true;
  }));
  return out;
}

absl::StatusOr<hirs::v1::Person> People::Disable(absl::string_view person_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(StoredPerson record, Read(person_id));
  record.mutable_person()->set_disabled(true);
  const hirs::v1::Person person = record.person();
  RETURN_IF_ERROR(SaveEndingSessions(std::move(record)));
  return person;
}

absl::StatusOr<hirs::v1::ResetPasswordResponse> People::ResetPassword(absl::string_view person_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(StoredPerson record, Read(person_id));
  hirs::v1::ResetPasswordResponse out;
  out.set_one_time_password(NewOneTimePassword());
  ASSIGN_OR_RETURN(std::string hash, HashPassword(out.one_time_password()));
  record.set_password_hash(std::move(hash));
  record.mutable_person()->set_must_change_password(true);
  record.set_failures(0);
  record.clear_locked_until();
  RETURN_IF_ERROR(SaveEndingSessions(std::move(record)));
  return out;
}

absl::StatusOr<hirs::v1::SecondFactorEnrolment> People::ResetSecondFactor(absl::string_view person_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(StoredPerson record, Read(person_id));
  record.set_totp_secret(NewTotpSecret());
  record.set_last_totp_step(0);
  hirs::v1::SecondFactorEnrolment enrolment = Enrolment(record);
  RETURN_IF_ERROR(SaveEndingSessions(std::move(record)));
  return enrolment;
}

bool People::AddressBlocked(absl::string_view address, absl::Time now) const {
  auto it = address_failures_.find(address);
  return it != address_failures_.end() && now - it->second.since < absl::Minutes(15) &&
         it->second.count >= options_.failures_per_address;
}

void People::Fail(StoredPerson* record, absl::string_view address, absl::Time now) {
  AddressFailures& a = address_failures_[address];
  if (now - a.since >= absl::Minutes(15)) a = AddressFailures{0, now};
  ++a.count;
  if (record == nullptr) return;
  record->set_failures(record->failures() + 1);
  const int over = record->failures() - options_.failures_before_lock;
  if (over >= 0) {
    const absl::Duration lock =
        std::min(options_.lock_longest, options_.lock_first * (int64_t{1} << std::min(over, 20)));
    *record->mutable_locked_until() = ToTimestamp(now + lock);
  }
  (void)Write(*record);  // a failure that cannot be counted still refuses
}

absl::StatusOr<hirs::v1::SignInResponse> People::SignIn(const hirs::v1::SignInRequest& request,
                                                        absl::string_view address) {
  if (request.password().size() > kMaxPasswordBytes) {
    return absl::InvalidArgumentError(absl::StrCat("password: longer than ", kMaxPasswordBytes, " bytes"));
  }
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_();
  absl::StatusOr<StoredPerson> found =
      request.login().size() <= 254 ? FindLogin(request.login()) : absl::NotFoundError("no such person");
  // The same work whether or not the account exists.
  const bool password_ok = VerifyPassword(found.ok() ? found->password_hash() : DecoyHash(), request.password());
  if (!found.ok()) {
    if (found.status().code() != absl::StatusCode::kNotFound) return found.status();
    Fail(nullptr, address, now);
    return SignInRefused();
  }
  StoredPerson& record = *found;
  const bool locked = record.has_locked_until() && ToAbslTime(record.locked_until()) > now;
  const std::optional<int64_t> step = TotpStep(record.totp_secret(), request.code(), now);
  // A first sign-in with the one-time password and no second factor yet
  // needs no code: its session may only set one up.
  const bool enrolling = request.code().empty() && !Enrolled(record) && record.person().must_change_password();
  const bool code_ok = enrolling || (step.has_value() && *step > record.last_totp_step());
  if (!password_ok || !code_ok || locked || record.person().disabled() || AddressBlocked(address, now)) {
    Fail(&record, address, now);
    return SignInRefused();
  }
  if (!enrolling) record.set_last_totp_step(*step);
  record.set_failures(0);
  record.clear_locked_until();
  const std::string token = NewSessionToken();
  StoredSession session;
  session.set_person_id(record.person().person_id());
  *session.mutable_created_at() = ToTimestamp(now);
  *session.mutable_last_seen_at() = ToTimestamp(now);
  *session.mutable_expires_at() = ToTimestamp(now + options_.session_absolute);
  storage::WriteBatch batch;
  batch.Put(storage::Family::kSessions, SessionKey(token), session.SerializeAsString());
  RETURN_IF_ERROR(Write(record, &batch));
  RETURN_IF_ERROR(store_->Write(std::move(batch)));
  hirs::v1::SignInResponse out;
  out.set_session_token(token);
  *out.mutable_person() = record.person();
  *out.mutable_expire_time() = session.expires_at();
  out.set_must_change_password(record.person().must_change_password());
  out.set_must_enrol_second_factor(!Enrolled(record));
  return out;
}

absl::StatusOr<StoredSession> People::LiveSession(absl::string_view token, absl::Time now) const {
  ASSIGN_OR_RETURN(std::optional<std::string> value, store_->Get(storage::Family::kSessions, SessionKey(token)));
  StoredSession session;
  if (!value.has_value() || !session.ParseFromString(*value) || ToAbslTime(session.expires_at()) <= now ||
      ToAbslTime(session.last_seen_at()) + options_.session_idle <= now) {
    return absl::NotFoundError("no live session");
  }
  return session;
}

absl::StatusOr<Principal> People::Authenticate(absl::string_view token) {
  const absl::Time now = clock_();
  ASSIGN_OR_RETURN(StoredSession session, LiveSession(token, now));
  ASSIGN_OR_RETURN(StoredPerson record, Read(session.person_id()));
  if (record.person().disabled()) return absl::NotFoundError("no live session");
  // The idle clock restarts; written at most once a minute a session (or
  // every quarter of the idle time, when that is shorter).
  if (now - ToAbslTime(session.last_seen_at()) >= std::min(absl::Minutes(1), options_.session_idle / 4)) {
    *session.mutable_last_seen_at() = ToTimestamp(now);
    storage::WriteBatch batch;
    batch.Put(storage::Family::kSessions, SessionKey(token), session.SerializeAsString());
    RETURN_IF_ERROR(store_->Write(std::move(batch)));
  }
  Principal principal{record.person().person_id(), record.person().role(), record.person().scope()};
  principal.person = true;
  principal.must_change_password = record.person().must_change_password();
  principal.must_enrol_second_factor = !Enrolled(record);
  return principal;
}

absl::StatusOr<StoredPerson> People::PersonOfSession(absl::string_view token, absl::Time now) const {
  ASSIGN_OR_RETURN(StoredSession session, LiveSession(token, now));
  return Read(session.person_id());
}

absl::StatusOr<hirs::v1::SecondFactorEnrolment> People::SecondFactorToEnrol(absl::string_view token) const {
  ASSIGN_OR_RETURN(StoredPerson record, PersonOfSession(token, clock_()));
  if (Enrolled(record)) return absl::FailedPreconditionError("your second factor is already set up");
  return Enrolment(record);
}

absl::Status People::ConfirmSecondFactor(absl::string_view token, absl::string_view code) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_();
  ASSIGN_OR_RETURN(StoredPerson record, PersonOfSession(token, now));
  if (Enrolled(record)) return absl::FailedPreconditionError("your second factor is already set up");
  const std::optional<int64_t> step = TotpStep(record.totp_secret(), code, now);
  if (!step.has_value()) {
    return InvalidArgumentWithViolations(
        {{"code", "is not the code your authenticator app shows now: check that it was set up from this page"}});
  }
  record.set_last_totp_step(*step);
  return Write(std::move(record));
}

absl::Status People::SignOut(absl::string_view token) {
  RETURN_IF_ERROR(LiveSession(token, clock_()).status());
  storage::WriteBatch batch;
  batch.Delete(storage::Family::kSessions, SessionKey(token));
  return store_->Write(std::move(batch));
}

absl::Status People::ChangePassword(absl::string_view token, const hirs::v1::ChangePasswordRequest& request) {
  if (request.current_password().empty()) {
    return InvalidArgumentWithViolations({{"current_password", "give your current password"}});
  }
  if (request.current_password().size() > kMaxPasswordBytes) {
    return InvalidArgumentWithViolations(
        {{"current_password", absl::StrCat("is longer than ", kMaxPasswordBytes, " bytes")}});
  }
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(StoredPerson record, PersonOfSession(token, clock_()));
  // The session holds: a wrong password here is a mistake to correct, not a
  // failed sign-in (UNAUTHENTICATED would tell a page the session ended).
  if (!VerifyPassword(record.password_hash(), request.current_password())) {
    return InvalidArgumentWithViolations({{"current_password", "is not your current password"}});
  }
  for (const std::string& login : {record.person().person_id(), record.person().email()}) {
    if (auto problem = PasswordProblem(request.new_password(), login); problem.has_value()) {
      return InvalidArgumentWithViolations({{"new_password", *problem}});
    }
  }
  ASSIGN_OR_RETURN(std::string hash, HashPassword(request.new_password()));
  record.set_password_hash(std::move(hash));
  record.mutable_person()->set_must_change_password(false);
  return SaveEndingSessions(std::move(record), /*keep_token=*/token);  // the caller's own session goes on
}

}  // namespace hirs::auth
