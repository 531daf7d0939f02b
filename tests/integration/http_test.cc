// The HTTP/JSON door through real HTTP on 127.0.0.1 (cpp-httplib's client
// and plain sockets) against a real in-process hirsd: every route, answers
// equal to the gRPC ones, AIP-193 errors, the authorization matrix over
// HTTP from the same access table as the gRPC matrix, audit entries naming
// the HTTP client, JSON Lines bulk with a bad line, Server-Sent Events
// resumed with Last-Event-ID, and the limits (body, head, slow clients,
// connections).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/civil_time.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "hirs/v1/admin_service.grpc.pb.h"
#include "hirs/v1/case_service.grpc.pb.h"
#include "httplib.h"
#include "services/auth/access.h"
#include "services/http/routes.h"
#include "tests/support/test_support.h"

namespace hirs {
namespace {

using hirs::testing::ContextWithToken;
using hirs::testing::kAdminToken;
using hirs::testing::kCentreAToken;
using hirs::testing::kDistrictToken;
using hirs::testing::kPoliceToken;
using hirs::testing::TestServer;

httplib::Headers Bearer(const std::string& token) {
  if (token.empty()) return {};
  return {{"Authorization", absl::StrCat("Bearer ", token)}};
}

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(m, &out).ok());
  return out;
}

std::string Trimmed(const std::string& s) { return std::string(absl::StripTrailingAsciiWhitespace(s)); }

// The "error" object of an AIP-193 body.
google::protobuf::Struct ErrorOf(const std::string& body) {
  google::protobuf::Struct parsed;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(body, &parsed).ok()) << body;
  return parsed.fields().at("error").struct_value();
}

// A report distinct from the others by its reference and postcode.
hirs::v1::SubmitReportRequest DistinctRequest(int i) {
  hirs::v1::Report report = testing::ValidReport(absl::Now());
  report.set_source_reference(absl::StrCat("HTTP-", i));
  report.mutable_location()->set_postcode(absl::StrCat("LE11 ", i % 9 + 1, "AB"));
  report.clear_motivations();
  report.add_motivations(i % 2 == 0 ? hirs::v1::RACE : hirs::v1::DISABILITY);
  return testing::Request(report, absl::StrCat("http-test-", i));
}

// A path for `route` with its variables filled: the test district's code,
// a month, 1 for numbers, "x" for other strings.
std::string SamplePath(const http::Route& route) {
  std::string path;
  for (const auto& segment : route.segments) {
    std::string value = segment.text;
    if (segment.variable) {
      const auto* f = http::FieldAt(route.method->input_type(), segment.text);
      value = f != nullptr && f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING ? "1" : "x";
      if (segment.text == "district_code") value = "E07000130";  // the district principal's own
      if (segment.text == "month") value = "2026-01";
    }
    absl::StrAppend(&path, "/", value);
  }
  if (!route.custom_verb.empty()) absl::StrAppend(&path, ":", route.custom_verb);
  return path;
}

// `route` called with an empty request as `token` (none: no credential).
httplib::Result CallRoute(int port, const http::Route& route, const std::string& token) {
  httplib::Request req;
  req.method = route.verb;
  req.path = SamplePath(route);
  req.headers = Bearer(token);
  req.set_header("X-Server-Timeout", "0.5");  // a watch's end
  if (route.verb != "GET") {
    req.body = route.method->client_streaming() ? "" : "{}";
    req.set_header("Content-Type", "application/json");
  }
  httplib::Client client("127.0.0.1", port);
  return client.send(req);
}

class HttpTest : public ::testing::Test {
 protected:
  HttpTest() : client_("127.0.0.1", server_.http_port()) { client_.set_read_timeout(30, 0); }

  // A client connection of its own, at the HTTP door.
  httplib::Client Client() { return httplib::Client("127.0.0.1", server_.http_port()); }

  hirs::v1::SubmitReportResponse SubmitOverHttp(const hirs::v1::SubmitReportRequest& request) {
    auto res = client_.Post("/v1/reports", Bearer(kCentreAToken), Json(request), "application/json");
    EXPECT_TRUE(res) << httplib::to_string(res.error());
    hirs::v1::SubmitReportResponse out;
    if (res) {
      EXPECT_EQ(res->status, 200) << res->body;
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(res->body, &out).ok()) << res->body;
    }
    return out;
  }

  TestServer server_;
  httplib::Client client_;
};

