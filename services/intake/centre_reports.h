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
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/reporting_service.pb.h"
#include "services/collation/keyed_hasher.h"
#include "services/query/filter.h"
#include "storage/store.h"

namespace hirs::intake {

inline constexpr int kDefaultReportListSize = 50;
// Reports are up to about 22 KB each: a full page stays under 5 MB.
inline constexpr int kMaxReportListSize = 200;
// Reports in one ReportChange: about 1.1 MB at most.
inline constexpr int kMaxReportsPerChange = 50;

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

  // What WatchReports sends centre `centre_id` for `events` (in cursor
  // order, as the change feed holds them): for each event that touched one
  // of the centre's reports matching `filter`, a ReportChange with those
  // reports as ListReports lists them now, in cursor order. A report is
  // touched when it is in the event's case (read under the centre and case
  // in kCentreCases: the cost does not grow with the case's other reports)
  // or the event names it (one withdrawn, split off or moved away). More
  // than kMaxReportsPerChange reports come in several changes, all but the
  // last carrying the cursor before the event (a watch resumed from them
  // sends the rest again).
  absl::StatusOr<std::vector<hirs::v1::ReportChange>> Changes(absl::string_view centre_id, const query::Filter& filter,
                                                              std::vector<hirs::v1::CaseEvent> events) const;

 private:
  // The centre's reports `event` touched (see Changes), by report id.
  absl::StatusOr<std::vector<hirs::store::v1::StoredReport>> Touched(absl::string_view centre_id,
                                                                     const hirs::v1::CaseEvent& event) const;

  const storage::Store* const store_;
  const collation::KeyedHasher* const hasher_;
  const std::function<absl::Time()> clock_;
};

}  // namespace hirs::intake

#endif  // HIRS_SERVICES_INTAKE_CENTRE_REPORTS_H_
