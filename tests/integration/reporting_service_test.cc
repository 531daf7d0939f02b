// ReportingService through real stubs against hirsd on 127.0.0.1:0.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/error_details.h>

#include <atomic>
#include <set>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "hirs/v1/admin_service.grpc.pb.h"
#include "tests/support/test_support.h"

namespace hirs {
namespace {

using hirs::testing::ContextWithToken;
using hirs::testing::kCentreAToken;
using hirs::testing::kCentreBToken;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

using hirs::testing::Request;

class ReportingServiceTest : public ::testing::Test {
 protected:
  grpc::Status Submit(const std::string& token, const hirs::v1::SubmitReportRequest& request,
                      hirs::v1::SubmitReportResponse* response) {
    auto context = ContextWithToken(token);
    return server_.Reporting()->SubmitReport(context.get(), request, response);
  }

  hirs::v1::SubmitReportResponse SubmitOk(const std::string& token, const hirs::v1::SubmitReportRequest& request) {
    hirs::v1::SubmitReportResponse response;
    grpc::Status status = Submit(token, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  hirs::testing::TestServer server_;
};

TEST_F(ReportingServiceTest, FirstReportIsANewCase) {
  const auto r = SubmitOk(kCentreAToken, Request(hirs::testing::ValidReport(), "a-1"));
  EXPECT_EQ(r.collation(), hirs::v1::NEW_CASE);
  EXPECT_FALSE(r.report_id().empty());
  EXPECT_FALSE(r.case_id().empty());
  EXPECT_THAT(r.receipt(), HasSubstr(r.report_id()));
  EXPECT_FALSE(r.has_error());
}

TEST_F(ReportingServiceTest, SameIncidentFromSecondCentreAttachesToTheSameCase) {
  const auto first = SubmitOk(kCentreAToken, Request(hirs::testing::ValidReport(), "a-1"));
  auto witness = hirs::testing::ValidReport();
  witness.set_reporter_role(hirs::v1::WITNESS);
  witness.clear_victim();
  witness.mutable_location()->set_postcode("le113ab");
  const auto second = SubmitOk(kCentreBToken, Request(witness, "b-1"));
  EXPECT_EQ(second.collation(), hirs::v1::ATTACHED_TO_CASE);
  EXPECT_EQ(second.case_id(), first.case_id());
  EXPECT_NE(second.report_id(), first.report_id());
}

TEST_F(ReportingServiceTest, RetryWithSameRequestIdIsAlreadyReceivedAndStoresNothingNew) {
  const auto request = Request(hirs::testing::ValidReport(), "a-1");
  const auto first = SubmitOk(kCentreAToken, request);
  const auto retry = SubmitOk(kCentreAToken, request);
  EXPECT_EQ(retry.collation(), hirs::v1::ALREADY_RECEIVED);
  EXPECT_EQ(retry.report_id(), first.report_id());
  EXPECT_EQ(retry.case_id(), first.case_id());
  server_.Stop();
  EXPECT_EQ(server_.CountEntries(storage::Family::kReports), 1u);
  EXPECT_EQ(server_.CountEntries(storage::Family::kCases), 1u);
  EXPECT_EQ(server_.CountEntries(storage::Family::kChanges), 1u);
}

TEST_F(ReportingServiceTest, SameRequestIdWithADifferentReportIsAlreadyExists) {
  SubmitOk(kCentreAToken, Request(hirs::testing::ValidReport(), "a-1"));
  auto other = hirs::testing::ValidReport();
  other.set_description("something else");
  hirs::v1::SubmitReportResponse response;
  grpc::Status status = Submit(kCentreAToken, Request(other, "a-1"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr("a-1"));
}

TEST_F(ReportingServiceTest, InvalidInputIsInvalidArgumentWithFieldViolationsAndStoresNothing) {
  auto bad = hirs::testing::ValidReport();
  bad.clear_incident_types();
  bad.mutable_location()->set_postcode("ZZ");
  bad.mutable_victim()->set_date_of_birth("1980-02-31");
  hirs::v1::SubmitReportResponse response;
  grpc::Status status = Submit(kCentreAToken, Request(bad, "bad-1"), &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status details;
  ASSERT_TRUE(grpc::ExtractErrorDetails(status, &details).ok());
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  std::vector<std::string> fields;
  for (const auto& v : bad_request.field_violations()) {
    fields.push_back(v.field());
    EXPECT_FALSE(v.description().empty());
  }
  EXPECT_THAT(fields,
              UnorderedElementsAre("report.incident_types", "report.location.postcode", "report.victim.date_of_birth"));
  server_.Stop();
  for (auto family : {storage::Family::kReports, storage::Family::kCases, storage::Family::kRequests,
                      storage::Family::kFingerprints, storage::Family::kIndexes, storage::Family::kChanges}) {
    EXPECT_EQ(server_.CountEntries(family), 0u) << storage::FamilyName(family);
  }
}

TEST_F(ReportingServiceTest, ThirtyTwoConcurrentSubmissionsOfOneIncidentMakeOneCase) {
  constexpr int kThreads = 32;
  std::vector<std::string> cases(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto report = hirs::testing::ValidReport();
      report.set_source_reference(absl::StrCat("ref-", i));
      cases[i] = SubmitOk(i % 2 ? kCentreAToken : kCentreBToken, Request(report, absl::StrCat("c-", i))).case_id();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(cases.begin(), cases.end()).size(), 1u);
  server_.Stop();
  EXPECT_EQ(server_.CountEntries(storage::Family::kCases), 1u);
  EXPECT_EQ(server_.CountEntries(storage::Family::kReports), static_cast<size_t>(kThreads));
}

TEST_F(ReportingServiceTest, EverythingIsReadableAfterARestart) {
  const auto first = SubmitOk(kCentreAToken, Request(hirs::testing::ValidReport(), "a-1"));
  server_.Restart();
  auto context = ContextWithToken(kCentreAToken);
  hirs::v1::GetReportRequest get;
  get.set_report_id(first.report_id());
  hirs::v1::Report report;
  ASSERT_TRUE(server_.Reporting()->GetReport(context.get(), get, &report).ok());
  EXPECT_EQ(report.report_id(), first.report_id());
  EXPECT_EQ(report.description(), hirs::testing::ValidReport().description());
  // Idempotency and collation state survived too.
  EXPECT_EQ(SubmitOk(kCentreAToken, Request(hirs::testing::ValidReport(), "a-1")).collation(),
            hirs::v1::ALREADY_RECEIVED);
  auto witness = hirs::testing::ValidReport();
  witness.set_source_reference("after restart");
  EXPECT_EQ(SubmitOk(kCentreBToken, Request(witness)).case_id(), first.case_id());
}

TEST_F(ReportingServiceTest, AuthenticationMatrix) {
  const auto request = Request(hirs::testing::ValidReport(), "auth-1");
  hirs::v1::SubmitReportResponse response;
  EXPECT_EQ(Submit("", request, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Submit("wrong-token", request, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Submit("token-centre-c", request, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  for (const char* token : {hirs::testing::kPoliceToken, hirs::testing::kDistrictToken, hirs::testing::kAdminToken}) {
    EXPECT_EQ(Submit(token, request, &response).error_code(), grpc::StatusCode::PERMISSION_DENIED) << token;
  }
  // Nothing was stored by the refused calls: the first accepted one is new.
  EXPECT_EQ(SubmitOk(kCentreAToken, request).collation(), hirs::v1::NEW_CASE);
}

TEST_F(ReportingServiceTest, ACentreSeesOnlyItsOwnReports) {
  const auto mine = SubmitOk(kCentreAToken, Request(hirs::testing::ValidReport()));
  hirs::v1::GetReportRequest get;
  get.set_report_id(mine.report_id());
  hirs::v1::Report report;
  auto other = ContextWithToken(kCentreBToken);
  grpc::Status status = server_.Reporting()->GetReport(other.get(), get, &report);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  auto police = ContextWithToken(hirs::testing::kPoliceToken);
  EXPECT_EQ(server_.Reporting()->GetReport(police.get(), get, &report).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto own = ContextWithToken(kCentreAToken);
  ASSERT_TRUE(server_.Reporting()->GetReport(own.get(), get, &report).ok());
  EXPECT_EQ(report.reporting_centre(), hirs::testing::kCentreA);
}

TEST_F(ReportingServiceTest, BulkStreamAnswersEachItemInOrderAndABadItemDoesNotEndIt) {
  auto context = ContextWithToken(kCentreAToken);
  auto stream = server_.Reporting()->SubmitReports(context.get());
  std::vector<hirs::v1::SubmitReportRequest> requests;
  for (int i = 0; i < 5; ++i) {
    // Five different incidents: different victims, places and weeks.
    auto report = hirs::testing::ValidReport();
    report.mutable_location()->set_postcode(i % 2 ? "LE1 5AB" : "LE10 1AA");
    report.mutable_occurred_start()->set_seconds(report.occurred_start().seconds() - i * 7 * 86400);
    report.mutable_victim()->set_full_name(absl::StrCat("Victim ", std::string(1, static_cast<char>('A' + i)), "son"));
    report.mutable_victim()->set_date_of_birth(absl::StrCat(1970 + i, "-01-0", 1 + i));
    report.set_description(absl::StrCat("Incident number ", i));
    if (i == 2) report.clear_motivations();  // the bad one, in the middle
    requests.push_back(Request(report, absl::StrCat("bulk-", i)));
  }
  for (const auto& r : requests) ASSERT_TRUE(stream->Write(r));
  stream->WritesDone();
  std::vector<hirs::v1::SubmitReportResponse> responses;
  hirs::v1::SubmitReportResponse response;
  while (stream->Read(&response)) responses.push_back(response);
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(responses.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    if (i == 2) {
      EXPECT_EQ(responses[i].error().code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_THAT(responses[i].error().message(), HasSubstr("report.motivations"));
      google::rpc::BadRequest bad;
      ASSERT_EQ(responses[i].error().details_size(), 1);
      EXPECT_TRUE(responses[i].error().details(0).UnpackTo(&bad));
      EXPECT_TRUE(responses[i].report_id().empty());
    } else {
      EXPECT_FALSE(responses[i].has_error()) << i;
      EXPECT_EQ(responses[i].collation(), hirs::v1::NEW_CASE) << i;
    }
  }
  server_.Stop();
  EXPECT_EQ(server_.CountEntries(storage::Family::kReports), 4u);
}

TEST_F(ReportingServiceTest, BulkStreamItemsSubmittedTogetherAreAnsweredInRequestOrder) {
  constexpr int kItems = 60;
  auto context = ContextWithToken(kCentreAToken);
  auto stream = server_.Reporting()->SubmitReports(context.get());
  for (int i = 0; i < kItems; ++i) {
    auto report = hirs::testing::ValidReport();
    report.mutable_occurred_start()->set_seconds(report.occurred_start().seconds() - i * 5 * 86400);
    report.mutable_victim()->set_full_name(absl::StrCat("Person ", i, " Ordered"));
    report.set_source_reference(absl::StrCat("ORDER-", i));
    if (i % 7 == 3) report.clear_incident_types();  // bad ones, here and there
    ASSERT_TRUE(stream->Write(Request(report, absl::StrCat("order-", i))));
  }
  stream->WritesDone();
  std::vector<hirs::v1::SubmitReportResponse> responses;
  hirs::v1::SubmitReportResponse response;
  while (stream->Read(&response)) responses.push_back(response);
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(responses.size(), static_cast<size_t>(kItems));
  for (int i = 0; i < kItems; ++i) {
    if (i % 7 == 3) {
      EXPECT_EQ(responses[i].error().code(), grpc::StatusCode::INVALID_ARGUMENT) << i;
      continue;
    }
    ASSERT_FALSE(responses[i].has_error()) << i;
    hirs::v1::GetReportRequest get;
    get.set_report_id(responses[i].report_id());
    hirs::v1::Report report;
    ASSERT_TRUE(server_.Reporting()->GetReport(ContextWithToken(kCentreAToken).get(), get, &report).ok());
    EXPECT_EQ(report.source_reference(), absl::StrCat("ORDER-", i));  // the answer to its own request
  }
}

TEST_F(ReportingServiceTest, BulkStreamRequiresAuthentication) {
  auto context = ContextWithToken("");
  auto stream = server_.Reporting()->SubmitReports(context.get());
  stream->Write(Request(hirs::testing::ValidReport()));
  stream->WritesDone();
  hirs::v1::SubmitReportResponse response;
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ReportingServiceTest, OversizedMessageIsRefusedBeforeItReachesTheHandler) {
  auto report = hirs::testing::ValidReport();
  report.set_description(std::string(2 << 20, 'x'));
  hirs::v1::SubmitReportResponse response;
  EXPECT_EQ(Submit(kCentreAToken, Request(report), &response).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(ReportingServiceTest, ExpiredDeadlineStoresNothing) {
  auto context = ContextWithToken(kCentreAToken);
  context->set_deadline(std::chrono::system_clock::now() - std::chrono::seconds(1));
  hirs::v1::SubmitReportResponse response;
  grpc::Status status =
      server_.Reporting()->SubmitReport(context.get(), Request(hirs::testing::ValidReport()), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  server_.Stop();
  EXPECT_EQ(server_.CountEntries(storage::Family::kReports), 0u);
}

TEST_F(ReportingServiceTest, ShutdownUnderLoadLosesNoAcknowledgedReport) {
  std::atomic<bool> stop{false};
  absl::Mutex mu;
  std::vector<std::string> acknowledged;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t, stub = server_.Reporting()] {
      for (int i = 0; !stop.load(); ++i) {
        auto report = hirs::testing::ValidReport();
        report.set_source_reference(absl::StrCat("load-", t, "-", i));
        report.mutable_occurred_start()->set_seconds(report.occurred_start().seconds() - (t * 1000 + i) * 60);
        auto context = ContextWithToken(kCentreAToken);
        hirs::v1::SubmitReportResponse response;
        if (stub->SubmitReport(context.get(), Request(report), &response).ok()) {
          absl::MutexLock lock(&mu);
          acknowledged.push_back(response.report_id());
        }
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(300));
  server_.Stop();  // graceful: drains calls in flight, then closes the store
  stop = true;
  for (auto& t : threads) t.join();
  ASSERT_GT(acknowledged.size(), 8u);
  server_.Restart();
  auto stub = server_.Reporting();
  for (const auto& id : acknowledged) {
    auto context = ContextWithToken(kCentreAToken);
    hirs::v1::GetReportRequest get;
    get.set_report_id(id);
    hirs::v1::Report report;
    EXPECT_TRUE(stub->GetReport(context.get(), get, &report).ok()) << id;
  }
}

TEST_F(ReportingServiceTest, HealthNeedsNoToken) {
  auto health = grpc::health::v1::Health::NewStub(server_.channel());
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&context, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

// Sends `bytes` as the request of `method` ("/pkg.Service/Method") with a
// token; the status.
grpc::Status CallRaw(const std::shared_ptr<grpc::Channel>& channel, const std::string& method, const std::string& bytes,
                     const std::string& token) {
  grpc::GenericStub stub(channel);
  auto context = ContextWithToken(token);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status result;
  absl::Notification done;
  stub.UnaryCall(context.get(), method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
    result = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

TEST_F(ReportingServiceTest, RequestsThatDoNotParseAreInvalidArgumentAndAudited) {
  hirs::v1::SubmitReportRequest good = Request(hirs::testing::ValidReport(), "raw-1");
  std::string valid = good.SerializeAsString();
  // report.source_reference (field 4 of Report, field 2 of the request)
  // holding "\xff\xfe": not UTF-8.
  hirs::v1::SubmitReportRequest marked = good;
  marked.mutable_report()->set_source_reference("@@");
  std::string bad_utf8 = marked.SerializeAsString();
  const size_t at = bad_utf8.find("@@");
  ASSERT_NE(at, std::string::npos);
  bad_utf8[at] = '\xff';
  bad_utf8[at + 1] = '\xfe';
  const std::string truncated = valid.substr(0, valid.size() - 3);
  for (const std::string& bytes : {bad_utf8, truncated}) {
    grpc::Status s = CallRaw(server_.channel(), "/hirs.v1.ReportingService/SubmitReport", bytes, kCentreAToken);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("not a valid hirs.v1.ReportingService/SubmitReport request message"));
  }
  // A server-streaming call is answered the same way.
  grpc::Status streamed = CallRaw(server_.channel(), "/hirs.v1.ExtractService/StreamMonthlyExtract",
                                  std::string("\x0a\x09"
                                              "E07\xff"),
                                  hirs::testing::kPoliceToken);
  EXPECT_EQ(streamed.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << streamed.error_message();
  // Nothing was stored, and each refusal is in the audit trail under the caller.
  EXPECT_EQ(CallRaw(server_.channel(), "/hirs.v1.ReportingService/SubmitReport", valid, kCentreAToken).error_code(),
            grpc::StatusCode::OK);
  auto admin = hirs::v1::AdminService::NewStub(server_.channel());
  hirs::v1::ListAuditEntriesRequest list;
  list.set_principal_id(hirs::testing::kCentreA);
  hirs::v1::ListAuditEntriesResponse entries;
  int refused = 0, accepted = 0;
  for (int attempt = 0; attempt < 50 && refused < 2; ++attempt) {
    ASSERT_TRUE(admin->ListAuditEntries(ContextWithToken(hirs::testing::kAdminToken).get(), list, &entries).ok());
    refused = accepted = 0;
    for (const auto& e : entries.entries()) {
      if (e.method() != "hirs.v1.ReportingService/SubmitReport") continue;
      (e.outcome() == "INVALID_ARGUMENT" ? refused : accepted)++;
    }
    if (refused < 2) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(refused, 2);
  EXPECT_EQ(accepted, 1);
}

}  // namespace
}  // namespace hirs
