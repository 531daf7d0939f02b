// District extracts and summaries (hirs.v1.ExtractService), read from the
// extract history (history.h), with no personal data.
//
// Who may read (enforced by the access table, services/auth/access.h, before
// these run): a DISTRICT principal its own district only (its scope);
// POLICE and ADMIN any district.
//
// Rows:
//   - one per case of the district whose incident began in the month (UK
//     calendar), as it stood at `as_of` (now when unset), in case_ref order;
//   - case_ref is a keyed hash of district and case id: stable for that
//     district, meaningless elsewhere, not the internal id;
//   - change compares with the district's previous pull of the same month
//     made before `as_of`: NEW (not in it), REVISED (other values),
//     UNCHANGED, and WITHDRAWN rows (after the others' order, by case_ref)
//     for cases in that pull and no longer in the month. Without a previous
//     pull every row is NEW. A DISTRICT principal's extract without as_of
//     is recorded as a pull; police and admin reads, and as_of reads, are
//     not (they must not move a council's reconciliation point).
//
// Summaries count the same rows: the total, and by motivation, incident
// type, place type, crime recorded or not, and repeat victim, each with the
// previous month's figure at the same as_of. Small numbers are suppressed:
// counts from 1 to `suppress_max` (default 4) show as suppressed with count
// 0; zeros are shown. Secondary suppression: in the tables whose categories
// add up to the total (place type, crime, repeat victim), while the
// suppressed cells could be worked out from the total (one suppressed cell,
// or several that can only all be 1), the smallest shown non-zero cell is
// suppressed too; a suppressed total suppresses every non-zero cell of
// those tables. Motivation and incident type are multi-valued (a case may
// have several), so their cells do not add up to anything shown and only
// primary suppression applies.
#ifndef HIRS_SERVICES_EXTRACTS_EXTRACTS_H_
#define HIRS_SERVICES_EXTRACTS_EXTRACTS_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hirs/v1/extract_service.pb.h"
#include "services/auth/principals.h"
#include "services/collation/keyed_hasher.h"
#include "storage/store.h"

namespace hirs::extracts {

struct ExtractOptions {
  // Counts from 1 to this are suppressed in summaries; 0 turns it off.
  int suppress_max = 4;
};

// Thread safe. Pointers are borrowed and must outlive the object.
class Extracts {
 public:
  Extracts(storage::Store* store, const collation::KeyedHasher* hasher, std::function<absl::Time()> clock,
           ExtractOptions options = {});

  // The month's rows (see above). INVALID_ARGUMENT naming each bad field
  // (district_code not of the area, month not "YYYY-MM" or in the future,
  // as_of in the future); FAILED_PRECONDITION for an as_of before the
  // history began.
  absl::StatusOr<std::vector<hirs::v1::ExtractRow>> MonthlyExtract(const auth::Principal& caller,
                                                                   const hirs::v1::MonthlyExtractRequest& request);

  // The month's summary (see above); errors as MonthlyExtract.
  absl::StatusOr<hirs::v1::MonthlySummary> MonthlySummary(const auth::Principal& caller,
                                                          const hirs::v1::MonthlyExtractRequest& request) const;

 private:
  struct Checked {
    absl::Time as_of;
    bool historic = false;  // as_of was given
  };
  absl::StatusOr<Checked> Check(const hirs::v1::MonthlyExtractRequest& request) const;
  // Calls `visit(case_id, row)` for each case of the district's month as
  // it stood at `at` (facts only), in case id order.
  absl::Status VisitRowsAt(const std::string& district, const std::string& month, absl::Time at,
                           const std::function<void(const std::string&, const hirs::v1::ExtractRow&)>& visit) const;
  // case_ref -> row (facts and case_ref) of the district's month at `at`.
  absl::StatusOr<std::map<std::string, hirs::v1::ExtractRow>> RowsAt(const std::string& district,
                                                                      const std::string& month, absl::Time at) const;
  std::string CaseRef(const std::string& district, const std::string& case_id) const;

  storage::Store* const store_;
  const collation::KeyedHasher* const hasher_;
  const std::function<absl::Time()> clock_;
  const ExtractOptions options_;
};

// The cells of one summary from its rows, before suppression (exposed for
// tests): the total first, then each dimension's categories in a fixed
// order.
std::vector<hirs::v1::SummaryCell> CountCells(const std::vector<hirs::v1::ExtractRow>& rows);
// The same, one row at a time: EmptyCells, then CountRow for each.
std::vector<hirs::v1::SummaryCell> EmptyCells();
void CountRow(const hirs::v1::ExtractRow& row, std::vector<hirs::v1::SummaryCell>* cells);

// Applies the suppression rules above to cells made by CountCells.
void Suppress(int suppress_max, std::vector<hirs::v1::SummaryCell>* cells);

// "YYYY-MM" of the month before `month` ("YYYY-MM").
std::string PreviousMonth(const std::string& month);

}  // namespace hirs::extracts

#endif  // HIRS_SERVICES_EXTRACTS_EXTRACTS_H_
