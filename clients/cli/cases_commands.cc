// hirs cases ... and hirs review ...: the police's calls on collated cases
// and the review queue.
#include <map>

#include "clients/cli/cli.h"

#include "hirs/v1/case_service.grpc.pb.h"

ABSL_FLAG(std::string, status, "", "cases update: the new status, e.g. UNDER_INVESTIGATION");
ABSL_FLAG(std::string, crime_reference, "", "cases update: the crime reference to record");
ABSL_FLAG(std::string, outcome_note, "", "cases update: the outcome note (no personal data)");
ABSL_FLAG(std::string, target, "", "review resolve merge: the candidate case to merge into");

namespace hirs::cli {

namespace {

int CasesGet(hirs::v1::CaseService::Stub& stub, const std::vector<std::string>& words) {
  if (!(words.size() == 3)) return kNotACommand;
  hirs::v1::GetCaseRequest request;
  request.set_case_id(words[2]);
  return Unary<hirs::v1::Case>([&](grpc::ClientContext* c, hirs::v1::Case* r) { return stub.GetCase(c, request, r); });
}

int CasesReports(hirs::v1::CaseService::Stub& stub, const std::vector<std::string>& words) {
  if (!(words.size() == 3)) return kNotACommand;
  hirs::v1::ListCaseReportsRequest request;
  request.set_case_id(words[2]);
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  return ListPages<hirs::v1::ListCaseReportsRequest, hirs::v1::ListCaseReportsResponse>(
      request,
      [&](grpc::ClientContext* c, const hirs::v1::ListCaseReportsRequest& q, hirs::v1::ListCaseReportsResponse* r) {
        return stub.ListCaseReports(c, q, r);
      },
      [](const hirs::v1::ListCaseReportsResponse& r) { return r.reports(); },
      {{"REPORT", "report_id"},
       {"CENTRE", "reporting_centre"},
       {"RECEIVED", "received_at"},
       {"MOTIVATIONS", "motivations"},
       {"TYPES", "incident_types"}});
}

int CasesHistory(hirs::v1::CaseService::Stub& stub, const std::vector<std::string>& words) {
  if (!(words.size() == 3)) return kNotACommand;
  hirs::v1::ListCaseEventsRequest request;
  request.set_case_id(words[2]);
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  return ListPages<hirs::v1::ListCaseEventsRequest, hirs::v1::ListCaseEventsResponse>(
      request,
      [&](grpc::ClientContext* c, const hirs::v1::ListCaseEventsRequest& q, hirs::v1::ListCaseEventsResponse* r) {
        return stub.ListCaseEvents(c, q, r);
      },
      [](const hirs::v1::ListCaseEventsResponse& r) { return r.events(); },
      {{"CURSOR", "cursor"},
       {"WHEN", "occurred_at"},
       {"KIND", "kind"},
       {"STATUS", "case.status"},
       {"REPORTS", "report_ids"},
       {"RELATED", "related_case_ids"}});
}

int CasesList(hirs::v1::CaseService::Stub& stub, const std::vector<std::string>& words) {
  if (!(words.size() == 2)) return kNotACommand;
  hirs::v1::ListCasesRequest request;
  request.set_filter(absl::GetFlag(FLAGS_filter));
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  return ListPages<hirs::v1::ListCasesRequest, hirs::v1::ListCasesResponse>(
      request,
      [&](grpc::ClientContext* c, const hirs::v1::ListCasesRequest& q, hirs::v1::ListCasesResponse* r) {
        return stub.ListCases(c, q, r);
      },
      [](const hirs::v1::ListCasesResponse& r) { return r.cases(); },
      {{"CASE", "case_id"},
       {"STATUS", "status"},
       {"DISTRICT", "district_code"},
       {"REPORTS", "report_count"},
       {"MOTIVATIONS", "motivations"},
       {"UPDATED", "updated_at"}});
}

int CasesUpdate(hirs::v1::CaseService::Stub& stub, const std::vector<std::string>& words) {
  if (!(words.size() == 3)) return kNotACommand;
  hirs::v1::UpdateCaseRequest request;
  request.mutable_case_()->set_case_id(words[2]);
  request.set_etag(absl::GetFlag(FLAGS_etag));
  if (!absl::GetFlag(FLAGS_status).empty()) {
    hirs::v1::CaseStatus status;
    if (!hirs::v1::CaseStatus_Parse(absl::GetFlag(FLAGS_status), &status)) {
      std::fprintf(stderr, "error: unknown --status %s\n", absl::GetFlag(FLAGS_status).c_str());
      return kExitUsage;
    }
    request.mutable_case_()->set_status(status);
    request.mutable_update_mask()->add_paths("status");
  }
  if (!absl::GetFlag(FLAGS_crime_reference).empty()) {
    request.mutable_case_()->set_crime_reference(absl::GetFlag(FLAGS_crime_reference));
    request.mutable_update_mask()->add_paths("crime_reference");
  }
  if (!absl::GetFlag(FLAGS_outcome_note).empty()) {
    request.mutable_case_()->set_outcome_note(absl::GetFlag(FLAGS_outcome_note));
    request.mutable_update_mask()->add_paths("outcome_note");
  }
  return Unary<hirs::v1::Case>(
      [&](grpc::ClientContext* c, hirs::v1::Case* r) { return stub.UpdateCase(c, request, r); });
}

int CasesMerge(hirs::v1::CaseService::Stub& stub, const std::vector<std::string>& words) {
  if (!(words.size() >= 4)) return kNotACommand;
  hirs::v1::MergeCasesRequest request;
  request.set_target_case_id(words[2]);
  for (size_t i = 3; i < words.size(); ++i) request.add_source_case_ids(words[i]);
  request.set_reason(absl::GetFlag(FLAGS_reason));
  return Unary<hirs::v1::Case>(
      [&](grpc::ClientContext* c, hirs::v1::Case* r) { return stub.MergeCases(c, request, r); });
}

int CasesSplit(hirs::v1::CaseService::Stub& stub, const std::vector<std::string>& words) {
  if (!(words.size() == 3)) return kNotACommand;
  hirs::v1::SplitReportRequest request;
  request.set_report_id(words[2]);
  request.set_reason(absl::GetFlag(FLAGS_reason));
  return Unary<hirs::v1::SplitReportResponse>(
      [&](grpc::ClientContext* c, hirs::v1::SplitReportResponse* r) { return stub.SplitReport(c, request, r); });
}

int CasesWatch(hirs::v1::CaseService::Stub& stub, const std::vector<std::string>& words) {
  if (!(words.size() == 2)) return kNotACommand;
  return Follow<hirs::v1::CaseEvent>([&](grpc::ClientContext* context, uint64_t from) {
    hirs::v1::WatchCasesRequest request;
    request.set_from_cursor(from);
    return stub.WatchCases(context, request);
  });
}

}  // namespace

int CasesCommand(const std::vector<std::string>& words) {
  if (words.size() < 2) return kNotACommand;
  using Verb = int (*)(hirs::v1::CaseService::Stub&, const std::vector<std::string>&);
  static const auto* verbs = new std::map<std::string, Verb>{
      {"get", CasesGet},       {"reports", CasesReports}, {"history", CasesHistory}, {"list", CasesList},
      {"update", CasesUpdate}, {"merge", CasesMerge},     {"split", CasesSplit},     {"watch", CasesWatch},
  };
  const auto it = verbs->find(words[1]);
  if (it == verbs->end()) return kNotACommand;
  auto stub = hirs::v1::CaseService::NewStub(Channel());
  return it->second(*stub, words);
}

int ReviewCommand(const std::vector<std::string>& words) {
  if (words.size() < 2) return kNotACommand;
  auto stub = hirs::v1::CaseService::NewStub(Channel());
  if (words[1] == "list" && words.size() == 2) {
    hirs::v1::ListReviewItemsRequest request;
    request.set_page_size(absl::GetFlag(FLAGS_page_size));
    return ListPages<hirs::v1::ListReviewItemsRequest, hirs::v1::ListReviewItemsResponse>(
        request,
        [&](grpc::ClientContext* c, const hirs::v1::ListReviewItemsRequest& q, hirs::v1::ListReviewItemsResponse* r) {
          return stub->ListReviewItems(c, q, r);
        },
        [](const hirs::v1::ListReviewItemsResponse& r) { return r.items(); },
        {{"REVIEW", "review_id"},
         {"REPORT", "report_id"},
         {"CASE", "case_id"},
         {"CANDIDATES", "candidate_case_ids"},
         {"CREATED", "created_at"}});
  }
  if (words[1] == "resolve" && words.size() == 4 && (words[3] == "merge" || words[3] == "keep-separate")) {
    hirs::v1::ResolveReviewItemRequest request;
    request.set_review_id(words[2]);
    request.set_decision(words[3] == "merge" ? hirs::v1::MERGE : hirs::v1::KEEP_SEPARATE);
    request.set_target_case_id(absl::GetFlag(FLAGS_target));
    return Unary<hirs::v1::ReviewItem>(
        [&](grpc::ClientContext* c, hirs::v1::ReviewItem* r) { return stub->ResolveReviewItem(c, request, r); });
  }
  return kNotACommand;
}

}  // namespace hirs::cli
