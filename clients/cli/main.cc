// hirs: the command-line client of hirsd.
//
//   hirs [--server=HOST:PORT] [--token=TOKEN] submit FILE.json
//   hirs ... submit FILE.jsonl            (JSON Lines, via the bulk stream)
//   hirs ... submit --csv FILE.csv        (the CSV layout of report_csv.h)
//   hirs ... report get REPORT_ID
//   hirs ... cases get CASE_ID
//   hirs ... cases list [--filter=F] [--page_size=N] [--all]
//   hirs ... cases reports CASE_ID [--page_size=N] [--all]
//   hirs ... cases update CASE_ID --etag=E [--status=S] [--crime_reference=R] [--outcome_note=N]
//   hirs ... cases merge TARGET_CASE_ID SOURCE_CASE_ID...
//   hirs ... cases split REPORT_ID
//   hirs ... cases watch [--from_cursor=N]   (JSON Lines until interrupted)
//   hirs ... review list [--page_size=N] [--all]
//   hirs ... review resolve REVIEW_ID merge --target=CASE_ID | keep-separate
//   hirs ... extract --district GSS --month YYYY-MM [--format csv|jsonl] [--as-of TIME] [-o FILE]
//   hirs ... extract report --district GSS --month YYYY-MM [--as-of TIME] -o report.html
//   hirs ... admin principals list | create ID --role=R [--scope=S] [--display_name=N] [--cert_names=A,B]
//   hirs ... admin principals disable ID
//   hirs ... admin token issue|rotate|revoke ID [--overlap=24h]
//   hirs ... admin audit verify | list [--case_id=ID] [--principal_id=ID] [--all]
//   hirs ... admin retention run [--dry_run]
//   hirs ... admin backup create | list | verify ID
//   hirs ... admin store compact            (minutes on a large store: raise --timeout_seconds)
//
// TLS: --ca_file (the server's CA) switches to TLS; --cert_file and
// --key_file add a client certificate (mutual TLS). Defaults from
// $HIRS_CA_FILE, $HIRS_CERT_FILE, $HIRS_KEY_FILE.
//
// Results print as JSON (lists and watches: JSON Lines, one item a line).
// The server and token default to $HIRS_SERVER (else 127.0.0.1:50051) and
// $HIRS_TOKEN. Exit status: 0 success, 1 the server refused something (each
// failure printed with its line), 2 bad usage or unreadable input, 3 the
// server could not be reached.
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/error_details.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "clients/cli/extract_format.h"
#include "clients/cli/report_csv.h"
#include "common/csv_reader.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "hirs/v1/admin_service.grpc.pb.h"
#include "hirs/v1/case_service.grpc.pb.h"
#include "hirs/v1/extract_service.grpc.pb.h"
#include "hirs/v1/reporting_service.grpc.pb.h"

