// Removal of a report's personal data while every statistical fact stays:
// what non-crime incident retention (services/retention/) and intake (a
// school-related report joining a non-crime incident) and the police's
// UpdateCase (a case becoming one) all do the same way. Personal data is
// what auth/redaction.h says it is, with what collation derived from it
// (auth::ClearPersonalData, Collator::Forget).
#ifndef HIRS_SERVICES_RECORDS_PERSONAL_DATA_H_
#define HIRS_SERVICES_RECORDS_PERSONAL_DATA_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hirs/store/v1/records.pb.h"
#include "services/collation/collator.h"
#include "storage/store.h"

namespace hirs::records {

// Clears what identifies the victim of a stored report and of its earlier
// versions (auth::ClearIdentity) and what normalisation derived from it:
// what an anonymous report must not carry.
void ClearStoredIdentity(hirs::store::v1::StoredReport* stored);

// Clears the personal data of a stored report and of its earlier versions
// (auth::ClearPersonalData, and the victim's name and date of birth
// normalisation derived) and
// stamps personal_data_removed_at with `now`.
void ClearStoredReport(absl::Time now, hirs::store::v1::StoredReport* stored);

// The report's etag (Report.etag): a digest of the report as stored
// (its list of versions, consent changes and withdrawal included), so any
// change to it changes the etag.
std::string ReportEtag(const hirs::store::v1::StoredReport& stored);

// Adds to `batch` the removal of the personal data of `remove` (reports of
// case `after`, read from `store`), marking them and the case: the reports
// redacted, the collator's features and fingerprints forgotten, and the
// case's personal_data_removed_at stamped (`after` changes; the caller
// writes it with PutCase). Returns how many reports changed (reports
// already without personal data are skipped).
absl::StatusOr<int> RemovePersonalData(const storage::Store& store, const collation::Collator& collator,
                                       const std::vector<std::string>& remove, absl::Time now,
                                       hirs::store::v1::StoredCase* after, storage::WriteBatch* batch);

// The school-related reports of `c` that still hold personal data.
absl::StatusOr<std::vector<std::string>> SchoolReportsToClear(const storage::Store& store,
                                                              const hirs::store::v1::StoredCase& c);

}  // namespace hirs::records

#endif  // HIRS_SERVICES_RECORDS_PERSONAL_DATA_H_
