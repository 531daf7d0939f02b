// MatchFeatures: the normalised fields the matcher compares, derived from a
// validated report and its NormalisedFields.
#ifndef HIRS_SERVICES_COLLATION_FEATURES_H_
#define HIRS_SERVICES_COLLATION_FEATURES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/types.pb.h"

namespace hirs::collation {

// Size of description MinHash signatures.
inline constexpr int kMinHashSize = 24;

// The features of `report`; `normalised` supplies the folded name, postcode
// parts and district. `centre` is the submitting principal's id.
hirs::store::v1::MatchFeatures FeaturesOf(const hirs::v1::Report& report,
                                          const hirs::store::v1::NormalisedFields& normalised,
                                          absl::string_view centre);

// Splits a folded name into given name (first word) and surname (last word);
// a single word is taken as the surname.
void SplitName(absl::string_view folded, std::string* given, std::string* surname);

// The content words of a description: case-folded words of three or more
// letters that are not common English function words, deduplicated.
std::vector<std::string> ContentWords(absl::string_view description);

}  // namespace hirs::collation

#endif  // HIRS_SERVICES_COLLATION_FEATURES_H_