ABSL_FLAG(std::string, server, "", "hirsd address HOST:PORT (default $HIRS_SERVER, else 127.0.0.1:50051)");
ABSL_FLAG(std::string, token, "", "bearer token (default $HIRS_TOKEN)");
ABSL_FLAG(bool, csv, false, "submit: FILE is CSV in the documented column layout");
ABSL_FLAG(int, timeout_seconds, 30, "deadline of each call; a bulk submission gets this per report");
ABSL_FLAG(std::string, filter, "", "cases list: an AIP-160 filter, e.g. 'district_code = \"E07000130\" AND status = OPEN'");
ABSL_FLAG(int, page_size, 0, "cases list, cases reports, review list: items per page (server default 50; 20 for reports)");
ABSL_FLAG(bool, all, false, "cases list, cases reports, review list: follow every page");
ABSL_FLAG(std::string, etag, "", "cases update: the etag of the case as last read");
ABSL_FLAG(std::string, status, "", "cases update: the new status, e.g. UNDER_INVESTIGATION");
ABSL_FLAG(std::string, crime_reference, "", "cases update: the crime reference to record");
ABSL_FLAG(std::string, outcome_note, "", "cases update: the outcome note (no personal data)");
ABSL_FLAG(std::string, reason, "", "cases merge, cases split: why (no personal data)");
ABSL_FLAG(std::string, target, "", "review resolve merge: the candidate case to merge into");
ABSL_FLAG(uint64_t, from_cursor, 0, "cases watch: the last cursor processed (0: from the start)");
ABSL_FLAG(std::string, district, "", "extract: the district's GSS code, e.g. E07000130");
ABSL_FLAG(std::string, month, "", "extract: the month, YYYY-MM");
ABSL_FLAG(std::string, format, "csv", "extract: csv (RFC 4180, header row) or jsonl");
ABSL_FLAG(std::string, as_of, "", "extract: the extract as it stood at this RFC 3339 time (also --as-of)");
ABSL_FLAG(std::string, output, "", "extract: write to this file instead of standard output (also -o)");
ABSL_FLAG(std::string, ca_file, "", "TLS: the CA certificate(s) to trust for the server (default $HIRS_CA_FILE)");
ABSL_FLAG(std::string, cert_file, "", "mutual TLS: this client's certificate chain (default $HIRS_CERT_FILE)");
ABSL_FLAG(std::string, key_file, "", "mutual TLS: this client's private key (default $HIRS_KEY_FILE)");
ABSL_FLAG(std::string, role, "", "admin principals create: REPORTING_CENTRE, POLICE, DISTRICT or ADMIN");
ABSL_FLAG(std::string, scope, "", "admin principals create: centre id, district GSS code or force area");
ABSL_FLAG(std::string, display_name, "", "admin principals create: a name for people");
ABSL_FLAG(std::string, cert_names, "", "admin principals create: client certificate names, comma separated");
ABSL_FLAG(std::string, overlap, "", "admin token issue/rotate: how long the old token keeps working (rotate: 24h)");
ABSL_FLAG(std::string, case_id, "", "admin audit list: entries touching this case, report or resource id");
ABSL_FLAG(std::string, principal_id, "", "admin audit list: entries made by this principal");
ABSL_FLAG(bool, dry_run, false, "admin retention run: count what would be removed, remove nothing");

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A flag's value, else the environment variable's.
std::string FlagOrEnv(const std::string& flag, const char* env) { return flag.empty() ? Env(env) : flag; }

std::shared_ptr<grpc::Channel> Channel() {
  std::string server = FlagOrEnv(absl::GetFlag(FLAGS_server), "HIRS_SERVER");
  if (server.empty()) server = "127.0.0.1:50051";
  const std::string ca = FlagOrEnv(absl::GetFlag(FLAGS_ca_file), "HIRS_CA_FILE");
  if (ca.empty()) return grpc::CreateChannel(server, grpc::InsecureChannelCredentials());
  grpc::SslCredentialsOptions tls;
  auto read = [](const std::string& path) {
    absl::StatusOr<std::string> content = ReadFile(path);
    if (!content.ok()) {
      std::fprintf(stderr, "error: cannot read %s\n", path.c_str());
      std::exit(kExitUsage);
    }
    return *std::move(content);
  };
  tls.pem_root_certs = read(ca);
  const std::string cert = FlagOrEnv(absl::GetFlag(FLAGS_cert_file), "HIRS_CERT_FILE");
  const std::string key = FlagOrEnv(absl::GetFlag(FLAGS_key_file), "HIRS_KEY_FILE");
  if (!cert.empty() || !key.empty()) {
    tls.pem_cert_chain = read(cert);
    tls.pem_private_key = read(key);
  }
  return grpc::CreateChannel(server, grpc::SslCredentials(tls));
}

std::unique_ptr<hirs::v1::ReportingService::Stub> Connect() { return hirs::v1::ReportingService::NewStub(Channel()); }

// The bearer token, if any; no deadline (a watch runs until interrupted).
void AddToken(grpc::ClientContext* context) {
  const std::string token = FlagOrEnv(absl::GetFlag(FLAGS_token), "HIRS_TOKEN");
  if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
}

