#include "services/auth/redaction.h"

#include <algorithm>
#include <iterator>

namespace hirs::auth {

bool MaySeePersonalData(const Principal& reader, const hirs::v1::Report& report) {
  switch (reader.role) {
    case hirs::v1::REPORTING_CENTRE:
      return report.reporting_centre() == reader.scope;  // the centre's, whoever of it reads
    case hirs::v1::POLICE:
      return report.consent().share_with_police() && !report.consent().anonymous();
    default:
      return false;
  }
}

void ClearIdentity(hirs::v1::Victim* v) {
  v->clear_full_name();
  v->clear_date_of_birth();
  v->clear_phone();
  v->clear_email();
  v->clear_address();
  v->clear_postcode();
}

void ClearPersonalData(hirs::v1::Report* report) {
  ClearIdentity(report->mutable_victim());
  report->clear_description();
  report->mutable_location()->clear_description();
}

bool IsPersonalComparison(absl::string_view field) {
  // The fields of collation's model (services/collation/model.h) that come
  // from what ClearPersonalData clears; cases_test checks the list against
  // the model.
  static constexpr absl::string_view kPersonal[] = {"given_name", "surname",       "date_of_birth", "phone",
                                                    "email",      "home_postcode", "address",       "place_description",
                                                    "description"};
  return std::find(std::begin(kPersonal), std::end(kPersonal), field) != std::end(kPersonal);
}

void RedactExplanation(const Principal& reader, const hirs::v1::Report* subject, const hirs::v1::Report* compared,
                       hirs::v1::CollationExplanation* explanation) {
  if (subject != nullptr && compared != nullptr && MaySeePersonalData(reader, *subject) &&
      MaySeePersonalData(reader, *compared)) {
    return;
  }
  auto* comparisons = explanation->mutable_comparisons();
  comparisons->erase(std::remove_if(comparisons->begin(), comparisons->end(),
                                    [](const hirs::v1::FieldComparison& c) { return IsPersonalComparison(c.field()); }),
                     comparisons->end());
}

void RedactReport(const Principal& reader, hirs::v1::Report* report) {
  if (!MaySeePersonalData(reader, *report)) ClearPersonalData(report);
}

}  // namespace hirs::auth
