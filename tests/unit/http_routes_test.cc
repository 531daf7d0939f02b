// The HTTP routes of the API, from the google.api.http annotations: every
// RPC has one, the routes outside clients rely on (DESIGN.md, "HTTP/JSON")
// are as published, and each route's variables and body name fields of
// its request.
#include <map>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "gtest/gtest.h"
#include "services/http/routes.h"
#include "tests/support/domain_support.h"

namespace hirs {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::MethodDescriptor;

// "VERB path" of a rule; "" for none.
std::string Route(const google::api::HttpRule& rule) {
  const http::RulePattern pattern = http::PatternOf(rule);
  return pattern.verb.empty() ? "" : absl::StrCat(pattern.verb, " ", pattern.path);
}

// Whether `path` ("a.b") names a field of `d`, through singular messages.
bool NamesField(const Descriptor* d, const std::string& path) {
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    const auto* f = d == nullptr ? nullptr : d->FindFieldByName(std::string(part));
    if (f == nullptr) return false;
    d = f->message_type();
  }
  return true;
}

std::map<std::string, const MethodDescriptor*> Methods() {
  std::map<std::string, const MethodDescriptor*> out;
  for (const auto* s : hirs::testing::ApiServices()) {
    for (int m = 0; m < s->method_count(); ++m) out[s->method(m)->name()] = s->method(m);
  }
  return out;
}

TEST(HttpRoutes, TheRoutesOutsideClientsRelyOnAreAsPublished) {
  const std::map<std::string, std::string> published = {
      {"SubmitReport", "POST /v1/reports"},
      {"SubmitReports", "POST /v1/reports:batchSubmit"},
      {"GetReport", "GET /v1/reports/{report_id}"},
      {"ListCases", "GET /v1/cases"},
      {"GetCase", "GET /v1/cases/{case_id}"},
      {"UpdateCase", "PATCH /v1/cases/{case.case_id}"},
      {"MergeCases", "POST /v1/cases/{target_case_id}:merge"},
      {"SplitReport", "POST /v1/reports/{report_id}:split"},
      {"ListReviewItems", "GET /v1/reviewItems"},
      {"ResolveReviewItem", "POST /v1/reviewItems/{review_id}:resolve"},
      {"WatchCases", "GET /v1/cases:watch"},
      {"GetMonthlySummary", "GET /v1/districts/{district_code}/months/{month}/summary"},
      {"StreamMonthlyExtract", "GET /v1/districts/{district_code}/months/{month}/extract"},
  };
  const auto methods = Methods();
  for (const auto& [name, route] : published) {
    ASSERT_TRUE(methods.count(name)) << name;
    EXPECT_EQ(Route(methods.at(name)->options().GetExtension(google::api::http)), route) << name;
  }
}

TEST(HttpRoutes, EveryRpcHasOneRouteWhoseVariablesAndBodyAreFieldsOfItsRequest) {
  std::map<std::string, std::string> seen;  // route -> method
  for (const auto& [name, method] : Methods()) {
    ASSERT_TRUE(method->options().HasExtension(google::api::http)) << name << " has no google.api.http route";
    const google::api::HttpRule& rule = method->options().GetExtension(google::api::http);
    const std::string route = Route(rule);
    ASSERT_FALSE(route.empty()) << name;
    EXPECT_TRUE(seen.emplace(route, name).second) << name << " and " << seen[route] << " share " << route;
    for (absl::string_view segment : absl::StrSplit(route, '/')) {
      if (segment.empty() || segment.front() != '{') continue;
      const std::string var(segment.substr(1, segment.find('}') - 1));
      EXPECT_TRUE(NamesField(method->input_type(), var)) << name << ": {" << var << "} is not a request field";
    }
    const bool reads = absl::StartsWith(route, "GET ");
    EXPECT_EQ(rule.body().empty(), reads) << name << ": a GET has no body; any other verb takes one";
    if (!rule.body().empty() && rule.body() != "*") {
      EXPECT_TRUE(NamesField(method->input_type(), rule.body())) << name << ": body " << rule.body();
    }
  }
  EXPECT_EQ(seen.size(), 43u);
}

}  // namespace
}  // namespace hirs
