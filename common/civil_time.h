// The UK civil calendar (Europe/London), in which incidents are counted: an
// incident at 00:30 BST on 1 October belongs to October although it is still
// 30 September in UTC.
#ifndef HIRS_COMMON_CIVIL_TIME_H_
#define HIRS_COMMON_CIVIL_TIME_H_

#include <string>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace hirs {

// Europe/London, loaded once from the system zoneinfo; UTC if unavailable.
const absl::TimeZone& UkTimeZone();

// "YYYY-MM-DD" of `t` in the UK.
std::string UkDay(absl::Time t);
// "YYYY-MM" of `t` in the UK.
std::string UkMonth(absl::Time t);

// Whether `ts` is in the range of RFC 3339 (0001-01-01 to 9999-12-31)
// with nanos in [0, 1e9).
bool ValidTimestamp(const google::protobuf::Timestamp& ts);
absl::Time ToAbslTime(const google::protobuf::Timestamp& ts);
google::protobuf::Timestamp ToTimestamp(absl::Time t);

}  // namespace hirs

#endif  // HIRS_COMMON_CIVIL_TIME_H_
