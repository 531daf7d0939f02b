#include "common/utf8.h"

#include <unicode/utf8.h>

#include <cstdint>

namespace hirs {

bool IsValidUtf8(absl::string_view s) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(s.data());
  const int32_t length = static_cast<int32_t>(s.size());
  if (static_cast<size_t>(length) != s.size()) return false;  // over 2 GiB: not text we take
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) return false;
  }
  return true;
}

}  // namespace hirs
