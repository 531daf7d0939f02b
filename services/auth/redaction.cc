#include "services/auth/redaction.h"

namespace hirs::auth {

bool MaySeePersonalData(const Principal& reader, const hirs::v1::Report& report) {
  switch (reader.role) {
    case hirs::v1::REPORTING_CENTRE:
      return report.reporting_centre() == reader.id;
    case hirs::v1::POLICE:
      return report.consent().share_with_police() && !report.consent().anonymous();
    default:
      return false;
  }
}

void ClearPersonalData(hirs::v1::Report* report) {
  hirs::v1::Victim* v = report->mutable_victim();
  v->clear_full_name();
  v->clear_date_of_birth();
  v->clear_phone();
  v->clear_email();
  v->clear_address();
  v->clear_postcode();
  report->clear_description();
  report->mutable_location()->clear_description();
}

void RedactReport(const Principal& reader, hirs::v1::Report* report) {
  if (!MaySeePersonalData(reader, *report)) ClearPersonalData(report);
}

}  // namespace hirs::auth
