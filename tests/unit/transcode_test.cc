// gRPC transcoding (services/http/routes.h): a request's verb and path find
// their route (custom verbs, path variables, 405's allowed verbs), and the
// request message is filled from the variables, query parameters and body
// as the rule says, with the field at fault named when something does not
// fit.
#include "common/bad_request.h"
#include "gtest/gtest.h"
#include "hirs/v1/case_service.pb.h"
#include "hirs/v1/extract_service.pb.h"
#include "hirs/v1/reporting_service.pb.h"
#include "services/http/routes.h"

namespace hirs::http {
namespace {

const Routes& All() {
  static const Routes* routes = new Routes(ApiServices());
  return *routes;
}

std::string MethodAt(const std::string& verb, const std::string& path) {
  const RouteMatch m = All().Find(verb, path);
  return m.route == nullptr ? "" : m.route->method->name();
}

TEST(Transcode, VerbsPathsAndCustomVerbsFindTheirMethod) {
  EXPECT_EQ(MethodAt("GET", "/v1/cases"), "ListCases");
  EXPECT_EQ(MethodAt("GET", "/v1/cases/case_1"), "GetCase");
  EXPECT_EQ(MethodAt("PATCH", "/v1/cases/case_1"), "UpdateCase");
  EXPECT_EQ(MethodAt("POST", "/v1/cases/case_1:merge"), "MergeCases");
  EXPECT_EQ(MethodAt("GET", "/v1/cases:watch"), "WatchCases");
  EXPECT_EQ(MethodAt("POST", "/v1/reports"), "SubmitReport");
  EXPECT_EQ(MethodAt("POST", "/v1/reports:batchSubmit"), "SubmitReports");
  EXPECT_EQ(MethodAt("POST", "/v1/reports/rpt_1:split"), "SplitReport");
  EXPECT_EQ(MethodAt("GET", "/v1/districts/E07000130/months/2026-10/extract"), "StreamMonthlyExtract");
  // Not routes: a verb the path does not end with, an empty variable, more
  // segments, a verb-less variable holding a colon.
  EXPECT_EQ(MethodAt("POST", "/v1/cases/case_1:split"), "");
  EXPECT_EQ(MethodAt("GET", "/v1/cases/"), "");
  EXPECT_EQ(MethodAt("GET", "/v1/cases/case_1/extra/more"), "");
  EXPECT_EQ(MethodAt("GET", "/v1/cases/case_1:merge"), "");
  EXPECT_EQ(MethodAt("GET", "v1/cases"), "");
  // A path with routes for other verbs names them.
  const RouteMatch wrong = All().Find("DELETE", "/v1/cases/case_1");
  EXPECT_EQ(wrong.route, nullptr);
  EXPECT_EQ(wrong.allowed, (std::vector<std::string>{"GET", "PATCH"}));
}

TEST(Transcode, VariablesQueryAndBodyFillTheRequest) {
  RouteMatch m = All().Find("PATCH", "/v1/cases/case_1");
  hirs::v1::UpdateCaseRequest update;
  ASSERT_TRUE(FillRequest(m, R"({"status": "CLOSED", "caseId": "ignored"})",
                          {{"update_mask", "status,outcome_note"}, {"etag", "7"}}, &update)
                  .ok());
  EXPECT_EQ(update.case_().case_id(), "case_1");  // the path's value wins over the body's
  EXPECT_EQ(update.case_().status(), hirs::v1::CLOSED);
  EXPECT_EQ(update.update_mask().paths_size(), 2);
  EXPECT_EQ(update.etag(), "7");

  m = All().Find("GET", "/v1/cases");
  hirs::v1::ListCasesRequest list;
  ASSERT_TRUE(FillRequest(m, "", {{"filter", "status = OPEN"}, {"pageSize", "20"}}, &list).ok());
  EXPECT_EQ(list.filter(), "status = OPEN");
  EXPECT_EQ(list.page_size(), 20);

  m = All().Find("GET", "/v1/districts/E07000130/months/2026-10/summary");
  hirs::v1::MonthlyExtractRequest summary;
  ASSERT_TRUE(FillRequest(m, "", {{"as_of", "2026-11-01T00:00:00Z"}}, &summary).ok());
  EXPECT_EQ(summary.district_code(), "E07000130");
  EXPECT_EQ(summary.month(), "2026-10");
  EXPECT_EQ(summary.as_of().seconds(), 1793491200);
}

// The field a refusal names.
std::string FieldAtFault(const absl::Status& s) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  const std::vector<FieldViolation> v = FieldViolationsOf(s);
  return v.empty() ? "" : v[0].field;
}

TEST(Transcode, WhatDoesNotFitIsRefusedNamingTheField) {
  RouteMatch m = All().Find("GET", "/v1/cases");
  hirs::v1::ListCasesRequest list;
  EXPECT_EQ(FieldAtFault(FillRequest(m, "", {{"nonsense", "1"}}, &list)), "nonsense");
  EXPECT_EQ(FieldAtFault(FillRequest(m, "", {{"page_size", "lots"}}, &list)), "page_size");
  EXPECT_EQ(FieldAtFault(FillRequest(m, "", {{"page_size", "99999999999"}}, &list)), "page_size");
  EXPECT_EQ(FillRequest(m, "{}", {}, &list).code(), absl::StatusCode::kInvalidArgument);  // GET takes no body

  EXPECT_EQ(FieldAtFault(FillRequest(m, "", {{"filter", "status = \xff"}}, &list)), "filter");  // not UTF-8
  EXPECT_EQ(FieldAtFault(FillRequest(m, "", {{"\xc0\xaf", "1"}}, &list)), "query");

  m = All().Find("POST", "/v1/reports");
  hirs::v1::SubmitReportRequest submit;
  EXPECT_EQ(FieldAtFault(FillRequest(m, "{\"requestId\": \"\xed\xa0\x80\"}", {}, &submit)), "body");
  EXPECT_EQ(FieldAtFault(FillRequest(m, R"({"report": {"nonsense": 1}})", {}, &submit)), "body");
  EXPECT_EQ(FieldAtFault(FillRequest(m, "{not json", {}, &submit)), "body");
  EXPECT_EQ(FieldAtFault(FillRequest(m, "{}", {{"request_id", "x"}}, &submit)), "request_id");  // the body's

  m = All().Find("PATCH", "/v1/cases/case_1");
  hirs::v1::UpdateCaseRequest update;
  EXPECT_EQ(FieldAtFault(FillRequest(m, "{}", {{"case.status", "OPEN"}}, &update)), "case.status");
  EXPECT_EQ(FieldAtFault(FillRequest(m, "{}", {{"update_mask", "a,b"}, {"case", "x"}}, &update)), "case");
}

TEST(Transcode, TextFormsOfEachKindOfField) {
  hirs::v1::Report r;
  ASSERT_TRUE(SetFieldFromText(&r, "motivations", "RACE").ok());
  ASSERT_TRUE(SetFieldFromText(&r, "motivations", "2").ok());  // by number
  EXPECT_EQ(r.motivations_size(), 2);
  EXPECT_EQ(FieldAtFault(SetFieldFromText(&r, "motivations", "NOT_A_MOTIVATION")), "motivations");
  ASSERT_TRUE(SetFieldFromText(&r, "location.postcode", "LE11 3AB").ok());
  EXPECT_EQ(r.location().postcode(), "LE11 3AB");
  ASSERT_TRUE(SetFieldFromText(&r, "occurredStart", "2026-10-03T20:30:00Z").ok());  // a JSON name
  EXPECT_EQ(r.occurred_start().seconds(), 1791059400);
  EXPECT_EQ(FieldAtFault(SetFieldFromText(&r, "occurred_start", "yesterday")), "occurred_start");
  ASSERT_TRUE(SetFieldFromText(&r, "school_related", "true").ok());
  EXPECT_TRUE(r.school_related());
  EXPECT_EQ(FieldAtFault(SetFieldFromText(&r, "school_related", "maybe")), "school_related");
  EXPECT_EQ(FieldAtFault(SetFieldFromText(&r, "location", "x")), "location");  // a message
  EXPECT_EQ(FieldAtFault(SetFieldFromText(&r, "location.nothing", "x")), "location.nothing");
}

}  // namespace
}  // namespace hirs::http
