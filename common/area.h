// The police force areas this build knows and their districts: what a
// deployment may serve (DESIGN.md "Area"). GSS codes throughout.
#ifndef HIRS_COMMON_AREA_H_
#define HIRS_COMMON_AREA_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace hirs {

// Leicestershire Police: the seven districts of Leicestershire, Leicester
// and Rutland. A deployment serves it unless configured otherwise.
inline constexpr char kLeicestershireForceArea[] = "E23000021";

// The district and unitary authority codes of police force area
// `force_area`; nullptr for a force area this build does not know.
const absl::flat_hash_set<std::string>* ForceAreaDistricts(absl::string_view force_area);

// The districts of kLeicestershireForceArea: the seven districts of
// Leicestershire, Leicester and Rutland.
const absl::flat_hash_set<std::string>& LeicestershireAreaCodes();

// True for a code of LeicestershireAreaCodes().
bool IsAreaDistrictCode(absl::string_view code);

}  // namespace hirs

#endif  // HIRS_COMMON_AREA_H_
