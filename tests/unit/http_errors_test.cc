// AIP-193 errors: every gRPC code's HTTP status, the JSON body with typed
// details, and Retry-After from a RetryInfo.
#include "services/http/errors.h"

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace hirs::http {
namespace {

TEST(HttpErrors, EachCodeMapsToItsHttpStatus) {
  const std::vector<std::pair<absl::StatusCode, int>> expected = {
      {absl::StatusCode::kOk, 200},
      {absl::StatusCode::kCancelled, 499},
      {absl::StatusCode::kUnknown, 500},
      {absl::StatusCode::kInvalidArgument, 400},
      {absl::StatusCode::kDeadlineExceeded, 504},
      {absl::StatusCode::kNotFound, 404},
      {absl::StatusCode::kAlreadyExists, 409},
      {absl::StatusCode::kPermissionDenied, 403},
      {absl::StatusCode::kResourceExhausted, 429},
      {absl::StatusCode::kFailedPrecondition, 400},
      {absl::StatusCode::kAborted, 409},
      {absl::StatusCode::kOutOfRange, 400},
      {absl::StatusCode::kUnimplemented, 501},
      {absl::StatusCode::kInternal, 500},
      {absl::StatusCode::kUnavailable, 503},
      {absl::StatusCode::kDataLoss, 500},
      {absl::StatusCode::kUnauthenticated, 401},
  };
  for (const auto& [code, http] : expected) EXPECT_EQ(HttpStatusOf(code), http) << absl::StatusCodeToString(code);
}

TEST(HttpErrors, TheBodyCarriesCodeMessageStatusAndTypedFieldViolations) {
  google::rpc::Status status;
  status.set_code(static_cast<int>(absl::StatusCode::kInvalidArgument));
  status.set_message("the report has 1 problem");
  google::rpc::BadRequest bad;
  auto* v = bad.add_field_violations();
  v->set_field("report.location.postcode");
  v->set_description("is not a valid UK postcode");
  status.add_details()->PackFrom(bad);

  const HttpError e = ToHttpError(status);
  EXPECT_EQ(e.status, 400);
  EXPECT_TRUE(e.headers.empty());
  google::protobuf::Struct body;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(e.body, &body).ok()) << e.body;
  const auto& error = body.fields().at("error").struct_value().fields();
  EXPECT_EQ(error.at("code").number_value(), 400);
  EXPECT_EQ(error.at("status").string_value(), "INVALID_ARGUMENT");
  EXPECT_EQ(error.at("message").string_value(), "the report has 1 problem");
  const auto& detail = error.at("details").list_value().values(0).struct_value().fields();
  EXPECT_EQ(detail.at("@type").string_value(), "type.googleapis.com/google.rpc.BadRequest");
  const auto& violation = detail.at("fieldViolations").list_value().values(0).struct_value().fields();
  EXPECT_EQ(violation.at("field").string_value(), "report.location.postcode");
}

TEST(HttpErrors, RateLimitedAnswersSayWhenToRetry) {
  google::rpc::Status status;
  status.set_code(static_cast<int>(absl::StatusCode::kResourceExhausted));
  status.set_message("centre-a is over its rate");
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(2);
  retry.mutable_retry_delay()->set_nanos(100000000);
  status.add_details()->PackFrom(retry);
  const HttpError e = ToHttpError(status);
  EXPECT_EQ(e.status, 429);
  ASSERT_EQ(e.headers.size(), 1u);
  EXPECT_EQ(e.headers[0], (std::pair<std::string, std::string>{"Retry-After", "3"}));
}

}  // namespace
}  // namespace hirs::http
