// libFuzzer target: the ListCases filter parser (AIP-160 subset) on
// arbitrary text: it must answer (a filter or INVALID_ARGUMENT naming a
// position), never crash, loop or recurse without bound.
#include <cstddef>
#include <cstdint>

#include "absl/strings/match.h"
#include "services/query/filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto filter = hirs::query::Filter::Parse(text);
  if (!filter.ok() && filter.status().code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
  return 0;
}
