// District extracts and summaries (hirs.v1.ExtractService), read from the
// extract history (services/records/history.h), with no personal data.
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
// previous month's figure at the same as_of, published as publication.h
// says (counts from 1 to `suppress_max` suppressed, the others rounded by
// cell key, tables that would reveal a small count hidden).
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
#include "services/extracts/publication.h"
#include "storage/store.h"

namespace hirs::extracts {

struct ExtractOptions {
  // Summaries: counts from 1 to this are small (suppressed; the others
  // rounded to multiples of this + 1); 0 publishes exact counts.
  int suppress_max = 4;
  // Summaries are released at the start of each UK month after theirs
  // (false), or at every change of the month's cases, month in progress
  // included (true): current figures, with more revisions withheld.
  bool release_at_every_change = false;
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
  // VisitRowsAt for each of `times` in one read: `visit(k, case_id, row)`
  // for the rows as they stood at times[k].
  absl::Status VisitRowsAtEach(
      const std::string& district, const std::string& month, const std::vector<absl::Time>& times,
      const std::function<void(size_t, const std::string&, const hirs::v1::ExtractRow&)>& visit) const;
  // The month's published summaries (publication.h), one per release point
  // up to `as_of`, oldest first: the starts of the UK months after it
  // (those before the extract history began are its start), none before
  // the month is over; or, with release_at_every_change, each time the
  // month's cases changed (the history's start when they never did).
  struct Released {
    std::vector<absl::Time> at;
    std::vector<std::vector<hirs::v1::SummaryCell>> cells;
  };
  absl::StatusOr<Released> Releases(const std::string& district, const std::string& month, absl::Time as_of) const;
  // The release points of Releases.
  absl::StatusOr<std::vector<absl::Time>> ReleasePoints(const std::string& district, const std::string& month,
                                                        absl::Time as_of) const;
  // case_ref -> row (facts and case_ref) of the district's month at `at`.
  absl::StatusOr<std::map<std::string, hirs::v1::ExtractRow>> RowsAt(const std::string& district,
                                                                     const std::string& month, absl::Time at) const;
  std::string CaseRef(const std::string& district, const std::string& case_id) const;
  // The case's record key for cell keys (publication.h): keyed, stable.
  uint32_t RecordKey(const std::string& case_id) const;

  storage::Store* const store_;
  const collation::KeyedHasher* const hasher_;
  const std::function<absl::Time()> clock_;
  const ExtractOptions options_;
};

// "YYYY-MM" of the month before `month` ("YYYY-MM").
std::string PreviousMonth(const std::string& month);

}  // namespace hirs::extracts

#endif  // HIRS_SERVICES_EXTRACTS_EXTRACTS_H_
