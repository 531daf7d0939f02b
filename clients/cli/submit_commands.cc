// hirs submit FILE (JSON, JSON Lines or CSV), and hirs reports get, list,
// amend, withdraw and consent.
#include <unistd.h>

#include <map>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "clients/cli/cli.h"
#include "clients/cli/report_csv.h"
#include "common/csv_reader.h"
#include "google/protobuf/util/json_util.h"
#include "hirs/v1/reporting_service.grpc.pb.h"

ABSL_FLAG(bool, csv, false, "submit: FILE is CSV in the documented column layout");
ABSL_FLAG(std::string, updated_since, "",
          "reports list: only reports whose report or case changed after this RFC 3339 time");
ABSL_FLAG(int, version, 0, "reports get: that version of an amended report (1: as received; 0: the current)");
ABSL_FLAG(std::string, share_with_police, "", "reports consent: true or false (unset: as it is)");
ABSL_FLAG(std::string, contact_victim, "", "reports consent: true or false (unset: as it is)");
ABSL_FLAG(std::string, anonymous, "",
          "reports consent: true or false (unset: as it is; true removes the victim's identity for good)");

namespace hirs::cli {
namespace {

// A JSON document holding either a SubmitReportRequest ({"request_id": ...,
// "report": {...}}) or a bare Report.
absl::StatusOr<hirs::v1::SubmitReportRequest> ParseJsonRequest(absl::string_view json) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  hirs::v1::SubmitReportRequest request;
  auto as_request = google::protobuf::util::JsonStringToMessage(std::string(json), &request, options);
  if (as_request.ok() && request.has_report()) return request;
  request.Clear();
  auto as_report = google::protobuf::util::JsonStringToMessage(std::string(json), request.mutable_report(), options);
  if (as_report.ok()) return request;
  return absl::InvalidArgumentError(absl::StrCat("not a report in JSON: ", as_report.message().as_string()));
}

void PrintResult(const hirs::v1::SubmitReportResponse& r) {
  std::printf("report     %s\ncase       %s\ncollation  %s (score %.2f)\nreceipt    %s\n", r.report_id().c_str(),
              r.case_id().c_str(), hirs::v1::CollationOutcome_Name(r.collation()).c_str(), r.match_score(),
              r.receipt().c_str());
}

int SubmitOne(const hirs::v1::SubmitReportRequest& request) {
  auto stub = hirs::v1::ReportingService::NewStub(Channel());
  grpc::ClientContext context;
  Authorize(&context);
  hirs::v1::SubmitReportResponse response;
  grpc::Status status = stub->SubmitReport(&context, request, &response);
  if (!status.ok()) return Failed(status);
  PrintResult(response);
  return kExitOk;
}

// One item of a bulk submission: the request, or why it could not be built.
struct Item {
  int line = 0;
  absl::StatusOr<hirs::v1::SubmitReportRequest> request;
};

void Progress(size_t done, size_t total) {
  if (!isatty(STDERR_FILENO) || total == 0) return;
  const int width = 40;
  const int filled = static_cast<int>(width * done / total);
  std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(filled, '#').c_str(), std::string(width - filled, ' ').c_str(),
               done, total);
  if (done == total) std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

// Sends the valid items over one SubmitReports stream, prints one result line
// per item ("line N<TAB>report<TAB>case<TAB>collation" or the error), and a
// summary of outcomes.
int SubmitMany(const std::vector<Item>& items) {
  auto stub = hirs::v1::ReportingService::NewStub(Channel());
  grpc::ClientContext context;
  Authorize(&context, absl::Seconds(absl::GetFlag(FLAGS_timeout_seconds)) * std::max<size_t>(1, items.size()));
  std::vector<const Item*> to_send;
  for (const Item& item : items) {
    if (item.request.ok()) to_send.push_back(&item);
  }
  std::map<std::string, int> outcomes;
  int failed = 0;
  for (const Item& item : items) {
    if (!item.request.ok()) {
      std::printf("line %d\terror\t%s\n", item.line, std::string(item.request.status().message()).c_str());
      ++failed;
    }
  }
  size_t answered = 0;
  grpc::Status status = grpc::Status::OK;
  if (!to_send.empty()) {
    auto stream = stub->SubmitReports(&context);
    std::thread writer([&] {
      for (const Item* item : to_send) {
        if (!stream->Write(*item->request)) break;
      }
      stream->WritesDone();
    });
    hirs::v1::SubmitReportResponse response;
    while (answered < to_send.size() && stream->Read(&response)) {
      const Item& item = *to_send[answered++];
      if (response.has_error()) {
        std::printf("line %d\terror\t%s\n", item.line,
                    Describe(response.error().code(), response.error().message(), response.error()).c_str());
        ++failed;
      } else {
        std::printf("line %d\t%s\t%s\t%s\n", item.line, response.report_id().c_str(), response.case_id().c_str(),
                    hirs::v1::CollationOutcome_Name(response.collation()).c_str());
        ++outcomes[hirs::v1::CollationOutcome_Name(response.collation())];
      }
      Progress(answered, to_send.size());
    }
    writer.join();
    status = stream->Finish();
  }
  std::string summary = absl::StrCat(items.size(), " reports: ");
  for (const auto& [name, count] : outcomes) absl::StrAppend(&summary, name, " ", count, ", ");
  absl::StrAppend(&summary, "failed ", failed);
  if (answered < to_send.size()) absl::StrAppend(&summary, ", not answered ", to_send.size() - answered);
  std::fprintf(stderr, "%s\n", summary.c_str());
  if (!status.ok()) {
    std::fprintf(stderr, "error: the stream ended: %s\n", Describe(status).c_str());
    return status.error_code() == grpc::StatusCode::UNAVAILABLE && answered == 0 ? kExitUnreachable : kExitRefused;
  }
  return failed == 0 && answered == to_send.size() ? kExitOk : kExitRefused;
}

int Submit(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(text.status().message()).c_str());
    return kExitUsage;
  }
  std::vector<Item> items;
  if (absl::GetFlag(FLAGS_csv)) {
    std::optional<hirs::cli::CsvLayout> layout;
    absl::Status parsed = hirs::ReadCsv(*text, [&](const std::vector<std::string>& row, int line) -> absl::Status {
      if (!layout.has_value()) {
        auto l = hirs::cli::CsvLayout::FromHeader(row);
        if (!l.ok())
          return absl::InvalidArgumentError(absl::StrCat("header (line ", line, "): ", l.status().message()));
        layout = *std::move(l);
        return absl::OkStatus();
      }
      if (row.size() == 1 && row[0].empty()) return absl::OkStatus();  // blank line
      items.push_back(Item{line, layout->ToRequest(row)});
      return absl::OkStatus();
    });
    if (!parsed.ok()) {
      std::fprintf(stderr, "error: %s: %s\n", path.c_str(), std::string(parsed.message()).c_str());
      return kExitUsage;
    }
    return SubmitMany(items);
  }
  if (absl::EndsWith(path, ".jsonl") || absl::EndsWith(path, ".ndjson")) {
    int line = 0;
    for (absl::string_view l : absl::StrSplit(*text, '\n')) {
      ++line;
      if (absl::StripAsciiWhitespace(l).empty()) continue;
      items.push_back(Item{line, ParseJsonRequest(l)});
    }
    return SubmitMany(items);
  }
  absl::StatusOr<hirs::v1::SubmitReportRequest> request = ParseJsonRequest(*text);
  if (!request.ok()) {
    std::fprintf(stderr, "error: %s: %s\n", path.c_str(), std::string(request.status().message()).c_str());
    return kExitUsage;
  }
  return SubmitOne(*request);
}

