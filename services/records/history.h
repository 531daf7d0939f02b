// The history of district extracts. Every write of a case (case_records.h)
// goes through RecordCaseChange, which keeps its index entries and appends
// a version of its extract row to the `extracts` family whenever the row changes, so that
// an extract can be read exactly as it stood at any time since the history
// began (merges, splits, status changes and retention runs never rewrite a
// version; they append new ones).
//
// A case's row belongs to its district and to the UK month of its
// occurred_start (an incident spanning months counts in the month it
// began). A case without a district (online, or a postcode outside the
// area) is in no district's extract.
#ifndef HIRS_SERVICES_RECORDS_HISTORY_H_
#define HIRS_SERVICES_RECORDS_HISTORY_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/extract_service.pb.h"
#include "storage/store.h"

namespace hirs::records {

// The case's extract row without case_ref and change (those depend on who
// reads and when), or nullopt when the case has no district. No personal
// data: postcode sector only, age band only, no text.
std::optional<hirs::v1::ExtractRow> ExtractFacts(const hirs::store::v1::StoredCase& c);

// Adds to `batch` the index changes from `before` to `after` (either may be
// null: a new case, a case merged away) and, where the extract row changed,
// its new version stamped `now` (or just after before's last change, should
// the clock be behind it): a tombstone where the case left a district-month,
// the row where it entered or changed. REQUIRES: the caller holds the case's
// lock, so versions of one case are written in order.
void RecordCaseChange(const hirs::store::v1::StoredCase* before, const hirs::store::v1::StoredCase* after,
                      absl::Time now, storage::WriteBatch* batch);

// Since when extracts can be read as they stood (kExtractHistorySinceKey;
// the Unix epoch when unset).
absl::StatusOr<absl::Time> ExtractHistorySince(const storage::Store& store);

}  // namespace hirs::records

#endif  // HIRS_SERVICES_RECORDS_HISTORY_H_