void Authorize(grpc::ClientContext* context, absl::Duration timeout) {
  AddToken(context);
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

// "INVALID_ARGUMENT: message" plus one indented line per field violation.
std::string Describe(int code, absl::string_view message, const google::rpc::Status& details) {
  std::string out = absl::StrCat(absl::StatusCodeToString(static_cast<absl::StatusCode>(code)), ": ", message);
  for (const auto& any : details.details()) {
    google::rpc::BadRequest bad;
    if (any.UnpackTo(&bad)) {
      for (const auto& v : bad.field_violations()) absl::StrAppend(&out, "\n    ", v.field(), ": ", v.description());
    }
  }
  return out;
}

std::string Describe(const grpc::Status& status) {
  google::rpc::Status details;
  grpc::ExtractErrorDetails(status, &details).IgnoreError();
  return Describe(status.error_code(), status.error_message(), details);
}

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
  return absl::InvalidArgumentError(
      absl::StrCat("not a report in JSON: ", as_report.message().as_string()));
}

void PrintResult(const hirs::v1::SubmitReportResponse& r) {
  std::printf("report     %s\ncase       %s\ncollation  %s (score %.2f)\nreceipt    %s\n", r.report_id().c_str(),
              r.case_id().c_str(), hirs::v1::CollationOutcome_Name(r.collation()).c_str(), r.match_score(),
              r.receipt().c_str());
}

int SubmitOne(const hirs::v1::SubmitReportRequest& request) {
  auto stub = Connect();
  grpc::ClientContext context;
  Authorize(&context, absl::Seconds(absl::GetFlag(FLAGS_timeout_seconds)));
  hirs::v1::SubmitReportResponse response;
  grpc::Status status = stub->SubmitReport(&context, request, &response);
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s\n", Describe(status).c_str());
    return status.error_code() == grpc::StatusCode::UNAVAILABLE ? kExitUnreachable : kExitRefused;
  }
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
  std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(filled, '#').c_str(),
               std::string(width - filled, ' ').c_str(), done, total);
  if (done == total) std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

// Sends the valid items over one SubmitReports stream, prints one result line
// per item ("line N<TAB>report<TAB>case<TAB>collation" or the error), and a
// summary of outcomes.
int SubmitMany(const std::vector<Item>& items) {
  auto stub = Connect();
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
        if (!l.ok()) return absl::InvalidArgumentError(absl::StrCat("header (line ", line, "): ", l.status().message()));
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

// Prints `message` as JSON: indented, or on one line (JSON Lines).
bool PrintJson(const google::protobuf::Message& message, bool one_line = false) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = !one_line;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) return false;
  std::printf("%s%s", json.c_str(), one_line ? "\n" : "");
  return true;
}

int Failed(const grpc::Status& status) {
  std::fprintf(stderr, "error: %s\n", Describe(status).c_str());
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ? kExitUnreachable : kExitRefused;
}

// One unary call `call(context, response)` and its result printed as JSON.
template <typename Response, typename Call>
int Unary(Call call) {
  grpc::ClientContext context;
  Authorize(&context, absl::Seconds(absl::GetFlag(FLAGS_timeout_seconds)));
  Response response;
  grpc::Status status = call(&context, &response);
  if (!status.ok()) return Failed(status);
  return PrintJson(response) ? kExitOk : kExitRefused;
}

int GetReport(const std::string& id) {
  auto stub = Connect();
  hirs::v1::GetReportRequest request;
  request.set_report_id(id);
  return Unary<hirs::v1::Report>(
      [&](grpc::ClientContext* c, hirs::v1::Report* r) { return stub->GetReport(c, request, r); });
}

// Pages of a list call, each item printed as a JSON line; `call` fills a
// response for a page token and returns its items and next token.
template <typename Request, typename Response, typename Call, typename Items>
int ListPages(Request request, Call call, Items items) {
  for (;;) {
    grpc::ClientContext context;
    Authorize(&context, absl::Seconds(absl::GetFlag(FLAGS_timeout_seconds)));
    Response response;
    grpc::Status status = call(&context, request, &response);
    if (!status.ok()) return Failed(status);
    for (const auto& item : items(response)) PrintJson(item, /*one_line=*/true);
    if (response.next_page_token().empty()) return kExitOk;
    if (!absl::GetFlag(FLAGS_all)) {
      std::fprintf(stderr, "more: pass --all to follow every page\n");
      return kExitOk;
    }
    request.set_page_token(response.next_page_token());
  }
}

