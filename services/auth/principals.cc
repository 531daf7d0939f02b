#include "services/auth/principals.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/area.h"
#include "common/civil_time.h"
#include "google/protobuf/util/json_util.h"
#include "hirs/config/v1/config.pb.h"

namespace hirs::auth {
namespace {

bool IsTokenHash(absl::string_view hash) {
  if (hash.size() != 64) return false;
  for (char c : hash) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string TokenSha256Hex(absl::string_view token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), sizeof(digest)));
}

bool IsPrincipalId(absl::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != ':') {
      return false;
    }
  }
  return true;
}

std::optional<FieldViolation> PrincipalProblem(const hirs::v1::Principal& p) {
  if (p.id().empty()) return FieldViolation{"id", "id is required"};
  if (p.id().size() > 128) return FieldViolation{"id", "id is longer than 128 bytes"};
  if (!IsPrincipalId(p.id())) return FieldViolation{"id", "id may hold only letters, digits and . _ - :"};
  if (p.role() == hirs::v1::ROLE_UNSPECIFIED || !hirs::v1::Role_IsValid(p.role())) {
    return FieldViolation{"role", "role is required: REPORTING_CENTRE, POLICE, DISTRICT or ADMIN"};
  }
  if ((p.role() == hirs::v1::REPORTING_CENTRE || p.role() == hirs::v1::DISTRICT) && p.scope().empty()) {
    return FieldViolation{"scope", "scope is required (the centre id, or the district's GSS code)"};
  }
  if (p.scope().size() > 128) return FieldViolation{"scope", "scope is longer than 128 bytes"};
  if (!p.token_sha256().empty() && !IsTokenHash(p.token_sha256())) {
    return FieldViolation{"token_sha256", "token_sha256 must be the 64 hex digits of the token's SHA-256"};
  }
  if (p.display_name().size() > 200) return FieldViolation{"display_name", "display_name is longer than 200 bytes"};
  if (p.cert_names_size() > 16) return FieldViolation{"cert_names", "more than 16 cert_names"};
  for (const std::string& name : p.cert_names()) {
    if (name.empty() || name.size() > 256) {
      return FieldViolation{"cert_names", "cert_names holds an empty name or one longer than 256 bytes"};
    }
  }
  return std::nullopt;
}

std::optional<FieldViolation> ScopeProblem(const hirs::v1::Principal& p, absl::string_view force_area) {
  switch (p.role()) {
    case hirs::v1::POLICE:
      if (p.scope() == force_area) return std::nullopt;
      return FieldViolation{"scope", absl::StrCat("a POLICE principal's scope is the GSS code of the police force "
                                                  "area this deployment serves (\"",
                                                  force_area, "\"), not \"", p.scope(), "\"")};
    case hirs::v1::DISTRICT: {
      const auto* districts = ForceAreaDistricts(force_area);
      if (districts != nullptr && districts->contains(p.scope())) return std::nullopt;
      return FieldViolation{"scope",
                            absl::StrCat("\"", p.scope(), "\" is not a district of police force area ", force_area,
                                         ", which this deployment serves: give the GSS code of "
                                         "one of its districts (e.g. E07000130 for Charnwood)")};
    }
    case hirs::v1::ADMIN:
      if (p.scope().empty()) return std::nullopt;
      return FieldViolation{"scope", "an ADMIN principal has no scope: leave it empty"};
    default:
      return std::nullopt;
  }
}

absl::StatusOr<std::vector<hirs::store::v1::StoredPrincipal>> ParsePrincipalsFile(absl::string_view json) {
  hirs::config::v1::PrincipalsFile file;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto parsed = google::protobuf::util::JsonStringToMessage(std::string(json), &file, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("principals file: ", parsed.message().as_string()));
  }
  std::vector<hirs::store::v1::StoredPrincipal> out;
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < file.principals_size(); ++i) {
    hirs::v1::Principal p = file.principals(i);
    auto bad = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat("principals file: principals[", i, "] (", p.id().empty() ? "no id" : p.id(), "): ", what));
    };
    p.set_token_sha256(absl::AsciiStrToLower(p.token_sha256()));
    if (auto problem = PrincipalProblem(p)) return bad(problem->description);
    if (!ids.insert(p.id()).second) return bad("duplicate id");
    if (p.token_sha256().empty() && p.cert_names_size() == 0) {
      return bad("token_sha256 must be the 64 hex digits of the token's SHA-256 (or give cert_names only)");
    }
    if (!p.source().empty() || p.has_token_issued_at() || p.has_previous_token_expires_at()) {
      return bad("source, token_issued_at and previous_token_expires_at are set by the server, not the file");
    }
    p.set_source("file");
    hirs::store::v1::StoredPrincipal record;
    *record.mutable_principal() = std::move(p);
    out.push_back(std::move(record));
  }
  // Duplicate credentials are found by building a registry of them.
  auto registry = PrincipalRegistry::FromRecords(out);
  if (!registry.ok()) return absl::InvalidArgumentError(absl::StrCat("principals file: ", registry.status().message()));
  return out;
}