// Sets `*value` from a true/false flag; unset leaves it. False (after a
// message) when the flag holds anything else.
bool ConsentFlag(const char* name, const std::string& flag, bool* value) {
  if (flag.empty()) return true;
  if (flag == "true" || flag == "false") {
    *value = flag == "true";
    return true;
  }
  std::fprintf(stderr, "--%s must be true or false (it is \"%s\")\n", name, flag.c_str());
  return false;
}

// hirs reports consent REPORT_ID: the current consent with the flags given
// applied, sent whole.
int UpdateConsent(hirs::v1::ReportingService::Stub* stub, const std::string& report_id) {
  hirs::v1::GetReportRequest get;
  get.set_report_id(report_id);
  hirs::v1::Report current;
  grpc::ClientContext context;
  Authorize(&context);
  const grpc::Status read = stub->GetReport(&context, get, &current);
  if (!read.ok()) return Failed(read);
  hirs::v1::UpdateConsentRequest request;
  request.set_report_id(report_id);
  request.set_reason(absl::GetFlag(FLAGS_reason));
  hirs::v1::Consent* c = request.mutable_consent();
  *c = current.consent();
  bool share = c->share_with_police(), contact = c->contact_victim(), anonymous = c->anonymous();
  if (!ConsentFlag("share_with_police", absl::GetFlag(FLAGS_share_with_police), &share) ||
      !ConsentFlag("contact_victim", absl::GetFlag(FLAGS_contact_victim), &contact) ||
      !ConsentFlag("anonymous", absl::GetFlag(FLAGS_anonymous), &anonymous)) {
    return kExitUsage;
  }
  c->set_share_with_police(share);
  c->set_contact_victim(contact);
  c->set_anonymous(anonymous);
  return Unary<hirs::v1::Report>(
      [&](grpc::ClientContext* ctx, hirs::v1::Report* r) { return stub->UpdateConsent(ctx, request, r); });
}

