// Non-crime hate incidents (the 2023 code of practice): personal data that
// must go, removed while every statistical fact stays.
//
// Rules, for cases whose status is NON_CRIME_INCIDENT:
//   - a school-related report keeps no victim personal data: it is removed
//     in the same write that makes the case a non-crime incident
//     (Cases::UpdateCase), and at once when such a report joins a case that
//     already is one (intake);
//   - every report's personal data is removed once `review_period` has
//     passed since the case became a non-crime incident
//     (StoredCase.non_crime_since; for cases from before that field, the
//     case's last update), by a retention run: AdminService.RunRetention or
//     hirsd's daily schedule.
// Personal data is what auth/redaction.h says it is (victim name, date of
// birth, contacts, address, home postcode, the free text), with what
// collation derived from it (services/records/personal_data.h).
// What stays: everything district extracts and summaries count, so no
// count or extract row changes. Each removal is one atomic write per case
// with a PERSONAL_DATA_REMOVED change event, and is audited.
#ifndef HIRS_SERVICES_RETENTION_RETENTION_H_
#define HIRS_SERVICES_RETENTION_RETENTION_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hirs/store/v1/records.pb.h"
#include "services/audit/audit_log.h"
#include "services/collation/collator.h"
#include "storage/lock_manager.h"
#include "storage/store.h"

namespace hirs::retention {

struct RetentionOptions {
  // How long a non-crime incident's personal data is kept.
  absl::Duration review_period = absl::Hours(24 * 365);
};

struct Outcome {
  int cases = 0;
  int reports = 0;
};

// Thread safe.
class Retention {
 public:
  // Every pointer is borrowed. `audit` records each removal.
  Retention(storage::Store* store, storage::CaseLocks* locks, const collation::Collator* collator,
            audit::AuditLog* audit, std::function<absl::Time()> clock, RetentionOptions options);

  // Removes what the rules above make due in case `case_id` now, as
  // `actor` (principal id, or "hirsd" for the schedule) calling `method`.
  // dry_run: counts only.
  absl::StatusOr<Outcome> ApplyToCase(const std::string& case_id, absl::string_view actor, absl::string_view method,
                                      bool dry_run);

  // ApplyToCase for every non-crime incident.
  absl::StatusOr<Outcome> Run(absl::string_view actor, absl::string_view method, bool dry_run);

 private:
  storage::Store* const store_;
  storage::CaseLocks* const locks_;
  const collation::Collator* const collator_;
  audit::AuditLog* const audit_;
  const std::function<absl::Time()> clock_;
  const RetentionOptions options_;
};

}  // namespace hirs::retention

#endif  // HIRS_SERVICES_RETENTION_RETENTION_H_
