// Whether text is well-formed UTF-8, as protobuf's string fields must be.
#ifndef HIRS_COMMON_UTF8_H_
#define HIRS_COMMON_UTF8_H_

#include "absl/strings/string_view.h"

namespace hirs {

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates,
// truncated sequences or code points above U+10FFFF), by ICU's decoder.
bool IsValidUtf8(absl::string_view s);

}  // namespace hirs

#endif  // HIRS_COMMON_UTF8_H_