// hirs reports amend REPORT_ID FILE: the report as it should now read, in
// JSON (a bare Report, or {"request_id": ..., "report": {...}}).
int Amend(hirs::v1::ReportingService::Stub* stub, const std::string& report_id, const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  absl::StatusOr<hirs::v1::SubmitReportRequest> parsed =
      text.ok() ? ParseJsonRequest(*text) : absl::StatusOr<hirs::v1::SubmitReportRequest>(text.status());
  if (!parsed.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(parsed.status().message()).c_str());
    return kExitUsage;
  }
  hirs::v1::AmendReportRequest request;
  request.set_report_id(report_id);
  *request.mutable_report() = std::move(*parsed->mutable_report());
  request.set_request_id(parsed->request_id());
  request.set_reason(absl::GetFlag(FLAGS_reason));
  request.set_etag(absl::GetFlag(FLAGS_etag));
  return Unary<hirs::v1::Report>(
      [&](grpc::ClientContext* c, hirs::v1::Report* r) { return stub->AmendReport(c, request, r); });
}

}  // namespace

int SubmitCommand(const std::vector<std::string>& words) {
  if (words.size() != 2) return kNotACommand;
  return Submit(words[1]);
}

int ReportCommand(const std::vector<std::string>& words) {
  auto stub = hirs::v1::ReportingService::NewStub(Channel());
  if (words.size() == 3 && words[1] == "get") {
    hirs::v1::GetReportRequest request;
    request.set_report_id(words[2]);
    request.set_version(absl::GetFlag(FLAGS_version));
    return Unary<hirs::v1::Report>(
        [&](grpc::ClientContext* c, hirs::v1::Report* r) { return stub->GetReport(c, request, r); });
  }
  if (words.size() == 4 && words[1] == "amend") return Amend(stub.get(), words[2], words[3]);
  if (words.size() == 3 && words[1] == "withdraw") {
    hirs::v1::WithdrawReportRequest request;
    request.set_report_id(words[2]);
    request.set_reason(absl::GetFlag(FLAGS_reason));
    return Unary<hirs::v1::Report>(
        [&](grpc::ClientContext* c, hirs::v1::Report* r) { return stub->WithdrawReport(c, request, r); });
  }
  if (words.size() == 3 && words[1] == "consent") return UpdateConsent(stub.get(), words[2]);
  if (words.size() == 2 && words[1] == "watch") {
    return Follow<hirs::v1::ReportChange>([&](grpc::ClientContext* context, uint64_t from) {
      hirs::v1::WatchReportsRequest request;
      request.set_from_cursor(from);
      request.set_filter(absl::GetFlag(FLAGS_filter));
      return stub->WatchReports(context, request);
    });
  }
  if (words.size() != 2 || words[1] != "list") return kNotACommand;
  hirs::v1::ListReportsRequest request;
  request.set_filter(absl::GetFlag(FLAGS_filter));
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  const std::string since = absl::GetFlag(FLAGS_updated_since);
  if (!since.empty() && !ParseTimeFlag("updated_since", since, request.mutable_updated_since())) return kExitUsage;
  return ListPages<hirs::v1::ListReportsRequest, hirs::v1::ListReportsResponse>(
      request,
      [&](grpc::ClientContext* c, const hirs::v1::ListReportsRequest& q, hirs::v1::ListReportsResponse* r) {
        return stub->ListReports(c, q, r);
      },
      [](const hirs::v1::ListReportsResponse& r) { return r.reports(); },
      {{"REPORT", "report_id"},
       {"RECEIVED", "received_at"},
       {"REFERENCE", "source_reference"},
       {"CASE", "progress.case_id"},
       {"STATUS", "progress.case_status"},
       {"CRIME REF", "progress.crime_reference"},
       {"UPDATED", "progress.updated_at"}});
}

}  // namespace hirs::cli
