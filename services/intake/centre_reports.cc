#include "services/intake/centre_reports.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/bad_request.h"
#include "common/civil_time.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "hirs/store/v1/records.pb.h"
#include "services/query/filter.h"
#include "services/query/pager.h"
#include "services/records/personal_data.h"
#include "storage/keys.h"

namespace hirs::intake {
namespace {

using hirs::store::v1::StoredCase;
using hirs::store::v1::StoredReport;
using storage::Family;

// Reports a list call reads per round: what the page still wants and one
// more (to know whether another page follows), but at least the minimum,
// since the filter may pass few of them.
constexpr size_t kMinListRound = 16;
constexpr size_t kMaxListRound = 64;

// Fills each report's progress from its case (read once per case).
absl::Status FillProgress(const storage::Store& store, std::vector<StoredReport*> reports) {
  std::vector<std::string> case_ids;
  for (const StoredReport* r : reports) {
    if (!r->case_id().empty()) case_ids.push_back(r->case_id());  // a withdrawn report is in none
  }
  std::sort(case_ids.begin(), case_ids.end());
  case_ids.erase(std::unique(case_ids.begin(), case_ids.end()), case_ids.end());
  ASSIGN_OR_RETURN(auto cases, storage::ReadProtos<StoredCase>(store, Family::kCases, case_ids));
  absl::flat_hash_map<std::string, const hirs::v1::Case*> by_id;
  for (const auto& c : cases) {
    if (c.has_value()) by_id[c->case_().case_id()] = &c->case_();
  }
  for (StoredReport* r : reports) {
    if (r->case_id().empty()) {
      // Withdrawn: in no case, last changed when it was withdrawn.
      const hirs::v1::Withdrawal& w = r->report().withdrawal();
      if (r->report().has_withdrawal())
        *r->mutable_report()->mutable_progress()->mutable_updated_at() = w.withdraw_time();
      continue;
    }
    const auto it = by_id.find(r->case_id());
    if (it == by_id.end()) {
      return absl::DataLossError(
          absl::StrCat("report ", r->report().report_id(), " is in case ", r->case_id(), ", which is not stored"));
    }
    const hirs::v1::Case& c = *it->second;
    hirs::v1::ReportProgress* p = r->mutable_report()->mutable_progress();
    p->set_case_id(c.case_id());
    p->set_case_status(c.status());
    p->set_crime_reference(c.crime_reference());
    *p->mutable_updated_at() = ToTimestamp(std::max(ToAbslTime(r->report().received_at()), ToAbslTime(c.updated_at())));
  }
  return absl::OkStatus();
}

}  // namespace

CentreReports::CentreReports(const storage::Store* store, const collation::KeyedHasher* hasher,
                             std::function<absl::Time()> clock)
    : store_(store), hasher_(hasher), clock_(std::move(clock)) {}

absl::StatusOr<hirs::v1::Report> CentreReports::GetReport(absl::string_view centre_id, absl::string_view report_id,
                                                          int version) const {
  std::vector<FieldViolation> violations;
  if (!IsWellFormedId("rpt_", report_id)) {
    violations.push_back({"report_id", "is not a report id (\"rpt_\" followed by 26 characters)"});
  }
  if (version < 0) violations.push_back({"version", "must be 1 or more (1: as received), or 0 for the current one"});
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  ASSIGN_OR_RETURN(std::optional<StoredReport> stored,
                   storage::ReadProto<StoredReport>(*store_, Family::kReports, report_id));
  if (!stored.has_value() || stored->report().reporting_centre() != centre_id) {
    return absl::NotFoundError(absl::StrCat("report ", report_id, " not found"));
  }
  RETURN_IF_ERROR(FillProgress(*store_, {&*stored}));
  hirs::v1::Report& current = *stored->mutable_report();
  current.set_etag(records::ReportEtag(*stored));
  if (version == 0 || version == std::max(1, current.versions_size())) return std::move(current);
  if (version > stored->earlier_versions_size()) {
    return absl::NotFoundError(absl::StrCat("report ", report_id, " has no version ", version, " (it has ",
                                            std::max(1, current.versions_size()), ")"));
  }
  hirs::v1::Report earlier = std::move(*stored->mutable_earlier_versions(version - 1));
  *earlier.mutable_versions() = current.versions();
  *earlier.mutable_progress() = current.progress();
  earlier.set_etag(current.etag());
  return earlier;
}

absl::StatusOr<hirs::v1::ListReportsResponse> CentreReports::ListReports(
    absl::string_view centre_id, absl::string_view caller_id, const hirs::v1::ListReportsRequest& request) const {
  std::vector<FieldViolation> violations;
  const std::string since = request.has_updated_since() ? absl::FormatTime(ToAbslTime(request.updated_since())) : "";
  query::Pager pager(*hasher_, absl::StrCat("ListReports\n", caller_id, "\n", request.filter(), "\n", since),
                     request.page_size(), request.page_token(), clock_(), &violations, kDefaultReportListSize,
                     kMaxReportListSize);
  absl::StatusOr<query::Filter> filter = query::Filter::Parse(request.filter(), query::FilterSubject::kReports);
  if (!filter.ok()) {
    for (auto& v : FieldViolationsOf(filter.status())) violations.push_back(std::move(v));
  }
  if (request.has_updated_since() && !ValidTimestamp(request.updated_since())) {
    violations.push_back({"updated_since", "is not a valid time"});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);

  hirs::v1::ListReportsResponse out;
  const std::string prefix = storage::CentreReportPrefix(centre_id);
  bool done = false;
  while (!done) {
    const size_t round = std::clamp<size_t>(pager.wanted(out.reports_size()) + 1, kMinListRound, kMaxListRound);
    std::vector<std::string> ids;
    RETURN_IF_ERROR(store_->Scan(
        Family::kCentreReports, prefix, round,
        [&](absl::string_view key, absl::string_view) {
          ids.emplace_back(key.substr(prefix.size()));
          return true;
        },
        storage::ScanOrder::kDescending, pager.cursor()));
    done = ids.size() < round;
    ASSIGN_OR_RETURN(auto stored, storage::ReadProtos<StoredReport>(*store_, Family::kReports, ids));
    std::vector<StoredReport*> present;
    for (auto& r : stored) {
      if (r.has_value()) present.push_back(&*r);
    }
    RETURN_IF_ERROR(FillProgress(*store_, present));
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!pager.Visit(ids[i], out.reports_size())) {
        done = true;
        break;
      }
      if (!stored[i].has_value()) continue;
      hirs::v1::Report& r = *stored[i]->mutable_report();
      if (!filter->Matches(r)) continue;
      if (request.has_updated_since() && ToAbslTime(r.progress().updated_at()) <= ToAbslTime(request.updated_since())) {
        continue;
      }
      r.set_etag(records::ReportEtag(*stored[i]));  // only for the reports listed
      *out.add_reports() = std::move(r);
    }
  }
  out.set_next_page_token(pager.NextPageToken());
  return out;
}