int Cases(const std::vector<std::string>& words) {
  auto stub = hirs::v1::CaseService::NewStub(Channel());
  const std::string& verb = words[1];
  if (verb == "get" && words.size() == 3) {
    hirs::v1::GetCaseRequest request;
    request.set_case_id(words[2]);
    return Unary<hirs::v1::Case>([&](grpc::ClientContext* c, hirs::v1::Case* r) { return stub->GetCase(c, request, r); });
  }
  if (verb == "reports" && words.size() == 3) {
    hirs::v1::ListCaseReportsRequest request;
    request.set_case_id(words[2]);
    request.set_page_size(absl::GetFlag(FLAGS_page_size));
    return ListPages<hirs::v1::ListCaseReportsRequest, hirs::v1::ListCaseReportsResponse>(
        request,
        [&](grpc::ClientContext* c, const hirs::v1::ListCaseReportsRequest& q, hirs::v1::ListCaseReportsResponse* r) {
          return stub->ListCaseReports(c, q, r);
        },
        [](const hirs::v1::ListCaseReportsResponse& r) { return r.reports(); });
  }
  if (verb == "list" && words.size() == 2) {
    hirs::v1::ListCasesRequest request;
    request.set_filter(absl::GetFlag(FLAGS_filter));
    request.set_page_size(absl::GetFlag(FLAGS_page_size));
    return ListPages<hirs::v1::ListCasesRequest, hirs::v1::ListCasesResponse>(
        request,
        [&](grpc::ClientContext* c, const hirs::v1::ListCasesRequest& q, hirs::v1::ListCasesResponse* r) {
          return stub->ListCases(c, q, r);
        },
        [](const hirs::v1::ListCasesResponse& r) { return r.cases(); });
  }
  if (verb == "update" && words.size() == 3) {
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
        [&](grpc::ClientContext* c, hirs::v1::Case* r) { return stub->UpdateCase(c, request, r); });
  }
  if (verb == "merge" && words.size() >= 4) {
    hirs::v1::MergeCasesRequest request;
    request.set_target_case_id(words[2]);
    for (size_t i = 3; i < words.size(); ++i) request.add_source_case_ids(words[i]);
    request.set_reason(absl::GetFlag(FLAGS_reason));
    return Unary<hirs::v1::Case>(
        [&](grpc::ClientContext* c, hirs::v1::Case* r) { return stub->MergeCases(c, request, r); });
  }
  if (verb == "split" && words.size() == 3) {
    hirs::v1::SplitReportRequest request;
    request.set_report_id(words[2]);
    request.set_reason(absl::GetFlag(FLAGS_reason));
    return Unary<hirs::v1::SplitReportResponse>(
        [&](grpc::ClientContext* c, hirs::v1::SplitReportResponse* r) { return stub->SplitReport(c, request, r); });
  }
  if (verb == "watch" && words.size() == 2) {
    grpc::ClientContext context;
    AddToken(&context);
    hirs::v1::WatchCasesRequest request;
    request.set_from_cursor(absl::GetFlag(FLAGS_from_cursor));
    auto reader = stub->WatchCases(&context, request);
    hirs::v1::CaseEvent event;
    while (reader->Read(&event)) {
      PrintJson(event, /*one_line=*/true);
      std::fflush(stdout);
    }
    grpc::Status status = reader->Finish();
    return status.ok() ? kExitOk : Failed(status);
  }
  return -1;
}

