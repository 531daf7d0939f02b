#include "services/collation/case_aggregate.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/civil_time.h"

namespace hirs::collation {
namespace {

template <typename Repeated>
void SortedUnion(const Repeated& add, Repeated* into) {
  for (int v : add) {
    if (std::find(into->begin(), into->end(), v) == into->end()) into->Add(v);
  }
  std::sort(into->begin(), into->end());
}

bool Before(const google::protobuf::Timestamp& a, const google::protobuf::Timestamp& b) {
  return ToAbslTime(a) < ToAbslTime(b);
}

}  // namespace

hirs::store::v1::StoredCase NewCase(const std::string& case_id) {
  hirs::store::v1::StoredCase c;
  c.mutable_case_()->set_case_id(case_id);
  c.mutable_case_()->set_status(hirs::v1::OPEN);
  return c;
}

void AddReportToCase(const hirs::store::v1::StoredReport& stored, absl::Time now,
                     hirs::store::v1::StoredCase* c) {
  const hirs::v1::Report& r = stored.report();
  hirs::v1::Case* k = c->mutable_case_();
  const bool first = k->report_ids_size() == 0;
  k->add_report_ids(r.report_id());
  SortedUnion(r.motivations(), k->mutable_motivations());
  SortedUnion(r.incident_types(), k->mutable_incident_types());

  const auto& end = r.has_occurred_end() ? r.occurred_end() : r.occurred_start();
  if (first || Before(r.occurred_start(), k->occurred_start())) *k->mutable_occurred_start() = r.occurred_start();
  if (first || Before(k->occurred_end(), end)) *k->mutable_occurred_end() = end;
  if (first || Before(r.received_at(), k->first_received_at())) *k->mutable_first_received_at() = r.received_at();

  if (std::find(c->reporting_centres().begin(), c->reporting_centres().end(), r.reporting_centre()) ==
      c->reporting_centres().end()) {
    c->add_reporting_centres(r.reporting_centre());
  }
  k->set_report_count(k->report_ids_size());
  k->set_source_count(c->reporting_centres_size());

  const auto& n = stored.normalised();
  if (k->crime_reference().empty() && !n.crime_reference().empty()) k->set_crime_reference(n.crime_reference());
  if (k->district_code().empty() && !n.district_code().empty()) k->set_district_code(n.district_code());
  k->clear_flags();
  if (k->district_code().empty()) k->add_flags(hirs::v1::DISTRICT_UNRESOLVED);

  StampChange(now, c);
}

hirs::store::v1::StoredCase RebuildCase(const hirs::store::v1::StoredCase& base,
                                        std::vector<hirs::store::v1::StoredReport> reports, absl::Time now) {
  std::sort(reports.begin(), reports.end(), [](const auto& a, const auto& b) {
    return Before(a.report().received_at(), b.report().received_at());
  });
  hirs::store::v1::StoredCase c = NewCase(base.case_().case_id());
  hirs::v1::Case* k = c.mutable_case_();
  k->set_status(base.case_().status());
  k->set_crime_reference(base.case_().crime_reference());
  k->set_outcome_note(base.case_().outcome_note());
  *c.mutable_separated_case_ids() = base.separated_case_ids();
  for (const auto& r : reports) AddReportToCase(r, now, &c);
  LinkRepeatVictimCases({base.case_().linked_case_ids().begin(), base.case_().linked_case_ids().end()}, &c);
  c.set_version(base.version());
  StampChange(now, &c);
  return c;
}

void StampChange(absl::Time now, hirs::store::v1::StoredCase* c) {
  c->set_version(c->version() + 1);
  c->mutable_case_()->set_etag(absl::StrCat(c->version()));
  *c->mutable_case_()->mutable_updated_at() = ToTimestamp(now);
}

void LinkRepeatVictimCases(const std::vector<std::string>& case_ids, hirs::store::v1::StoredCase* c) {
  auto* ids = c->mutable_case_()->mutable_linked_case_ids();
  for (const std::string& id : case_ids) {
    if (std::find(ids->begin(), ids->end(), id) == ids->end()) ids->Add(std::string(id));
  }
  if (!ids->empty()) c->mutable_case_()->set_repeat_victim(true);
}

void AppendCaseEvent(hirs::v1::CaseEvent::Kind kind, const hirs::v1::Case& c,
                     const std::vector<std::string>& related_case_ids, absl::Time now, storage::WriteBatch* batch) {
  hirs::v1::CaseEvent event;
  event.set_kind(kind);
  event.set_case_id(c.case_id());
  *event.mutable_case_() = c;
  event.mutable_case_()->clear_explanations();
  event.mutable_case_()->clear_reports();
  for (const auto& id : related_case_ids) event.add_related_case_ids(id);
  *event.mutable_occurred_at() = ToTimestamp(now);
  batch->AppendChange([event = std::move(event)](uint64_t sequence) mutable {
    event.set_cursor(sequence);
    return event.SerializeAsString();
  });
}

}  // namespace hirs::collation
