#include "services/collation/case_aggregate.h"

#include <algorithm>
#include <cstdio>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/civil_time.h"
#include "common/status_macros.h"
#include "storage/keys.h"

namespace hirs::collation {
namespace {

template <typename Values, typename Repeated>
void SortedUnion(const Values& add, Repeated* into) {
  for (int v : add) {
    if (std::find(into->begin(), into->end(), v) == into->end()) into->Add(v);
  }
  std::sort(into->begin(), into->end());
}

bool Before(const google::protobuf::Timestamp& a, const google::protobuf::Timestamp& b) {
  return ToAbslTime(a) < ToAbslTime(b);
}

// The victim's age band as the report gives it, or from the date of birth
// ("YYYY-MM-DD") at the UK day of the incident; unspecified when unknown.
hirs::v1::AgeBand AgeBandOf(const hirs::v1::Report& r, const hirs::store::v1::NormalisedFields& n) {
  if (r.victim().has_age_band() && r.victim().age_band() != hirs::v1::AGE_BAND_UNSPECIFIED) {
    return r.victim().age_band();
  }
  int by = 0, bm = 0, bd = 0;
  const std::string& dob = n.victim_date_of_birth();
  if (dob.size() != 10 || std::sscanf(dob.c_str(), "%4d-%2d-%2d", &by, &bm, &bd) != 3) {
    return hirs::v1::AGE_BAND_UNSPECIFIED;
  }
  const absl::CivilDay day = absl::ToCivilDay(ToAbslTime(r.occurred_start()), UkTimeZone());
  int age = static_cast<int>(day.year()) - by;
  if (day.month() < bm || (day.month() == bm && day.day() < bd)) --age;
  if (age < 0) return hirs::v1::AGE_BAND_UNSPECIFIED;
  if (age < 18) return hirs::v1::AGE_UNDER_18;
  if (age < 25) return hirs::v1::AGE_18_TO_24;
  if (age < 35) return hirs::v1::AGE_25_TO_34;
  if (age < 45) return hirs::v1::AGE_35_TO_44;
  if (age < 55) return hirs::v1::AGE_45_TO_54;
  if (age < 65) return hirs::v1::AGE_55_TO_64;
  return hirs::v1::AGE_65_AND_OVER;
}

}  // namespace

void PutMember(const std::string& case_id, const std::string& centre_id,
               const hirs::v1::CollationExplanation& explanation, storage::WriteBatch* batch) {
  batch->Put(storage::Family::kMembers, storage::CaseMemberKey(case_id, explanation.report_id()),
             explanation.SerializeAsString());
  batch->Put(storage::Family::kCentreCases, storage::CentreCaseReportKey(centre_id, case_id, explanation.report_id()),
             "");
}

void DeleteMember(const std::string& case_id, const std::string& centre_id, const std::string& report_id,
                  storage::WriteBatch* batch) {
  batch->Delete(storage::Family::kMembers, storage::CaseMemberKey(case_id, report_id));
  batch->Delete(storage::Family::kCentreCases, storage::CentreCaseReportKey(centre_id, case_id, report_id));
}

absl::StatusOr<std::vector<hirs::v1::CollationExplanation>> ReadMembers(const storage::Store& store,
                                                                        const std::string& case_id, size_t limit,
                                                                        const std::string& after,
                                                                        storage::ScanOrder order) {
  std::vector<hirs::v1::CollationExplanation> out;
  bool unreadable = false;
  const std::string prefix = storage::CaseMemberPrefix(case_id);
  RETURN_IF_ERROR(store.Scan(
      storage::Family::kMembers, prefix, limit,
      [&](absl::string_view, absl::string_view value) {
        out.emplace_back();
        unreadable = !out.back().ParseFromArray(value.data(), static_cast<int>(value.size()));
        return !unreadable;
      },
      order, after));
  if (unreadable) return absl::DataLossError(absl::StrCat("an unreadable member entry of case ", case_id));
  return out;
}

absl::StatusOr<std::vector<std::string>> MemberIds(const storage::Store& store, const std::string& case_id) {
  ASSIGN_OR_RETURN(auto members, ReadMembers(store, case_id));
  std::vector<std::string> ids;
  ids.reserve(members.size());
  for (auto& m : members) ids.push_back(std::move(*m.mutable_report_id()));
  return ids;
}

absl::StatusOr<std::vector<std::string>> MemberIdsExcept(const storage::Store& store, const std::string& case_id,
                                                         const std::vector<std::string>& except) {
  ASSIGN_OR_RETURN(std::vector<std::string> ids, MemberIds(store, case_id));
  const absl::flat_hash_set<std::string> leaving(except.begin(), except.end());
  ids.erase(std::remove_if(ids.begin(), ids.end(), [&](const std::string& id) { return leaving.contains(id); }),
            ids.end());
  return ids;
}

bool SeparatedFromAnotherCandidate(const hirs::store::v1::StoredCase& match,
                                   const google::protobuf::RepeatedPtrField<std::string>& candidate_case_ids) {
  const auto& apart = match.separated_case_ids();
  for (const auto& other : candidate_case_ids) {
    if (other != match.case_().case_id() && std::find(apart.begin(), apart.end(), other) != apart.end()) return true;
  }
  return false;
}

hirs::store::v1::StoredCase NewCase(const std::string& case_id) {
  hirs::store::v1::StoredCase c;
  c.mutable_case_()->set_case_id(case_id);
  c.mutable_case_()->set_status(hirs::v1::OPEN);
  return c;
}

void AddReportToCase(const hirs::store::v1::StoredReport& stored, absl::Time now, hirs::store::v1::StoredCase* c) {
  const hirs::v1::Report& r = stored.report();
  hirs::v1::Case* k = c->mutable_case_();
  const bool first = k->report_count() == 0;
  if (k->report_ids_size() < kCaseReportIdSample) k->add_report_ids(r.report_id());
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
  k->set_report_count(k->report_count() + 1);
  k->set_source_count(c->reporting_centres_size());

  const auto& n = stored.normalised();
  if (k->crime_reference().empty() && !n.crime_reference().empty()) k->set_crime_reference(n.crime_reference());
  if (k->district_code().empty() && !n.district_code().empty()) k->set_district_code(n.district_code());
  k->clear_flags();
  if (k->district_code().empty()) k->add_flags(hirs::v1::DISTRICT_UNRESOLVED);

  hirs::store::v1::CaseStatistics* s = c->mutable_statistics();
  if (s->postcode_sector().empty()) s->set_postcode_sector(n.postcode_sector());
  if (s->place_type() == hirs::v1::PLACE_TYPE_UNSPECIFIED) s->set_place_type(r.location().place_type());
  SortedUnion(std::vector<int>{r.reporter_role()}, s->mutable_reporter_roles());
  if (s->victim_age_band() == hirs::v1::AGE_BAND_UNSPECIFIED) s->set_victim_age_band(AgeBandOf(r, n));

  StampChange(now, c);
}

hirs::store::v1::StoredCase RebuildCase(const hirs::store::v1::StoredCase& base,
                                        std::vector<hirs::store::v1::StoredReport> reports, absl::Time now) {
  std::sort(reports.begin(), reports.end(),
            [](const auto& a, const auto& b) { return Before(a.report().received_at(), b.report().received_at()); });
  hirs::store::v1::StoredCase c = NewCase(base.case_().case_id());
  hirs::v1::Case* k = c.mutable_case_();
  k->set_status(base.case_().status());
  k->set_crime_reference(base.case_().crime_reference());
  k->set_outcome_note(base.case_().outcome_note());
  *c.mutable_separated_case_ids() = base.separated_case_ids();
  if (base.has_non_crime_since()) *c.mutable_non_crime_since() = base.non_crime_since();
  if (base.has_personal_data_removed_at()) *c.mutable_personal_data_removed_at() = base.personal_data_removed_at();
  for (const auto& r : reports) AddReportToCase(r, now, &c);
  LinkRepeatVictimCases({base.case_().linked_case_ids().begin(), base.case_().linked_case_ids().end()}, &c);
  c.set_version(base.version());
  *c.mutable_case_()->mutable_updated_at() = base.case_().updated_at();
  StampChange(now, &c);
  return c;
}

absl::StatusOr<hirs::store::v1::StoredCase> RebuildCaseFrom(const storage::Store& store,
                                                            const hirs::store::v1::StoredCase& base,
                                                            const std::vector<std::string>& report_ids, absl::Time now,
                                                            std::vector<hirs::store::v1::StoredReport> also) {
  ASSIGN_OR_RETURN(auto read,
                   storage::ReadProtos<hirs::store::v1::StoredReport>(store, storage::Family::kReports, report_ids));
  std::vector<hirs::store::v1::StoredReport> reports = std::move(also);
  for (auto& r : read) {
    if (!r.has_value()) {
      return absl::DataLossError(absl::StrCat("a report of case ", base.case_().case_id(), " is not stored"));
    }
    reports.push_back(std::move(*r));
  }
  return RebuildCase(base, std::move(reports), now);
}

void StampChange(absl::Time now, hirs::store::v1::StoredCase* c) {
  c->set_version(c->version() + 1);
  c->mutable_case_()->set_etag(absl::StrCat(c->version()));
  // Never earlier than the last change, should the clock step back: the
  // extract history orders a case's versions by this time.
  const absl::Time last = c->case_().has_updated_at() ? ToAbslTime(c->case_().updated_at()) : absl::InfinitePast();
  *c->mutable_case_()->mutable_updated_at() = ToTimestamp(std::max(now, last));
}

void LinkRepeatVictimCases(const std::vector<std::string>& case_ids, hirs::store::v1::StoredCase* c) {
  auto* ids = c->mutable_case_()->mutable_linked_case_ids();
  for (const std::string& id : case_ids) {
    if (id != c->case_().case_id() && std::find(ids->begin(), ids->end(), id) == ids->end()) {
      ids->Add(std::string(id));
    }
  }
  if (!ids->empty()) c->mutable_case_()->set_repeat_victim(true);
}

}  // namespace hirs::collation
