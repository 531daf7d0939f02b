// Field-level redaction of reports by the reader's role and the victim's
// consent: the one place that decides which personal data a caller sees.
//
// Personal data of a report: the victim's name, date of birth, phone,
// e-mail, address and home postcode, and the free text (the description and
// the place in words), which often names people.
//
//   REPORTING_CENTRE  its centre's reports as submitted, to every person
//                     and system of the centre (its scope); none of another
//                     centre's
//   POLICE            personal data only where consent.share_with_police is
//                     set and the report is not anonymous; otherwise none
//   DISTRICT, ADMIN   never any personal data
//
// What stays for every role: ids, provenance (centre, received time, source
// reference), reporter role, motivations, incident types, times, the place
// (postcode, type, district, platform), the victim's age band, gender and
// ethnicity (needed for hate crime statistics), consent flags, school
// relation and crime reference.
#ifndef HIRS_SERVICES_AUTH_REDACTION_H_
#define HIRS_SERVICES_AUTH_REDACTION_H_

#include "absl/strings/string_view.h"
#include "hirs/v1/types.pb.h"
#include "services/auth/principals.h"

namespace hirs::auth {

// Whether `reader` may see the personal data of `report`.
bool MaySeePersonalData(const Principal& reader, const hirs::v1::Report& report);

// Clears the personal data of `report` unless `reader` may see it.
void RedactReport(const Principal& reader, hirs::v1::Report* report);

// Clears what identifies the victim: name, date of birth, phone, e-mail,
// address and home postcode (what an anonymous report must not carry).
void ClearIdentity(hirs::v1::Victim* victim);

// Clears every personal field of `report`, whoever reads it.
void ClearPersonalData(hirs::v1::Report* report);

// Whether a collation comparison of `field` (FieldComparison.field) compares
// personal data: its level ("exact", "disagree") tells what the values are.
bool IsPersonalComparison(absl::string_view field);

// Removes from `explanation` the comparisons of personal fields unless
// `reader` may see the personal data of both reports compared: `subject`
// (explanation.report_id) and `compared` (explanation.compared_report_id).
// Either may be null when it is not stored or not known (explanations from
// before compared_report_id), which counts as a report the reader may not
// see.
void RedactExplanation(const Principal& reader, const hirs::v1::Report* subject, const hirs::v1::Report* compared,
                       hirs::v1::CollationExplanation* explanation);

}  // namespace hirs::auth

#endif  // HIRS_SERVICES_AUTH_REDACTION_H_