int Review(const std::vector<std::string>& words) {
  auto stub = hirs::v1::CaseService::NewStub(Channel());
  if (words[1] == "list" && words.size() == 2) {
    hirs::v1::ListReviewItemsRequest request;
    request.set_page_size(absl::GetFlag(FLAGS_page_size));
    return ListPages<hirs::v1::ListReviewItemsRequest, hirs::v1::ListReviewItemsResponse>(
        request,
        [&](grpc::ClientContext* c, const hirs::v1::ListReviewItemsRequest& q, hirs::v1::ListReviewItemsResponse* r) {
          return stub->ListReviewItems(c, q, r);
        },
        [](const hirs::v1::ListReviewItemsResponse& r) { return r.items(); });
  }
  if (words[1] == "resolve" && words.size() == 4 && (words[3] == "merge" || words[3] == "keep-separate")) {
    hirs::v1::ResolveReviewItemRequest request;
    request.set_review_id(words[2]);
    request.set_decision(words[3] == "merge" ? hirs::v1::MERGE : hirs::v1::KEEP_SEPARATE);
    request.set_target_case_id(absl::GetFlag(FLAGS_target));
    return Unary<hirs::v1::ReviewItem>(
        [&](grpc::ClientContext* c, hirs::v1::ReviewItem* r) { return stub->ResolveReviewItem(c, request, r); });
  }
  return -1;
}

