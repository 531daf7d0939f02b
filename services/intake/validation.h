// Intake validation: every rule a submitted report must meet. Pure functions
// of the request and the time; no I/O.
#ifndef HIRS_SERVICES_INTAKE_VALIDATION_H_
#define HIRS_SERVICES_INTAKE_VALIDATION_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/bad_request.h"
#include "hirs/v1/reporting_service.pb.h"

namespace hirs::intake {

// Size bounds, in bytes of UTF-8.
inline constexpr size_t kMaxRequestIdBytes = 128;
inline constexpr size_t kMaxSourceReferenceBytes = 128;
inline constexpr size_t kMaxDescriptionBytes = 20000;
inline constexpr size_t kMaxPlaceDescriptionBytes = 1000;
inline constexpr size_t kMaxOnlinePlatformBytes = 200;
inline constexpr size_t kMaxNameBytes = 200;
inline constexpr size_t kMaxShortTextBytes = 64;
inline constexpr size_t kMaxPhoneBytes = 32;
inline constexpr size_t kMaxEmailBytes = 254;
inline constexpr size_t kMaxAddressBytes = 500;
inline constexpr int kMaxRepeatedEnums = 16;
// Reports may be stamped a little ahead of the server's clock.
inline constexpr absl::Duration kAllowedClockSkew = absl::Minutes(5);

// Every problem of `request`, each naming its field path from the request
// ("report.location.postcode"). Empty: the request may be stored.
std::vector<FieldViolation> ValidateSubmitRequest(const hirs::v1::SubmitReportRequest& request, absl::Time now);

}  // namespace hirs::intake

#endif  // HIRS_SERVICES_INTAKE_VALIDATION_H_
