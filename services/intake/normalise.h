// Normalisation of a validated report into the derived fields collation and
// statistics use: canonical postcodes, the district, folded names, UK days.
#ifndef HIRS_SERVICES_INTAKE_NORMALISE_H_
#define HIRS_SERVICES_INTAKE_NORMALISE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/types.pb.h"
#include "services/intake/postcode.h"

namespace hirs::intake {

// Derives NormalisedFields from `report`. The district comes from, in order:
// the location postcode (full or partial); location.district_code; for a
// report with no location postcode (online), the victim's postcode. When none gives one,
// district_code is empty and district_unresolved is set.
// REQUIRES: ValidateSubmitRequest accepted the report.
hirs::store::v1::NormalisedFields Normalise(const hirs::v1::Report& report, const DistrictRouter& router);

// A person's name folded for comparison: Unicode NFKC case folding (ICU),
// apostrophes dropped, other punctuation and runs of white space turned into
// one space, trimmed. "  O'Brien-SMITH " -> "obrien smith".
std::string FoldName(absl::string_view name);

}  // namespace hirs::intake

#endif  // HIRS_SERVICES_INTAKE_NORMALISE_H_
