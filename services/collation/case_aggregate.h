// The case as an aggregate of its reports. Adding reports one at a time is
// the only way a case's derived fields change, so attach, merge and split
// (which rebuilds from the remaining reports) all agree.
#ifndef HIRS_SERVICES_COLLATION_CASE_AGGREGATE_H_
#define HIRS_SERVICES_COLLATION_CASE_AGGREGATE_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/case_service.pb.h"
#include "storage/store.h"

namespace hirs::collation {

// How many report ids Case.report_ids holds: the case's oldest. Every
// report of a case is its member (below); report_count counts them all.
inline constexpr int kCaseReportIdSample = 100;

// A case's reports: one kMembers entry per report, holding the explanation
// of how the report came to be in the case (report_id set), and one
// kCentreCases entry under the report's centre (`centre_id`, its
// reporting_centre). Writing or reading one costs the same whatever the
// case's size.
void PutMember(const std::string& case_id, const std::string& centre_id,
               const hirs::v1::CollationExplanation& explanation, storage::WriteBatch* batch);
void DeleteMember(const std::string& case_id, const std::string& centre_id, const std::string& report_id,
                  storage::WriteBatch* batch);
// Up to `limit` (0: all) of the case's members after report id `after`
// ("" from the start), oldest first, or newest first with kDescending.
absl::StatusOr<std::vector<hirs::v1::CollationExplanation>> ReadMembers(
    const storage::Store& store, const std::string& case_id, size_t limit = 0, const std::string& after = "",
    storage::ScanOrder order = storage::ScanOrder::kAscending);
// The ids of every report of the case, oldest first.
absl::StatusOr<std::vector<std::string>> MemberIds(const storage::Store& store, const std::string& case_id);
// The ids of the case's reports but those in `except`, oldest first.
absl::StatusOr<std::vector<std::string>> MemberIdsExcept(const storage::Store& store, const std::string& case_id,
                                                         const std::vector<std::string>& except);

// Whether a person decided that case `match` and another of
// `candidate_case_ids` are different incidents (a split, or a review kept
// separate): a report matching both is then for a person to place.
bool SeparatedFromAnotherCandidate(const hirs::store::v1::StoredCase& match,
                                   const google::protobuf::RepeatedPtrField<std::string>& candidate_case_ids);

// A new, empty, OPEN case with this id.
hirs::store::v1::StoredCase NewCase(const std::string& case_id);

// Adds `report` to `c` (the caller writes its member entry): the report
// id sample, report count, motivation and incident type unions,
// the time span, first received time, report and source counts, crime
// reference and district when the case has none yet, the
// DISTRICT_UNRESOLVED flag, the statistics for district extracts (postcode
// sector, place type, age band when the case has none yet; reporter roles),
// and a new version and etag stamped `now`.
void AddReportToCase(const hirs::store::v1::StoredReport& report, absl::Time now, hirs::store::v1::StoredCase* c);

// `base` rebuilt from `reports` (any order; they are added oldest received
// first): the derived fields recomputed, the police's fields (status, crime
// reference, outcome note), repeat-victim links, separations and the
// retention marks (non_crime_since, personal_data_removed_at) kept, the
// version one past base's. Explanations are left for the caller to set.
hirs::store::v1::StoredCase RebuildCase(const hirs::store::v1::StoredCase& base,
                                        std::vector<hirs::store::v1::StoredReport> reports, absl::Time now);

// RebuildCase of `base` from the stored reports `report_ids` and from
// `also`, reports not stored yet (an amended version); DATA_LOSS when one
// of `report_ids` is not stored.
absl::StatusOr<hirs::store::v1::StoredCase> RebuildCaseFrom(const storage::Store& store,
                                                            const hirs::store::v1::StoredCase& base,
                                                            const std::vector<std::string>& report_ids, absl::Time now,
                                                            std::vector<hirs::store::v1::StoredReport> also = {});

// Marks a change of `c`: the next version, its etag, updated_at = `now`
// (or the previous updated_at, if `now` is earlier: it never goes back).
void StampChange(absl::Time now, hirs::store::v1::StoredCase* c);

// Links `c` to the same victim's earlier cases (no duplicates, never to
// itself) and marks it a repeat victim when it has any link.
void LinkRepeatVictimCases(const std::vector<std::string>& case_ids, hirs::store::v1::StoredCase* c);

}  // namespace hirs::collation

#endif  // HIRS_SERVICES_COLLATION_CASE_AGGREGATE_H_