absl::StatusOr<std::vector<hirs::store::v1::StoredPrincipal>> LoadPrincipalsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open principals file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParsePrincipalsFile(buffer.str());
}

absl::StatusOr<std::unique_ptr<PrincipalRegistry>> PrincipalRegistry::FromRecords(
    const std::vector<hirs::store::v1::StoredPrincipal>& records) {
  std::unique_ptr<PrincipalRegistry> registry(new PrincipalRegistry);
  absl::Status replaced = registry->Replace(records);
  if (!replaced.ok()) return replaced;
  return registry;
}

absl::StatusOr<std::unique_ptr<PrincipalRegistry>> PrincipalRegistry::FromJson(absl::string_view json) {
  auto records = ParsePrincipalsFile(json);
  if (!records.ok()) return records.status();
  return FromRecords(*records);
}

absl::StatusOr<std::unique_ptr<PrincipalRegistry>> PrincipalRegistry::LoadFile(const std::string& path) {
  auto records = LoadPrincipalsFile(path);
  if (!records.ok()) return records.status();
  return FromRecords(*records);
}

absl::Status PrincipalRegistry::Replace(const std::vector<hirs::store::v1::StoredPrincipal>& records) {
  auto next = std::make_shared<Snapshot>();
  absl::flat_hash_set<std::string> ids;
  for (size_t i = 0; i < records.size(); ++i) {
    const hirs::v1::Principal& p = records[i].principal();
    auto bad = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("principals[", i, "] (", p.id(), "): ", what));
    };
    if (!ids.insert(p.id()).second) return bad("duplicate id");
    if (p.disabled()) continue;
    const Principal principal{p.id(), p.role(), p.scope()};
    ++next->enabled;
    auto add_token = [&](const std::string& hash, absl::Time expires) -> absl::Status {
      if (hash.empty()) return absl::OkStatus();
      if (!next->by_token_hash.emplace(absl::AsciiStrToLower(hash), Holder{principal, expires}).second) {
        return bad("token_sha256 is used by another principal");
      }
      return absl::OkStatus();
    };
    if (absl::Status s = add_token(p.token_sha256(), absl::InfiniteFuture()); !s.ok()) return s;
    if (p.has_previous_token_expires_at()) {
      absl::Status s = add_token(records[i].previous_token_sha256(), ToAbslTime(p.previous_token_expires_at()));
      if (!s.ok()) return s;
    }
    for (const std::string& name : p.cert_names()) {
      if (!next->by_cert_name.emplace(name, principal).second) {
        return bad(absl::StrCat("cert name \"", name, "\" is used by another principal"));
      }
    }
  }
  absl::MutexLock lock(&mu_);
  snapshot_ = std::move(next);
  return absl::OkStatus();
}

std::shared_ptr<const PrincipalRegistry::Snapshot> PrincipalRegistry::snapshot() const {
  absl::MutexLock lock(&mu_);
  return snapshot_;
}

size_t PrincipalRegistry::size() const { return snapshot()->enabled; }

absl::StatusOr<Principal> PrincipalRegistry::AuthenticateCertificate(const std::vector<std::string>& names) const {
  const std::shared_ptr<const Snapshot> s = snapshot();
  for (const std::string& name : names) {
    auto it = s->by_cert_name.find(name);
    if (it != s->by_cert_name.end()) return it->second;
  }
  return absl::UnauthenticatedError(
      "the client certificate names no known principal (its SAN URI, DNS name or CN must be one of a "
      "principal's cert_names); or send \"authorization: Bearer <token>\"");
}

absl::StatusOr<Principal> PrincipalRegistry::Authenticate(absl::string_view token, absl::Time now) const {
  const auto unauthenticated =
      absl::UnauthenticatedError("a valid bearer token is required: send metadata \"authorization: Bearer <token>\"");
  if (token.empty()) return unauthenticated;
  const std::string hash = TokenSha256Hex(token);
  const std::shared_ptr<const Snapshot> s = snapshot();
  auto it = s->by_token_hash.find(hash);
  // The map is keyed by the hash, so look-up time says nothing about the
  // token; the comparison below is constant time all the same.
  if (it == s->by_token_hash.end() || CRYPTO_memcmp(it->first.data(), hash.data(), hash.size()) != 0 ||
      now >= it->second.expires) {
    return unauthenticated;
  }
  return it->second.principal;
}

}  // namespace hirs::auth
