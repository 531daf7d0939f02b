// What happens to a report after submission at its centre's (or the
// victim's) request: amendment, withdrawal, and changes of the victim's
// consent. The report as received stays; each change is recorded on it
// (Report.versions with StoredReport.earlier_versions, Report.withdrawal,
// Report.consent_changes), written with its case and the case's change
// event in one batch. Plain C++ over protos.
#ifndef HIRS_SERVICES_INTAKE_REPORT_CHANGES_H_
#define HIRS_SERVICES_INTAKE_REPORT_CHANGES_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/reporting_service.pb.h"
#include "services/auth/principals.h"
#include "services/collation/collator.h"
#include "services/intake/postcode.h"
#include "storage/lock_manager.h"
#include "storage/store.h"

namespace hirs::intake {

// Thread safe.
class ReportChanges {
 public:
  // Each change returns the report as stored, without Report.progress
  // (ReportingService answers with it read back as GetReport reads it).
  // Everything is borrowed and must outlive this.
  ReportChanges(storage::Store* store, storage::CaseLocks* locks, const collation::Collator* collator,
                const DistrictRouter* router, std::function<absl::Time()> clock = absl::Now);

  // Amends a report (ReportingService.AmendReport), by its centre: the
  // current version becomes an earlier one and the request's report the
  // current, collated again (a clear match with another case moves it
  // there, unless a person placed it or separated the two cases; an
  // uncertain one opens a review item). Returns the report as it now
  // stands. INVALID_ARGUMENT naming each bad field (the report validated as
  // a submission; a consent change belongs to UpdateConsent); ABORTED when
  // `etag` is not the report's; ALREADY_EXISTS for a request_id used for a
  // different amendment; otherwise errors as Withdraw. Nothing is stored on
  // any error, and nothing when the report equals the current version.
  absl::StatusOr<hirs::v1::Report> Amend(const auth::Principal& caller, const hirs::v1::AmendReportRequest& request);

  // Withdraws a report (ReportingService.WithdrawReport): by its centre
  // (a REPORTING_CENTRE caller whose scope is the report's centre) or an
  // ADMIN. Returns the tombstone. INVALID_ARGUMENT naming each bad field;
  // NOT_FOUND for no such report or another centre's; FAILED_PRECONDITION
  // when it is withdrawn already; nothing stored on any error.
  absl::StatusOr<hirs::v1::Report> Withdraw(const auth::Principal& caller,
                                            const hirs::v1::WithdrawReportRequest& request);

  // Changes the victim's consent on a report (ReportingService.
  // UpdateConsent), by its centre. Returns the report as it now stands.
  // Errors as Withdraw.
  absl::StatusOr<hirs::v1::Report> UpdateConsent(const auth::Principal& caller,
                                                 const hirs::v1::UpdateConsentRequest& request);

 private:
  struct Locked;
  struct Amendment;
  struct Placement;
  // Reads the report `caller` may change and, holding the locks of its
  // fingerprints, of `more_keys`, of its case and of case `more_case` (""
  // none), reads them again.
  absl::StatusOr<Locked> LockReport(const auth::Principal& caller, const std::string& report_id,
                                    const std::vector<std::string>& more_keys = {},
                                    const std::string& more_case = "") const;
  // Where the amended report goes, by `decision` (under the locks).
  Placement PlaceAmended(const collation::Decision& decision, const Locked& locked) const;
  // Writes the amendment placed as `placement`: the new version, the
  // case(s), the collator's records, review items, the request record.
  absl::StatusOr<hirs::v1::Report> WriteAmendment(const auth::Principal& caller,
                                                  const hirs::v1::AmendReportRequest& request, Amendment& amendment,
                                                  Locked& locked, const Placement& placement);

  storage::Store* const store_;
  storage::CaseLocks* const locks_;
  const collation::Collator* const collator_;
  const DistrictRouter* const router_;
  const std::function<absl::Time()> clock_;
};

}  // namespace hirs::intake

#endif  // HIRS_SERVICES_INTAKE_REPORT_CHANGES_H_
