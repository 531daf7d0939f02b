// A report's life after submission through a real hirsd: withdrawal (the
// report leaves its case, its personal data leaves every family, extracts
// and counts follow, collation never finds it again) and changes of the
// victim's consent (what police see follows the current consent).
#include <grpcpp/grpcpp.h>

#include <string>

#include "gtest/gtest.h"
#include "hirs/v1/case_service.grpc.pb.h"
#include "hirs/v1/extract_service.grpc.pb.h"
#include "tests/support/test_support.h"

namespace hirs {
namespace {

using hirs::testing::ContextWithToken;
using hirs::testing::kCentreAToken;
using hirs::testing::kCentreBToken;
using hirs::testing::kPoliceToken;

const hirs::testing::Planted kVictim{"Hepzibah Thistlewood",
                                     "1971-05-17",
                                     "07700 900444",
                                     "ht@example.org",
                                     "4 Wren Walk",
                                     "LE11 8XX",
                                     "shouted at by a man quux-withdrawn-words",
                                     "by the quux bus shelter"};

class ReportChangesTest : public ::testing::Test {
 protected:
  ReportChangesTest()
      : cases_(hirs::v1::CaseService::NewStub(server_.channel())),
        extracts_(hirs::v1::ExtractService::NewStub(server_.channel())) {}

  hirs::v1::SubmitReportResponse Submit(const std::string& token, const hirs::v1::Report& report,
                                        const std::string& request_id) {
    hirs::v1::SubmitReportResponse response;
    const grpc::Status status = server_.Reporting()->SubmitReport(ContextWithToken(token).get(),
                                                                  testing::Request(report, request_id), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }
  grpc::Status Withdraw(const std::string& token, const std::string& report_id, const std::string& reason,
                        hirs::v1::Report* out) {
    hirs::v1::WithdrawReportRequest request;
    request.set_report_id(report_id);
    request.set_reason(reason);
    return server_.Reporting()->WithdrawReport(ContextWithToken(token).get(), request, out);
  }
  grpc::Status SetConsent(const std::string& token, const std::string& report_id, bool share, bool anonymous,
                          hirs::v1::Report* out) {
    hirs::v1::UpdateConsentRequest request;
    request.set_report_id(report_id);
    request.mutable_consent()->set_share_with_police(share);
    request.mutable_consent()->set_anonymous(anonymous);
    request.set_reason("the victim asked at the counter");
    return server_.Reporting()->UpdateConsent(ContextWithToken(token).get(), request, out);
  }
  hirs::v1::Case PoliceCase(const std::string& case_id) {
    hirs::v1::GetCaseRequest request;
    request.set_case_id(case_id);
    hirs::v1::Case out;
    const grpc::Status status = cases_->GetCase(ContextWithToken(kPoliceToken).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }
  std::vector<hirs::v1::CaseEvent> Events(const std::string& case_id) {
    hirs::v1::ListCaseEventsRequest request;
    request.set_case_id(case_id);
    hirs::v1::ListCaseEventsResponse out;
    EXPECT_TRUE(cases_->ListCaseEvents(ContextWithToken(kPoliceToken).get(), request, &out).ok());
    return {out.events().begin(), out.events().end()};
  }
  // The district's extract rows for the month of kTestNow, with as_of, as
  // the district pulls them (each pull is the next one's "previous").
  std::vector<hirs::v1::ExtractRow> Extract(const google::protobuf::Timestamp* as_of = nullptr) {
    hirs::v1::MonthlyExtractRequest request;
    request.set_district_code("E07000130");
    request.set_month("2026-09");
    if (as_of != nullptr) *request.mutable_as_of() = *as_of;
    auto context = ContextWithToken(hirs::testing::kDistrictToken);
    auto reader = extracts_->StreamMonthlyExtract(context.get(), request);
    std::vector<hirs::v1::ExtractRow> rows;
    hirs::v1::ExtractRow row;
    while (reader->Read(&row)) rows.push_back(row);
    EXPECT_TRUE(reader->Finish().ok());
    return rows;
  }

  hirs::testing::TestServer server_;
  std::unique_ptr<hirs::v1::CaseService::Stub> cases_;
  std::unique_ptr<hirs::v1::ExtractService::Stub> extracts_;
};

TEST_F(ReportChangesTest, AWithdrawnReportLeavesItsCaseAndItsPersonalDataLeavesEveryFamily) {
  const hirs::v1::Report planted = testing::PlantedReport(kVictim, testing::kTestNow, "LE11 3AB", false);
  const auto a = Submit(kCentreAToken, planted, "a-1");
  auto witness = testing::ValidReport();
  witness.set_reporter_role(hirs::v1::WITNESS);
  witness.clear_victim();
  const auto b = Submit(kCentreBToken, witness, "b-1");
  ASSERT_EQ(b.case_id(), a.case_id());
  ASSERT_EQ(PoliceCase(a.case_id()).report_count(), 2);
  const std::vector<hirs::v1::ExtractRow> before = Extract();
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].report_count(), 2);
  EXPECT_EQ(before[0].change(), hirs::v1::ExtractRow::NEW);
  const google::protobuf::Timestamp then = PoliceCase(a.case_id()).updated_at();

