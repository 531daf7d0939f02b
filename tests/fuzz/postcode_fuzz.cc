// libFuzzer target: the UK postcode parser on arbitrary text. A postcode it
// accepts must come back in canonical form, parse again to the same thing,
// and yield a sector that is a prefix of it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "services/intake/postcode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string raw(reinterpret_cast<const char*>(data), size);
  (void)hirs::intake::ParsePostcode(raw);
  const auto canonical = hirs::intake::CanonicalPostcode(raw);
  if (!canonical.has_value()) return 0;
  const auto again = hirs::intake::CanonicalPostcode(*canonical);
  if (!again.has_value() || *again != *canonical) __builtin_trap();
  const std::string sector = hirs::intake::PostcodeSector(*canonical);
  if (!absl::StartsWith(*canonical, sector)) __builtin_trap();
  return 0;
}
