// Minimal structured logging to stderr.
//
// CONTRACT: callers never pass personal data (names, contacts, dates of
// birth, addresses, descriptions) or report contents: log ids, codes and
// counts only.
#ifndef HIRS_COMMON_LOG_H_
#define HIRS_COMMON_LOG_H_

#include "absl/strings/string_view.h"

namespace hirs {

enum class LogLevel { kInfo, kWarning, kError };

// Writes one line "<UTC time> <I|W|E> <message>" to stderr. Thread safe.
void Log(LogLevel level, absl::string_view message);

inline void LogInfo(absl::string_view message) { Log(LogLevel::kInfo, message); }
inline void LogWarning(absl::string_view message) { Log(LogLevel::kWarning, message); }
inline void LogError(absl::string_view message) { Log(LogLevel::kError, message); }

}  // namespace hirs

#endif  // HIRS_COMMON_LOG_H_
