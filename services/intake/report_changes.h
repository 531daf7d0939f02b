// What happens to a report after submission at its centre's (or the
// victim's) request: withdrawal, and changes of the victim's consent. The
// report as received stays; each change is recorded on it
// (Report.withdrawal, Report.consent_changes), written with its case and
// the case's change event in one batch. Plain C++ over protos.
#ifndef HIRS_SERVICES_INTAKE_REPORT_CHANGES_H_
#define HIRS_SERVICES_INTAKE_REPORT_CHANGES_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/reporting_service.pb.h"
#include "services/auth/principals.h"
#include "services/collation/collator.h"
#include "storage/lock_manager.h"
#include "storage/store.h"

namespace hirs::intake {

// Thread safe.
class ReportChanges {
 public:
  // Everything is borrowed and must outlive this.
  ReportChanges(storage::Store* store, storage::CaseLocks* locks, const collation::Collator* collator,
                std::function<absl::Time()> clock = absl::Now);

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
  // Reads the report `caller` may change and, holding the locks of its
  // fingerprints and its case, reads both again.
  absl::StatusOr<Locked> LockReport(const auth::Principal& caller, const std::string& report_id) const;

  storage::Store* const store_;
  storage::CaseLocks* const locks_;
  const collation::Collator* const collator_;
  const std::function<absl::Time()> clock_;
};

}  // namespace hirs::intake

#endif  // HIRS_SERVICES_INTAKE_REPORT_CHANGES_H_
