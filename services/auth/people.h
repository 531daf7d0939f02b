// People (hirs.v1.Person): accounts for the staff who sign in themselves,
// beside the agency principals that systems use (directory.h). Each has a
// password (Argon2id) and a TOTP second factor (credentials.h), kept in the
// store's people family; a sign-in gives a session whose token (only its
// SHA-256 kept, in the sessions family) then authenticates calls like an
// agency token, as a Principal of the person's role and scope.
//
// Every sign-in failure (unknown or disabled account, wrong password, wrong
// or replayed code, a locked account, too many failures from one address)
// is the same UNAUTHENTICATED, and an unknown account costs the same
// password hash as a known one. Failures in a row lock the account for a
// time that doubles; a success clears them.
#ifndef HIRS_SERVICES_AUTH_PEOPLE_H_
#define HIRS_SERVICES_AUTH_PEOPLE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/admin_service.pb.h"
#include "hirs/v1/session_service.pb.h"
#include "services/auth/principals.h"
#include "storage/store.h"

namespace hirs::auth {

struct PeopleOptions {
  absl::Duration session_idle = absl::Minutes(30);
  absl::Duration session_absolute = absl::Hours(12);
  // Failures in a row allowed before the account locks, first for
  // lock_first, then twice as long each further failure, at most
  // lock_longest.
  int failures_before_lock = 5;
  absl::Duration lock_first = absl::Minutes(1);
  absl::Duration lock_longest = absl::Hours(1);
  // Failed sign-ins one client address may make in a quarter of an hour.
  int failures_per_address = 20;
  // The police force area served (ScopeProblem).
  std::string force_area;
};

// Thread safe.
class People {
 public:
  People(storage::Store* store, std::function<absl::Time()> clock, PeopleOptions options);

  // Adds `person` with a one-time password and a second-factor secret,
  // both in the answer only. INVALID_ARGUMENT naming the field (as for a
  // Principal: id, role, scope served; an e-mail with one '@'; a display
  // name), ALREADY_EXISTS for a known id or e-mail.
  absl::StatusOr<hirs::v1::CreatePersonResponse> Create(const hirs::v1::Person& person);
  // The person `person_id`; NOT_FOUND when there is none.
  absl::StatusOr<hirs::v1::Person> Get(absl::string_view person_id) const;
  // Every person, by id.
  absl::StatusOr<std::vector<hirs::v1::Person>> List() const;
  // Disables the person and ends their sessions. NOT_FOUND for an unknown
  // id.
  absl::StatusOr<hirs::v1::Person> Disable(absl::string_view person_id);
  // A new one-time password (to change at first sign-in); ends their
  // sessions and any lock.
  absl::StatusOr<hirs::v1::ResetPasswordResponse> ResetPassword(absl::string_view person_id);
  // A new second-factor secret; ends their sessions.
  absl::StatusOr<hirs::v1::SecondFactorEnrolment> ResetSecondFactor(absl::string_view person_id);

  // A new session for `request`'s person, from `address` (the client's,
  // for the per-address limit). UNAUTHENTICATED for every failure (see
  // above); INVALID_ARGUMENT for a password over kMaxPasswordBytes, before
  // any hashing. No code is needed only with a one-time password from an
  // administrator while no code of the person's has ever been accepted: the
  // session then must set up the second factor (SecondFactorToEnrol,
  // ConfirmSecondFactor) before anything else.
  absl::StatusOr<hirs::v1::SignInResponse> SignIn(const hirs::v1::SignInRequest& request, absl::string_view address);
  // The person a live session token belongs to, as a Principal (id: the
  // person id); the session's idle time starts again. NOT_FOUND when
  // `token` is no live session (the caller tries other credentials).
  absl::StatusOr<Principal> Authenticate(absl::string_view token);
  // The second factor to set up for the person of session `token`, while
  // no code of theirs has been accepted; FAILED_PRECONDITION after.
  absl::StatusOr<hirs::v1::SecondFactorEnrolment> SecondFactorToEnrol(absl::string_view token) const;
  // Accepts `code` of the person's second factor, which from then on is set
  // up: INVALID_ARGUMENT (field "code") for a wrong one, the session
  // holding; FAILED_PRECONDITION when already set up.
  absl::Status ConfirmSecondFactor(absl::string_view token, absl::string_view code);
  // Ends the session of `token`. NOT_FOUND when it is none.
  absl::Status SignOut(absl::string_view token);
  // Sets the password of the session's person: INVALID_ARGUMENT naming
  // current_password when it is missing or wrong (the session still holds),
  // or new_password when it breaks the rules; UNAUTHENTICATED only when the
  // session has ended. The person's other sessions end.
  absl::Status ChangePassword(absl::string_view token, const hirs::v1::ChangePasswordRequest& request);

 private:
  absl::StatusOr<hirs::store::v1::StoredPerson> Read(absl::string_view person_id) const;
  // The person whose id or e-mail is `login`.
  absl::StatusOr<hirs::store::v1::StoredPerson> FindLogin(absl::string_view login) const;
  absl::Status Write(hirs::store::v1::StoredPerson record, storage::WriteBatch* batch = nullptr);
  // Stores `record` and, in the same write, ends every session of its
  // person but `keep_token`'s (if given).
  absl::Status SaveEndingSessions(hirs::store::v1::StoredPerson record, absl::string_view keep_token = "");
  // The person of the session of `token`, if live at `now`.
  absl::StatusOr<hirs::store::v1::StoredPerson> PersonOfSession(absl::string_view token, absl::Time now) const;
  // The session of `token` if live at `now`.
  absl::StatusOr<hirs::store::v1::StoredSession> LiveSession(absl::string_view token, absl::Time now) const;
  // Counts a failure against `record` (maybe locking it) and `address`.
  void Fail(hirs::store::v1::StoredPerson* record, absl::string_view address, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether `address` has used up its failures at `now`.
  bool AddressBlocked(absl::string_view address, absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  storage::Store* const store_;
  const std::function<absl::Time()> clock_;
  const PeopleOptions options_;
  absl::Mutex mu_;  // serialises changes to people records
  struct AddressFailures {
    int count = 0;
    absl::Time since;
  };
  absl::flat_hash_map<std::string, AddressFailures> address_failures_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hirs::auth

#endif  // HIRS_SERVICES_AUTH_PEOPLE_H_
