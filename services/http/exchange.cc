#include "services/http/exchange.h"

#include <deque>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "hirs/v1/case_service.pb.h"
#include "hirs/v1/extract_service.pb.h"
#include "hirs/v1/reporting_service.pb.h"
#include "services/extracts/formats.h"
#include "services/http/errors.h"
#include "services/http/routes.h"
#include "services/rpc/rpc.h"

namespace hirs::http {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;

// `bytes` (a message of type `type`) parsed into *m and as canonical
// JSON; "" if it is not one.
std::string JsonOf(const Descriptor* type, const std::string& bytes, std::unique_ptr<Message>* m = nullptr) {
  std::unique_ptr<Message> parsed = NewMessage(type);
  std::string json;
  if (!parsed->ParseFromString(bytes) || !google::protobuf::util::MessageToJsonString(*parsed, &json).ok())
    json.clear();
  if (m != nullptr) *m = std::move(parsed);
  return json;
}

// How a stream's answers are written.
enum class Form { kJsonLines, kCsv, kEvents };

Form FormFor(const MethodDescriptor* method, const httplib::Request& req) {
  for (const std::string& type : ExtraStreamTypes(method)) {
    if (type == kEventStream) return Form::kEvents;
    if (type == kCsv && absl::StrContains(absl::AsciiStrToLower(req.get_header_value("Accept")), kCsv)) {
      return Form::kCsv;
    }
  }
  return Form::kJsonLines;
}

const char* ContentType(Form form) {
  switch (form) {
    case Form::kCsv:
      return "text/csv; charset=utf-8";
    case Form::kEvents:
      return "text/event-stream; charset=utf-8";
    default:
      return "application/x-ndjson";
  }
}

// One streamed answer, written in `form`.
std::string Format(Form form, const Descriptor* type, const std::string& bytes) {
  if (form == Form::kCsv) {
    hirs::v1::ExtractRow row;
    return row.ParseFromString(bytes) ? extracts::ExtractCsvLine(row) : "";
  }
  std::unique_ptr<Message> m;
  const std::string json = JsonOf(type, bytes, &m);
  if (form == Form::kJsonLines) return absl::StrCat(json, "\n");
  // An event's id is its message's cursor (CaseEvent, ReportChange): a
  // browser's EventSource resumes with it as Last-Event-ID.
  const google::protobuf::FieldDescriptor* cursor = type->FindFieldByName("cursor");
  const uint64_t id = cursor != nullptr ? m->GetReflection()->GetUInt64(*m, cursor) : 0;
  return absl::StrCat("id: ", id, "\ndata: ", json, "\n\n");
}

// The stream's failure after its answers began: a last line in `form`;
// false for CSV, which has no place for it (the answer is cut short).
bool WriteFailure(Form form, const grpc::Status& status, httplib::DataSink& sink) {
  if (form == Form::kCsv) return false;
  const std::string body = ToHttpError(rpc::FromGrpcStatus(status)).body;
  const std::string text = form == Form::kEvents ? absl::StrCat("event: error\ndata: ", body, "\n\n") : body + "\n";
  return sink.write(text.data(), text.size());
}

// A stream whose first answer (or announced opening) has come: the rest is
// written by `next` from cpp-httplib's content provider.
struct OpenStream {
  std::unique_ptr<StreamCall> call;
  std::string first;
  bool has_first = false;
  bool prefix_written = false;
};

// Starts the stream's call and waits until it opens or ends. False when it
// was refused (answered as an ordinary error).
bool Open(const Exchange& ex, OpenStream* stream) {
  std::string answer;
  switch (stream->call->Next(absl::InfiniteFuture(), &answer, /*report_open=*/true)) {
    case StreamCall::Event::kAnswer:
      stream->first = std::move(answer);
      stream->has_first = true;
      return true;
    case StreamCall::Event::kEnd: {
      const grpc::Status status = stream->call->Finish();
      if (status.ok()) return true;
      AnswerError(ex.res, rpc::FromGrpcStatus(status));
      return false;
    }
    default:
      return true;
  }
}

// The next answer of `stream`: the one taken while opening, else the
// call's next.
StreamCall::Event Next(OpenStream* stream, absl::Time deadline, std::string* answer) {
  if (stream->has_first) {
    stream->has_first = false;
    *answer = std::move(stream->first);
    return StreamCall::Event::kAnswer;
  }
  return stream->call->Next(deadline, answer);
}

bool WriteText(httplib::DataSink& sink, const std::string& text) { return sink.write(text.data(), text.size()); }

// One line of a batch: a request sent on, or an error of its own.
struct Line {
  bool sent = false;
  std::string error_json;
};

std::vector<Line> SendLines(const std::string& body, StreamCall* call) {
  std::vector<Line> lines;
  int number = 0;
  for (absl::string_view text : absl::StrSplit(body, '\n')) {
    ++number;
    text = absl::StripAsciiWhitespace(text);
    if (text.empty()) continue;
    hirs::v1::SubmitReportRequest request;
    const absl::Status parsed = ParseJson(text, absl::StrCat("line ", number), &request);
    Line line;
    if (parsed.ok()) {
      call->Send(request.SerializeAsString());
      line.sent = true;
    } else {
      hirs::v1::SubmitReportResponse refused;
      *refused.mutable_error() = rpc::ToRpcStatus(parsed);
      (void)google::protobuf::util::MessageToJsonString(refused, &line.error_json);
    }
    lines.push_back(std::move(line));
  }
  call->CloseSend();
  return lines;
}

}  // namespace

