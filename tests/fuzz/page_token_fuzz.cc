// libFuzzer target: page-token decoding on arbitrary text. Only a token the
// server signed for this scope may decode; anything else is
// INVALID_ARGUMENT. Tokens made here round-trip, whatever bytes the resume
// key holds (found by this target: the key was a proto3 string, so a
// non-UTF-8 key made a token that could not be read back).
#include <cstddef>
#include <cstdint>
#include <string>

#include "services/collation/keyed_hasher.h"
#include "services/query/page_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* const hasher = new hirs::collation::KeyedHasher(std::string(32, 'k'));
  static const absl::Time now = absl::FromUnixSeconds(1790000000);
  const std::string input(reinterpret_cast<const char*>(data), size);
  auto decoded = hirs::query::DecodePageToken(*hasher, "scope", input, now);
  if (decoded.ok()) __builtin_trap();  // forged: the fuzzer cannot know the key
  if (decoded.status().code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
  if (input.size() > 512) return 0;  // a resume key is short; longer tokens are refused as too long
  const std::string token = hirs::query::EncodePageToken(*hasher, "scope", input, now);
  auto round = hirs::query::DecodePageToken(*hasher, "scope", token, now);
  if (!round.ok() || *round != input) __builtin_trap();
  if (hirs::query::DecodePageToken(*hasher, "other scope", token, now).ok()) __builtin_trap();
  return 0;
}
