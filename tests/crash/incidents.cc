#include "tests/crash/incidents.h"

#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/civil_time.h"
#include "hirs/store/v1/records.pb.h"
#include "services/audit/audit_log.h"
#include "services/auth/principals.h"
#include "storage/keys.h"

namespace hirs::crash {

hirs::v1::Report Incident(uint64_t n, int centre) {
  hirs::v1::Report r;
  r.set_source_reference(absl::StrCat("C", centre, "-", n));
  r.set_reporter_role(centre == 0 ? hirs::v1::VICTIM : hirs::v1::WITNESS);
  r.add_motivations(hirs::v1::RACE);
  r.add_incident_types(hirs::v1::VERBAL_ABUSE);
  // Incidents a day apart, each in its own postcode: they never collate.
  // After 12,001 days (back to 1993; reports before 1990 are refused) the
  // days repeat, with the next postcode (12,001 is not a multiple of 5).
  const absl::Time when = absl::FromUnixSeconds(1760000000) - absl::Hours(24 * static_cast<int64_t>(n % 12001));
  *r.mutable_occurred_start() = hirs::ToTimestamp(when);
  static const char* postcodes[] = {"LE11 3AB", "LE1 5WW", "LE18 2AA", "LE10 1AA", "LE13 0AA"};
  r.mutable_location()->set_postcode(postcodes[n % 5]);
  r.mutable_location()->set_place_type(hirs::v1::STREET_OR_PUBLIC_PLACE);
  // Distinct people: a surname spelt from n, a date of birth from n.
  std::string surname;
  for (uint64_t v = n + 1; v > 0; v /= 26) surname += static_cast<char>('a' + v % 26);
  surname[0] = static_cast<char>(surname[0] - 'a' + 'A');
  r.mutable_victim()->set_full_name(absl::StrCat("Robin ", surname, "son"));
  r.mutable_victim()->set_date_of_birth(absl::StrFormat("%04d-%02d-%02d", 1940 + n % 60, 1 + n % 12, 1 + n % 28));
  r.mutable_consent()->set_share_with_police(true);
  return r;
}

std::string Token(int centre) { return centre == 0 ? "token-centre-a" : "token-centre-b"; }
std::string Centre(int centre) { return centre == 0 ? "centre-a" : "centre-b"; }

void WritePrincipals(const std::string& path) {
  std::ofstream p(path);
  p << "{\"principals\": [{\"id\": \"centre-a\", \"role\": \"REPORTING_CENTRE\", \"scope\": \"centre-a\", "
       "\"token_sha256\": \""
    << hirs::auth::TokenSha256Hex("token-centre-a")
    << "\"}, {\"id\": \"centre-b\", \"role\": \"REPORTING_CENTRE\", \"scope\": \"centre-b\", \"token_sha256\": \""
    << hirs::auth::TokenSha256Hex("token-centre-b") << "\"}]}";
}

grpc::Status Submit(hirs::v1::ReportingService::Stub* stub, int centre, const std::string& request_id,
                    uint64_t incident, hirs::v1::SubmitReportResponse* response, absl::Duration deadline) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + Token(centre));
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  hirs::v1::SubmitReportRequest request;
  request.set_request_id(request_id);
  *request.mutable_report() = Incident(incident, centre);
  return stub->SubmitReport(&context, request, response);
}

grpc::Status Withdraw(hirs::v1::ReportingService::Stub* stub, int centre, const std::string& report_id) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + Token(centre));
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  hirs::v1::WithdrawReportRequest request;
  request.set_report_id(report_id);
  request.set_reason("withdrawn by the crash test");
  hirs::v1::Report out;
  return stub->WithdrawReport(&context, request, &out);
}