  // Only the submitting centre, with a reason; police cannot.
  hirs::v1::Report out;
  EXPECT_EQ(Withdraw(kCentreBToken, a.report_id(), "asked", &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Withdraw(kPoliceToken, a.report_id(), "asked", &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  const grpc::Status no_reason = Withdraw(kCentreAToken, a.report_id(), "", &out);
  EXPECT_EQ(no_reason.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(no_reason.error_message().find("reason"), std::string::npos) << no_reason.error_message();
  ASSERT_EQ(PoliceCase(a.case_id()).report_count(), 2);  // nothing changed

  ASSERT_TRUE(Withdraw(kCentreAToken, a.report_id(), "the victim asked on 2 December", &out).ok());
  EXPECT_TRUE(out.has_withdrawal());
  EXPECT_EQ(out.withdrawal().case_id(), a.case_id());
  EXPECT_EQ(out.withdrawal().reason(), "the victim asked on 2 December");
  EXPECT_TRUE(out.victim().full_name().empty());
  EXPECT_TRUE(out.description().empty());
  EXPECT_EQ(out.reporting_centre(), testing::kCentreA);
  EXPECT_EQ(Withdraw(kCentreAToken, a.report_id(), "again", &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // The case counts one report; the change feed says why; the extract row
  // is REVISED; the extract as it stood before is unchanged.
  const hirs::v1::Case after = PoliceCase(a.case_id());
  EXPECT_EQ(after.report_count(), 1);
  EXPECT_EQ(after.source_count(), 1);
  const auto events = Events(a.case_id());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().kind(), hirs::v1::CaseEvent::REPORT_WITHDRAWN);  // newest first
  ASSERT_EQ(events.front().report_ids_size(), 1);
  EXPECT_EQ(events.front().report_ids(0), a.report_id());
  const auto revised = Extract();
  ASSERT_EQ(revised.size(), 1u);
  EXPECT_EQ(revised[0].report_count(), 1);
  EXPECT_EQ(revised[0].change(), hirs::v1::ExtractRow::REVISED);
  const auto as_then = Extract(&then);
  ASSERT_EQ(as_then.size(), 1u);
  EXPECT_EQ(as_then[0].SerializeAsString(), before[0].SerializeAsString());

  // The last report withdrawn: the case is CLOSED and leaves the extract.
  ASSERT_TRUE(Withdraw(kCentreBToken, b.report_id(), "entered by mistake", &out).ok());
  const hirs::v1::Case closed = PoliceCase(a.case_id());
  EXPECT_EQ(closed.status(), hirs::v1::CLOSED);
  EXPECT_EQ(closed.report_count(), 0);
  const auto gone = Extract();
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].change(), hirs::v1::ExtractRow::WITHDRAWN);

  // Collation never finds the withdrawn reports again: the same incident
  // reported anew is a new case.
  auto again = planted;
  again.set_source_reference("REF-2");
  const auto fresh = Submit(kCentreAToken, again, "a-2");
  EXPECT_EQ(fresh.collation(), hirs::v1::NEW_CASE);
  EXPECT_NE(fresh.case_id(), a.case_id());

  // The planted fields are in the store only through the new report:
  // withdraw it too, and none is left in any family.
  ASSERT_TRUE(Withdraw(kCentreAToken, fresh.report_id(), "reported twice", &out).ok());
  server_.Stop();
  storage::StoreOptions options;
  options.path = server_.data_dir() + "/db";
  auto store = storage::Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  for (const std::string& field : testing::Fields(kVictim)) {
    EXPECT_FALSE(testing::StoreHolds(**store, field)) << field;
  }
  EXPECT_TRUE(testing::StoreHolds(**store, "the victim asked on 2 December"));  // the tombstone stays
}

TEST_F(ReportChangesTest, AWithdrawnReportLeavesTheReviewQueue) {
  // One incident reported twice, the second split off by police: a third
  // report matching both cases waits for a person.
  auto report = [](const std::string& reference) {
    auto r = testing::ValidReport();
    r.set_source_reference(reference);
    r.set_reporter_role(hirs::v1::WITNESS);
    r.clear_victim();
    return r;
  };
  Submit(kCentreAToken, report("A"), "a");
  const auto b = Submit(kCentreAToken, report("B"), "b");
  hirs::v1::SplitReportRequest split;
  split.set_report_id(b.report_id());
  hirs::v1::SplitReportResponse split_out;
  ASSERT_TRUE(cases_->SplitReport(ContextWithToken(kPoliceToken).get(), split, &split_out).ok());
  const auto c = Submit(kCentreAToken, report("C"), "c");
  ASSERT_EQ(c.collation(), hirs::v1::NEEDS_REVIEW);
  auto open_items = [&] {
    hirs::v1::ListReviewItemsResponse items;
    EXPECT_TRUE(
        cases_->ListReviewItems(ContextWithToken(kPoliceToken).get(), hirs::v1::ListReviewItemsRequest(), &items).ok());
    int of_c = 0;
    for (const auto& item : items.items()) of_c += item.report_id() == c.report_id() ? 1 : 0;
    return of_c;
  };
  ASSERT_EQ(open_items(), 1);
  hirs::v1::Report out;
  ASSERT_TRUE(Withdraw(kCentreAToken, c.report_id(), "reported by mistake", &out).ok());
  EXPECT_EQ(open_items(), 0);
}

TEST_F(ReportChangesTest, PoliceSeeTheVictimOnlyWhileTheCurrentConsentAllowsIt) {
  const auto a = Submit(kCentreAToken, testing::PlantedReport(kVictim, testing::kTestNow, "LE11 3AB", false), "a-1");
  auto victim_of = [&] {
    const hirs::v1::Case c = PoliceCase(a.case_id());
    return c.reports_size() > 0 ? c.reports(0).victim().full_name() : std::string("(no report)");
  };
  ASSERT_EQ(victim_of(), kVictim.name);

  hirs::v1::Report out;
  EXPECT_EQ(SetConsent(kCentreBToken, a.report_id(), false, false, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(SetConsent(kPoliceToken, a.report_id(), false, false, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  hirs::v1::UpdateConsentRequest empty;
  empty.set_report_id(a.report_id());
  empty.set_reason("why");
  EXPECT_EQ(server_.Reporting()->UpdateConsent(ContextWithToken(kCentreAToken).get(), empty, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_EQ(victim_of(), kVictim.name);

  // Consent to share withdrawn: hidden from police from now; the centre
  // keeps the report as received.
  const std::string etag = PoliceCase(a.case_id()).etag();
  ASSERT_TRUE(SetConsent(kCentreAToken, a.report_id(), false, false, &out).ok());
  EXPECT_FALSE(out.consent().share_with_police());
  ASSERT_EQ(out.consent_changes_size(), 1);
  EXPECT_TRUE(out.consent_changes(0).before().share_with_police());
  EXPECT_EQ(out.victim().full_name(), kVictim.name);
  EXPECT_EQ(victim_of(), "");
  EXPECT_NE(PoliceCase(a.case_id()).etag(), etag);
  const auto events = Events(a.case_id());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().kind(), hirs::v1::CaseEvent::CONSENT_CHANGED);
  EXPECT_EQ(events.front().case_().reports_size(), 0);
  EXPECT_EQ(events.front().SerializeAsString().find(kVictim.name), std::string::npos);

  // Given again: police see the details again.
  ASSERT_TRUE(SetConsent(kCentreAToken, a.report_id(), true, false, &out).ok());
  EXPECT_EQ(victim_of(), kVictim.name);

  // Made anonymous: the identifying fields go for good.
  ASSERT_TRUE(SetConsent(kCentreAToken, a.report_id(), true, true, &out).ok());
  EXPECT_TRUE(out.victim().full_name().empty());
  EXPECT_TRUE(out.victim().date_of_birth().empty());
  ASSERT_TRUE(SetConsent(kCentreAToken, a.report_id(), true, false, &out).ok());
  EXPECT_TRUE(out.victim().full_name().empty());
  EXPECT_EQ(victim_of(), "");
  EXPECT_EQ(out.consent_changes_size(), 4);
  server_.Stop();
  storage::StoreOptions options;
  options.path = server_.data_dir() + "/db";
  auto store = storage::Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_FALSE(testing::StoreHolds(**store, kVictim.name));
  EXPECT_FALSE(testing::StoreHolds(**store, kVictim.dob));
}

}  // namespace
}  // namespace hirs
