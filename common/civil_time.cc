#include "common/civil_time.h"

#include "common/log.h"

namespace hirs {

const absl::TimeZone& UkTimeZone() {
  static const absl::TimeZone* const zone = [] {
    auto* z = new absl::TimeZone;
    if (!absl::LoadTimeZone("Europe/London", z)) {
      LogWarning("time zone Europe/London not found (install tzdata); using UTC");
      *z = absl::UTCTimeZone();
    }
    return z;
  }();
  return *zone;
}

std::string UkDay(absl::Time t) { return absl::FormatTime("%Y-%m-%d", t, UkTimeZone()); }

std::string UkMonth(absl::Time t) { return absl::FormatTime("%Y-%m", t, UkTimeZone()); }

bool ValidTimestamp(const google::protobuf::Timestamp& ts) {
  return ts.seconds() >= -62135596800LL && ts.seconds() <= 253402300799LL && ts.nanos() >= 0 && ts.nanos() <= 999999999;
}

absl::Time ToAbslTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t nanos = absl::ToUnixNanos(t);
  int64_t seconds = nanos / 1000000000;
  int64_t rem = nanos % 1000000000;
  if (rem < 0) {
    rem += 1000000000;
    --seconds;
  }
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(rem));
  return ts;
}

}  // namespace hirs
