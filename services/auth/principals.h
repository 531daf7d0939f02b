// Principals (calling systems), their bearer tokens and certificate names.
// Only SHA-256 hashes of tokens are held. What each may call: access.h.
#ifndef HIRS_SERVICES_AUTH_PRINCIPALS_H_
#define HIRS_SERVICES_AUTH_PRINCIPALS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hirs/v1/types.pb.h"

namespace hirs::auth {

struct Principal {
  std::string id;
  hirs::v1::Role role = hirs::v1::ROLE_UNSPECIFIED;
  std::string scope;  // centre id, district GSS code, or force area
};

// Immutable after loading; thread safe.
class PrincipalRegistry {
 public:
  // Parses the principals file (DESIGN.md "Operational contract"):
  // {"principals": [{"id", "role", "scope", "token_sha256"}, ...]}.
  // INVALID_ARGUMENT naming the entry at fault for unknown fields, a missing
  // id or role, a duplicate id or token, a hash that is not 64 hex digits, or
  // a DISTRICT or REPORTING_CENTRE without a scope.
  static absl::StatusOr<std::unique_ptr<PrincipalRegistry>> FromJson(absl::string_view json);
  static absl::StatusOr<std::unique_ptr<PrincipalRegistry>> LoadFile(const std::string& path);

  // The enabled principal holding `token`; UNAUTHENTICATED otherwise.
  absl::StatusOr<Principal> Authenticate(absl::string_view token) const;

  // The enabled principal one of whose cert_names is among `names` (the
  // SAN URIs and DNS names and the CN of a client certificate the TLS layer
  // verified); UNAUTHENTICATED otherwise.
  absl::StatusOr<Principal> AuthenticateCertificate(const std::vector<std::string>& names) const;

  size_t size() const { return by_token_hash_.size(); }

 private:
  PrincipalRegistry() = default;
  // Lower-case hex SHA-256 of the token -> principal.
  absl::flat_hash_map<std::string, Principal> by_token_hash_;
  // Certificate name -> principal.
  absl::flat_hash_map<std::string, Principal> by_cert_name_;
};

// Lower-case hex SHA-256 of a token, as stored in the principals file.
std::string TokenSha256Hex(absl::string_view token);


}  // namespace hirs::auth

#endif  // HIRS_SERVICES_AUTH_PRINCIPALS_H_
