#include "services/cases/cases.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/bad_request.h"
#include "common/civil_time.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "hirs/store/v1/records.pb.h"
#include "services/auth/redaction.h"
#include "services/collation/case_aggregate.h"
#include "services/query/filter.h"
#include "services/query/pager.h"
#include "services/records/case_records.h"
#include "services/records/field_rules.h"
#include "services/records/personal_data.h"
#include "storage/keys.h"

namespace hirs::cases {
namespace {

using query::Filter;
using query::Pager;

using hirs::store::v1::StoredCase;
using storage::Family;

// Adds a violation on `field` unless `id` is a well-formed case id.
void CheckCaseId(absl::string_view field, absl::string_view id, std::vector<FieldViolation>* violations) {
  if (!IsWellFormedId("case_", id)) {
    violations->push_back({std::string(field), "is not a case id (\"case_\" followed by 26 characters)"});
  }
}

absl::Status NotFound(absl::string_view case_id) {
  return absl::NotFoundError(absl::StrCat("case ", case_id, " not found"));
}

std::vector<hirs::v1::CaseStatus> AllowedFrom(hirs::v1::CaseStatus from) {
  using namespace hirs::v1;  // NOLINT: the status names read as the table in cases.h
  switch (from) {
    case OPEN:
      return {UNDER_INVESTIGATION, CRIME_RECORDED, NON_CRIME_INCIDENT, NO_FURTHER_ACTION, CLOSED};
    case UNDER_INVESTIGATION:
      return {CRIME_RECORDED, NON_CRIME_INCIDENT, NO_FURTHER_ACTION, CLOSED};
    case CRIME_RECORDED:
      return {UNDER_INVESTIGATION, NO_FURTHER_ACTION, CLOSED};
    case NON_CRIME_INCIDENT:
      return {CRIME_RECORDED, NO_FURTHER_ACTION, CLOSED};
    case NO_FURTHER_ACTION:
      return {OPEN, CLOSED};
    case CLOSED:
      return {OPEN};
    default:
      return {};
  }
}

// The case as lists and events show it: no explanations, no reports.
hirs::v1::Case Summary(const hirs::v1::Case& c) {
  hirs::v1::Case out = c;
  out.clear_explanations();
  out.clear_reports();
  return out;
}

// Redacts each of `explanations` for `reader` (auth::RedactExplanation):
// the reports compared are taken from `known` (by id) or read from the
// store. Reads only the explanations' reports, not the cases'.
absl::Status RedactExplanations(const storage::Store& store, const auth::Principal& reader,
                                absl::flat_hash_map<std::string, const hirs::v1::Report*> known,
                                const std::vector<hirs::v1::CollationExplanation*>& explanations) {
  std::vector<std::string> missing;
  for (const auto* e : explanations) {
    for (const std::string* id : {&e->report_id(), &e->compared_report_id()}) {
      if (!id->empty() && !known.contains(*id)) {
        missing.push_back(*id);
        known[*id] = nullptr;
      }
    }
  }
  ASSIGN_OR_RETURN(auto read, storage::ReadProtos<hirs::store::v1::StoredReport>(store, Family::kReports, missing));
  for (size_t i = 0; i < missing.size(); ++i) {
    if (read[i].has_value()) known[missing[i]] = &read[i]->report();
  }
  for (auto* e : explanations) {
    auto find = [&](const std::string& id) { return id.empty() ? nullptr : known[id]; };
    auth::RedactExplanation(reader, find(e->report_id()), find(e->compared_report_id()), e);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LabelledPairs> ReviewDecisions(const storage::Store& store, const collation::MatchModel& model) {
  LabelledPairs out;
  absl::Status inner;
  RETURN_IF_ERROR(store.Scan(Family::kReview, "", 0, [&](absl::string_view key, absl::string_view value) {
    hirs::v1::ReviewItem item;
    if (!item.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      inner = absl::DataLossError(absl::StrCat("unreadable review item ", key));
      return false;
    }
    if (item.decision() == hirs::v1::MERGE || item.decision() == hirs::v1::KEEP_SEPARATE) {
      out.pairs.push_back(model.LevelsOf(item.explanation()));
      out.is_match.push_back(item.decision() == hirs::v1::MERGE);
    }
    return true;
  }));
  RETURN_IF_ERROR(inner);
  return out;
}

bool StatusTransitionAllowed(hirs::v1::CaseStatus from, hirs::v1::CaseStatus to) {
  if (from == to) return true;
  const auto allowed = AllowedFrom(from);
  return std::find(allowed.begin(), allowed.end(), to) != allowed.end();
}

Cases::Cases(storage::Store* store, storage::CaseLocks* locks, const collation::Collator* collator,
             const collation::KeyedHasher* hasher, std::function<absl::Time()> clock)
    : store_(store), locks_(locks), collator_(collator), hasher_(hasher), clock_(std::move(clock)) {}

absl::StatusOr<hirs::v1::Case> Cases::GetCase(const auth::Principal& reader, absl::string_view case_id) const {
  std::vector<FieldViolation> violations;
  CheckCaseId("case_id", case_id, &violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  ASSIGN_OR_RETURN(std::optional<StoredCase> stored, records::ReadCase(*store_, case_id));
  if (!stored.has_value()) return NotFound(case_id);
  hirs::v1::Case c = std::move(*stored->mutable_case_());
  ASSIGN_OR_RETURN(auto members, collation::ReadMembers(*store_, std::string(case_id), kGetCaseReports));
  RETURN_IF_ERROR(FillReports(reader, std::move(members), c.mutable_reports(), c.mutable_explanations()));
  return c;
}

absl::Status Cases::FillReports(
    const auth::Principal& reader, std::vector<hirs::v1::CollationExplanation> members,
    google::protobuf::RepeatedPtrField<hirs::v1::Report>* reports,
    google::protobuf::RepeatedPtrField<hirs::v1::CollationExplanation>* explanations) const {
  std::vector<std::string> ids;
  for (const auto& m : members) ids.push_back(m.report_id());
  ASSIGN_OR_RETURN(auto stored, storage::ReadProtos<hirs::store::v1::StoredReport>(*store_, Family::kReports, ids));
  for (size_t i = 0; i < stored.size(); ++i) {
    if (!stored[i].has_value()) {
      return absl::DataLossError(absl::StrCat("a case lists report ", ids[i], ", which is not stored"));
    }
    *reports->Add() = std::move(*stored[i]->mutable_report());
    *explanations->Add() = std::move(members[i]);
  }
  // Explanations first: they are redacted by what each compared report's
  // consent allows, which redacting the reports does not change.
  absl::flat_hash_map<std::string, const hirs::v1::Report*> known;
  for (const auto& r : *reports) known[r.report_id()] = &r;
  std::vector<hirs::v1::CollationExplanation*> pointers;
  for (auto& e : *explanations) pointers.push_back(&e);
  RETURN_IF_ERROR(RedactExplanations(*store_, reader, std::move(known), pointers));
  for (auto& r : *reports) auth::RedactReport(reader, &r);
  return absl::OkStatus();
}

absl::StatusOr<hirs::v1::ListCaseReportsResponse> Cases::ListCaseReports(
    const auth::Principal& reader, const hirs::v1::ListCaseReportsRequest& request) const {
  std::vector<FieldViolation> violations;
  CheckCaseId("case_id", request.case_id(), &violations);
  Pager pager(*hasher_, absl::StrCat("ListCaseReports\n", reader.id, "\n", request.case_id()), request.page_size(),
              request.page_token(), clock_(), &violations, kDefaultReportPageSize, kMaxReportPageSize);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  ASSIGN_OR_RETURN(std::optional<StoredCase> stored, records::ReadCase(*store_, request.case_id()));
  if (!stored.has_value()) return NotFound(request.case_id());
  // One more than the page, to know whether another follows.
  ASSIGN_OR_RETURN(auto members,
                   collation::ReadMembers(*store_, request.case_id(), pager.wanted(0) + 1, pager.after()));
  std::vector<hirs::v1::CollationExplanation> page;
  for (auto& m : members) {
    if (!pager.Visit(m.report_id(), static_cast<int>(page.size()))) break;
    page.push_back(std::move(m));
  }
  hirs::v1::ListCaseReportsResponse out;
  RETURN_IF_ERROR(FillReports(reader, std::move(page), out.mutable_reports(), out.mutable_explanations()));
  out.set_next_page_token(pager.NextPageToken());
  out.set_total_size(stored->case_().report_count());
  return out;
}

absl::StatusOr<hirs::v1::ListCaseEventsResponse> Cases::ListCaseEvents(
    const auth::Principal& reader, const hirs::v1::ListCaseEventsRequest& request) const {
  std::vector<FieldViolation> violations;
  CheckCaseId("case_id", request.case_id(), &violations);
  Pager pager(*hasher_, absl::StrCat("ListCaseEvents\n", reader.id, "\n", request.case_id()), request.page_size(),
              request.page_token(), clock_(), &violations, kDefaultReportPageSize, kMaxReportPageSize);
  uint64_t after = 0;
  if (!pager.after().empty() && !absl::SimpleAtoi(pager.after(), &after)) {
    violations.push_back({"page_token", "is not a page token of this list"});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  ASSIGN_OR_RETURN(std::optional<StoredCase> stored, records::ReadCase(*store_, request.case_id()));
  if (!stored.has_value()) return NotFound(request.case_id());
  // One more than the page, to know whether another follows.
  const std::string prefix = storage::CaseChangePrefix(request.case_id());
  std::vector<std::string> keys;
  std::vector<uint64_t> sequences;
  RETURN_IF_ERROR(store_->Scan(
      Family::kCaseChanges, prefix, pager.wanted(0) + 1,
      [&](absl::string_view key, absl::string_view) {
        uint64_t sequence = 0;
        if (storage::DecodeChangeKey(key.substr(prefix.size()), &sequence)) {
          sequences.push_back(sequence);
          keys.push_back(storage::EncodeChangeKey(sequence));
        }
        return true;
      },
      storage::ScanOrder::kDescending, after == 0 ? "" : storage::EncodeChangeKey(after)));
  ASSIGN_OR_RETURN(auto events, storage::ReadProtos<hirs::v1::CaseEvent>(*store_, Family::kChanges, keys));
  hirs::v1::ListCaseEventsResponse out;
  for (size_t i = 0; i < events.size(); ++i) {
    if (!pager.Visit(absl::StrCat(sequences[i]), out.events_size())) break;
    if (events[i].has_value()) *out.add_events() = std::move(*events[i]);
  }
  out.set_next_page_token(pager.NextPageToken());
  return out;
}

absl::StatusOr<hirs::v1::ListCasesResponse> Cases::ListCases(const auth::Principal& reader,
                                                             const hirs::v1::ListCasesRequest& request) const {
  const absl::Time now = clock_();
  std::vector<FieldViolation> violations;
  Pager pager(*hasher_, absl::StrCat("ListCases\n", reader.id, "\n", request.filter()), request.page_size(),
              request.page_token(), now, &violations, kDefaultPageSize, kMaxPageSize);
  absl::StatusOr<Filter> filter = Filter::Parse(request.filter());
  if (!filter.ok()) {
    for (auto& v : FieldViolationsOf(filter.status())) violations.push_back(std::move(v));
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);

  hirs::v1::ListCasesResponse out;
  // Looks at one case, in newest-first order; false once the page is done.
  auto consider = [&](absl::string_view case_id, const StoredCase* c) {
    if (!pager.Visit(case_id, out.cases_size())) return false;
    if (c != nullptr && filter->Matches(c->case_())) *out.add_cases() = Summary(c->case_());
    return true;
  };

  const std::optional<std::vector<std::string>> cover = filter->IndexCover(now);
  if (!cover.has_value()) {
    absl::Status parse_error;
    RETURN_IF_ERROR(store_->Scan(
        Family::kCases, "", 0,
        [&](absl::string_view key, absl::string_view value) {
          StoredCase c;
          if (!c.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
            parse_error = absl::DataLossError(absl::StrCat("unreadable case ", key));
            return false;
          }
          return consider(key, &c);
        },
        storage::ScanOrder::kDescending, pager.after()));
    RETURN_IF_ERROR(parse_error);
  } else {
    // Each round reads, from every covering prefix, the next `want` case ids
    // below the cursor; the largest `want` of their union are the next
    // `want` cases in order, whatever the prefixes hold further down.
    while (!cover->empty()) {
      const size_t want = pager.wanted(out.cases_size()) + 1;
      std::vector<std::string> ids;
      std::vector<size_t> found(cover->size(), 0);
      RETURN_IF_ERROR(store_->ScanEach(
          Family::kIndexes, *cover, std::vector<size_t>(cover->size(), want),
          [&](size_t p, absl::string_view key, absl::string_view) {
            ++found[p];
            ids.emplace_back(storage::CaseIdOfIndexKey(key));
            return true;
          },
          storage::ScanOrder::kDescending, std::vector<std::string>(cover->size(), pager.cursor())));
      const bool exhausted = std::all_of(found.begin(), found.end(), [&](size_t n) { return n < want; });
      std::sort(ids.begin(), ids.end(), std::greater<>());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      if (ids.size() > want) ids.resize(want);
      if (ids.empty()) break;
      ASSIGN_OR_RETURN(auto cases, storage::ReadProtos<StoredCase>(*store_, Family::kCases, ids));
      bool stopped = false;
      for (size_t i = 0; i < ids.size() && !stopped; ++i) {
        stopped = !consider(ids[i], cases[i].has_value() ? &*cases[i] : nullptr);
      }
      if (stopped || (exhausted && ids.size() < want)) break;
    }
  }
  out.set_next_page_token(pager.NextPageToken());
  return out;
}

absl::StatusOr<hirs::v1::Case> Cases::UpdateCase(const auth::Principal& caller,
                                                 const hirs::v1::UpdateCaseRequest& request) {
  const absl::Time now = clock_();
  const hirs::v1::Case& change = request.case_();
  std::vector<FieldViolation> violations;
  CheckCaseId("case.case_id", change.case_id(), &violations);
  if (request.etag().empty()) {
    violations.push_back({"etag", "is required: the etag of the case as you last read it (GetCase)"});
  }
  bool set_status = false, set_crime_reference = false, set_note = false;
  if (request.update_mask().paths_size() == 0) {
    violations.push_back({"update_mask", "name at least one field to change: status, crime_reference, outcome_note"});
  }
  for (int i = 0; i < request.update_mask().paths_size(); ++i) {
    const std::string& path = request.update_mask().paths(i);
    if (path == "status") {
      set_status = true;
    } else if (path == "crime_reference") {
      set_crime_reference = true;
    } else if (path == "outcome_note") {
      set_note = true;
    } else {
      violations.push_back({absl::StrCat("update_mask.paths[", i, "]"),
                            absl::StrCat("\"", path,
                                         "\" cannot be changed; only status, crime_reference and "
                                         "outcome_note can")});
    }
  }
  if (set_status &&
      (change.status() == hirs::v1::CASE_STATUS_UNSPECIFIED || !hirs::v1::CaseStatus_IsValid(change.status()))) {
    violations.push_back({"case.status",
                          "give a status: OPEN, UNDER_INVESTIGATION, CRIME_RECORDED, "
                          "NON_CRIME_INCIDENT, NO_FURTHER_ACTION or CLOSED"});
  }
  if (set_crime_reference) {
    const std::string problem = records::CrimeReferenceProblem(change.crime_reference());
    if (!problem.empty()) violations.push_back({"case.crime_reference", problem});
  }
  if (set_note && change.outcome_note().size() > kMaxOutcomeNoteBytes) {
    violations.push_back(
        {"case.outcome_note", absl::StrCat("is ", change.outcome_note().size(), " bytes long; at most ",
                                           kMaxOutcomeNoteBytes, " are allowed")});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);

  storage::LockManager::Guard guard = locks_->cases.Lock({change.case_id()});
  ASSIGN_OR_RETURN(std::optional<StoredCase> before, records::ReadCase(*store_, change.case_id()));
  if (!before.has_value()) return NotFound(change.case_id());
  if (before->case_().etag() != request.etag()) {
    return absl::AbortedError(absl::StrCat("case ", change.case_id(), " changed since you read it (your etag ",
                                           request.etag(), ", now ", before->case_().etag(),
                                           "); read it again and reapply your change"));
  }
  StoredCase after = *before;
  hirs::v1::Case& c = *after.mutable_case_();
  if (set_crime_reference) c.set_crime_reference(records::NormaliseCrimeReference(change.crime_reference()));
  if (set_note) c.set_outcome_note(change.outcome_note());
  if (set_status) {
    if (!StatusTransitionAllowed(before->case_().status(), change.status())) {
      std::vector<std::string> names;
      for (auto s : AllowedFrom(before->case_().status())) names.push_back(hirs::v1::CaseStatus_Name(s));
      return absl::FailedPreconditionError(absl::StrCat(
          "case ", c.case_id(), " cannot move from ", hirs::v1::CaseStatus_Name(before->case_().status()), " to ",
          hirs::v1::CaseStatus_Name(change.status()), "; from there it may move to ", absl::StrJoin(names, ", ")));
    }
    c.set_status(change.status());
    if (c.status() != hirs::v1::NON_CRIME_INCIDENT) {
      after.clear_non_crime_since();
    } else if (before->case_().status() != hirs::v1::NON_CRIME_INCIDENT) {
      *after.mutable_non_crime_since() = ToTimestamp(now);
    }
  }
  if (c.status() == hirs::v1::CRIME_RECORDED && c.crime_reference().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "case ", c.case_id(), " can be CRIME_RECORDED only with a crime reference; set crime_reference too"));
  }
  collation::StampChange(now, &after);

  storage::WriteBatch batch;
  // A non-crime incident keeps no victim personal data of school-related
  // reports (services/retention/retention.h), removed in this same write.
  int removed = 0;
  if (c.status() == hirs::v1::NON_CRIME_INCIDENT) {
    ASSIGN_OR_RETURN(std::vector<std::string> school, records::SchoolReportsToClear(*store_, after));
    if (!school.empty()) {
      ASSIGN_OR_RETURN(removed, records::RemovePersonalData(*store_, *collator_, school, now, &after, &batch));
    }
  }
  std::vector<records::CaseEventSpec> events = {{hirs::v1::CaseEvent::CASE_UPDATED}};
  if (removed > 0) events.push_back({hirs::v1::CaseEvent::PERSONAL_DATA_REMOVED});
  records::PutCase(&*before, after, events, now, &batch);
  RETURN_IF_ERROR(store_->Write(std::move(batch)));
  return c;
}

struct Cases::Locked {
  storage::LockManager::Guard key_guard;
  storage::LockManager::Guard case_guard;
  std::map<std::string, StoredCase> cases;                      // every locked case, as read under the locks
  std::map<std::string, std::vector<std::string>> moving_keys;  // report id -> its stored keys
  // The members of each moving case, as read under the locks.
  std::map<std::string, std::vector<hirs::v1::CollationExplanation>> moving_members;
};

absl::StatusOr<Cases::Locked> Cases::LockForMove(const std::vector<std::string>& case_ids,
                                                 const std::vector<std::string>& moving_cases,
                                                 const std::string& moving_report) const {
  // Which reports move depends on the cases, read before locking; a report
  // attached meanwhile shows under the locks, and the round is repeated.
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::vector<std::string> reports;
    for (const auto& id : moving_cases) {
      ASSIGN_OR_RETURN(auto c, records::ReadCase(*store_, id));
      if (!c.has_value()) return NotFound(id);
      ASSIGN_OR_RETURN(std::vector<std::string> members, collation::MemberIds(*store_, id));
      reports.insert(reports.end(), members.begin(), members.end());
    }
    if (!moving_report.empty()) reports.push_back(moving_report);
    Locked locked;
    std::vector<std::string> keys;
    for (const auto& r : reports) {
      ASSIGN_OR_RETURN(std::vector<std::string> k, collator_->StoredKeys(r, *store_));
      keys.insert(keys.end(), k.begin(), k.end());
      locked.moving_keys[r] = std::move(k);
    }
    locked.key_guard = locks_->keys.Lock(keys);
    locked.case_guard = locks_->cases.Lock(case_ids);
    ASSIGN_OR_RETURN(auto cases, storage::ReadProtos<StoredCase>(*store_, Family::kCases, case_ids));
    bool same = true;
    size_t n = 0;
    for (size_t i = 0; i < case_ids.size(); ++i) {
      if (!cases[i].has_value()) return NotFound(case_ids[i]);
      if (std::find(moving_cases.begin(), moving_cases.end(), case_ids[i]) != moving_cases.end()) {
        ASSIGN_OR_RETURN(auto members, collation::ReadMembers(*store_, case_ids[i]));
        for (const auto& m : members) same = same && locked.moving_keys.count(m.report_id()) > 0;
        n += members.size();
        locked.moving_members[case_ids[i]] = std::move(members);
      }
      locked.cases[case_ids[i]] = std::move(*cases[i]);
    }
    if (same && n + (moving_report.empty() ? 0 : 1) == reports.size()) return locked;
  }
  return absl::AbortedError("the cases kept changing while being locked; retry");
}

absl::StatusOr<StoredCase> Cases::Merge(Locked& locked, const std::string& target,
                                        const std::vector<std::string>& sources, const std::string& by, absl::Time now,
                                        storage::WriteBatch* batch) const {
  const StoredCase& before = locked.cases.at(target);
  std::vector<const StoredCase*> merging = {&before};  // the target first
  for (const auto& s : sources) merging.push_back(&locked.cases.at(s));
  ASSIGN_OR_RETURN(std::vector<std::string> ids, collation::MemberIds(*store_, target));
  std::map<std::string, const hirs::v1::CollationExplanation*> moving;  // report id -> its member entry
  for (const auto& source : sources) {
    for (const auto& m : locked.moving_members.at(source)) {
      ids.push_back(m.report_id());
      moving[m.report_id()] = &m;
    }
  }
  ASSIGN_OR_RETURN(auto stored, storage::ReadProtos<hirs::store::v1::StoredReport>(*store_, Family::kReports, ids));
  std::vector<hirs::store::v1::StoredReport> reports;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!stored[i].has_value()) return absl::DataLossError(absl::StrCat("report ", ids[i], " is not stored"));
    if (stored[i]->case_id() != target) {
      const std::string& centre = stored[i]->report().reporting_centre();
      collation::DeleteMember(stored[i]->case_id(), centre, ids[i], batch);
      collation::PutMember(target, centre, *moving.at(ids[i]), batch);
      collator_->Move(locked.moving_keys.at(ids[i]), ids[i], stored[i]->case_id(), target, {}, batch);
      stored[i]->set_case_id(target);
      stored[i]->set_placed_by(by);
      batch->Put(Family::kReports, ids[i], stored[i]->SerializeAsString());
    }
    reports.push_back(std::move(*stored[i]));
  }
  StoredCase merged = collation::RebuildCase(before, std::move(reports), now);
  auto gone = [&](const std::string& id) {
    return id == target || std::find(sources.begin(), sources.end(), id) != sources.end();
  };
  // Links and separations of every merged case, but not to each other.
  std::vector<std::string> links, separated;
  for (const StoredCase* c : merging) {
    for (const auto& l : c->case_().linked_case_ids()) {
      if (!gone(l)) links.push_back(l);
    }
    for (const auto& l : c->separated_case_ids()) {
      if (!gone(l) && std::find(separated.begin(), separated.end(), l) == separated.end()) separated.push_back(l);
    }
  }
  merged.mutable_case_()->clear_linked_case_ids();
  merged.mutable_case_()->set_repeat_victim(false);
  collation::LinkRepeatVictimCases(links, &merged);  // drops duplicates
  merged.clear_separated_case_ids();
  for (auto& s : separated) merged.add_separated_case_ids(std::move(s));
  if (merged.case_().crime_reference().empty()) {
    for (const auto& s : sources) {
      const std::string& ref = locked.cases.at(s).case_().crime_reference();
      if (!ref.empty()) {
        merged.mutable_case_()->set_crime_reference(ref);
        break;
      }
    }
  }
  records::PutCase(&before, merged, {{hirs::v1::CaseEvent::CASES_MERGED, sources}}, now, batch);
  for (const auto& s : sources) records::DeleteCase(locked.cases.at(s), now, batch);
  locked.cases[target] = merged;
  return merged;
}

void Cases::Separate(Locked& locked, const std::string& a, const std::vector<std::string>& others, absl::Time now,
                     storage::WriteBatch* batch) const {
  auto add = [](StoredCase* c, const std::string& id) {
    const auto& s = c->separated_case_ids();
    if (std::find(s.begin(), s.end(), id) == s.end()) c->add_separated_case_ids(id);
  };
  std::vector<std::string> changed = others;
  changed.push_back(a);
  std::map<std::string, StoredCase> before;
  for (const auto& id : changed) before.emplace(id, locked.cases.at(id));
  for (const auto& b : others) {
    add(&locked.cases.at(a), b);
    add(&locked.cases.at(b), a);
  }
  // Collation's bookkeeping only: no reader sees it, so no event.
  for (const auto& id : changed) records::PutCase(&before.at(id), locked.cases.at(id), {}, now, batch);
}

absl::StatusOr<hirs::v1::Case> Cases::MergeCases(const auth::Principal& caller,
                                                 const hirs::v1::MergeCasesRequest& request) {
  std::vector<FieldViolation> violations;
  CheckCaseId("target_case_id", request.target_case_id(), &violations);
  if (request.source_case_ids_size() == 0 || request.source_case_ids_size() > kMaxMergeSources) {
    violations.push_back({"source_case_ids", absl::StrCat("give from 1 to ", kMaxMergeSources, " cases to merge")});
  }
  std::vector<std::string> sources;
  for (int i = 0; i < request.source_case_ids_size(); ++i) {
    const std::string& id = request.source_case_ids(i);
    const std::string field = absl::StrCat("source_case_ids[", i, "]");
    if (!IsWellFormedId("case_", id)) {
      violations.push_back({field, "is not a case id"});
    } else if (id == request.target_case_id()) {
      violations.push_back({field, "is the target itself"});
    } else if (std::find(sources.begin(), sources.end(), id) != sources.end()) {
      violations.push_back({field, "is named twice"});
    } else {
      sources.push_back(id);
    }
  }
  if (request.reason().size() > kMaxReasonBytes) {
    violations.push_back({"reason", absl::StrCat("at most ", kMaxReasonBytes, " bytes")});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  const absl::Time now = clock_();
  std::vector<std::string> all = sources;
  all.push_back(request.target_case_id());
  ASSIGN_OR_RETURN(Locked locked, LockForMove(all, sources, ""));
  storage::WriteBatch batch;
  ASSIGN_OR_RETURN(StoredCase merged, Merge(locked, request.target_case_id(), sources, caller.id, now, &batch));
  RETURN_IF_ERROR(store_->Write(std::move(batch)));
  return merged.case_();
}

absl::StatusOr<hirs::v1::SplitReportResponse> Cases::SplitReport(const auth::Principal& caller,
                                                                 const hirs::v1::SplitReportRequest& request) {
  if (!IsWellFormedId("rpt_", request.report_id())) {
    return InvalidArgumentWithViolations({{"report_id", "is not a report id (\"rpt_\" followed by 26 characters)"}});
  }
  if (request.reason().size() > kMaxReasonBytes) {
    return InvalidArgumentWithViolations({{"reason", absl::StrCat("at most ", kMaxReasonBytes, " bytes")}});
  }
  const absl::Time now = clock_();
  ASSIGN_OR_RETURN(auto report,
                   storage::ReadProto<hirs::store::v1::StoredReport>(*store_, Family::kReports, request.report_id()));
  if (!report.has_value()) return absl::NotFoundError(absl::StrCat("report ", request.report_id(), " not found"));
  const std::string from = report->case_id();
  const std::string to = NewId("case_", now);
  ASSIGN_OR_RETURN(Locked locked, LockForMove({from}, {}, request.report_id()));
  // Under the locks: the report's case may have changed (a merge) meanwhile.
  ASSIGN_OR_RETURN(report,
                   storage::ReadProto<hirs::store::v1::StoredReport>(*store_, Family::kReports, request.report_id()));
  if (report->case_id() != from) return absl::AbortedError("the report's case changed meanwhile; retry");
  StoredCase& original = locked.cases.at(from);
  if (original.case_().report_count() < 2) {
    return absl::FailedPreconditionError(
        absl::StrCat("report ", request.report_id(), " is the only report of case ", from, "; nothing to split"));
  }
  ASSIGN_OR_RETURN(std::vector<hirs::v1::CollationExplanation> members, collation::ReadMembers(*store_, from));
  std::vector<std::string> rest;
  hirs::v1::CollationExplanation moving;
  for (auto& m : members) {
    if (m.report_id() == request.report_id()) {
      moving = std::move(m);
    } else {
      rest.push_back(m.report_id());
    }
  }
  ASSIGN_OR_RETURN(StoredCase left, collation::RebuildCaseFrom(*store_, original, rest, now));
  storage::WriteBatch batch;
  StoredCase alone = collation::NewCase(to);
  report->set_case_id(to);
  report->set_placed_by(caller.id);
  collation::AddReportToCase(*report, now, &alone);
  collation::DeleteMember(from, report->report().reporting_centre(), request.report_id(), &batch);
  moving.set_report_id(request.report_id());
  collation::PutMember(to, report->report().reporting_centre(), moving, &batch);
  left.add_separated_case_ids(to);
  alone.add_separated_case_ids(from);
  // Keys the case keeps through its other reports stay with it.
  std::map<std::string, std::string> staying;
  for (const auto& id : rest) {
    ASSIGN_OR_RETURN(std::vector<std::string> keys, collator_->StoredKeys(id, *store_));
    for (auto& k : keys) staying.emplace(std::move(k), id);
  }
  collator_->Move(locked.moving_keys.at(request.report_id()), request.report_id(), from, to, staying, &batch);
  batch.Put(Family::kReports, request.report_id(), report->SerializeAsString());
  records::PutCase(&original, left, {{hirs::v1::CaseEvent::REPORT_SPLIT, {to}, {request.report_id()}}}, now, &batch);
  records::PutCase(nullptr, alone, {{hirs::v1::CaseEvent::CASE_CREATED, {from}, {request.report_id()}}}, now, &batch);
  RETURN_IF_ERROR(store_->Write(std::move(batch)));
  hirs::v1::SplitReportResponse out;
  *out.mutable_original_case() = left.case_();
  *out.mutable_new_case() = alone.case_();
  return out;
}

absl::StatusOr<hirs::v1::ListReviewItemsResponse> Cases::ListReviewItems(
    const auth::Principal& reader, const hirs::v1::ListReviewItemsRequest& request) const {
  std::vector<FieldViolation> violations;
  Pager pager(*hasher_, absl::StrCat("ListReviewItems\n", reader.id), request.page_size(), request.page_token(),
              clock_(), &violations, kDefaultPageSize, kMaxPageSize);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  hirs::v1::ListReviewItemsResponse out;
  absl::Status inner;
  RETURN_IF_ERROR(store_->Scan(
      Family::kReview, "", 0,
      [&](absl::string_view key, absl::string_view value) {
        if (!pager.Visit(key, out.items_size())) return false;
        hirs::v1::ReviewItem item;
        if (!item.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          inner = absl::DataLossError(absl::StrCat("unreadable review item ", key));
          return false;
        }
        if (item.decision() == hirs::v1::REVIEW_DECISION_UNSPECIFIED) *out.add_items() = std::move(item);
        return true;
      },
      storage::ScanOrder::kAscending, pager.after()));
  RETURN_IF_ERROR(inner);
  std::vector<hirs::v1::CollationExplanation*> explanations;
  for (auto& item : *out.mutable_items()) explanations.push_back(item.mutable_explanation());
  RETURN_IF_ERROR(RedactExplanations(*store_, reader, {}, explanations));
  out.set_next_page_token(pager.NextPageToken());
  return out;
}

absl::StatusOr<hirs::v1::ReviewItem> Cases::ResolveReviewItem(const auth::Principal& caller,
                                                              const hirs::v1::ResolveReviewItemRequest& request) {
  std::vector<FieldViolation> violations;
  if (!IsWellFormedId("rev_", request.review_id())) {
    violations.push_back({"review_id", "is not a review item id (\"rev_\" followed by 26 characters)"});
  }
  if (request.decision() != hirs::v1::MERGE && request.decision() != hirs::v1::KEEP_SEPARATE) {
    violations.push_back({"decision", "give MERGE or KEEP_SEPARATE"});
  }
  if (request.decision() == hirs::v1::MERGE && request.target_case_id().empty()) {
    violations.push_back({"target_case_id", "MERGE needs the candidate case to merge into"});
  }
  if (request.reason().size() > kMaxReviewReasonBytes || !IsValidUtf8(request.reason())) {
    violations.push_back({"reason", absl::StrCat("must be UTF-8 text of at most ", kMaxReviewReasonBytes, " bytes")});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  const absl::Time now = clock_();
  // Items change only here; one resolution at a time (taken before the
  // case locks, which nothing else holds while waiting for this).
  absl::MutexLock item_lock(&review_mu_);
  ASSIGN_OR_RETURN(auto item, storage::ReadProto<hirs::v1::ReviewItem>(*store_, Family::kReview, request.review_id()));
  if (!item.has_value()) return absl::NotFoundError(absl::StrCat("review item ", request.review_id(), " not found"));
  if (item->decision() != hirs::v1::REVIEW_DECISION_UNSPECIFIED) {
    return absl::FailedPreconditionError(absl::StrCat("review item ", request.review_id(), " was already resolved (",
                                                      hirs::v1::ReviewDecision_Name(item->decision()), ")"));
  }
  const auto& candidates = item->candidate_case_ids();
  if (request.decision() == hirs::v1::MERGE &&
      std::find(candidates.begin(), candidates.end(), request.target_case_id()) == candidates.end()) {
    return InvalidArgumentWithViolations({{"target_case_id", absl::StrCat("is not one of the item's candidate cases (",
                                                                          absl::StrJoin(candidates, ", "), ")")}});
  }
  // The report's case now (a merge may have moved it since the item opened).
  ASSIGN_OR_RETURN(auto report,
                   storage::ReadProto<hirs::store::v1::StoredReport>(*store_, Family::kReports, item->report_id()));
  if (!report.has_value()) return absl::DataLossError("a review item names a report that is not stored");
  const std::string own = report->case_id();
  storage::WriteBatch batch;
  std::optional<Locked> locked;
  if (request.decision() == hirs::v1::MERGE) {
    if (own != request.target_case_id()) {
      ASSIGN_OR_RETURN(locked, LockForMove({own, request.target_case_id()}, {own}, ""));
      ASSIGN_OR_RETURN(StoredCase merged, Merge(*locked, request.target_case_id(), {own}, caller.id, now, &batch));
    }
  } else {
    std::vector<std::string> others;
    for (const auto& c : candidates) {
      ASSIGN_OR_RETURN(auto exists, store_->Get(Family::kCases, c));
      if (c != own && exists.has_value()) others.push_back(c);
    }
    std::vector<std::string> ids = others;
    ids.push_back(own);
    ASSIGN_OR_RETURN(locked, LockForMove(ids, {}, ""));
    Separate(*locked, own, others, now, &batch);
    // A person kept it where it is: an amendment does not move it.
    ASSIGN_OR_RETURN(report,
                     storage::ReadProto<hirs::store::v1::StoredReport>(*store_, Family::kReports, item->report_id()));
    if (report.has_value() && report->case_id() == own) {
      report->set_placed_by(caller.id);
      batch.Put(Family::kReports, item->report_id(), report->SerializeAsString());
    }
  }
  RETURN_IF_ERROR(collator_->Settle(item->report_id(), *store_, &batch));
  item->set_decision(request.decision());
  *item->mutable_resolved_at() = ToTimestamp(now);
  item->set_reason(request.reason());
  item->set_resolved_by(caller.id);
  batch.Put(Family::kReview, item->review_id(), item->SerializeAsString());
  RETURN_IF_ERROR(store_->Write(std::move(batch)));
  return *item;
}

}  // namespace hirs::cases
