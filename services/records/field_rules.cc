#include "services/records/field_rules.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace hirs::records {

std::string CrimeReferenceProblem(absl::string_view reference) {
  if (reference.size() > kMaxCrimeReferenceBytes) {
    return absl::StrCat("is ", reference.size(), " bytes long; at most ", kMaxCrimeReferenceBytes, " are allowed");
  }
  for (char ch : reference) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '/' && ch != '-' && ch != ' ') {
      return "may hold only letters, digits, spaces, '/' and '-'";
    }
  }
  return "";
}

std::string NormaliseCrimeReference(absl::string_view reference) {
  std::string out;
  for (char c : reference) {
    if (c != ' ') out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace hirs::records
