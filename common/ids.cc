#include "common/ids.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

#include "absl/strings/match.h"

namespace hirs {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

}  // namespace

std::string NewId(absl::string_view prefix, absl::Time now) {
  // Monotonic, as ULIDs allow: within one millisecond (or if the clock steps
  // back) the next id is the last one plus 1, so ids sort in creation order.
  static absl::Mutex mu(absl::kConstInit);
  static unsigned char last[16] ABSL_GUARDED_BY(mu) = {0};
  static uint64_t last_ms ABSL_GUARDED_BY(mu) = 0;
  unsigned char bytes[16];
  const int64_t now_ms = absl::ToUnixMillis(now);
  const uint64_t ms = now_ms < 0 ? 0 : static_cast<uint64_t>(now_ms);
  {
    absl::MutexLock lock(&mu);
    if (ms > last_ms) {
      last_ms = ms;
      for (int i = 0; i < 6; ++i) last[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
      if (RAND_bytes(last + 6, 10) != 1) std::abort();  // the CSPRNG failing is not recoverable
      last[6] &= 0x7f;                                  // room to count up within the millisecond
    } else {
      for (int i = 15; i >= 0 && ++last[i] == 0; --i) {
      }
    }
    std::copy(last, last + 16, bytes);
  }
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
