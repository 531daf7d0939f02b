// AdminService over gRPC against a real in-process hirsd: principals and
// tokens (create, issue, rotate, revoke, disable, surviving restarts and
// overriding the principals file), per-principal rate limits with
// RetryInfo, and non-crime hate incident retention: school-related reports
// cleared when the case becomes a non-crime incident, everything after the
// review period, extracts and summaries unchanged, every planted personal
// field gone from the store, each removal audited and in the change feed.
#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/bad_request.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "hirs/v1/admin_service.grpc.pb.h"
#include "hirs/v1/case_service.grpc.pb.h"
#include "hirs/v1/extract_service.grpc.pb.h"
#include "hirs/v1/reporting_service.grpc.pb.h"
#include "storage/store.h"
#include "tests/support/test_support.h"

namespace hirs {
namespace {

using hirs::testing::ContextWithToken;
using hirs::testing::kAdminToken;
using hirs::testing::kCentreAToken;
using hirs::testing::kCentreBToken;
using hirs::testing::kPoliceToken;
using ::testing::HasSubstr;

class AdminTest : public ::testing::Test {
 protected:
  void Connect() {
    admin_ = hirs::v1::AdminService::NewStub(server_.channel());
    reporting_ = hirs::v1::ReportingService::NewStub(server_.channel());
    cases_ = hirs::v1::CaseService::NewStub(server_.channel());
    extracts_ = hirs::v1::ExtractService::NewStub(server_.channel());
  }
  void SetUp() override { Connect(); }
  void Restart() {
    server_.Restart();
    Connect();
  }