grpc::Status Amend(hirs::v1::ReportingService::Stub* stub, int centre, const std::string& report_id, uint64_t incident,
                   const std::string& request_id) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + Token(centre));
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  hirs::v1::AmendReportRequest request;
  request.set_report_id(report_id);
  *request.mutable_report() = Incident(incident, centre);
  request.mutable_report()->set_description(absl::StrCat(request.report().description(), " (corrected)"));
  request.set_reason("amended by the crash test");
  request.set_request_id(request_id);
  hirs::v1::Report out;
  return stub->AmendReport(&context, request, &out);
}

namespace {

// Reads every report, case and index key of a store.
struct Contents {
  std::map<std::string, hirs::store::v1::StoredReport> reports;
  std::map<std::string, hirs::store::v1::StoredCase> cases;
  std::set<std::string> index_keys;
  std::set<std::string> centre_case_keys;
};

Contents Read(const storage::Store& store) {
  Contents c;
  (void)store.Scan(storage::Family::kReports, "", 0, [&](absl::string_view k, absl::string_view v) {
    c.reports[std::string(k)].ParseFromArray(v.data(), static_cast<int>(v.size()));
    return true;
  });
  (void)store.Scan(storage::Family::kCases, "", 0, [&](absl::string_view k, absl::string_view v) {
    c.cases[std::string(k)].ParseFromArray(v.data(), static_cast<int>(v.size()));
    return true;
  });
  (void)store.Scan(storage::Family::kIndexes, "", 0, [&](absl::string_view k, absl::string_view) {
    c.index_keys.emplace(k);
    return true;
  });
  (void)store.Scan(storage::Family::kCentreCases, "", 0, [&](absl::string_view k, absl::string_view) {
    c.centre_case_keys.emplace(k);
    return true;
  });
  return c;
}

// The cases and their indexes agree with the reports.
void CheckCases(const Contents& c, std::vector<std::string>* problems) {
  std::set<std::string> expected_index;
  size_t listed = 0;
  for (const auto& [id, stored] : c.cases) {
    for (const std::string& r : stored.case_().report_ids()) {
      ++listed;
      auto it = c.reports.find(r);
      if (it == c.reports.end() || it->second.case_id() != id)
        problems->push_back(absl::StrCat("case ", id, " lists ", r));
    }
    for (const std::string& k : storage::CaseIndexKeys(stored.case_())) expected_index.insert(k);
  }
  size_t tombstones = 0;
  for (const auto& [id, r] : c.reports) tombstones += r.report().has_withdrawal() ? 1 : 0;
  if (listed + tombstones != c.reports.size()) {
    problems->push_back(
        absl::StrCat(listed, " reports listed in cases and ", tombstones, " withdrawn, ", c.reports.size(), " stored"));
  }
  for (const std::string& k : expected_index) {
    if (!c.index_keys.count(k)) problems->push_back(absl::StrCat("index entry missing: ", k));
  }
  size_t orphans = 0;
  for (const std::string& k : c.index_keys) orphans += expected_index.count(k) ? 0 : 1;
  if (orphans > 0) problems->push_back(absl::StrCat(orphans, " index entries name no case or a stale value"));
  std::set<std::string> by_centre;  // what kCentreCases should hold
  for (const auto& [id, r] : c.reports) {
    if (!r.case_id().empty())
      by_centre.insert(storage::CentreCaseReportKey(r.report().reporting_centre(), r.case_id(), id));
  }
  if (by_centre != c.centre_case_keys) {
    problems->push_back(absl::StrCat("the centre-by-case index holds ", c.centre_case_keys.size(), " entries; the ",
                                     "reports in cases want ", by_centre.size(), ", not all the same"));
  }
}

// The audit chain verifies, nothing is pending, and every OK answer has
// its entry (retries too).
void CheckAudit(const storage::Store& store, const std::map<std::string, int>& answers,
                std::vector<std::string>* problems, StoreSummary* summary) {
  auto audit = audit::VerifyChain(store);
  if (!audit.ok() || !audit->ok()) {
    problems->push_back(absl::StrCat("audit chain: ", audit.ok() ? audit->first_problem() : audit.status().ToString()));
    return;
  }
  summary->audit_entries = audit->entries_checked();
  if (audit->pending_entries() != 0) {
    problems->push_back(absl::StrCat(audit->pending_entries(), " audit entries still pending after a clean stop"));
  }
  std::map<std::string, int> audited;  // report id -> OK SubmitReport entries naming it
  absl::Status scanned =
      store.Scan(storage::Family::kAudit, storage::kAuditEntryPrefix, 0, [&](absl::string_view, absl::string_view v) {
        hirs::v1::AuditEntry e;
        if (e.ParseFromArray(v.data(), static_cast<int>(v.size())) &&
            e.method() == "hirs.v1.ReportingService/SubmitReport" && e.outcome() == "OK") {
          for (const std::string& id : e.resource_ids()) ++audited[id];
        }
        return true;
      });
  if (!scanned.ok()) problems->push_back(absl::StrCat("scanning the audit chain: ", scanned.ToString()));
  for (const auto& [report_id, n] : answers) {
    if (audited[report_id] < n) {
      problems->push_back(absl::StrCat("report ", report_id, " was answered OK ", n, " times but has ",
                                       audited[report_id], " audit entries"));
    }
  }
}

}  // namespace

