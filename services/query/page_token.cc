#include "services/query/page_token.h"

#include <openssl/crypto.h>

#include "absl/strings/escaping.h"
#include "common/bad_request.h"
#include "hirs/store/v1/records.pb.h"

namespace hirs::query {
namespace {

constexpr size_t kMacBytes = 16;

std::string TokenMac(const collation::KeyedHasher& hasher, absl::string_view payload) {
  return hasher.Mac("page_token", {payload}).substr(0, kMacBytes);
}

absl::Status Refused(absl::string_view why) {
  return InvalidArgumentWithViolations(
      {{"page_token", absl::StrCat(why,
                                   "; pass the next_page_token of the previous call with the same filter, "
                                   "or start again without a page_token")}});
}

}  // namespace

std::string EncodePageToken(const collation::KeyedHasher& hasher, absl::string_view scope, absl::string_view after,
                            absl::Time now) {
  hirs::store::v1::PageToken t;
  t.set_after(std::string(after));
  t.set_issued_unix(absl::ToUnixSeconds(now));
  t.set_scope_sha256(collation::Sha256(scope));
  const std::string payload = t.SerializeAsString();
  std::string out;
  absl::WebSafeBase64Escape(payload + TokenMac(hasher, payload), &out);
  return out;
}

absl::StatusOr<std::string> DecodePageToken(const collation::KeyedHasher& hasher, absl::string_view scope,
                                            absl::string_view token, absl::Time now) {
  if (token.size() > 1024) return Refused("is too long to be a page token");
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() <= kMacBytes) return Refused("is not a page token");
  const absl::string_view payload = absl::string_view(raw).substr(0, raw.size() - kMacBytes);
  const std::string expected = TokenMac(hasher, payload);
  if (CRYPTO_memcmp(expected.data(), raw.data() + payload.size(), kMacBytes) != 0) {
    return Refused("is not a page token this service issued");
  }
  hirs::store::v1::PageToken t;
  if (!t.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return Refused("is not a page token");
  if (t.scope_sha256() != collation::Sha256(scope)) {
    return Refused("was issued for a different filter or caller");
  }
  if (now - absl::FromUnixSeconds(t.issued_unix()) > kPageTokenLifetime) return Refused("has expired");
  return t.after();
}

}  // namespace hirs::query
