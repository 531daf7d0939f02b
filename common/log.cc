#include "common/log.h"

#include <cstdio>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace hirs {

void Log(LogLevel level, absl::string_view message) {
  static absl::Mutex mu(absl::kConstInit);
  const char tag = level == LogLevel::kInfo ? 'I' : level == LogLevel::kWarning ? 'W' : 'E';
  const std::string now = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  absl::MutexLock lock(&mu);
  std::fprintf(stderr, "%s %c %.*s\n", now.c_str(), tag, static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

}  // namespace hirs
