// Errors as Google's JSON APIs give them (AIP-193): the HTTP status mapped
// from the gRPC code as google.rpc.Code documents it, and the body
// {"error": {"code": <HTTP status>, "message", "status": "<CODE_NAME>",
// "details": [{"@type": ..., ...}]}} with each google.rpc detail (a
// BadRequest's field violations, a RetryInfo) in its JSON form.
#ifndef HIRS_SERVICES_HTTP_ERRORS_H_
#define HIRS_SERVICES_HTTP_ERRORS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "google/rpc/status.pb.h"
#include "httplib.h"

namespace hirs::http {

// The HTTP status for a gRPC status code: 400 INVALID_ARGUMENT,
// FAILED_PRECONDITION and OUT_OF_RANGE; 401; 403; 404; 409 ALREADY_EXISTS
// and ABORTED; 429; 499 CANCELLED; 500 UNKNOWN, INTERNAL and DATA_LOSS;
// 501; 503; 504.
int HttpStatusOf(absl::StatusCode code);

struct HttpError {
  int status = 500;
  std::string body;  // application/json
  // Retry-After (whole seconds, rounded up) when a RetryInfo says when.
  std::vector<std::pair<std::string, std::string>> headers;
};

// The answer for a failed call whose status (with its details, as a gRPC
// client reads them from grpc-status-details-bin) is `status`;
// `http_status`, when given, instead of the mapped one (405, 413, 415:
// refusals of the HTTP request itself).
HttpError ToHttpError(const google::rpc::Status& status, int http_status = 0);

// `res` answered with ToHttpError(status, http_status).
void AnswerError(httplib::Response& res, const google::rpc::Status& status, int http_status = 0);

// Header `name` of `res` set to `value` alone, in place of the door's
// default (cpp-httplib adds a second header otherwise).
void ReplaceHeader(httplib::Response& res, const std::string& name, const std::string& value);

}  // namespace hirs::http

#endif  // HIRS_SERVICES_HTTP_ERRORS_H_
