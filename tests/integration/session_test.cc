// People signing in to a real hirsd, over gRPC and HTTP: an administrator
// creates them, they sign in with the one-time password and their
// authenticator's code, must choose a password before anything else, then
// work with the session as a principal of their role and scope would; the
// audit trail names them; two people of one centre share its reports and
// a person of another centre does not see them; disabling ends a session.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/civil_time.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "hirs/v1/admin_service.grpc.pb.h"
#include "hirs/v1/case_service.grpc.pb.h"
#include "hirs/v1/extract_service.grpc.pb.h"
#include "hirs/v1/session_service.grpc.pb.h"
#include "httplib.h"
#include "services/auth/credentials.h"
#include "tests/support/test_support.h"

namespace hirs {
namespace {

using hirs::testing::ContextWithToken;
using hirs::testing::kAdminToken;
using hirs::testing::TestServer;

class SessionTest : public ::testing::Test {
 protected:
  SessionTest()
      : server_([](server::ServerOptions* o) { o->watch.recheck_credentials = absl::Seconds(1); }),
        admin_(hirs::v1::AdminService::NewStub(server_.channel())),
        sessions_(hirs::v1::SessionService::NewStub(server_.channel())) {}

  using Person = hirs::testing::CreatedPerson;

  Person Create(const std::string& id, const std::string& scope, hirs::v1::Role role = hirs::v1::REPORTING_CENTRE) {
    return hirs::testing::CreatePerson(server_.channel(), id, scope, role);
  }
  std::string SignInAndSetPassword(const Person& p) {
    return hirs::testing::SignInAndSetPassword(server_.channel(), p);
  }

