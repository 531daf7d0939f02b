// What a reporting centre sees of its own reports: each as received, with
// where it stands with the police (Report.progress). Plain C++ over protos;
// reads only.
#ifndef HIRS_SERVICES_INTAKE_CENTRE_REPORTS_H_
#define HIRS_SERVICES_INTAKE_CENTRE_REPORTS_H_

#include <functional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hirs/v1/reporting_service.pb.h"
#include "services/collation/keyed_hasher.h"
#include "storage/store.h"

namespace hirs::intake {

inline constexpr int kDefaultReportListSize = 50;
// Reports are up to about 22 KB each: a full page stays under 5 MB.
inline constexpr int kMaxReportListSize = 200;

// Thread safe.
class CentreReports {
 public:
  // `store` and `hasher` (page tokens) are borrowed and must outlive this.
  CentreReports(const storage::Store* store, const collation::KeyedHasher* hasher,
                std::function<absl::Time()> clock = absl::Now);

  // The report with its progress; `version` > 0: that version of it
  // (GetReportRequest.version). NOT_FOUND when there is no such report or
  // version, or the report belongs to another centre (the two are
  // indistinguishable on purpose); INVALID_ARGUMENT naming report_id when
  // it is not a report id, or version when it is negative.
  absl::StatusOr<hirs::v1::Report> GetReport(absl::string_view centre_id, absl::string_view report_id,
                                             int version = 0) const;

  // A page of centre `centre_id`'s reports, newest first, matching the
  // request's filter (query/filter.h, FilterSubject::kReports) and
  // updated_since. Page tokens are bound to `caller_id`, the filter and
  // updated_since. INVALID_ARGUMENT with a violation per bad field.
  absl::StatusOr<hirs::v1::ListReportsResponse> ListReports(absl::string_view centre_id, absl::string_view caller_id,
                                                            const hirs::v1::ListReportsRequest& request) const;

 private:
  const storage::Store* const store_;
  const collation::KeyedHasher* const hasher_;
  const std::function<absl::Time()> clock_;
};

}  // namespace hirs::intake

#endif  // HIRS_SERVICES_INTAKE_CENTRE_REPORTS_H_