std::vector<std::string> CheckStore(const storage::Store& store, const std::map<std::string, Ack>& acked,
                                    const std::map<std::string, int>& answers, const std::set<std::string>& withdrawn,
                                    StoreSummary* summary) {
  std::vector<std::string> problems;
  const Contents c = Read(store);
  for (const auto& [key, ack] : acked) {
    auto it = c.reports.find(ack.report_id);
    if (it == c.reports.end()) {
      problems.push_back(absl::StrCat("acknowledged report ", ack.report_id, " (", key, ") is missing"));
    } else if (withdrawn.count(ack.report_id) > 0) {
      const hirs::v1::Report& r = it->second.report();
      if (!r.has_withdrawal() || !it->second.case_id().empty() || !r.victim().full_name().empty()) {
        problems.push_back(absl::StrCat(ack.report_id, " was withdrawn but is not a tombstone in no case"));
      }
      ++summary->withdrawn;
    } else if (it->second.report().has_withdrawal()) {
      problems.push_back(absl::StrCat(ack.report_id, " is withdrawn, but no withdrawal of it was answered"));
    } else if (it->second.case_id() != ack.case_id) {  // nothing merges here
      problems.push_back(absl::StrCat(ack.report_id, " is in ", it->second.case_id(), " not ", ack.case_id));
    }
  }
  for (const auto& [id, stored] : c.reports) {
    const int versions = stored.report().versions_size();
    if (versions > 2) problems.push_back(absl::StrCat(id, " has ", versions, " versions: amended more than once"));
    summary->amended += versions == 2 ? 1 : 0;
  }
  if (c.reports.size() != acked.size()) {
    problems.push_back(absl::StrCat(c.reports.size(), " reports stored, ", acked.size(),
                                    " acknowledged: something was stored twice or unacknowledged work survived "
                                    "unretried"));
  }
  CheckCases(c, &problems);
  std::map<uint64_t, std::set<std::string>> cases_of;
  for (const auto& [key, ack] : acked) {
    // A report withdrawn before the other centre's report of its incident
    // was placed leaves that one to start a case of its own: rightly, as
    // nothing may join a withdrawn report.
    if (withdrawn.count(ack.report_id) == 0) cases_of[ack.incident].insert(ack.case_id);
  }
  for (const auto& [incident, ids] : cases_of) {
    if (ids.size() != 1) problems.push_back(absl::StrCat("incident ", incident, " is in ", ids.size(), " cases"));
    summary->shared_incidents += incident % 2 == 0 ? 1 : 0;
  }
  CheckAudit(store, answers, &problems, summary);
  summary->reports = c.reports.size();
  summary->cases = c.cases.size();
  summary->index_entries = c.index_keys.size();
  return problems;
}

}  // namespace hirs::crash