int Admin(const std::vector<std::string>& words) {
  auto stub = hirs::v1::AdminService::NewStub(Channel());
  const std::string& noun = words[1];
  const std::string verb = words.size() > 2 ? words[2] : "";
  if (noun == "principals" && verb == "list" && words.size() == 3) {
    return Unary<hirs::v1::ListPrincipalsResponse>([&](grpc::ClientContext* c, hirs::v1::ListPrincipalsResponse* r) {
      return stub->ListPrincipals(c, hirs::v1::ListPrincipalsRequest(), r);
    });
  }
  if (noun == "principals" && verb == "create" && words.size() == 4) {
    hirs::v1::CreatePrincipalRequest request;
    hirs::v1::Principal* p = request.mutable_principal();
    p->set_id(words[3]);
    hirs::v1::Role role = hirs::v1::ROLE_UNSPECIFIED;
    if (!hirs::v1::Role_Parse(absl::GetFlag(FLAGS_role), &role)) {
      std::fprintf(stderr, "error: --role must be REPORTING_CENTRE, POLICE, DISTRICT or ADMIN\n");
      return kExitUsage;
    }
    p->set_role(role);
    p->set_scope(absl::GetFlag(FLAGS_scope));
    p->set_display_name(absl::GetFlag(FLAGS_display_name));
    for (absl::string_view name : absl::StrSplit(absl::GetFlag(FLAGS_cert_names), ',', absl::SkipEmpty())) {
      p->add_cert_names(std::string(name));
    }
    return Unary<hirs::v1::Principal>(
        [&](grpc::ClientContext* c, hirs::v1::Principal* r) { return stub->CreatePrincipal(c, request, r); });
  }
  if (noun == "principals" && verb == "disable" && words.size() == 4) {
    hirs::v1::DisablePrincipalRequest request;
    request.set_id(words[3]);
    return Unary<hirs::v1::Principal>(
        [&](grpc::ClientContext* c, hirs::v1::Principal* r) { return stub->DisablePrincipal(c, request, r); });
  }
  if (noun == "token" && (verb == "issue" || verb == "rotate") && words.size() == 4) {
    hirs::v1::IssueTokenRequest request;
    request.set_principal_id(words[3]);
    std::string overlap = absl::GetFlag(FLAGS_overlap);
    if (overlap.empty() && verb == "rotate") overlap = "24h";
    if (!overlap.empty()) {
      absl::Duration d;
      if (!absl::ParseDuration(overlap, &d)) {
        std::fprintf(stderr, "error: --overlap takes a duration such as 24h or 90m\n");
        return kExitUsage;
      }
      request.mutable_previous_token_valid_for()->set_seconds(absl::ToInt64Seconds(d));
    }
    // The token is shown once: printed with the principal, to be stored by
    // the caller's system.
    return Unary<hirs::v1::IssueTokenResponse>(
        [&](grpc::ClientContext* c, hirs::v1::IssueTokenResponse* r) { return stub->IssueToken(c, request, r); });
  }
  if (noun == "token" && verb == "revoke" && words.size() == 4) {
    hirs::v1::RevokeTokenRequest request;
    request.set_principal_id(words[3]);
    return Unary<hirs::v1::Principal>(
        [&](grpc::ClientContext* c, hirs::v1::Principal* r) { return stub->RevokeToken(c, request, r); });
  }
  if (noun == "audit" && verb == "verify" && words.size() == 3) {
    grpc::ClientContext context;
    Authorize(&context, absl::Seconds(absl::GetFlag(FLAGS_timeout_seconds)));
    hirs::v1::VerifyAuditResponse response;
    grpc::Status status = stub->VerifyAudit(&context, hirs::v1::VerifyAuditRequest(), &response);
    if (!status.ok()) return Failed(status);
    PrintJson(response);
    if (!response.ok()) {
      std::fprintf(stderr, "audit chain BROKEN: %s\n", response.first_problem().c_str());
      return kExitRefused;
    }
    std::fprintf(stderr, "audit chain intact: %llu entries; record the head (sequence %llu, hash %s)\n",
                 static_cast<unsigned long long>(response.entries_checked()),
                 static_cast<unsigned long long>(response.head_sequence()),
                 absl::BytesToHexString(response.head_hash()).c_str());
    if (response.pending_entries() > 0) {
      std::fprintf(stderr,
                   "%llu more entries are written but not chained yet: hirsd chains them as soon as it can write "
                   "(or when it next starts)\n",
                   static_cast<unsigned long long>(response.pending_entries()));
    }
    return kExitOk;
  }
  if (noun == "audit" && verb == "list" && words.size() == 3) {
    hirs::v1::ListAuditEntriesRequest request;
    request.set_case_id(absl::GetFlag(FLAGS_case_id));
    request.set_principal_id(absl::GetFlag(FLAGS_principal_id));
    request.set_page_size(absl::GetFlag(FLAGS_page_size));
    return ListPages<hirs::v1::ListAuditEntriesRequest, hirs::v1::ListAuditEntriesResponse>(
        request,
        [&](grpc::ClientContext* c, const hirs::v1::ListAuditEntriesRequest& q,
            hirs::v1::ListAuditEntriesResponse* r) { return stub->ListAuditEntries(c, q, r); },
        [](const hirs::v1::ListAuditEntriesResponse& r) { return r.entries(); });
  }
  if (noun == "backup" && verb == "create" && words.size() == 3) {
    return Unary<hirs::v1::Backup>([&](grpc::ClientContext* c, hirs::v1::Backup* r) {
      return stub->CreateBackup(c, hirs::v1::CreateBackupRequest(), r);
    });
  }
  if (noun == "backup" && verb == "list" && words.size() == 3) {
    return Unary<hirs::v1::ListBackupsResponse>([&](grpc::ClientContext* c, hirs::v1::ListBackupsResponse* r) {
      return stub->ListBackups(c, hirs::v1::ListBackupsRequest(), r);
    });
  }
  if (noun == "backup" && verb == "verify" && words.size() == 4) {
    hirs::v1::VerifyBackupRequest request;
    uint32_t id = 0;
    if (!absl::SimpleAtoi(words[3], &id)) {
      std::fprintf(stderr, "error: backup verify takes a backup id (hirs admin backup list)\n");
      return kExitUsage;
    }
    request.set_backup_id(id);
    return Unary<hirs::v1::Backup>(
        [&](grpc::ClientContext* c, hirs::v1::Backup* r) { return stub->VerifyBackup(c, request, r); });
  }
  if (noun == "store" && verb == "compact" && words.size() == 3) {
    grpc::ClientContext context;
    Authorize(&context, absl::Seconds(absl::GetFlag(FLAGS_timeout_seconds)));
    hirs::v1::CompactStoreResponse response;
    const grpc::Status status = stub->CompactStore(&context, hirs::v1::CompactStoreRequest(), &response);
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      std::fprintf(stderr, "the compaction stopped at the deadline and keeps what it compacted; a large store "
                           "takes minutes: run it again with e.g. --timeout_seconds=3600\n");
    }
    if (!status.ok()) return Failed(status);
    return PrintJson(response) ? kExitOk : kExitRefused;
  }
  if (noun == "retention" && verb == "run" && words.size() == 3) {
    hirs::v1::RunRetentionRequest request;
    request.set_dry_run(absl::GetFlag(FLAGS_dry_run));
    return Unary<hirs::v1::RunRetentionResponse>(
        [&](grpc::ClientContext* c, hirs::v1::RunRetentionResponse* r) { return stub->RunRetention(c, request, r); });
  }
  return -1;
}

