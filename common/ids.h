// Identifiers: a prefix and a ULID (48-bit millisecond time, 80 random bits
// from OpenSSL's CSPRNG, Crockford base32). Ids sort by creation time and
// cannot be guessed.
#ifndef HIRS_COMMON_IDS_H_
#define HIRS_COMMON_IDS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hirs {

// e.g. NewId("rpt_", now) -> "rpt_01JD5X9Q4ZK8M2N6P7R3S5T0VW". Thread safe.
// Monotonic within the process: each id sorts after every id made before
// it (in the same millisecond the random part counts up by one), so id order
// is creation order.
std::string NewId(absl::string_view prefix, absl::Time now);

// True when `id` is `prefix` followed by 26 Crockford base32 characters.
bool IsWellFormedId(absl::string_view prefix, absl::string_view id);

}  // namespace hirs

#endif  // HIRS_COMMON_IDS_H_
