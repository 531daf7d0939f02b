// libFuzzer target: a serialized SubmitReportRequest through validation
// and, when it passes, normalisation and district routing — what intake
// does with bytes from the network before anything is stored.
#include <cstddef>
#include <cstdint>

#include "hirs/v1/reporting_service.pb.h"
#include "services/intake/normalise.h"
#include "services/intake/postcode.h"
#include "services/intake/validation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* const router = hirs::intake::DistrictRouter::LeicestershireDefault().release();
  static const absl::Time now = absl::FromUnixSeconds(1790000000);
  hirs::v1::SubmitReportRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  const auto violations = hirs::intake::ValidateSubmitRequest(request, now);
  for (const auto& v : violations) {
    if (v.field.empty() || v.description.empty()) __builtin_trap();  // every violation names a field and a fix
  }
  if (violations.empty()) (void)hirs::intake::Normalise(request.report(), *router);
  return 0;
}
