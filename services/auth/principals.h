// Principals (calling systems), their bearer tokens and certificate names.
// Only SHA-256 hashes of tokens are held. What each may call: access.h.
// Where principals come from (the principals file, the store): directory.h.
#ifndef HIRS_SERVICES_AUTH_PRINCIPALS_H_
#define HIRS_SERVICES_AUTH_PRINCIPALS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/bad_request.h"
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/types.pb.h"

namespace hirs::auth {

struct Principal {
  std::string id;  // an agency principal's id, or a person's (people.h)
  hirs::v1::Role role = hirs::v1::ROLE_UNSPECIFIED;
  std::string scope;    // centre id, district GSS code, or force area
  bool person = false;  // a person signed in with a session
  // A person who must choose a new password before anything else.
  bool must_change_password = false;
  // A person who signed in with a one-time password and no second factor
  // yet, and must set one up before anything else.
  bool must_enrol_second_factor = false;
};

// Whether `id` can be a principal id: 1 to 128 letters, digits and ". _ - :"
// (so it can stand in keys and audit entries as it is).
bool IsPrincipalId(absl::string_view id);

// The rules every principal meets, wherever it is defined: an id as
// IsPrincipalId; a role; a scope for REPORTING_CENTRE and DISTRICT;
// token_sha256 empty or 64 hex digits; no empty cert name; display_name at
// most 200 bytes. The first problem (its field named relative to the
// Principal), nullopt if none.
std::optional<FieldViolation> PrincipalProblem(const hirs::v1::Principal& principal);

// Whether this deployment serves the scope of `principal`: a POLICE
// principal's scope is `force_area` (the GSS code of the police force area
// served, e.g. "E23000021"), a DISTRICT principal's one of that area's
// districts (common/area.h), an ADMIN principal's empty. The problem
// (field "scope"), nullopt if none.
std::optional<FieldViolation> ScopeProblem(const hirs::v1::Principal& principal, absl::string_view force_area);

// Parses the principals file (DESIGN.md "Operational contract"):
// {"principals": [{"id", "role", "scope", "token_sha256"}, ...]}. Each
// entry must also carry a token hash or certificate names. INVALID_ARGUMENT
// naming the entry at fault for unknown fields, a broken rule, or a
// duplicate id. Entries come back with source "file".
absl::StatusOr<std::vector<hirs::store::v1::StoredPrincipal>> ParsePrincipalsFile(absl::string_view json);
absl::StatusOr<std::vector<hirs::store::v1::StoredPrincipal>> LoadPrincipalsFile(const std::string& path);

// Who holds which credential, replaceable at once. Thread safe: lookups
// read an immutable snapshot, Replace swaps it.
class PrincipalRegistry {
 public:
  // A registry of `records`; see Replace.
  static absl::StatusOr<std::unique_ptr<PrincipalRegistry>> FromRecords(
      const std::vector<hirs::store::v1::StoredPrincipal>& records);
  // A registry of a principals file's text or path (ParsePrincipalsFile).
  static absl::StatusOr<std::unique_ptr<PrincipalRegistry>> FromJson(absl::string_view json);
  static absl::StatusOr<std::unique_ptr<PrincipalRegistry>> LoadFile(const std::string& path);

  // Replaces every principal with `records`. Disabled records are left out;
  // a record's previous token works until previous_token_expires_at.
  // INVALID_ARGUMENT, changing nothing, when two records share an id, a
  // token hash or a certificate name.
  absl::Status Replace(const std::vector<hirs::store::v1::StoredPrincipal>& records);

  // The enabled principal holding `token` at `now`; UNAUTHENTICATED otherwise.
  absl::StatusOr<Principal> Authenticate(absl::string_view token, absl::Time now = absl::Now()) const;

  // The enabled principal one of whose cert_names is among `names` (the
  // SAN URIs and DNS names and the CN of a client certificate the TLS layer
  // verified); UNAUTHENTICATED otherwise.
  absl::StatusOr<Principal> AuthenticateCertificate(const std::vector<std::string>& names) const;

  // Enabled principals.
  size_t size() const;

 private:
  struct Holder {
    Principal principal;
    absl::Time expires = absl::InfiniteFuture();  // a rotated-out token's end
  };
  struct Snapshot {
    // Lower-case hex SHA-256 of a token -> its holder.
    absl::flat_hash_map<std::string, Holder> by_token_hash;
    // Certificate name -> principal.
    absl::flat_hash_map<std::string, Principal> by_cert_name;
    size_t enabled = 0;
  };
  PrincipalRegistry() = default;
  std::shared_ptr<const Snapshot> snapshot() const;

  mutable absl::Mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_ ABSL_GUARDED_BY(mu_) = std::make_shared<Snapshot>();
};

// Lower-case hex SHA-256 of a token, as stored in the principals file.
std::string TokenSha256Hex(absl::string_view token);

}  // namespace hirs::auth

#endif  // HIRS_SERVICES_AUTH_PRINCIPALS_H_
