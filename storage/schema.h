// The on-disk schema version kept in kMeta under kSchemaVersionKey. Bump it
// when a stored encoding changes incompatibly and add the migration to the
// list in services/records/migrations.cc, which stamps this version once
// every migration ran.
#ifndef HIRS_STORAGE_SCHEMA_H_
#define HIRS_STORAGE_SCHEMA_H_

#include <cstdint>

namespace hirs::storage {

// Versions:
//   1  first release
//   2  case indexes by district, status, motivation, incident type, repeat
//      victim, crime reference and occurred month (storage/keys.h); the
//      migration from 1 rebuilds the indexes family from the cases.
//   3  the extracts family (district extract history) and
//      StoredCase.statistics; the migration rebuilds statistics from each
//      case's reports, and the history begins then.
//   4  the fingerprints family keyed by the fingerprint alone, its value
//      the cases under it (storage/fingerprints.h), read by point look-ups;
//      the migration from 3 moves each fingerprint + case_id -> report_id
//      entry under its fingerprint .
//   5  the centre_reports family (each centre's reports, for ListReports)
//      and the case_changes family (each case's change events, for
//      ListCaseEvents); the migrations from 4 index the stored reports and
//      changes.
//   6  the centre_cases family (each centre's reports by case, for
//      WatchReports); the migration from 5 indexes the stored reports.
inline constexpr uint32_t kSchemaVersion = 6;
inline constexpr char kSchemaVersionKey[] = "schema_version";

}  // namespace hirs::storage

#endif  // HIRS_STORAGE_SCHEMA_H_
