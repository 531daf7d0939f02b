#include "services/cases/cases.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/bad_request.h"
#include "common/civil_time.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "hirs/store/v1/records.pb.h"
#include "services/auth/redaction.h"
#include "services/cases/filter.h"
#include "services/cases/page_token.h"
#include "services/collation/case_aggregate.h"
#include "services/intake/normalise.h"
#include "services/intake/validation.h"
#include "storage/keys.h"

namespace hirs::cases {
namespace {

using hirs::store::v1::StoredCase;
using storage::Family;

// At most this many cases are read by one ListCases call, whatever the
// filter, so that a filter matching few cases cannot make a call slow.
constexpr size_t kMaxExaminedPerCall = 20000;

absl::Status NotFound(absl::string_view case_id) {
  return absl::NotFoundError(absl::StrCat("case ", case_id, " not found"));
}

std::vector<hirs::v1::CaseStatus> AllowedFrom(hirs::v1::CaseStatus from) {
  using namespace hirs::v1;  // NOLINT: the status names read as the table in cases.h
  switch (from) {
    case OPEN: return {UNDER_INVESTIGATION, CRIME_RECORDED, NON_CRIME_INCIDENT, NO_FURTHER_ACTION, CLOSED};
    case UNDER_INVESTIGATION: return {CRIME_RECORDED, NON_CRIME_INCIDENT, NO_FURTHER_ACTION, CLOSED};
    case CRIME_RECORDED: return {UNDER_INVESTIGATION, NO_FURTHER_ACTION, CLOSED};
    case NON_CRIME_INCIDENT: return {CRIME_RECORDED, NO_FURTHER_ACTION, CLOSED};
    case NO_FURTHER_ACTION: return {OPEN, CLOSED};
    case CLOSED: return {OPEN};
    default: return {};
  }
}

// The case as lists and events show it: no explanations, no reports.
hirs::v1::Case Summary(const hirs::v1::Case& c) {
  hirs::v1::Case out = c;
  out.clear_explanations();
  out.clear_reports();
  return out;
}

}  // namespace

bool StatusTransitionAllowed(hirs::v1::CaseStatus from, hirs::v1::CaseStatus to) {
  if (from == to) return true;
  const auto allowed = AllowedFrom(from);
  return std::find(allowed.begin(), allowed.end(), to) != allowed.end();
}

Cases::Cases(storage::Store* store, storage::CaseLocks* locks, const collation::KeyedHasher* hasher,
             std::function<absl::Time()> clock)
    : store_(store), locks_(locks), hasher_(hasher), clock_(std::move(clock)) {}

absl::StatusOr<hirs::v1::Case> Cases::GetCase(const auth::Principal& reader, absl::string_view case_id) const {
  if (!IsWellFormedId("case_", case_id)) {
    return InvalidArgumentWithViolations({{"case_id", "is not a case id (\"case_\" followed by 26 characters)"}});
  }
  ASSIGN_OR_RETURN(std::optional<StoredCase> stored, storage::ReadProto<StoredCase>(*store_, Family::kCases, case_id));
  if (!stored.has_value()) return NotFound(case_id);
  hirs::v1::Case c = std::move(*stored->mutable_case_());
  const std::vector<std::string> ids(c.report_ids().begin(), c.report_ids().end());
  ASSIGN_OR_RETURN(auto reports, storage::ReadProtos<hirs::store::v1::StoredReport>(*store_, Family::kReports, ids));
  for (size_t i = 0; i < reports.size(); ++i) {
    if (!reports[i].has_value()) {
      return absl::DataLossError(absl::StrCat("case ", case_id, " lists report ", ids[i], ", which is not stored"));
    }
    hirs::v1::Report* r = c.add_reports();
    *r = std::move(*reports[i]->mutable_report());
    auth::RedactReport(reader, r);
  }
  return c;
}

absl::StatusOr<hirs::v1::ListCasesResponse> Cases::ListCases(const auth::Principal& reader,
                                                             const hirs::v1::ListCasesRequest& request) const {
  const absl::Time now = clock_();
  std::vector<FieldViolation> violations;
  if (request.page_size() < 0) {
    violations.push_back({"page_size", "must not be negative; leave it 0 for the default of 50"});
  }
  absl::StatusOr<Filter> filter = Filter::Parse(request.filter());
  if (!filter.ok()) {
    for (auto& v : FieldViolationsOf(filter.status())) violations.push_back(std::move(v));
  }
  const std::string scope = absl::StrCat("ListCases\n", reader.id, "\n", request.filter());
  std::string after;
  if (!request.page_token().empty()) {
    absl::StatusOr<std::string> decoded = DecodePageToken(*hasher_, scope, request.page_token(), now);
    if (decoded.ok()) {
      after = *std::move(decoded);
    } else {
      for (auto& v : FieldViolationsOf(decoded.status())) violations.push_back(std::move(v));
    }
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  const int page_size = request.page_size() == 0 ? kDefaultPageSize : std::min(request.page_size(), kMaxPageSize);

  hirs::v1::ListCasesResponse out;
  size_t examined = 0;
  bool more = false;
  std::string cursor = after;
  // Looks at one case (in newest-first order); false once the page is full
  // or the call has examined enough, leaving `more` set.
  auto consider = [&](absl::string_view case_id, const StoredCase* c) {
    if (out.cases_size() >= page_size || examined >= kMaxExaminedPerCall) {
      more = true;
      return false;
    }
    ++examined;
    cursor = std::string(case_id);
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
        storage::ScanOrder::kDescending, after));
    RETURN_IF_ERROR(parse_error);
  } else {
    // Each round reads, from every covering prefix, the next `want` case ids
    // below the cursor; the largest `want` of their union are the next
    // `want` cases in order, whatever the prefixes hold further down.
    while (!cover->empty()) {
      const size_t want = static_cast<size_t>(page_size - out.cases_size()) + 1;
      std::vector<std::string> ids;
      std::vector<size_t> found(cover->size(), 0);
      RETURN_IF_ERROR(store_->ScanEach(
          Family::kIndexes, *cover, std::vector<size_t>(cover->size(), want),
          [&](size_t p, absl::string_view key, absl::string_view) {
            ++found[p];
            ids.emplace_back(storage::CaseIdOfIndexKey(key));
            return true;
          },
          storage::ScanOrder::kDescending, std::vector<std::string>(cover->size(), cursor)));
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
  if (more) out.set_next_page_token(EncodePageToken(*hasher_, scope, cursor, now));
  return out;
}

absl::StatusOr<hirs::v1::Case> Cases::UpdateCase(const auth::Principal& caller,
                                                 const hirs::v1::UpdateCaseRequest& request) {
  const absl::Time now = clock_();
  const hirs::v1::Case& change = request.case_();
  std::vector<FieldViolation> violations;
  if (!IsWellFormedId("case_", change.case_id())) {
    violations.push_back({"case.case_id", "is not a case id (\"case_\" followed by 26 characters)"});
  }
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
                            absl::StrCat("\"", path, "\" cannot be changed; only status, crime_reference and "
                                                     "outcome_note can")});
    }
  }
  if (set_status && (change.status() == hirs::v1::CASE_STATUS_UNSPECIFIED ||
                     !hirs::v1::CaseStatus_IsValid(change.status()))) {
    violations.push_back({"case.status", "give a status: OPEN, UNDER_INVESTIGATION, CRIME_RECORDED, "
                                         "NON_CRIME_INCIDENT, NO_FURTHER_ACTION or CLOSED"});
  }
  if (set_crime_reference) {
    const std::string problem = intake::CrimeReferenceProblem(change.crime_reference());
    if (!problem.empty()) violations.push_back({"case.crime_reference", problem});
  }
  if (set_note && change.outcome_note().size() > kMaxOutcomeNoteBytes) {
    violations.push_back({"case.outcome_note", absl::StrCat("is ", change.outcome_note().size(),
                                                            " bytes long; at most ", kMaxOutcomeNoteBytes,
                                                            " are allowed")});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);

  storage::LockManager::Guard guard = locks_->cases.Lock({change.case_id()});
  ASSIGN_OR_RETURN(std::optional<StoredCase> before,
                   storage::ReadProto<StoredCase>(*store_, Family::kCases, change.case_id()));
  if (!before.has_value()) return NotFound(change.case_id());
  if (before->case_().etag() != request.etag()) {
    return absl::AbortedError(absl::StrCat("case ", change.case_id(), " changed since you read it (your etag ",
                                           request.etag(), ", now ", before->case_().etag(),
                                           "); read it again and reapply your change"));
  }
  StoredCase after = *before;
  hirs::v1::Case& c = *after.mutable_case_();
  if (set_crime_reference) c.set_crime_reference(intake::NormaliseCrimeReference(change.crime_reference()));
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
  }
  if (c.status() == hirs::v1::CRIME_RECORDED && c.crime_reference().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "case ", c.case_id(), " can be CRIME_RECORDED only with a crime reference; set crime_reference too"));
  }
  collation::StampChange(now, &after);

  storage::WriteBatch batch;
  batch.Put(Family::kCases, c.case_id(), after.SerializeAsString());
  storage::UpdateCaseIndexes(&before->case_(), &c, &batch);
  collation::AppendCaseEvent(hirs::v1::CaseEvent::CASE_UPDATED, c, {}, now, &batch);
  RETURN_IF_ERROR(store_->Write(std::move(batch)));
  return c;
}

}  // namespace hirs::cases