// Writes `content` to --output (through a temporary file renamed into place,
// so a failed run leaves no half-written file) or to standard output.
int WriteOutput(const std::string& content) {
  const std::string path = absl::GetFlag(FLAGS_output);
  if (path.empty()) {
    std::fwrite(content.data(), 1, content.size(), stdout);
    return kExitOk;
  }
  const std::string temporary = absl::StrCat(path, ".partial");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) {
      std::fprintf(stderr, "error: cannot write %s\n", temporary.c_str());
      return kExitUsage;
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::fprintf(stderr, "error: cannot write %s\n", path.c_str());
    std::remove(temporary.c_str());
    return kExitUsage;
  }
  return kExitOk;
}

// The request from --district, --month and --as-of; false (after saying
// why) when --as-of is not an RFC 3339 time.
bool ExtractRequest(hirs::v1::MonthlyExtractRequest* request) {
  request->set_district_code(absl::GetFlag(FLAGS_district));
  request->set_month(absl::GetFlag(FLAGS_month));
  if (!absl::GetFlag(FLAGS_as_of).empty()) {
    absl::Time t;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, absl::GetFlag(FLAGS_as_of), &t, &error)) {
      std::fprintf(stderr, "error: --as-of must be an RFC 3339 time such as 2026-11-01T09:00:00Z (%s)\n",
                   error.c_str());
      return false;
    }
    request->mutable_as_of()->set_seconds(absl::ToUnixSeconds(t));
    request->mutable_as_of()->set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(absl::ToUnixSeconds(t))) /
                                                             absl::Nanoseconds(1)));
  }
  return true;
}

// "YYYY-MM" of the month before; "" if `month` is not YYYY-MM.
std::string MonthBefore(const std::string& month) {
  int year = 0, mon = 0;
  if (month.size() != 7 || std::sscanf(month.c_str(), "%4d-%2d", &year, &mon) != 2) return "";
  return mon == 1 ? absl::StrFormat("%04d-12", year - 1) : absl::StrFormat("%04d-%02d", year, mon - 1);
}

int Extract(const std::vector<std::string>& words) {
  auto stub = hirs::v1::ExtractService::NewStub(Channel());
  hirs::v1::MonthlyExtractRequest request;
  if (!ExtractRequest(&request)) return kExitUsage;
  if (words.size() == 2 && words[1] == "report") {
    // The month and the eleven before it, oldest first, for the trend.
    std::vector<hirs::v1::MonthlySummary> months(12);
    std::string month = request.month();
    for (int i = 11; i >= 0; --i) {
      hirs::v1::MonthlyExtractRequest one = request;
      one.set_month(month);
      grpc::ClientContext context;
      Authorize(&context, absl::Seconds(absl::GetFlag(FLAGS_timeout_seconds)));
      grpc::Status status = stub->GetMonthlySummary(&context, one, &months[i]);
      if (!status.ok()) return Failed(status);
      month = MonthBefore(month);
    }
    return WriteOutput(hirs::cli::SummaryReportHtml(months));
  }
  if (words.size() != 1) return -1;
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format != "csv" && format != "jsonl") {
    std::fprintf(stderr, "error: --format must be csv or jsonl\n");
    return kExitUsage;
  }
  grpc::ClientContext context;
  Authorize(&context, absl::Seconds(absl::GetFlag(FLAGS_timeout_seconds)));
  auto reader = stub->StreamMonthlyExtract(&context, request);
  std::string out = format == "csv" ? hirs::cli::ExtractCsvHeader() : "";
  hirs::v1::ExtractRow row;
  google::protobuf::util::JsonPrintOptions json;
  json.preserve_proto_field_names = true;
  while (reader->Read(&row)) {
    if (format == "csv") {
      out += hirs::cli::ExtractCsvLine(row);
    } else {
      std::string line;
      if (!google::protobuf::util::MessageToJsonString(row, &line, json).ok()) return kExitRefused;
      absl::StrAppend(&out, line, "\n");
    }
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return Failed(status);  // nothing written: no partial extract
  return WriteOutput(out);
}