std::unique_ptr<Message> NewMessage(const Descriptor* d) {
  return std::unique_ptr<Message>(google::protobuf::MessageFactory::generated_factory()->GetPrototype(d)->New());
}

void AnswerLibraryError(const httplib::Request& req, httplib::Response& res) {
  std::string message = absl::StrCat("the request could not be read (HTTP ", res.status, ")");
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  if (res.status == 413) message = "the body is over the limit; send fewer items at once";
  if (res.status == 404) {
    code = absl::StatusCode::kNotFound;
    message = absl::StrCat("no route ", req.method, " ", req.path);
  }
  AnswerError(res, rpc::ToRpcStatus(absl::Status(code, message)), res.status);
}

void AnswerMessage(httplib::Response& res, const Descriptor* type, const std::string& bytes) {
  res.set_content(JsonOf(type, bytes) + "\n", "application/json");
}

void SubmitLines(const Exchange& ex, const MethodDescriptor* method, const std::string& body) {
  auto stream = std::make_shared<OpenStream>();
  stream->call = std::make_unique<StreamCall>(ex.stub, ex.setup);
  auto lines = std::make_shared<std::deque<Line>>();
  for (Line& line : SendLines(body, stream->call.get())) lines->push_back(std::move(line));
  if (!Open(ex, stream.get())) return;
  const Descriptor* type = method->output_type();
  ex.res.set_chunked_content_provider(
      ContentType(Form::kJsonLines), [stream, lines, type](size_t, httplib::DataSink& sink) {
        if (lines->empty()) {
          sink.done();
          return true;
        }
        Line line = std::move(lines->front());
        lines->pop_front();
        if (!line.sent) return WriteText(sink, line.error_json + "\n");
        std::string answer;
        if (Next(stream.get(), absl::InfiniteFuture(), &answer) == StreamCall::Event::kAnswer) {
          return WriteText(sink, Format(Form::kJsonLines, type, answer));
        }
        lines->clear();  // the stream ended early: its status ends the answer
        const grpc::Status status = stream->call->Finish();
        if (!status.ok() && !WriteFailure(Form::kJsonLines, status, sink)) return false;
        sink.done();
        return true;
      });
}

void StreamAnswers(const Exchange& ex, const MethodDescriptor* method, const Message& request,
                   absl::Duration heartbeat) {
  auto stream = std::make_shared<OpenStream>();
  stream->call = std::make_unique<StreamCall>(ex.stub, ex.setup);
  stream->call->Send(request.SerializeAsString());
  stream->call->CloseSend();
  if (!Open(ex, stream.get())) return;
  const Form form = FormFor(method, ex.req);
  const Descriptor* type = method->output_type();
  if (form == Form::kCsv) {
    ex.res.set_header("Content-Disposition", "attachment; filename=\"extract.csv\"");
  }
  ex.res.set_chunked_content_provider(
      ContentType(form), [stream, form, type, heartbeat](size_t, httplib::DataSink& sink) {
        if (!stream->prefix_written) {
          stream->prefix_written = true;
          if (form == Form::kCsv) return WriteText(sink, extracts::ExtractCsvHeader());
          if (form == Form::kEvents) return WriteText(sink, "retry: 1000\n\n");
        }
        const absl::Time wait = form == Form::kEvents ? absl::Now() + heartbeat : absl::InfiniteFuture();
        std::string answer;
        switch (Next(stream.get(), wait, &answer)) {
          case StreamCall::Event::kAnswer:
            return WriteText(sink, Format(form, type, answer));
          case StreamCall::Event::kEnd: {
            const grpc::Status status = stream->call->Finish();
            if (!status.ok() && !WriteFailure(form, status, sink)) return false;
            sink.done();
            return true;
          }
          default:  // quiet: a comment keeps proxies open and finds clients gone
            return WriteText(sink, ": keep-alive\n\n");
        }
      });
}

absl::Status ResumeFromLastEventId(const httplib::Request& req, Message* request) {
  if (!req.has_header("Last-Event-ID")) return absl::OkStatus();
  return SetFieldFromText(request, "from_cursor", req.get_header_value("Last-Event-ID"));
}

std::optional<hirs::v1::MonthlyExtractRequest> ReportRequestOf(const std::string& path) {
  std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  if (parts.size() != 7 || !parts[0].empty() || parts[1] != "v1" || parts[2] != "districts" || parts[3].empty() ||
      parts[4] != "months" || parts[5].empty() || parts[6] != "report") {
    return std::nullopt;
  }
  hirs::v1::MonthlyExtractRequest request;
  request.set_district_code(std::string(parts[3]));
  request.set_month(std::string(parts[5]));
  return request;
}

void DistrictReport(const Exchange& ex, const hirs::v1::MonthlyExtractRequest& report) {
  std::vector<hirs::v1::MonthlySummary> months;
  for (const std::string& month : extracts::ReportMonths(report.month())) {
    hirs::v1::MonthlyExtractRequest request = report;
    request.set_month(month);
    std::string answer;
    const grpc::Status status = UnaryCall(ex.stub, ex.setup, request.SerializeAsString(), &answer);
    if (!status.ok()) {
      AnswerError(ex.res, rpc::FromGrpcStatus(status));
      return;
    }
    (void)months.emplace_back().ParseFromString(answer);
  }
  // The month page (services/pages/) shows the report in a frame: this
  // site's pages may frame it, no other site's.
  ReplaceHeader(ex.res, "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'");
  ReplaceHeader(ex.res, "X-Frame-Options", "SAMEORIGIN");
  ex.res.set_content(extracts::SummaryReportHtml(months), "text/html; charset=utf-8");
}

}  // namespace hirs::http
