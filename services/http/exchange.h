// The gateway's answers (gateway.h): one HTTP request and its response,
// with the call it makes through the in-process channel. Internal to
// services/http.
#ifndef HIRS_SERVICES_HTTP_EXCHANGE_H_
#define HIRS_SERVICES_HTTP_EXCHANGE_H_

#include <grpcpp/generic/generic_stub.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/rpc/status.pb.h"
#include "hirs/v1/extract_service.pb.h"
#include "httplib.h"
#include "services/http/channel_call.h"
#include "services/http/errors.h"

namespace hirs::http {

struct Exchange {
  const httplib::Request& req;
  httplib::Response& res;
  grpc::GenericStub& stub;
  CallSetup setup;
};

// An empty message of type `d` (a generated one).
std::unique_ptr<google::protobuf::Message> NewMessage(const google::protobuf::Descriptor* d);

// The AIP-193 body for an error cpp-httplib answered itself (a malformed
// request, a body over the limit).
void AnswerLibraryError(const httplib::Request& req, httplib::Response& res);
// The message of type `type` in `bytes`, as canonical JSON.
void AnswerMessage(httplib::Response& res, const google::protobuf::Descriptor* type, const std::string& bytes);

// SubmitReports over HTTP: `body` is JSON Lines of SubmitReportRequest;
// the answer JSON Lines of SubmitReportResponse, one per item in order,
// streamed as items are stored. A line that is not a request in JSON gets
// its own error in its place; the others go on.
void SubmitLines(const Exchange& ex, const google::protobuf::MethodDescriptor* method, const std::string& body);

// A method with streamed answers: JSON Lines; CSV rows for an extract with
// Accept: text/csv; Server-Sent Events for a watch (a comment line every
// `heartbeat` while quiet). A refusal before the first answer is an
// ordinary error answer; one after it, a last line (or `event: error`)
// with the AIP-193 body.
void StreamAnswers(const Exchange& ex, const google::protobuf::MethodDescriptor* method,
                   const google::protobuf::Message& request, absl::Duration heartbeat);

// A watch resumed by an EventSource: Last-Event-ID (the last cursor
// received) as the request's from_cursor.
absl::Status ResumeFromLastEventId(const httplib::Request& req, google::protobuf::Message* request);

// /v1/districts/{district_code}/months/{month}/report: the district's
// report (extracts/formats.h) for the month, from twelve
// GetMonthlySummary calls.
// ReportRequestOf: the district and month such a path names; nullopt for
// any other path.
std::optional<hirs::v1::MonthlyExtractRequest> ReportRequestOf(const std::string& path);
void DistrictReport(const Exchange& ex, const hirs::v1::MonthlyExtractRequest& report);

}  // namespace hirs::http

#endif  // HIRS_SERVICES_HTTP_EXCHANGE_H_
