#include "services/intake/normalise.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "absl/strings/ascii.h"
#include "common/civil_time.h"
#include "services/records/field_rules.h"

namespace hirs::intake {

std::string FoldName(absl::string_view name) {
  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(error);
  icu::UnicodeString folded;
  const icu::UnicodeString input =
      icu::UnicodeString::fromUTF8(icu::StringPiece(name.data(), static_cast<int32_t>(name.size())));
  if (U_SUCCESS(error)) folded = nfkc_cf->normalize(input, error);
  if (U_FAILURE(error)) folded = icu::UnicodeString(input).foldCase();

  icu::UnicodeString cleaned;
  bool pending_space = false;
  for (int32_t i = 0; i < folded.length();) {
    const UChar32 cp = folded.char32At(i);
    i += U16_LENGTH(cp);
    if (cp == '\'' || cp == 0x2019 /* ’ */) continue;
    if (u_isUWhiteSpace(cp) || u_ispunct(cp)) {
      pending_space = cleaned.length() > 0;
      continue;
    }
    if (pending_space) cleaned.append(static_cast<UChar>(' '));
    pending_space = false;
    cleaned.append(cp);
  }
  std::string out;
  cleaned.toUTF8String(out);
  return out;
}

hirs::store::v1::NormalisedFields Normalise(const hirs::v1::Report& report, const DistrictRouter& router) {
  hirs::store::v1::NormalisedFields n;
  const auto& loc = report.location();
  const std::optional<PostcodeParts> parts = ParsePostcode(loc.postcode());
  if (parts.has_value()) {
    n.set_postcode(parts->unit);
    n.set_postcode_sector(parts->sector);
    n.set_postcode_outward(parts->outward);
    n.set_district_code(router.Route(*parts));
  }
  if (n.district_code().empty() && !loc.district_code().empty()) {
    n.set_district_code(loc.district_code());
  }
  if (n.district_code().empty() && !parts.has_value()) {
    if (auto home = ParsePostcode(report.victim().postcode())) n.set_district_code(router.Route(*home));
  }
  n.set_district_unresolved(n.district_code().empty());
  n.set_victim_name(FoldName(report.victim().full_name()));
  n.set_victim_date_of_birth(report.victim().date_of_birth());
  n.set_occurred_day(UkDay(ToAbslTime(report.occurred_start())));
  n.set_crime_reference(records::NormaliseCrimeReference(report.crime_reference()));
  return n;
}

}  // namespace hirs::intake
