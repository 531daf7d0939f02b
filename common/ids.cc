#include "common/ids.h"

#include <openssl/rand.h>

#include <cstdint>

#include "absl/strings/match.h"

namespace hirs {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

}  // namespace

std::string NewId(absl::string_view prefix, absl::Time now) {
  unsigned char bytes[16];
  const uint64_t ms = static_cast<uint64_t>(absl::ToUnixMillis(now));
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  if (RAND_bytes(bytes + 6, 10) != 1) std::abort();  // the CSPRNG failing is not recoverable
  // 128 bits as 26 base32 digits (the first carries 3 bits).
  std::string out(prefix);
  int bit = -2;  // 26 * 5 = 130 bits: two leading zero bits
  for (int d = 0; d < 26; ++d) {
    int v = 0;
    for (int k = 0; k < 5; ++k, ++bit) {
      v <<= 1;
      if (bit >= 0) v |= (bytes[bit / 8] >> (7 - bit % 8)) & 1;
    }
    out.push_back(kCrockford[v]);
  }
  return out;
}

bool IsWellFormedId(absl::string_view prefix, absl::string_view id) {
  if (!absl::StartsWith(id, prefix) || id.size() != prefix.size() + 26) return false;
  for (char c : id.substr(prefix.size())) {
    if (absl::string_view(kCrockford).find(c) == absl::string_view::npos) return false;
  }
  return true;
}

}  // namespace hirs