constexpr char kUsage[] =
    "usage:\n"
    "  hirs [--server=HOST:PORT] [--token=TOKEN] submit FILE.json     one report\n"
    "  hirs ... submit FILE.jsonl                                      JSON Lines, one report a line\n"
    "  hirs ... submit --csv FILE.csv                                  CSV (deploy/examples/README.md)\n"
    "  hirs ... report get REPORT_ID\n"
    "  hirs ... cases get CASE_ID\n"
    "  hirs ... cases list [--filter=F] [--page_size=N] [--all]             JSON Lines\n"
    "  hirs ... cases reports CASE_ID [--page_size=N] [--all]              every report, JSON Lines\n"
    "  hirs ... cases update CASE_ID --etag=E [--status=S] [--crime_reference=R] [--outcome_note=N]\n"
    "  hirs ... cases merge TARGET_CASE_ID SOURCE_CASE_ID... [--reason=R]\n"
    "  hirs ... cases split REPORT_ID [--reason=R]\n"
    "  hirs ... cases watch [--from_cursor=N]                              JSON Lines until interrupted\n"
    "  hirs ... review list [--page_size=N] [--all]\n"
    "  hirs ... review resolve REVIEW_ID merge --target=CASE_ID | keep-separate\n"
    "  hirs ... extract --district GSS --month YYYY-MM [--format csv|jsonl] [--as-of TIME] [-o FILE]\n"
    "  hirs ... extract report --district GSS --month YYYY-MM [--as-of TIME] -o report.html\n"
    "  hirs ... admin principals list | create ID --role=R [--scope=S] [--display_name=N] [--cert_names=A,B]\n"
    "  hirs ... admin principals disable ID\n"
    "  hirs ... admin token issue|rotate|revoke ID [--overlap=24h]         the token is shown once\n"
    "  hirs ... admin audit verify | list [--case_id=ID] [--principal_id=ID] [--all]\n"
    "  hirs ... admin retention run [--dry_run]\n"
    "  hirs ... admin backup create | list | verify ID      (restore: hirsd --restore_from=DIR, offline)\n"
    "  hirs ... admin store compact                        (minutes on a large store: --timeout_seconds=3600)\n"
    "Server and token default to $HIRS_SERVER and $HIRS_TOKEN; --ca_file (and --cert_file, --key_file)\n"
    "for TLS (and mutual TLS), default $HIRS_CA_FILE, $HIRS_CERT_FILE, $HIRS_KEY_FILE.";

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  // The spellings the extract commands document: --as-of and -o.
  std::vector<std::string> spelled(argv, argv + argc);
  for (std::string& a : spelled) {
    if (a == "-o") a = "--output";
    if (absl::StartsWith(a, "--as-of")) a = absl::StrCat("--as_of", a.substr(7));
  }
  std::vector<char*> raw;
  for (std::string& a : spelled) raw.push_back(a.data());
  std::vector<char*> args = absl::ParseCommandLine(static_cast<int>(raw.size()), raw.data());
  std::vector<std::string> words(args.begin() + 1, args.end());
  if (words.size() == 2 && words[0] == "submit") return Submit(words[1]);
  if (words.size() == 3 && words[0] == "report" && words[1] == "get") return GetReport(words[2]);
  if (words.size() >= 2 && words[0] == "cases") {
    if (int rc = Cases(words); rc >= 0) return rc;
  }
  if (words.size() >= 2 && words[0] == "review") {
    if (int rc = Review(words); rc >= 0) return rc;
  }
  if (words.size() >= 3 && words[0] == "admin") {
    if (int rc = Admin(words); rc >= 0) return rc;
  }
  if (!words.empty() && words[0] == "extract") {
    if (int rc = Extract(words); rc >= 0) return rc;
  }
  std::fprintf(stderr, "%s\n", kUsage);
  return kExitUsage;
}
