// INVALID_ARGUMENT statuses that carry google.rpc.BadRequest field
// violations as an absl::Status payload. services/rpc turns payloads into
// gRPC error details, so domain code can name bad fields without gRPC.
#ifndef HIRS_COMMON_BAD_REQUEST_H_
#define HIRS_COMMON_BAD_REQUEST_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hirs {

inline constexpr char kBadRequestTypeUrl[] = "type.googleapis.com/google.rpc.BadRequest";

// The most a reason given for a change (a split, a withdrawal) may hold.
inline constexpr size_t kMaxReasonBytes = 1000;

struct FieldViolation {
  std::string field;        // path, e.g. "report.location.postcode"
  std::string description;  // what is wrong and how to put it right

  bool operator==(const FieldViolation& o) const { return field == o.field && description == o.description; }
};

// INVALID_ARGUMENT whose message lists every violation and whose payload is
// the serialized google.rpc.BadRequest. REQUIRES: !violations.empty().
absl::Status InvalidArgumentWithViolations(const std::vector<FieldViolation>& violations);

// The violations carried by `status` (empty if none).
std::vector<FieldViolation> FieldViolationsOf(const absl::Status& status);

}  // namespace hirs

#endif  // HIRS_COMMON_BAD_REQUEST_H_