absl::StatusOr<std::vector<StoredReport>> CentreReports::Touched(absl::string_view centre_id,
                                                                 const hirs::v1::CaseEvent& event) const {
  std::vector<std::string> ids;
  const std::string prefix = storage::CentreCaseReportPrefix(centre_id, event.case_id());
  RETURN_IF_ERROR(store_->Scan(Family::kCentreCases, prefix, 0, [&](absl::string_view key, absl::string_view) {
    ids.emplace_back(key.substr(prefix.size()));
    return true;
  }));
  for (const std::string& id : event.report_ids()) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);  // of any centre: checked below
  }
  std::sort(ids.begin(), ids.end());
  ASSIGN_OR_RETURN(auto stored, storage::ReadProtos<StoredReport>(*store_, Family::kReports, ids));
  std::vector<StoredReport> out;
  for (auto& r : stored) {
    if (r.has_value() && r->report().reporting_centre() == centre_id) out.push_back(*std::move(r));
  }
  return out;
}

absl::StatusOr<std::vector<hirs::v1::ReportChange>> CentreReports::Changes(
    absl::string_view centre_id, const query::Filter& filter, std::vector<hirs::v1::CaseEvent> events) const {
  std::vector<hirs::v1::ReportChange> out;
  for (const hirs::v1::CaseEvent& event : events) {
    ASSIGN_OR_RETURN(std::vector<StoredReport> touched, Touched(centre_id, event));
    std::vector<StoredReport*> present;
    for (StoredReport& r : touched) present.push_back(&r);
    RETURN_IF_ERROR(FillProgress(*store_, present));
    hirs::v1::ReportChange* change = nullptr;
    for (StoredReport& r : touched) {
      if (!filter.Matches(r.report())) continue;
      if (change == nullptr || change->reports_size() == kMaxReportsPerChange) {
        if (change != nullptr) change->set_cursor(event.cursor() - 1);  // not the event's last part
        change = &out.emplace_back();
        change->set_cursor(event.cursor());
        change->set_kind(event.kind());
        change->set_case_id(event.case_id());
        *change->mutable_occurred_at() = event.occurred_at();
      }
      r.mutable_report()->set_etag(records::ReportEtag(r));
      *change->add_reports() = std::move(*r.mutable_report());
    }
  }
  return out;
}

}  // namespace hirs::intake
