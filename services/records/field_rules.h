// Rules for case fields that more than one area sets: the crime reference a
// centre gives with a report (intake) and the one police set on a case
// (cases), and the filters that search by it.
#ifndef HIRS_SERVICES_RECORDS_FIELD_RULES_H_
#define HIRS_SERVICES_RECORDS_FIELD_RULES_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace hirs::records {

inline constexpr size_t kMaxCrimeReferenceBytes = 64;

// What is wrong with a crime reference (length, characters), or "" when it
// is acceptable.
std::string CrimeReferenceProblem(absl::string_view reference);

// A crime reference in upper case without spaces: the form stored and
// searched.
std::string NormaliseCrimeReference(absl::string_view reference);

}  // namespace hirs::records

#endif  // HIRS_SERVICES_RECORDS_FIELD_RULES_H_
