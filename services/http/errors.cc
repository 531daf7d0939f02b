#include "services/http/errors.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"

namespace hirs::http {
namespace {

// A detail in its JSON form ({"@type": ..., fields...}), or, when its type
// is unknown here, just its @type.
google::protobuf::Value DetailJson(const google::protobuf::Any& any) {
  std::string json;
  google::protobuf::Value value;
  if (google::protobuf::util::MessageToJsonString(any, &json).ok() &&
      google::protobuf::util::JsonStringToMessage(json, &value).ok()) {
    return value;
  }
  (*value.mutable_struct_value()->mutable_fields())["@type"].set_string_value(any.type_url());
  return value;
}

}  // namespace

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:  // UNKNOWN, INTERNAL, DATA_LOSS and codes no gRPC server sends
      return 500;
  }
}

HttpError ToHttpError(const google::rpc::Status& status, int http_status) {
  const auto code = static_cast<absl::StatusCode>(status.code());
  HttpError out;
  out.status = http_status != 0 ? http_status : HttpStatusOf(code);
  google::protobuf::Struct error;
  auto& fields = *error.mutable_fields();
  fields["code"].set_number_value(out.status);
  fields["message"].set_string_value(status.message());
  fields["status"].set_string_value(absl::StatusCodeToString(code));
  auto* details = fields["details"].mutable_list_value();
  for (const google::protobuf::Any& any : status.details()) {
    *details->add_values() = DetailJson(any);
    google::rpc::RetryInfo retry;
    if (any.UnpackTo(&retry) && retry.has_retry_delay()) {
      const double seconds = retry.retry_delay().seconds() + retry.retry_delay().nanos() / 1e9;
      out.headers.emplace_back("Retry-After", absl::StrCat(std::max<int64_t>(1, std::ceil(seconds))));
    }
  }
  google::protobuf::Struct body;
  *(*body.mutable_fields())["error"].mutable_struct_value() = std::move(error);
  (void)google::protobuf::util::MessageToJsonString(body, &out.body);
  return out;
}

void AnswerError(httplib::Response& res, const google::rpc::Status& status, int http_status) {
  const HttpError error = ToHttpError(status, http_status);
  res.status = error.status;
  for (const auto& [name, value] : error.headers) res.set_header(name, value);
  res.set_content(error.body + "\n", "application/json");
}

void ReplaceHeader(httplib::Response& res, const std::string& name, const std::string& value) {
  res.headers.erase(name);
  res.set_header(name, value);
}

}  // namespace hirs::http