TEST_F(HttpTest, AnswersEqualTheGrpcAnswers) {
  const auto submitted = SubmitOverHttp(DistinctRequest(1));
  ASSERT_FALSE(submitted.case_id().empty());

  auto cases = hirs::v1::CaseService::NewStub(server_.channel());
  hirs::v1::GetCaseRequest get;
  get.set_case_id(submitted.case_id());
  hirs::v1::Case by_grpc;
  ASSERT_TRUE(cases->GetCase(ContextWithToken(kPoliceToken).get(), get, &by_grpc).ok());
  auto res = client_.Get(absl::StrCat("/v1/cases/", submitted.case_id()), Bearer(kPoliceToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(Trimmed(res->body), Json(by_grpc));

  hirs::v1::ListCasesRequest list;
  list.set_page_size(10);
  hirs::v1::ListCasesResponse listed;
  ASSERT_TRUE(cases->ListCases(ContextWithToken(kPoliceToken).get(), list, &listed).ok());
  res = client_.Get("/v1/cases?page_size=10", Bearer(kPoliceToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(Trimmed(res->body), Json(listed));

  hirs::v1::GetReportRequest report;
  report.set_report_id(submitted.report_id());
  hirs::v1::Report stored;
  ASSERT_TRUE(server_.Reporting()->GetReport(ContextWithToken(kCentreAToken).get(), report, &stored).ok());
  res = client_.Get(absl::StrCat("/v1/reports/", submitted.report_id()), Bearer(kCentreAToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(Trimmed(res->body), Json(stored));

  // A centre's list, with a filter and a time as query parameters.
  hirs::v1::ListReportsRequest mine;
  mine.set_filter("motivation = DISABILITY AND status = OPEN");
  *mine.mutable_updated_since() = ToTimestamp(absl::Now() - absl::Hours(1));
  hirs::v1::ListReportsResponse listed_mine;
  ASSERT_TRUE(server_.Reporting()->ListReports(ContextWithToken(kCentreAToken).get(), mine, &listed_mine).ok());
  ASSERT_EQ(listed_mine.reports_size(), 1);
  res = client_.Get(
      absl::StrCat("/v1/reports?filter=", httplib::detail::encode_query_param(mine.filter()), "&updated_since=",
                   absl::FormatTime(absl::RFC3339_full, absl::Now() - absl::Hours(1), absl::UTCTimeZone())),
      Bearer(kCentreAToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  hirs::v1::ListReportsResponse over_http;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(res->body, &over_http).ok());
  ASSERT_EQ(over_http.reports_size(), 1);
  EXPECT_EQ(over_http.reports(0).report_id(), submitted.report_id());
  EXPECT_EQ(over_http.reports(0).progress().case_id(), submitted.case_id());

  // PATCH with the body bound to `case`, the path naming it.
  hirs::v1::Case change;
  change.set_status(hirs::v1::UNDER_INVESTIGATION);
  res = client_.Patch(absl::StrCat("/v1/cases/", submitted.case_id(), "?update_mask=status&etag=", by_grpc.etag()),
                      Bearer(kPoliceToken), Json(change), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  hirs::v1::Case updated;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(res->body, &updated).ok());
  EXPECT_EQ(updated.status(), hirs::v1::UNDER_INVESTIGATION);
  ASSERT_TRUE(cases->GetCase(ContextWithToken(kPoliceToken).get(), get, &by_grpc).ok());
  EXPECT_EQ(by_grpc.status(), hirs::v1::UNDER_INVESTIGATION);
  EXPECT_EQ(by_grpc.etag(), updated.etag());

  // A centre's custom methods on its report: the path names it, the body
  // holds the rest; the answer is the report as gRPC gives it.
  res = client_.Post(absl::StrCat("/v1/reports/", submitted.report_id(), ":updateConsent"), Bearer(kCentreAToken),
                     R"({"consent": {"shareWithPolice": false}, "reason": "the victim asked"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  ASSERT_TRUE(server_.Reporting()->GetReport(ContextWithToken(kCentreAToken).get(), report, &stored).ok());
  EXPECT_EQ(stored.consent_changes_size(), 1);
  // An amendment on the etag as read; another on the same etag conflicts.
  hirs::v1::AmendReportRequest amend;
  *amend.mutable_report() = stored;
  amend.mutable_report()->set_description("corrected over HTTP");
  amend.set_reason("description corrected");
  amend.set_etag(stored.etag());
  res = client_.Post(absl::StrCat("/v1/reports/", submitted.report_id(), ":amend"), Bearer(kCentreAToken), Json(amend),
                     "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  hirs::v1::Report amended;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(res->body, &amended).ok());
  EXPECT_EQ(amended.versions_size(), 2);
  EXPECT_EQ(amended.description(), "corrected over HTTP");
  amend.mutable_report()->set_description("corrected again");
  res = client_.Post(absl::StrCat("/v1/reports/", submitted.report_id(), ":amend"), Bearer(kCentreAToken), Json(amend),
                     "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 409) << res->body;
  res = client_.Post(absl::StrCat("/v1/reports/", submitted.report_id(), ":withdraw"), Bearer(kCentreAToken),
                     R"({"reason": ""})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  EXPECT_TRUE(absl::StrContains(res->body, R"("field":"reason")")) << res->body;
  res = client_.Post(absl::StrCat("/v1/reports/", submitted.report_id(), ":withdraw"), Bearer(kCentreAToken),
                     R"({"reason": "entered twice"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  ASSERT_TRUE(server_.Reporting()->GetReport(ContextWithToken(kCentreAToken).get(), report, &stored).ok());
  EXPECT_EQ(Trimmed(res->body), Json(stored));
  EXPECT_EQ(stored.withdrawal().reason(), "entered twice");
}

TEST_F(HttpTest, EveryRpcHasARouteThatReachesIt) {
  const http::Routes routes(http::ApiServices());
  size_t methods = 0;
  for (const auto* s : http::ApiServices()) methods += static_cast<size_t>(s->method_count());
  EXPECT_EQ(routes.all().size(), methods);
  for (const http::Route& route : routes.all()) {
    const std::string path = SamplePath(route);
    const auto res = CallRoute(server_.http_port(), route, kAdminToken);
    ASSERT_TRUE(res) << route.verb << " " << path;
    EXPECT_FALSE(res->status == 404 && absl::StrContains(res->body, "no route")) << route.verb << " " << path;
    EXPECT_NE(res->status, 405) << route.verb << " " << path << ": " << res->body;
    EXPECT_FALSE(res->get_header_value("Content-Type").empty()) << path;
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(res->get_header_value("Cache-Control"), "no-store") << path;
  }
}

// The matrix of access_matrix_test.cc over HTTP, from the same table.
TEST_F(HttpTest, AuthorizationMatrixOverHttp) {
  const http::Routes routes(http::ApiServices());
  struct Role {
    const char* token;
    hirs::v1::Role role;
  };
  const Role roles[] = {{kCentreAToken, hirs::v1::REPORTING_CENTRE},
                        {kPoliceToken, hirs::v1::POLICE},
                        {kDistrictToken, hirs::v1::DISTRICT},
                        {kAdminToken, hirs::v1::ADMIN}};
  for (const auth::MethodRule& rule : auth::AccessTable()) {
    if (rule.scope == auth::Scope::kNoCredential) continue;  // signing in: session_test.cc
    const std::string full = absl::StrReplaceAll(std::string(rule.method), {{"/", "."}});
    const http::Route* route = nullptr;
    for (const http::Route& r : routes.all()) {
      if (r.method->full_name() == full) route = &r;
    }
    ASSERT_NE(route, nullptr) << full << " has no route";
    for (const char* token : {kCentreAToken, kPoliceToken, kDistrictToken, kAdminToken, ""}) {
      const auto res = CallRoute(server_.http_port(), *route, token);
      ASSERT_TRUE(res) << full;
      if (std::string(token).empty()) {
        EXPECT_EQ(res->status, 401) << full << ": " << res->body;
        continue;
      }
      hirs::v1::Role role = hirs::v1::ROLE_UNSPECIFIED;
      for (const Role& r : roles) {
        if (std::string(r.token) == token) role = r.role;
      }
      const bool allowed = std::find(rule.roles.begin(), rule.roles.end(), role) != rule.roles.end();
      if (allowed) {
        EXPECT_NE(res->status, 403) << full << " as " << hirs::v1::Role_Name(role) << ": " << res->body;
        EXPECT_NE(res->status, 401) << full << ": " << res->body;
      } else {
        EXPECT_EQ(res->status, 403) << full << " as " << hirs::v1::Role_Name(role) << ": " << res->body;
        EXPECT_EQ(ErrorOf(res->body).fields().at("status").string_value(), "PERMISSION_DENIED");
      }
    }
  }
}

TEST_F(HttpTest, ErrorsAsGoogleJsonApisGiveThem) {
  // 400 with the field at fault.
  auto res = client_.Post("/v1/reports", Bearer(kCentreAToken), "{\"report\": {}}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  google::protobuf::Struct error = ErrorOf(res->body);
  EXPECT_EQ(error.fields().at("code").number_value(), 400);
  EXPECT_EQ(error.fields().at("status").string_value(), "INVALID_ARGUMENT");
  const auto& detail = error.fields().at("details").list_value().values(0).struct_value();
  EXPECT_EQ(detail.fields().at("@type").string_value(), "type.googleapis.com/google.rpc.BadRequest");
  EXPECT_GE(detail.fields().at("fieldViolations").list_value().values_size(), 1);

  // Unknown JSON fields and query parameters are refused.
  res = client_.Post("/v1/reports", Bearer(kCentreAToken), "{\"report\": {\"nonsense\": 1}}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_TRUE(absl::StrContains(res->body, "nonsense")) << res->body;
  res = client_.Get("/v1/cases?nonsense=1", Bearer(kPoliceToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_TRUE(absl::StrContains(res->body, "nonsense")) << res->body;

  // 401, 403, 404 (no such case, no such route), 405.
  res = client_.Get("/v1/cases");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(ErrorOf(res->body).fields().at("status").string_value(), "UNAUTHENTICATED");
  res = client_.Get("/v1/cases", Bearer(kCentreAToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  res = client_.Get("/v1/cases/case_00000000000000000000000000", Bearer(kPoliceToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404) << res->body;
  EXPECT_EQ(ErrorOf(res->body).fields().at("status").string_value(), "NOT_FOUND");
  res = client_.Get("/v2/nothing", Bearer(kPoliceToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  res = client_.Delete("/v1/cases", Bearer(kPoliceToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "GET");

  // 409: one idempotency key with two different reports.
  auto request = DistinctRequest(2);
  SubmitOverHttp(request);
  request.mutable_report()->set_description("Something else altogether.");
  res = client_.Post("/v1/reports", Bearer(kCentreAToken), Json(request), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 409) << res->body;
  EXPECT_EQ(ErrorOf(res->body).fields().at("status").string_value(), "ALREADY_EXISTS");

  // 504: a deadline too short for any call.
  httplib::Headers hurried = Bearer(kPoliceToken);
  hurried.emplace("X-Server-Timeout", "0.000001");
  res = client_.Get("/v1/cases", hurried);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 504) << res->body;
  hurried = Bearer(kPoliceToken);
  hurried.emplace("X-Server-Timeout", "soon");
  res = client_.Get("/v1/cases", hurried);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);

  // Text that is not UTF-8, in the path.
  res = client_.Get("/v1/cases/case_%FF%FE", Bearer(kPoliceToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_TRUE(absl::StrContains(res->body, "UTF-8")) << res->body;

  // 415: a body that is not JSON.
  res = client_.Post("/v1/reports", Bearer(kCentreAToken), "{}", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
}

TEST(HttpRateLimit, TooManyCallsAre429WithRetryAfter) {
  TestServer server([](server::ServerOptions* o) {
    o->rate_limit_per_second = 1;
    o->rate_limit_burst = 2;
  });
  httplib::Client client("127.0.0.1", server.http_port());
  int limited = 0;
  for (int i = 0; i < 5; ++i) {
    auto res = client.Get("/v1/cases", Bearer(kPoliceToken));
    ASSERT_TRUE(res);
    if (res->status != 429) continue;
    ++limited;
    EXPECT_EQ(ErrorOf(res->body).fields().at("status").string_value(), "RESOURCE_EXHAUSTED");
    int seconds = 0;
    EXPECT_TRUE(absl::SimpleAtoi(res->get_header_value("Retry-After"), &seconds)) << res->body;
    EXPECT_GE(seconds, 1);
  }
  EXPECT_GE(limited, 2);
}

// A plain socket to the door; the local port is the peer hirsd sees.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    timeval tv{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    const int one = 1;  // as curl and browsers
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~RawConnection() { ::close(fd_); }
  int local_port() const {
    sockaddr_in a{};
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
  }
  bool Send(const std::string& bytes) { return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) > 0; }
  // Reads until `bytes` have come (or the server closes); true if they did.
  bool ReadUntil(const std::string& bytes, std::string* out) {
    char buf[4096];
    while (!absl::StrContains(*out, bytes)) {
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      out->append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  // Everything until the server closes (or 20 s pass).
  std::string ReadAll() {
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd_, buf, sizeof(buf), 0)) > 0;) out.append(buf, static_cast<size_t>(n));
    return out;
  }

 private:
  int fd_;
};

TEST_F(HttpTest, AuditNamesTheHttpClientNotTheInProcessChannel) {
  RawConnection raw(server_.http_port());
  ASSERT_TRUE(raw.Send(absl::StrCat("GET /v1/cases HTTP/1.1\r\nHost: hirs\r\nAuthorization: Bearer ", kPoliceToken,
                                    "\r\nConnection: close\r\n\r\n")));
  EXPECT_TRUE(absl::StartsWith(raw.ReadAll(), "HTTP/1.1 200")) << "ListCases over HTTP";

  // A gRPC caller claiming to be an HTTP client is not believed.
  auto cases = hirs::v1::CaseService::NewStub(server_.channel());
  auto spoofed = ContextWithToken(kPoliceToken);
  spoofed->AddMetadata("x-hirs-http-peer", "ipv4:6.6.6.6:666");
  spoofed->AddMetadata("x-hirs-http-key", std::string(64, '0'));
  hirs::v1::ListCasesResponse listed;
  ASSERT_TRUE(cases->ListCases(spoofed.get(), hirs::v1::ListCasesRequest(), &listed).ok());

  auto admin = hirs::v1::AdminService::NewStub(server_.channel());
  hirs::v1::ListAuditEntriesRequest by_police;
  by_police.set_principal_id("police");
  hirs::v1::ListAuditEntriesResponse entries;
  ASSERT_TRUE(admin->ListAuditEntries(ContextWithToken(kAdminToken).get(), by_police, &entries).ok());
  ASSERT_EQ(entries.entries_size(), 2);
  EXPECT_EQ(entries.entries(0).peer(), absl::StrCat("ipv4:127.0.0.1:", raw.local_port()));
  EXPECT_EQ(entries.entries(0).method(), "hirs.v1.CaseService/ListCases");
  EXPECT_FALSE(absl::StrContains(entries.entries(1).peer(), "6.6.6.6")) << entries.entries(1).peer();
  EXPECT_TRUE(absl::StartsWith(entries.entries(1).peer(), "ipv4:127.0.0.1:")) << entries.entries(1).peer();
}

TEST_F(HttpTest, JsonLinesBulkWithABadLineInTheMiddle) {
  std::string body =
      absl::StrCat(Json(DistinctRequest(10)), "\n", Json(DistinctRequest(11)), "\n",
                   "{\"report\": {\"nonsense\": true}}\n", "not json at all\n", Json(DistinctRequest(12)), "\n");
  auto res = client_.Post("/v1/reports:batchSubmit", Bearer(kCentreAToken), body, "application/x-ndjson");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/x-ndjson");
  std::vector<std::string> lines = absl::StrSplit(Trimmed(res->body), '\n');
  ASSERT_EQ(lines.size(), 5u) << res->body;
  for (int i : {0, 1, 4}) {
    hirs::v1::SubmitReportResponse r;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[i], &r).ok()) << lines[i];
    EXPECT_TRUE(absl::StartsWith(r.report_id(), "rpt_")) << lines[i];
    EXPECT_FALSE(r.has_error());
  }
  for (int i : {2, 3}) {
    hirs::v1::SubmitReportResponse r;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[i], &r).ok()) << lines[i];
    EXPECT_EQ(r.error().code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT)) << lines[i];
    EXPECT_TRUE(absl::StrContains(r.error().message(), absl::StrCat("line ", i + 1))) << lines[i];
    EXPECT_TRUE(r.report_id().empty());
  }
  // A retry of the same body stores nothing twice.
  res = client_.Post("/v1/reports:batchSubmit", Bearer(kCentreAToken), body, "application/x-ndjson");
  ASSERT_TRUE(res);
  std::vector<std::string> again = absl::StrSplit(Trimmed(res->body), '\n');
  ASSERT_EQ(again.size(), 5u);
  for (int i : {0, 1, 4}) EXPECT_TRUE(absl::StrContains(again[i], "ALREADY_RECEIVED")) << again[i];

  // A role that may not submit is refused as a whole.
  res = client_.Post("/v1/reports:batchSubmit", Bearer(kPoliceToken), body, "application/x-ndjson");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
}

// The events of a text/event-stream: (id, data) in order.
std::vector<std::pair<uint64_t, std::string>> Events(const std::string& text) {
  std::vector<std::pair<uint64_t, std::string>> out;
  for (absl::string_view block : absl::StrSplit(text, "\n\n")) {
    uint64_t id = 0;
    std::string data;
    bool has_id = false;
    for (absl::string_view line : absl::StrSplit(block, '\n')) {
      if (absl::ConsumePrefix(&line, "id: ")) has_id = absl::SimpleAtoi(line, &id);
      if (absl::ConsumePrefix(&line, "data: ")) data = std::string(line);
    }
    if (has_id) out.emplace_back(id, data);
  }
  return out;
}

// Reads a watch until `count` events have come (or 20 s pass).
std::vector<std::pair<uint64_t, std::string>> Watch(int port, const std::string& last_event_id, size_t count) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(20, 0);
  httplib::Headers headers = Bearer(kPoliceToken);
  if (!last_event_id.empty()) headers.emplace("Last-Event-ID", last_event_id);
  std::string text;
  auto res = client.Get("/v1/cases:watch", headers, [&](const char* data, size_t length) {
    text.append(data, length);
    return Events(text).size() < count;
  });
  auto events = Events(text);
  if (events.size() > count) events.resize(count);
  return events;
}

TEST_F(HttpTest, AWatchAsABrowserAsksForItIsNotHeldInACompressor) {
  // Browsers offer compressed answers; an event compressed mid-stream would
  // wait in the compressor until the watch ends, and an EventSource would
  // see nothing.
  httplib::Client client("127.0.0.1", server_.http_port());
  client.set_read_timeout(5, 0);
  httplib::Headers headers = Bearer(kPoliceToken);
  headers.emplace("Accept", "text/event-stream");
  headers.emplace("Accept-Encoding", "gzip, deflate, br");
  std::thread later([&] {
    absl::SleepFor(absl::Milliseconds(500));
    Client().Post("/v1/reports", Bearer(kCentreAToken), Json(DistinctRequest(30)), "application/json");
  });
  std::string text;
  const absl::Time start = absl::Now();
  auto res = client.Get("/v1/cases:watch?start_at_end=true", headers, [&](const char* data, size_t length) {
    text.append(data, length);
    return Events(text).empty();
  });
  later.join();
  ASSERT_EQ(Events(text).size(), 1u) << text;
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  ASSERT_TRUE(res != nullptr || res.error() == httplib::Error::Canceled);
}

TEST_F(HttpTest, WatchAsServerSentEventsResumesWithLastEventId) {
  for (int i = 20; i < 23; ++i) SubmitOverHttp(DistinctRequest(i));
  const auto first = Watch(server_.http_port(), "", 3);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_LT(first[0].first, first[1].first);
  hirs::v1::CaseEvent event;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(first[0].second, &event).ok()) << first[0].second;
  EXPECT_EQ(event.cursor(), first[0].first);

  // Resumed after the second: the third, then one made while watching.
  std::thread later([&] {
    absl::SleepFor(absl::Milliseconds(500));
    httplib::Client client = Client();
    client.Post("/v1/reports", Bearer(kCentreAToken), Json(DistinctRequest(23)), "application/json");
  });
  const auto resumed = Watch(server_.http_port(), absl::StrCat(first[1].first), 2);
  later.join();
  ASSERT_EQ(resumed.size(), 2u);
  EXPECT_EQ(resumed[0].first, first[2].first);
  EXPECT_EQ(resumed[1].first, first[2].first + 1);  // no gap, no repeat

  // A watch's deadline (X-Server-Timeout) reaches the call, which ends with
  // it: an error event after the events.
  httplib::Headers brief = Bearer(kPoliceToken);
  brief.emplace("X-Server-Timeout", "0.5");
  brief.emplace("Last-Event-ID", absl::StrCat(first[2].first + 1));
  const absl::Time asked = absl::Now();
  auto ended = client_.Get("/v1/cases:watch", brief);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->status, 200);
  EXPECT_TRUE(absl::StrContains(ended->body, "event: error\ndata: {")) << ended->body;
  EXPECT_TRUE(absl::StrContains(ended->body, "DEADLINE_EXCEEDED")) << ended->body;
  EXPECT_LT(absl::Now() - asked, absl::Seconds(5));

  // A watch the table refuses is an ordinary error answer.
  auto res = client_.Get("/v1/cases:watch", Bearer(kCentreAToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
}

TEST_F(HttpTest, ACentreFollowsItsReportsAsServerSentEvents) {
  const auto mine = SubmitOverHttp(DistinctRequest(40));
  // From the start: the creation of its report, its id the change's cursor.
  httplib::Client client = Client();
  client.set_read_timeout(20, 0);
  std::string text;
  auto follow = [&](const httplib::Headers& headers, size_t count) {
    text.clear();
    client.Get("/v1/reports:watch?filter=motivation%20%3D%20RACE", headers, [&](const char* data, size_t length) {
      text.append(data, length);
      return Events(text).size() < count;
    });
    return Events(text);
  };
  auto events = follow(Bearer(kCentreAToken), 1);
  ASSERT_EQ(events.size(), 1u) << text;
  hirs::v1::ReportChange change;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(events[0].second, &change).ok()) << events[0].second;
  EXPECT_EQ(change.cursor(), events[0].first);
  EXPECT_EQ(change.kind(), hirs::v1::CaseEvent::CASE_CREATED);
  ASSERT_EQ(change.reports_size(), 1);
  EXPECT_EQ(change.reports(0).report_id(), mine.report_id());
  EXPECT_EQ(change.reports(0).progress().case_id(), mine.case_id());

  // Resumed with Last-Event-ID: what came after, and only what the filter
  // lets through. Both reports join the first one's case (DistinctRequest
  // tells one incident); an odd one is DISABILITY.
  std::thread later([&] {
    absl::SleepFor(absl::Milliseconds(500));
    httplib::Client other = Client();
    other.Post("/v1/reports", Bearer(kCentreAToken), Json(DistinctRequest(41)), "application/json");
    other.Post("/v1/reports", Bearer(kCentreAToken), Json(DistinctRequest(42)), "application/json");
  });
  httplib::Headers resume = Bearer(kCentreAToken);
  resume.emplace("Last-Event-ID", absl::StrCat(events[0].first));
  events = follow(resume, 2);
  later.join();
  ASSERT_EQ(events.size(), 2u) << text;
  std::vector<std::string> references;
  for (const auto& [id, data] : events) {
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(data, &change).ok());
    EXPECT_EQ(change.kind(), hirs::v1::CaseEvent::REPORT_ATTACHED);
    for (const auto& r : change.reports()) references.push_back(r.source_reference());
  }
  EXPECT_THAT(references, ::testing::ElementsAre("HTTP-40", "HTTP-40", "HTTP-42"));

  // Police follow cases, not a centre's reports.
  auto res = client_.Get("/v1/reports:watch", Bearer(kPoliceToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
}

TEST_F(HttpTest, OversizedBodyAndHeadAreRefused) {
  const std::string big(5 << 20, 'a');
  auto res = client_.Post("/v1/reports", Bearer(kCentreAToken), big, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(ErrorOf(res->body).fields().at("code").number_value(), 413);

  RawConnection raw(server_.http_port());
  ASSERT_TRUE(
      raw.Send(absl::StrCat("GET /healthz HTTP/1.1\r\nHost: hirs\r\nX-Big: ", std::string(20000, 'b'), "\r\n\r\n")));
  EXPECT_TRUE(absl::StartsWith(raw.ReadAll(), "HTTP/1.1 431")) << "an oversized head";

  RawConnection long_uri(server_.http_port());
  ASSERT_TRUE(long_uri.Send(absl::StrCat("GET /v1/cases/", std::string(9000, 'c'), " HTTP/1.1\r\n\r\n")));
  EXPECT_TRUE(absl::StartsWith(long_uri.ReadAll(), "HTTP/1.1 414"));
}

TEST_F(HttpTest, SlowClientIsTimedOutWhileOthersAreServed) {
  RawConnection slow(server_.http_port());
  const absl::Time start = absl::Now();
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    slow.Send("GET /healthz HTTP/1.1\r\n");
    while (!done && slow.Send("X-Slow: 1\r\n")) absl::SleepFor(absl::Milliseconds(500));
  });
  // Meanwhile other clients are served at once.
  for (int i = 0; i < 5; ++i) {
    const absl::Time asked = absl::Now();
    httplib::Client other = Client();
    auto res = other.Get("/healthz");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_LT(absl::Now() - asked, absl::Seconds(1));
    absl::SleepFor(absl::Milliseconds(300));
  }
  const std::string answer = slow.ReadAll();
  done = true;
  trickle.join();
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 408")) << answer;
  EXPECT_LT(absl::Now() - start, absl::Seconds(15)) << "the head deadline is 10 s";
}

TEST_F(HttpTest, ConnectionsBeyondTheBoundAreTurnedAway) {
  // 8 threads (TestServer) and 32 waiting: the 41st connection is answered
  // 503.
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 40; ++i) {
    idle.push_back(std::make_unique<RawConnection>(server_.http_port()));
    absl::SleepFor(absl::Milliseconds(10));
  }
  absl::SleepFor(absl::Milliseconds(200));
  RawConnection extra(server_.http_port());
  EXPECT_TRUE(absl::StartsWith(extra.ReadAll(), "HTTP/1.1 503"));
  idle.clear();
  // Once they have gone, clients are served again.
  for (int i = 0; i < 50; ++i) {
    httplib::Client client = Client();
    auto res = client.Get("/healthz");
    if (res && res->status == 200) return;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ADD_FAILURE() << "not served after the idle connections closed";
}

// An answer's head and body go out at once: with Nagle's algorithm on the
// server's socket the body waited for the client's delayed ACK, 40 ms a
// call on a keep-alive connection.
TEST_F(HttpTest, KeepAliveAnswersAreNotHeldBack) {
  RawConnection raw(server_.http_port());
  const absl::Time start = absl::Now();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(raw.Send("GET /healthz HTTP/1.1\r\nHost: hirs\r\n\r\n"));
    std::string answer;
    ASSERT_TRUE(raw.ReadUntil("SERVING\"}\n", &answer)) << answer;
  }
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(300)) << "20 calls (held back: 800 ms)";
}

TEST(HttpDrain, ReadinessTurnsNotServingWhileCallsDrain) {
  auto server = std::make_unique<TestServer>();
  // A bulk stream left open holds the drain until it ends.
  auto reporting = server->Reporting();
  auto context = ContextWithToken(kCentreAToken);
  auto stream = reporting->SubmitReports(context.get());
  ASSERT_TRUE(stream->Write(DistinctRequest(40)));
  hirs::v1::SubmitReportResponse answer;
  ASSERT_TRUE(stream->Read(&answer));
  httplib::Client client("127.0.0.1", server->http_port());
  std::thread stopping([&] { server->Stop(); });
  int status = 0;
  for (int i = 0; i < 100 && status != 503; ++i) {
    auto res = client.Get("/readyz");
    if (res) status = res->status;
    if (status != 503) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(status, 503);
  auto res = client.Get("/readyz");
  EXPECT_TRUE(res && absl::StrContains(res->body, "NOT_SERVING"));
  stream->WritesDone();
  (void)stream->Finish();
  stopping.join();
}

TEST_F(HttpTest, HealthReadinessAndDescription) {
  auto res = client_.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = client_.Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = client_.Get("/v1/openapi.json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(absl::StrContains(res->body, "\"/v1/cases/{case_id}\"")) << res->body.substr(0, 200);
}

}  // namespace
}  // namespace hirs