  TestServer server_;
  std::unique_ptr<hirs::v1::AdminService::Stub> admin_;
  std::unique_ptr<hirs::v1::SessionService::Stub> sessions_;
};

TEST_F(SessionTest, APersonSignsInChoosesAPasswordAndWorksAsTheirCentre) {
  const Person jo = Create("jo.bloggs", "centre-a");
  // Before choosing a password, nothing but ChangePassword and SignOut.
  hirs::v1::SignInRequest request;
  request.set_login("jo.bloggs@example.org");
  request.set_password(jo.one_time_password);
  request.set_code(auth::TotpCode(jo.totp_secret, absl::Now()));
  hirs::v1::SignInResponse first;
  ASSERT_TRUE(sessions_->SignIn(ContextWithToken("").get(), request, &first).ok());
  hirs::v1::Caller caller;
  ASSERT_TRUE(sessions_->GetCaller(ContextWithToken(first.session_token()).get(), {}, &caller).ok());
  EXPECT_EQ(caller.id(), "jo.bloggs");
  EXPECT_EQ(caller.display_name(), "jo.bloggs");
  EXPECT_EQ(caller.scope(), "centre-a");
  EXPECT_TRUE(caller.person());
  EXPECT_TRUE(caller.must_change_password());
  hirs::v1::SubmitReportResponse submitted;
  auto report = hirs::testing::Request(hirs::testing::ValidReport(absl::Now()), "jo-1");
  EXPECT_EQ(
      server_.Reporting()->SubmitReport(ContextWithToken(first.session_token()).get(), report, &submitted).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  hirs::v1::ChangePasswordRequest change;
  change.set_current_password(jo.one_time_password);
  change.set_new_password(hirs::testing::kChosenPassword);
  hirs::v1::ChangePasswordResponse changed;
  ASSERT_TRUE(sessions_->ChangePassword(ContextWithToken(first.session_token()).get(), change, &changed).ok());

  // Now a reporting centre's person: the report is the centre's.
  ASSERT_TRUE(
      server_.Reporting()->SubmitReport(ContextWithToken(first.session_token()).get(), report, &submitted).ok());
  hirs::v1::GetReportRequest get;
  get.set_report_id(submitted.report_id());
  hirs::v1::Report stored;
  ASSERT_TRUE(server_.Reporting()->GetReport(ContextWithToken(first.session_token()).get(), get, &stored).ok());
  EXPECT_EQ(stored.reporting_centre(), "centre-a");
  EXPECT_EQ(stored.submitted_by(), "jo.bloggs");
  // The centre's system and a colleague see it; another centre's person
  // does not.
  ASSERT_TRUE(server_.Reporting()->GetReport(ContextWithToken(hirs::testing::kCentreAToken).get(), get, &stored).ok());
  const std::string colleague = SignInAndSetPassword(Create("sam.smith", "centre-a"));
  ASSERT_TRUE(server_.Reporting()->GetReport(ContextWithToken(colleague).get(), get, &stored).ok());
  const std::string stranger = SignInAndSetPassword(Create("kim.other", "centre-b"));
  EXPECT_EQ(server_.Reporting()->GetReport(ContextWithToken(stranger).get(), get, &stored).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // The audit trail names the person, sign-ins included.
  hirs::v1::ListAuditEntriesRequest by_jo;
  by_jo.set_principal_id("jo.bloggs");
  hirs::v1::ListAuditEntriesResponse entries;
  ASSERT_TRUE(admin_->ListAuditEntries(ContextWithToken(kAdminToken).get(), by_jo, &entries).ok());
  std::vector<std::string> methods;
  for (const auto& e : entries.entries()) {
    methods.push_back(e.method() + " " + e.outcome());
    EXPECT_EQ(e.agency(), "centre-a") << e.method();
  }
  EXPECT_EQ(methods,
            (std::vector<std::string>{
                "hirs.v1.SessionService/SignIn OK", "hirs.v1.SessionService/GetCaller OK",
                "hirs.v1.ReportingService/SubmitReport PERMISSION_DENIED", "hirs.v1.SessionService/ChangePassword OK",
                "hirs.v1.ReportingService/SubmitReport OK", "hirs.v1.ReportingService/GetReport OK"}));
}

TEST_F(SessionTest, FailuresAreOneAnswerAuditedWithTheAddress) {
  const Person jo = Create("jo.bloggs", "centre-a");
  hirs::v1::SignInRequest request;
  request.set_login("jo.bloggs");
  request.set_password("not the password");
  request.set_code(auth::TotpCode(jo.totp_secret, absl::Now()));
  hirs::v1::SignInResponse session;
  const grpc::Status wrong = sessions_->SignIn(ContextWithToken("").get(), request, &session);
  request.set_login("nobody");
  const grpc::Status unknown = sessions_->SignIn(ContextWithToken("").get(), request, &session);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(wrong.error_message(), unknown.error_message());
  hirs::v1::ListAuditEntriesRequest all;
  all.set_page_size(1000);
  hirs::v1::ListAuditEntriesResponse entries;
  ASSERT_TRUE(admin_->ListAuditEntries(ContextWithToken(kAdminToken).get(), all, &entries).ok());
  int failed = 0;
  for (const auto& e : entries.entries()) {
    if (e.method() != "hirs.v1.SessionService/SignIn") continue;
    ++failed;
    EXPECT_EQ(e.outcome(), "UNAUTHENTICATED");
    EXPECT_TRUE(absl::StartsWith(e.peer(), "ipv4:127.0.0.1:")) << e.peer();
  }
  EXPECT_EQ(failed, 2);
  // An agency's token is no session to end.
  hirs::v1::SignOutResponse out;
  EXPECT_EQ(sessions_->SignOut(ContextWithToken(kAdminToken).get(), hirs::v1::SignOutRequest(), &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(SessionTest, OverHttpWithTheSameSessionAndDisablingEndsIt) {
  const Person jo = Create("jo.bloggs", "centre-a");
  const std::string token = SignInAndSetPassword(jo);
  httplib::Client http("127.0.0.1", server_.http_port());
  const httplib::Headers bearer = {{"Authorization", "Bearer " + token}};
  std::string body;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(
                  hirs::testing::Request(hirs::testing::ValidReport(absl::Now()), "jo-http"), &body)
                  .ok());
  auto res = http.Post("/v1/reports", bearer, body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  // Signing in over HTTP gives a session too.
  hirs::v1::SignInRequest request;
  request.set_login("jo.bloggs");
  request.set_password(hirs::testing::kChosenPassword);
  request.set_code(auth::TotpCode(jo.totp_secret, absl::Now() + absl::Seconds(30)));  // the next step: not a replay
  std::string sign_in;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(request, &sign_in).ok());
  res = http.Post("/v1/sessions:signIn", sign_in, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_TRUE(absl::StrContains(res->body, "\"sessionToken\"")) << res->body;

  hirs::v1::DisablePersonRequest disable;
  disable.set_person_id("jo.bloggs");
  hirs::v1::Person disabled;
  ASSERT_TRUE(admin_->DisablePerson(ContextWithToken(kAdminToken).get(), disable, &disabled).ok());
  res = http.Post("/v1/reports", bearer, body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401) << res->body;
}

TEST_F(SessionTest, DisablingAPersonEndsTheirWatchMidStream) {
  const std::string token = SignInAndSetPassword(Create("pat.analyst", "E23000021", hirs::v1::POLICE));
  auto cases = hirs::v1::CaseService::NewStub(server_.channel());
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto watch = cases->WatchCases(&context, hirs::v1::WatchCasesRequest());
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(server_.WatchersOpen(), 1);
  hirs::v1::DisablePersonRequest disable;
  disable.set_person_id("pat.analyst");
  hirs::v1::Person disabled;
  ASSERT_TRUE(admin_->DisablePerson(ContextWithToken(kAdminToken).get(), disable, &disabled).ok());
  const absl::Time asked = absl::Now();
  hirs::v1::CaseEvent event;
  while (watch->Read(&event)) {
  }
  const grpc::Status ended = watch->Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAUTHENTICATED) << ended.error_message();
  EXPECT_LT(absl::Now() - asked, absl::Seconds(5));
}

TEST_F(SessionTest, WhoSubmittedReachesPoliceButNoExtract) {
  const std::string jo = SignInAndSetPassword(Create("jo.bloggs", "centre-a"));
  const hirs::v1::Report report = hirs::testing::ValidReport(absl::Now());
  hirs::v1::SubmitReportResponse submitted;
  ASSERT_TRUE(server_.Reporting()
                  ->SubmitReport(ContextWithToken(jo).get(), hirs::testing::Request(report, "jo-1"), &submitted)
                  .ok());
  hirs::v1::GetCaseRequest get;
  get.set_case_id(submitted.case_id());
  hirs::v1::Case seen;
  ASSERT_TRUE(hirs::v1::CaseService::NewStub(server_.channel())
                  ->GetCase(ContextWithToken(hirs::testing::kPoliceToken).get(), get, &seen)
                  .ok());
  ASSERT_EQ(seen.reports_size(), 1);
  EXPECT_EQ(seen.reports(0).submitted_by(), "jo.bloggs");

  hirs::v1::MonthlyExtractRequest month;
  month.set_district_code("E07000130");
  month.set_month(UkMonth(ToAbslTime(report.occurred_start())));
  auto extracts = hirs::v1::ExtractService::NewStub(server_.channel());
  auto context = ContextWithToken(hirs::testing::kDistrictToken);
  auto reader = extracts->StreamMonthlyExtract(context.get(), month);
  hirs::v1::ExtractRow row;
  int rows = 0;
  for (; reader->Read(&row); ++rows) EXPECT_FALSE(absl::StrContains(row.DebugString(), "jo.bloggs"));
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(rows, 1);
  // Nor the CSV the district downloads.
  httplib::Client http("127.0.0.1", server_.http_port());
  auto csv =
      http.Get(absl::StrCat("/v1/districts/E07000130/months/", month.month(), "/extract"),
               {{"Authorization", absl::StrCat("Bearer ", hirs::testing::kDistrictToken)}, {"Accept", "text/csv"}});
  ASSERT_TRUE(csv) << httplib::to_string(csv.error());
  EXPECT_EQ(csv->status, 200) << csv->body;
  EXPECT_TRUE(absl::StrContains(csv->body, "LE11 3")) << csv->body;  // the row is there
  EXPECT_FALSE(absl::StrContains(csv->body, "jo.bloggs"));
}

}  // namespace
}  // namespace hirs
