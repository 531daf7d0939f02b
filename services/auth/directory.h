// Where principals come from, and AdminService's changes to them.
//
// The principals file (--principals) bootstraps: each of its principals
// serves as written until it is changed through AdminService. A principal
// created or changed through AdminService is kept in the store's principals
// family, and from then on the store's record wins: the file's entry for
// that id is ignored (hirsd logs which), so a token revoked or a principal
// disabled in an emergency stays so across restarts. Tokens are issued
// here, 256 random bits, and only their SHA-256 is kept.
#ifndef HIRS_SERVICES_AUTH_DIRECTORY_H_
#define HIRS_SERVICES_AUTH_DIRECTORY_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/area.h"
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/admin_service.pb.h"
#include "services/auth/principals.h"
#include "storage/store.h"

namespace hirs::auth {

// The longest a rotated-out token may keep working.
inline constexpr absl::Duration kMaxTokenOverlap = absl::Hours(24 * 7);

// Thread safe; changes are serialised.
class PrincipalDirectory {
 public:
  // The file's principals overridden by the store's, for a deployment
  // serving police force area `force_area`. Errors: the store's records and
  // the file's together break a rule of PrincipalRegistry (e.g. one token
  // hash for two principals); an enabled principal of the file cannot serve
  // (StartProblem), named with the remedy. Such a principal of the store is
  // disabled instead, so that hirsd starts and an administrator sees it.
  static absl::StatusOr<std::unique_ptr<PrincipalDirectory>> Open(
      storage::Store* store, std::vector<hirs::store::v1::StoredPrincipal> file_principals,
      std::function<absl::Time()> clock, std::string force_area = kLeicestershireForceArea);

  // What authenticates calls; always in step with the changes below.
  const PrincipalRegistry& registry() const { return *registry_; }

  // Every principal by id, token hashes cleared.
  std::vector<hirs::v1::Principal> List() const;

  // Adds a principal without a token. INVALID_ARGUMENT with field
  // violations (principal.id, .role, .scope, ...; a scope this deployment
  // does not serve too), ALREADY_EXISTS for a
  // known id or a certificate name another principal has.
  absl::StatusOr<hirs::v1::Principal> Create(const hirs::v1::Principal& principal);

  // Disables `id` at once (its token and certificate stop working).
  // NOT_FOUND for an unknown id; FAILED_PRECONDITION for the caller itself
  // (an administrator cannot lock themself out by mistake).
  absl::StatusOr<hirs::v1::Principal> Disable(absl::string_view id, absl::string_view caller_id);

  // A new token for the principal; the earlier one stops working at once,
  // or after request.previous_token_valid_for (rotation, at most
  // kMaxTokenOverlap). FAILED_PRECONDITION for a disabled principal.
  absl::StatusOr<hirs::v1::IssueTokenResponse> IssueToken(const hirs::v1::IssueTokenRequest& request);

  // Removes the principal's tokens (certificates still work).
  absl::StatusOr<hirs::v1::Principal> RevokeToken(absl::string_view id);

 private:
  PrincipalDirectory(storage::Store* store, std::function<absl::Time()> clock, std::string force_area);
  // The principal by id (store first, then file); NOT_FOUND otherwise.
  absl::StatusOr<hirs::store::v1::StoredPrincipal> Find(absl::string_view id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stores `record` (source "store", stamped) and rebuilds the registry (on
  // error, neither changes); returns what callers may see of it.
  absl::StatusOr<hirs::v1::Principal> Save(hirs::store::v1::StoredPrincipal record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<hirs::store::v1::StoredPrincipal> Effective() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Why `principal`, one of `all`, cannot serve as it stands: a scope this
  // deployment does not serve, or a centre principal that sent reports
  // under its own id before they belonged to its scope; nullopt if none.
  absl::StatusOr<std::optional<std::string>> StartProblem(
      const hirs::v1::Principal& principal, const std::vector<hirs::store::v1::StoredPrincipal>& all) const;

  storage::Store* const store_;
  const std::function<absl::Time()> clock_;
  const std::string force_area_;
  std::unique_ptr<PrincipalRegistry> registry_;
  mutable absl::Mutex mu_;
  std::vector<hirs::store::v1::StoredPrincipal> file_ ABSL_GUARDED_BY(mu_);
  std::vector<hirs::store::v1::StoredPrincipal> stored_ ABSL_GUARDED_BY(mu_);  // by id
};

// Clears what a caller must never see: the token hashes.
hirs::v1::Principal PublicView(const hirs::store::v1::StoredPrincipal& record);

}  // namespace hirs::auth

#endif  // HIRS_SERVICES_AUTH_DIRECTORY_H_