  grpc::Status GetReport(const std::string& token, const std::string& id, hirs::v1::Report* out = nullptr) {
    hirs::v1::GetReportRequest request;
    request.set_report_id(id);
    hirs::v1::Report report;
    return reporting_->GetReport(ContextWithToken(token).get(), request, out != nullptr ? out : &report);
  }
  hirs::v1::SubmitReportResponse Submit(const std::string& token, const hirs::v1::Report& report) {
    hirs::v1::SubmitReportResponse response;
    grpc::Status s = reporting_->SubmitReport(ContextWithToken(token).get(), hirs::testing::Request(report), &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }
  hirs::v1::IssueTokenResponse Issue(const std::string& id, absl::Duration overlap = absl::ZeroDuration()) {
    hirs::v1::IssueTokenRequest request;
    request.set_principal_id(id);
    if (overlap > absl::ZeroDuration())
      request.mutable_previous_token_valid_for()->set_seconds(absl::ToInt64Seconds(overlap));
    hirs::v1::IssueTokenResponse response;
    grpc::Status s = admin_->IssueToken(ContextWithToken(kAdminToken).get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }
  grpc::Status SetStatus(const std::string& case_id, hirs::v1::CaseStatus status) {
    hirs::v1::GetCaseRequest get;
    get.set_case_id(case_id);
    hirs::v1::Case c;
    grpc::Status read = cases_->GetCase(ContextWithToken(kPoliceToken).get(), get, &c);
    if (!read.ok()) return read;
    hirs::v1::UpdateCaseRequest update;
    update.mutable_case_()->set_case_id(case_id);
    update.mutable_case_()->set_status(status);
    update.mutable_update_mask()->add_paths("status");
    update.set_etag(c.etag());
    hirs::v1::Case out;
    return cases_->UpdateCase(ContextWithToken(kPoliceToken).get(), update, &out);
  }

  hirs::testing::TestServer server_;
  std::unique_ptr<hirs::v1::AdminService::Stub> admin_;
  std::unique_ptr<hirs::v1::ReportingService::Stub> reporting_;
  std::unique_ptr<hirs::v1::CaseService::Stub> cases_;
  std::unique_ptr<hirs::v1::ExtractService::Stub> extracts_;
};

TEST_F(AdminTest, PrincipalsAndTokensLifeCycle) {
  hirs::v1::CreatePrincipalRequest create;
  create.mutable_principal()->set_id("centre-new");
  create.mutable_principal()->set_role(hirs::v1::REPORTING_CENTRE);
  create.mutable_principal()->set_scope("centre-new");
  create.mutable_principal()->set_display_name("Melton Library");
  create.mutable_principal()->set_token_sha256(std::string(64, 'a'));  // ignored: tokens are issued
  hirs::v1::Principal created;
  ASSERT_TRUE(admin_->CreatePrincipal(ContextWithToken(kAdminToken).get(), create, &created).ok());
  EXPECT_EQ(created.source(), "store");
  EXPECT_TRUE(created.token_sha256().empty());
  EXPECT_EQ(admin_->CreatePrincipal(ContextWithToken(kAdminToken).get(), create, &created).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  hirs::v1::CreatePrincipalRequest bad;
  bad.mutable_principal()->set_id("no spaces|here");
  grpc::Status refused = admin_->CreatePrincipal(ContextWithToken(kAdminToken).get(), bad, &created);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("principal.id"));
  // Only ADMIN may manage principals.
  EXPECT_EQ(admin_->CreatePrincipal(ContextWithToken(kPoliceToken).get(), create, &created).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // An issued token works; only its hash is kept, and it is never listed.
  const hirs::v1::IssueTokenResponse first = Issue("centre-new");
  ASSERT_TRUE(absl::StartsWith(first.token(), "hirs_"));
  EXPECT_EQ(GetReport(first.token(), "rpt_01AAAAAAAAAAAAAAAAAAAAAAAA").error_code(), grpc::StatusCode::NOT_FOUND);
  hirs::v1::ListPrincipalsResponse listed;
  ASSERT_TRUE(admin_->ListPrincipals(ContextWithToken(kAdminToken).get(), {}, &listed).ok());
  int file_principals = 0;
  for (const auto& p : listed.principals()) {
    EXPECT_TRUE(p.token_sha256().empty()) << p.id();
    file_principals += p.source() == "file" ? 1 : 0;
  }
  EXPECT_EQ(listed.principals_size(), 7);
  EXPECT_EQ(file_principals, 6);

  // Rotation with an overlap: both work until the old one expires.
  const hirs::v1::IssueTokenResponse second = Issue("centre-new", absl::Hours(1));
  EXPECT_TRUE(second.principal().has_previous_token_expires_at());
  EXPECT_EQ(GetReport(first.token(), "rpt_01AAAAAAAAAAAAAAAAAAAAAAAA").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetReport(second.token(), "rpt_01AAAAAAAAAAAAAAAAAAAAAAAA").error_code(), grpc::StatusCode::NOT_FOUND);
  // Issuing without an overlap ends every earlier token at once.
  const hirs::v1::IssueTokenResponse third = Issue("centre-new");
  EXPECT_EQ(GetReport(first.token(), "x").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GetReport(second.token(), "x").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GetReport(third.token(), "rpt_01AAAAAAAAAAAAAAAAAAAAAAAA").error_code(), grpc::StatusCode::NOT_FOUND);

  // Revoked: the token stops working; the change survives a restart.
  hirs::v1::RevokeTokenRequest revoke;
  revoke.set_principal_id("centre-new");
  hirs::v1::Principal revoked;
  ASSERT_TRUE(admin_->RevokeToken(ContextWithToken(kAdminToken).get(), revoke, &revoked).ok());
  EXPECT_EQ(GetReport(third.token(), "x").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  const hirs::v1::IssueTokenResponse fourth = Issue("centre-new");

  // A file principal disabled through the API stays disabled across a
  // restart that reads the same principals file.
  hirs::v1::DisablePrincipalRequest disable;
  disable.set_id("centre-b");
  hirs::v1::Principal disabled;
  ASSERT_TRUE(admin_->DisablePrincipal(ContextWithToken(kAdminToken).get(), disable, &disabled).ok());
  EXPECT_TRUE(disabled.disabled());
  EXPECT_EQ(disabled.source(), "store");
  EXPECT_EQ(GetReport(kCentreBToken, "x").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  disable.set_id("admin");
  EXPECT_EQ(admin_->DisablePrincipal(ContextWithToken(kAdminToken).get(), disable, &disabled).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  disable.set_id("nobody");
  EXPECT_EQ(admin_->DisablePrincipal(ContextWithToken(kAdminToken).get(), disable, &disabled).error_code(),
            grpc::StatusCode::NOT_FOUND);

  Restart();
  EXPECT_EQ(GetReport(kCentreBToken, "x").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GetReport(third.token(), "x").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GetReport(fourth.token(), "rpt_01AAAAAAAAAAAAAAAAAAAAAAAA").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetReport(kCentreAToken, "rpt_01AAAAAAAAAAAAAAAAAAAAAAAA").error_code(), grpc::StatusCode::NOT_FOUND);

  // Every change is in the audit trail under the principal it touched.
  hirs::v1::ListAuditEntriesRequest about;
  about.set_case_id("principal:centre-new");
  hirs::v1::ListAuditEntriesResponse entries;
  ASSERT_TRUE(admin_->ListAuditEntries(ContextWithToken(kAdminToken).get(), about, &entries).ok());
  std::vector<std::string> methods;
  bool denied_attempt = false;
  for (const auto& e : entries.entries()) {
    const std::string method = e.method().substr(e.method().find('/') + 1);
    if (e.principal_id() == "admin" && e.outcome() == "OK" && method != "ListPrincipals") methods.push_back(method);
    denied_attempt |= e.principal_id() == "police" && e.outcome() == "PERMISSION_DENIED";
  }
  EXPECT_THAT(methods, ::testing::ElementsAre("CreatePrincipal", "IssueToken", "IssueToken", "IssueToken",
                                              "RevokeToken", "IssueToken"));
  EXPECT_TRUE(denied_attempt);  // the police system's refused attempt is recorded too
}

TEST_F(AdminTest, CompactStoreWhileServingKeepsEveryReportCaseAndRetryAndIsAdminOnly) {
  const hirs::v1::SubmitReportRequest request = hirs::testing::Request(hirs::testing::ValidReport(), "a-1");
  hirs::v1::SubmitReportResponse first;
  ASSERT_TRUE(reporting_->SubmitReport(ContextWithToken(kCentreAToken).get(), request, &first).ok());

  hirs::v1::CompactStoreResponse compacted;
  EXPECT_EQ(admin_->CompactStore(ContextWithToken(kPoliceToken).get(), {}, &compacted).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status s = admin_->CompactStore(ContextWithToken(kAdminToken).get(), {}, &compacted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_GT(compacted.size_bytes_after(), 0u);
  EXPECT_TRUE(compacted.has_took());

  // What was stored reads back, a retry is still recognised, and another
  // centre's report of the incident still joins its case.
  hirs::v1::Report report;
  ASSERT_TRUE(GetReport(kCentreAToken, first.report_id(), &report).ok());
  EXPECT_EQ(report.description(), hirs::testing::ValidReport().description());
  hirs::v1::SubmitReportResponse retry;
  ASSERT_TRUE(reporting_->SubmitReport(ContextWithToken(kCentreAToken).get(), request, &retry).ok());
  EXPECT_EQ(retry.collation(), hirs::v1::ALREADY_RECEIVED);
  EXPECT_EQ(retry.report_id(), first.report_id());
  hirs::v1::Report witness = hirs::testing::ValidReport();
  witness.set_reporter_role(hirs::v1::WITNESS);
  witness.clear_victim();
  const hirs::v1::SubmitReportResponse second = Submit(kCentreBToken, witness);
  EXPECT_EQ(second.collation(), hirs::v1::ATTACHED_TO_CASE);
  EXPECT_EQ(second.case_id(), first.case_id());

  // Audited, under the admin.
  hirs::v1::ListAuditEntriesRequest by_admin;
  by_admin.set_principal_id("admin");
  hirs::v1::ListAuditEntriesResponse entries;
  ASSERT_TRUE(admin_->ListAuditEntries(ContextWithToken(kAdminToken).get(), by_admin, &entries).ok());
  int compactions = 0;
  for (const auto& e : entries.entries()) {
    if (e.method() == "hirs.v1.AdminService/CompactStore" && e.outcome() == "OK") ++compactions;
  }
  EXPECT_EQ(compactions, 1);
}

TEST_F(AdminTest, RateLimitsAnswerResourceExhaustedWithRetryInfo) {
  server_.options().rate_limit_per_second = 2;
  server_.options().rate_limit_burst = 3;
  Restart();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(GetReport(kCentreAToken, "rpt_01AAAAAAAAAAAAAAAAAAAAAAAA").error_code(), grpc::StatusCode::NOT_FOUND);
  }
  const grpc::Status limited = GetReport(kCentreAToken, "rpt_01AAAAAAAAAAAAAAAAAAAAAAAA");
  ASSERT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(limited.error_details()));
  google::rpc::RetryInfo retry;
  ASSERT_EQ(details.details_size(), 1);
  ASSERT_TRUE(details.details(0).UnpackTo(&retry));
  const double delay = retry.retry_delay().seconds() + retry.retry_delay().nanos() / 1e9;
  EXPECT_GT(delay, 0);
  EXPECT_LE(delay, 0.5);
  // Another principal has its own allowance.
  EXPECT_EQ(GetReport(kCentreBToken, "rpt_01AAAAAAAAAAAAAAAAAAAAAAAA").error_code(), grpc::StatusCode::NOT_FOUND);
  // After the advised delay the call goes through.
  absl::SleepFor(absl::Seconds(delay) + absl::Milliseconds(20));
  EXPECT_EQ(GetReport(kCentreAToken, "rpt_01AAAAAAAAAAAAAAAAAAAAAAAA").error_code(), grpc::StatusCode::NOT_FOUND);

  // In a bulk stream each item counts; items over the rate get their own
  // RESOURCE_EXHAUSTED and the stream goes on.
  absl::SleepFor(absl::Seconds(2));
  auto context = ContextWithToken(kCentreBToken);
  auto stream = reporting_->SubmitReports(context.get());
  int ok = 0, exhausted = 0;
  for (int i = 0; i < 6; ++i) {
    hirs::v1::Report report = hirs::testing::ValidReport(hirs::testing::kTestNow - absl::Hours(24 * i));
    ASSERT_TRUE(stream->Write(hirs::testing::Request(report, absl::StrCat("bulk-", i))));
    hirs::v1::SubmitReportResponse response;
    ASSERT_TRUE(stream->Read(&response));
    if (response.has_error()) {
      EXPECT_EQ(response.error().code(), static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
      ++exhausted;
    } else {
      ++ok;
    }
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_GE(ok, 2);
  EXPECT_GE(exhausted, 1);
}

TEST_F(AdminTest, RetentionRemovesNonCrimePersonalDataAndLeavesEveryCountUnchanged) {
  server_.options().nchi_review_period = absl::Hours(24 * 365);
  Restart();
  const hirs::testing::Planted school{"Zebedee Quartermaine",
                                      "2011-02-28",
                                      "07700 900111",
                                      "zq@example.org",
                                      "1 Sparrow Lane",
                                      "LE12 7AA",
                                      "pupils chanted xyzzy-school-words",
                                      "behind the sports hall xyzzy"};
  const hirs::testing::Planted adult{"Ottoline Vanderpump",
                                     "1979-03-14",
                                     "07700 900222",
                                     "ov@example.org",
                                     "2 Heron Close",
                                     "LE11 9ZZ",
                                     "neighbour shouted plugh-adult-words",
                                     "outside number plugh"};
  const hirs::testing::Planted open{"Perpetua Mandeville",
                                    "1965-07-01",
                                    "07700 900333",
                                    "pm@example.org",
                                    "3 Finch Row",
                                    "LE11 4QQ",
                                    "graffiti on door frobozz-open-words",
                                    "front door frobozz"};
  const absl::Time t = hirs::testing::kTestNow;
  const auto school_case =
      Submit(kCentreAToken, hirs::testing::PlantedReport(school, t - absl::Hours(72), "LE11 3AB", true));
  const auto adult_case =
      Submit(kCentreAToken, hirs::testing::PlantedReport(adult, t - absl::Hours(120), "LE11 2AA", false));
  const auto open_case =
      Submit(kCentreAToken, hirs::testing::PlantedReport(open, t - absl::Hours(200), "LE11 5AA", false));
  ASSERT_NE(school_case.case_id(), adult_case.case_id());

  hirs::v1::MonthlyExtractRequest month;
  month.set_district_code("E07000130");
  month.set_month("2026-09");
  auto pull = [&] {
    std::string bytes;
    auto context = ContextWithToken(kPoliceToken);
    auto reader = extracts_->StreamMonthlyExtract(context.get(), month);
    hirs::v1::ExtractRow row;
    while (reader->Read(&row)) bytes += row.SerializeAsString();
    EXPECT_TRUE(reader->Finish().ok());
    hirs::v1::MonthlySummary summary;
    EXPECT_TRUE(extracts_->GetMonthlySummary(ContextWithToken(kPoliceToken).get(), month, &summary).ok());
    summary.clear_as_of();
    return bytes + "|" + summary.SerializeAsString();
  };

  ASSERT_TRUE(SetStatus(school_case.case_id(), hirs::v1::NON_CRIME_INCIDENT).ok());
  ASSERT_TRUE(SetStatus(adult_case.case_id(), hirs::v1::NON_CRIME_INCIDENT).ok());
  // The school-related report lost its personal data in that same update.
  hirs::v1::Report report;
  ASSERT_TRUE(GetReport(kCentreAToken, school_case.report_id(), &report).ok());
  EXPECT_TRUE(report.has_personal_data_removed_at());
  EXPECT_TRUE(report.victim().full_name().empty());
  EXPECT_TRUE(report.description().empty());
  EXPECT_EQ(report.victim().age_band(), hirs::v1::AGE_25_TO_34);  // statistics stay
  ASSERT_TRUE(GetReport(kCentreAToken, adult_case.report_id(), &report).ok());
  EXPECT_EQ(report.victim().full_name(), adult.name);  // its review period runs
  EXPECT_FALSE(report.has_personal_data_removed_at());

  // A school-related report joining the non-crime incident keeps nothing.
  const auto late = Submit(kCentreBToken, hirs::testing::PlantedReport(school, t - absl::Hours(72), "LE11 3AB", true));
  ASSERT_EQ(late.case_id(), school_case.case_id());
  ASSERT_TRUE(GetReport(kCentreBToken, late.report_id(), &report).ok());
  EXPECT_TRUE(report.victim().full_name().empty());
  EXPECT_TRUE(report.has_personal_data_removed_at());

  const std::string before = pull();
  hirs::v1::RunRetentionRequest dry;
  dry.set_dry_run(true);
  hirs::v1::RunRetentionResponse counted;
  ASSERT_TRUE(admin_->RunRetention(ContextWithToken(kAdminToken).get(), dry, &counted).ok());
  EXPECT_EQ(counted.cases_redacted(), 0);  // nothing is due within the review period

  // Past the review period: a run removes the rest.
  server_.options().nchi_review_period = absl::ZeroDuration();
  Restart();
  ASSERT_TRUE(admin_->RunRetention(ContextWithToken(kAdminToken).get(), dry, &counted).ok());
  EXPECT_EQ(counted.cases_redacted(), 1);
  EXPECT_EQ(counted.reports_redacted(), 1);
  ASSERT_TRUE(GetReport(kCentreAToken, adult_case.report_id(), &report).ok());
  EXPECT_EQ(report.victim().full_name(), adult.name);  // a dry run changes nothing
  hirs::v1::RunRetentionResponse done;
  ASSERT_TRUE(admin_->RunRetention(ContextWithToken(kAdminToken).get(), {}, &done).ok());
  EXPECT_EQ(done.cases_redacted(), 1);
  EXPECT_EQ(done.reports_redacted(), 1);
  ASSERT_TRUE(GetReport(kCentreAToken, adult_case.report_id(), &report).ok());
  EXPECT_TRUE(report.victim().full_name().empty());
  EXPECT_TRUE(report.has_personal_data_removed_at());
  ASSERT_TRUE(admin_->RunRetention(ContextWithToken(kAdminToken).get(), {}, &done).ok());
  EXPECT_EQ(done.cases_redacted(), 0);  // nothing left to remove

  // Every count and extract row is as it was.
  EXPECT_EQ(pull(), before);

  // The removal is audited under the case and its report.
  hirs::v1::ListAuditEntriesRequest about;
  about.set_case_id(adult_case.report_id());
  hirs::v1::ListAuditEntriesResponse entries;
  ASSERT_TRUE(admin_->ListAuditEntries(ContextWithToken(kAdminToken).get(), about, &entries).ok());
  bool audited = false;
  for (const auto& e : entries.entries()) {
    if (e.method() == "hirs.v1.AdminService/RunRetention" && e.principal_id() == "admin" &&
        std::find(e.resource_ids().begin(), e.resource_ids().end(), adult_case.case_id()) != e.resource_ids().end()) {
      audited = true;
    }
  }
  EXPECT_TRUE(audited);
  hirs::v1::VerifyAuditResponse verified;
  ASSERT_TRUE(admin_->VerifyAudit(ContextWithToken(kAdminToken).get(), {}, &verified).ok());
  EXPECT_TRUE(verified.ok()) << verified.first_problem();

  // In the store itself: no planted field of the non-crime cases is left in
  // any family; the open case's still are (so the search does find them).
  server_.Stop();
  storage::StoreOptions options;
  options.path = server_.data_dir() + "/db";
  auto store = storage::Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  const std::vector<std::string> all = hirs::testing::EveryEntry(**store);
  auto found = [&](const std::string& needle) {
    return std::any_of(all.begin(), all.end(), [&](const std::string& s) { return absl::StrContains(s, needle); });
  };
  for (const std::string& field : hirs::testing::Fields(school)) EXPECT_FALSE(found(field)) << field;
  for (const std::string& field : hirs::testing::Fields(adult)) EXPECT_FALSE(found(field)) << field;
  for (const std::string& field : hirs::testing::Fields(open)) EXPECT_TRUE(found(field)) << field;
  int removed_events = 0;
  ASSERT_TRUE((*store)
                  ->Scan(storage::Family::kChanges, "", 0,
                         [&](absl::string_view, absl::string_view v) {
                           hirs::v1::CaseEvent event;
                           EXPECT_TRUE(event.ParseFromString(std::string(v)));
                           removed_events += event.kind() == hirs::v1::CaseEvent::PERSONAL_DATA_REMOVED ? 1 : 0;
                           return true;
                         })
                  .ok());
  EXPECT_EQ(removed_events, 2);  // the school report at the status change, the adult's at the run
}

TEST_F(AdminTest, ACallerCannotExemptAReportFromRetention) {
  server_.options().nchi_review_period = absl::ZeroDuration();
  Restart();
  hirs::v1::Report report = hirs::testing::ValidReport();
  report.mutable_personal_data_removed_at()->set_seconds(978307200);  // 2001-01-01
  const auto submitted = Submit(kCentreAToken, report);
  ASSERT_TRUE(SetStatus(submitted.case_id(), hirs::v1::NON_CRIME_INCIDENT).ok());
  hirs::v1::RunRetentionResponse done;
  ASSERT_TRUE(admin_->RunRetention(ContextWithToken(kAdminToken).get(), {}, &done).ok());
  EXPECT_EQ(done.reports_redacted(), 1);
  hirs::v1::Report stored;
  ASSERT_TRUE(GetReport(kCentreAToken, submitted.report_id(), &stored).ok());
  EXPECT_TRUE(stored.victim().full_name().empty());
  EXPECT_TRUE(stored.victim().date_of_birth().empty());
  EXPECT_TRUE(stored.description().empty());
  EXPECT_GT(stored.personal_data_removed_at().seconds(), 978307200);
}

TEST_F(AdminTest, TheScheduledRunRemovesDuePersonalDataByItself) {
  server_.options().nchi_review_period = absl::ZeroDuration();
  server_.options().retention_interval = absl::Milliseconds(200);
  Restart();
  const auto submitted = Submit(kCentreAToken, hirs::testing::ValidReport());
  ASSERT_TRUE(SetStatus(submitted.case_id(), hirs::v1::NON_CRIME_INCIDENT).ok());
  hirs::v1::Report report;
  bool removed = false;
  for (int i = 0; i < 100 && !removed; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    ASSERT_TRUE(GetReport(kCentreAToken, submitted.report_id(), &report).ok());
    removed = report.has_personal_data_removed_at();
  }
  EXPECT_TRUE(removed);
  EXPECT_TRUE(report.victim().full_name().empty());
  hirs::v1::ListAuditEntriesRequest about;
  about.set_case_id(submitted.case_id());
  about.set_principal_id("hirsd");
  hirs::v1::ListAuditEntriesResponse entries;
  ASSERT_TRUE(admin_->ListAuditEntries(ContextWithToken(kAdminToken).get(), about, &entries).ok());
  ASSERT_EQ(entries.entries_size(), 1);
  EXPECT_EQ(entries.entries(0).method(), "hirsd/ScheduledRetention");
}

}  // namespace
}  // namespace hirs
