#include "services/auth/principals.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "hirs/config/v1/config.pb.h"

namespace hirs::auth {

std::string TokenSha256Hex(absl::string_view token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), sizeof(digest)));
}

absl::StatusOr<std::unique_ptr<PrincipalRegistry>> PrincipalRegistry::FromJson(absl::string_view json) {
  hirs::config::v1::PrincipalsFile file;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto parsed = google::protobuf::util::JsonStringToMessage(std::string(json), &file, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("principals file: ", parsed.message().as_string()));
  }
  std::unique_ptr<PrincipalRegistry> registry(new PrincipalRegistry);
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < file.principals_size(); ++i) {
    const auto& p = file.principals(i);
    auto bad = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("principals file: principals[", i, "] (",
                                                     p.id().empty() ? "no id" : p.id(), "): ", what));
    };
    if (p.id().empty()) return bad("id is required");
    if (!ids.insert(p.id()).second) return bad("duplicate id");
    if (p.role() == hirs::v1::ROLE_UNSPECIFIED) {
      return bad("role is required: REPORTING_CENTRE, POLICE, DISTRICT or ADMIN");
    }
    if ((p.role() == hirs::v1::REPORTING_CENTRE || p.role() == hirs::v1::DISTRICT) && p.scope().empty()) {
      return bad("scope is required (the centre id, or the district's GSS code)");
    }
    const std::string hash = absl::AsciiStrToLower(p.token_sha256());
    bool hex = hash.size() == 64;
    for (char c : hash) hex = hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
    if (!hex && !(hash.empty() && p.cert_names_size() > 0)) {
      return bad("token_sha256 must be the 64 hex digits of the token's SHA-256 (or give cert_names only)");
    }
    if (p.disabled()) continue;
    const Principal principal{p.id(), p.role(), p.scope()};
    if (!hash.empty()) {
      if (registry->by_token_hash_.contains(hash)) return bad("token_sha256 is used by another principal");
      registry->by_token_hash_[hash] = principal;
    }
    for (const std::string& name : p.cert_names()) {
      if (name.empty()) return bad("cert_names holds an empty name");
      if (!registry->by_cert_name_.emplace(name, principal).second) {
        return bad(absl::StrCat("cert name \"", name, "\" is used by another principal"));
      }
    }
  }
  return registry;
}

absl::StatusOr<std::unique_ptr<PrincipalRegistry>> PrincipalRegistry::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open principals file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return FromJson(buffer.str());
}

absl::StatusOr<Principal> PrincipalRegistry::AuthenticateCertificate(
    const std::vector<std::string>& names) const {
  for (const std::string& name : names) {
    auto it = by_cert_name_.find(name);
    if (it != by_cert_name_.end()) return it->second;
  }
  return absl::UnauthenticatedError(
      "the client certificate names no known principal (its SAN URI, DNS name or CN must be one of a "
      "principal's cert_names); or send \"authorization: Bearer <token>\"");
}

absl::StatusOr<Principal> PrincipalRegistry::Authenticate(absl::string_view token) const {
  const auto unauthenticated = absl::UnauthenticatedError(
      "a valid bearer token is required: send metadata \"authorization: Bearer <token>\"");
  if (token.empty()) return unauthenticated;
  const std::string hash = TokenSha256Hex(token);
  auto it = by_token_hash_.find(hash);
  // The map is keyed by the hash, so look-up time says nothing about the
  // token; the comparison below is constant time all the same.
  if (it == by_token_hash_.end() || CRYPTO_memcmp(it->first.data(), hash.data(), hash.size()) != 0) {
    return unauthenticated;
  }
  return it->second;
}

}  // namespace hirs::auth
