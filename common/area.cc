#include "common/area.h"

namespace hirs {

const absl::flat_hash_set<std::string>* ForceAreaDistricts(absl::string_view force_area) {
  static const auto* const leicestershire = new absl::flat_hash_set<std::string>{
      "E07000129",  // Blaby
      "E07000130",  // Charnwood
      "E07000131",  // Harborough
      "E07000132",  // Hinckley and Bosworth
      "E07000133",  // Melton
      "E07000134",  // North West Leicestershire
      "E07000135",  // Oadby and Wigston
      "E06000016",  // Leicester
      "E06000017",  // Rutland
  };
  return force_area == kLeicestershireForceArea ? leicestershire : nullptr;
}

const absl::flat_hash_set<std::string>& LeicestershireAreaCodes() {
  return *ForceAreaDistricts(kLeicestershireForceArea);
}

bool IsAreaDistrictCode(absl::string_view code) { return LeicestershireAreaCodes().contains(std::string(code)); }

}  // namespace hirs
