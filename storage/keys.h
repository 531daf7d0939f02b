// Key encodings of every column family. Keys sort the way their scans need:
// fixed-width big-endian numbers, '|' separators between text parts that
// cannot contain '|'.
#ifndef HIRS_STORAGE_KEYS_H_
#define HIRS_STORAGE_KEYS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "hirs/v1/types.pb.h"

namespace hirs::storage {

class WriteBatch;

// A fingerprint is an HMAC-SHA256: 32 bytes, the whole key of kFingerprints
// (storage/fingerprints.h).
inline constexpr size_t kFingerprintBytes = 32;

// kRequests: the record of `request_id` sent by `principal_id`.
std::string RequestKey(absl::string_view principal_id, absl::string_view request_id);
// kRequests: the prefix of every key of RequestKey and ContentKey for
// `principal_id`.
std::string RequestKeyPrefix(absl::string_view principal_id);
// kRequests: the record of a report whose content digest is `sha256` sent by
// `principal_id` (byte-identical resubmission without a key).
std::string ContentKey(absl::string_view principal_id, absl::string_view sha256);

// kCentreReports: "<centre_id>\0<report_id>" -> "", so that a centre's
// reports read newest first by a descending scan under its prefix.
std::string CentreReportPrefix(absl::string_view centre_id);
std::string CentreReportKey(absl::string_view centre_id, absl::string_view report_id);

// kCentreCases: "<centre_id>\0<case_id>\0<report_id>" -> "": the reports
// of a centre in a case, read under CentreCaseReportPrefix whatever the
// case's size (collation::PutMember and DeleteMember keep it).
std::string CentreCaseReportPrefix(absl::string_view centre_id, absl::string_view case_id);
std::string CentreCaseReportKey(absl::string_view centre_id, absl::string_view case_id, absl::string_view report_id);

// kChanges: the change with this sequence number (8 bytes, big endian).
std::string EncodeChangeKey(uint64_t sequence);

// kMembers: "<case_id>|<report_id>"; report ids sort by creation, so a
// case's members read oldest first.
std::string CaseMemberPrefix(absl::string_view case_id);
std::string CaseMemberKey(absl::string_view case_id, absl::string_view report_id);
// False when `key` is not 8 bytes.
bool DecodeChangeKey(absl::string_view key, uint64_t* sequence);
// kCaseChanges: "<case_id>\0" + the change's sequence (8 bytes, big
// endian) -> "": a case's changes in order, each a key into kChanges.
std::string CaseChangePrefix(absl::string_view case_id);
std::string CaseChangeKey(absl::string_view case_id, uint64_t sequence);

// kIndexes: every index entry of `c`, each "<kind>|<value>|<case_id>", so
// that the cases under one prefix come in case id order (creation order):
//   "d|<district or ->|"          its district
//   "st|<status, 2 digits>|"      its status
//   "mo|<motivation, 2 digits>|"  each motivation
//   "it|<type, 2 digits>|"        each incident type
//   "rv|1|"                       a repeat victim's case
//   "cr|<crime reference>|"       its crime reference, when set
//   "om|<YYYY-MM>|"               the UK month of occurred_start
//   "dm|<district or ->|<YYYY-MM>|"  district and month, for extracts
// Update a case's entries with UpdateCaseIndexes.
std::vector<std::string> CaseIndexKeys(const hirs::v1::Case& c);

inline constexpr char kDistrictIndex[] = "d";
inline constexpr char kStatusIndex[] = "st";
inline constexpr char kMotivationIndex[] = "mo";
inline constexpr char kIncidentTypeIndex[] = "it";
inline constexpr char kRepeatVictimIndex[] = "rv";
inline constexpr char kCrimeReferenceIndex[] = "cr";
inline constexpr char kOccurredMonthIndex[] = "om";

// "<kind>|<value>|": the prefix of one index value's entries.
std::string CaseIndexPrefix(absl::string_view kind, absl::string_view value);
// An enum number as index keys write it (2 digits).
std::string IndexNumber(int number);
// The case id at the end of an index key.
absl::string_view CaseIdOfIndexKey(absl::string_view key);

// Puts `after`'s index entries into `batch` and deletes those of `before`
// (null for a new case) that no longer apply; `after` null deletes them all.
void UpdateCaseIndexes(const hirs::v1::Case* before, const hirs::v1::Case* after, WriteBatch* batch);

// Prefix of the district-month index for one district and month.
std::string DistrictMonthPrefix(absl::string_view district_code, absl::string_view month);

// kExtracts, the history of district extracts:
//   "r|<district>|<YYYY-MM>|<case_id>|<micros, 16 hex>" -> a version of the
//       case's ExtractRow (empty: the case left that district and month),
//       so the versions of one case sort oldest first under its prefix;
//   "p|<district>|<YYYY-MM>|<micros, 16 hex>" -> principal id: a pull.
std::string ExtractRowPrefix(absl::string_view district_code, absl::string_view month);
std::string ExtractRowKey(absl::string_view district_code, absl::string_view month, absl::string_view case_id,
                          int64_t unix_micros);
// The case id and time of an ExtractRowKey under `prefix`; false if malformed.
bool ParseExtractRowKey(absl::string_view key, absl::string_view prefix, std::string* case_id, int64_t* unix_micros);
std::string ExtractPullPrefix(absl::string_view district_code, absl::string_view month);
std::string ExtractPullKey(absl::string_view district_code, absl::string_view month, int64_t unix_micros);
// The time of an ExtractPullKey; false if malformed.
bool ParseExtractPullKey(absl::string_view key, int64_t* unix_micros);
// kMeta: since when the extract history is complete (decimal Unix micros).
inline constexpr char kExtractHistorySinceKey[] = "extract_history_since";

// kAudit, the audit hash chain (services/audit/audit_log.h):
//   "e" + sequence (8 bytes, big endian) -> AuditEntry;
//   "r|<resource id>|" + sequence -> "": entries touching a report or case;
//   "p|<principal id>|" + sequence -> "": entries made by a principal;
//   "q" + ticket (8 bytes, big endian) -> AuditEntry without sequence and
//     hash: an entry written with its call but not chained yet.
// Only "e" entries are chained; the "r|" and "p|" keys are look-ups into them.
inline constexpr char kAuditEntryPrefix[] = "e";
inline constexpr char kAuditPendingPrefix[] = "q";
std::string AuditEntryKey(uint64_t sequence);
std::string AuditPendingKey(uint64_t ticket);
std::string AuditResourcePrefix(absl::string_view resource_id);
std::string AuditPrincipalPrefix(absl::string_view principal_id);
// The sequence at the end of any audit key; false if it has no 8 bytes.
bool AuditSequenceOfKey(absl::string_view key, uint64_t* sequence);
// kMeta: the chain's head, sequence (8 bytes, big endian) + hash (32 bytes).
inline constexpr char kAuditHeadKey[] = "audit_head";

}  // namespace hirs::storage

#endif  // HIRS_STORAGE_KEYS_H_
