// hirs extract ...: a district's monthly extract (CSV or JSON Lines) and
// its summary report (HTML).
#include <fstream>

#include "absl/strings/str_format.h"
#include "clients/cli/cli.h"
#include "google/protobuf/util/json_util.h"
#include "hirs/v1/extract_service.grpc.pb.h"
#include "services/extracts/formats.h"

ABSL_FLAG(std::string, district, "", "extract: the district's GSS code, e.g. E07000130");
ABSL_FLAG(std::string, month, "", "extract: the month, YYYY-MM");
ABSL_FLAG(std::string, format, "csv", "extract: csv (RFC 4180, header row) or jsonl");
ABSL_FLAG(std::string, as_of, "", "extract: the extract as it stood at this RFC 3339 time (also --as-of)");

namespace hirs::cli {
namespace {

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
  const std::string as_of = absl::GetFlag(FLAGS_as_of);
  return as_of.empty() || ParseTimeFlag("as-of", as_of, request->mutable_as_of());
}

}  // namespace

int ExtractCommand(const std::vector<std::string>& words) {
  auto stub = hirs::v1::ExtractService::NewStub(Channel());
  hirs::v1::MonthlyExtractRequest request;
  if (!ExtractRequest(&request)) return kExitUsage;
  if (words.size() == 2 && words[1] == "report") {
    // The month and the eleven before it, oldest first, for the trend.
    std::vector<hirs::v1::MonthlySummary> months;
    for (const std::string& month : extracts::ReportMonths(request.month())) {
      hirs::v1::MonthlyExtractRequest one = request;
      one.set_month(month);
      grpc::ClientContext context;
      Authorize(&context);
      grpc::Status status = stub->GetMonthlySummary(&context, one, &months.emplace_back());
      if (!status.ok()) return Failed(status);
    }
    return WriteOutput(extracts::SummaryReportHtml(months));
  }
  if (words.size() != 1) return kNotACommand;
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format != "csv" && format != "jsonl") {
    std::fprintf(stderr, "error: --format must be csv or jsonl\n");
    return kExitUsage;
  }
  grpc::ClientContext context;
  Authorize(&context);
  auto reader = stub->StreamMonthlyExtract(&context, request);
  std::string out = format == "csv" ? extracts::ExtractCsvHeader() : "";
  hirs::v1::ExtractRow row;
  google::protobuf::util::JsonPrintOptions json;
  json.preserve_proto_field_names = true;
  while (reader->Read(&row)) {
    if (format == "csv") {
      out += extracts::ExtractCsvLine(row);
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

}  // namespace hirs::cli
