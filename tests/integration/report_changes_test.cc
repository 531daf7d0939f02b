// A report's life after submission through a real hirsd: withdrawal (the
// report leaves its case, its personal data leaves every family, extracts
// and counts follow, collation never finds it again) and changes of the
// victim's consent (what police see follows the current consent).
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/civil_time.h"
#include "gmock/gmock.h"
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

// A witness's report of ValidReport's incident, under `reference`.
hirs::v1::Report WitnessReport(const std::string& reference) {
  auto r = testing::ValidReport();
  r.set_source_reference(reference);
  r.set_reporter_role(hirs::v1::WITNESS);
  r.clear_victim();
  return r;
}

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
  grpc::Status Amend(const std::string& token, const std::string& report_id, const hirs::v1::Report& report,
                     const std::string& reason, const std::string& etag, const std::string& request_id,
                     hirs::v1::Report* out) {
    hirs::v1::AmendReportRequest request;
    request.set_report_id(report_id);
    *request.mutable_report() = report;
    request.set_reason(reason);
    request.set_etag(etag);
    request.set_request_id(request_id);
    return server_.Reporting()->AmendReport(ContextWithToken(token).get(), request, out);
  }
  hirs::v1::Report Get(const std::string& token, const std::string& report_id, int version = 0) {
    hirs::v1::GetReportRequest request;
    request.set_report_id(report_id);
    request.set_version(version);
    hirs::v1::Report out;
    const grpc::Status status = server_.Reporting()->GetReport(ContextWithToken(token).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }
  // The review items still waiting for a decision on `report_id`.
  std::vector<hirs::v1::ReviewItem> OpenReviewItems(const std::string& report_id) {
    hirs::v1::ListReviewItemsResponse items;
    EXPECT_TRUE(
        cases_->ListReviewItems(ContextWithToken(kPoliceToken).get(), hirs::v1::ListReviewItemsRequest(), &items).ok());
    std::vector<hirs::v1::ReviewItem> of_report;
    for (const auto& item : items.items()) {
      if (item.report_id() == report_id) of_report.push_back(item);
    }
    return of_report;
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

  const absl::Time poll = absl::Now();
  ASSERT_TRUE(Withdraw(kCentreAToken, a.report_id(), "the victim asked on 2 December", &out).ok());
  EXPECT_TRUE(out.has_withdrawal());
  // A centre's system polling for changes sees the withdrawal.
  hirs::v1::ListReportsRequest changed;
  *changed.mutable_updated_since() = ToTimestamp(poll);
  hirs::v1::ListReportsResponse since;
  ASSERT_TRUE(server_.Reporting()->ListReports(ContextWithToken(kCentreAToken).get(), changed, &since).ok());
  ASSERT_EQ(since.reports_size(), 1);
  EXPECT_EQ(since.reports(0).report_id(), a.report_id());
  EXPECT_TRUE(since.reports(0).has_withdrawal());
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
  Submit(kCentreAToken, WitnessReport("A"), "a");
  const auto b = Submit(kCentreAToken, WitnessReport("B"), "b");
  hirs::v1::SplitReportRequest split;
  split.set_report_id(b.report_id());
  hirs::v1::SplitReportResponse split_out;
  ASSERT_TRUE(cases_->SplitReport(ContextWithToken(kPoliceToken).get(), split, &split_out).ok());
  const auto c = Submit(kCentreAToken, WitnessReport("C"), "c");
  ASSERT_EQ(c.collation(), hirs::v1::NEEDS_REVIEW);
  ASSERT_EQ(OpenReviewItems(c.report_id()).size(), 1u);
  hirs::v1::Report out;
  ASSERT_TRUE(Withdraw(kCentreAToken, c.report_id(), "reported by mistake", &out).ok());
  EXPECT_EQ(OpenReviewItems(c.report_id()).size(), 0u);
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
  EXPECT_EQ(out.progress().case_id(), a.case_id()) << "answered as GetReport reads it";
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

TEST_F(ReportChangesTest, AnAmendmentIsANewVersionAndTheVersionReceivedStays) {
  const hirs::v1::Report planted = testing::PlantedReport(kVictim, testing::kTestNow, "LE11 3AB", false);
  const auto a = Submit(kCentreAToken, planted, "a-1");
  const hirs::v1::Report received = Get(kCentreAToken, a.report_id());
  ASSERT_FALSE(received.etag().empty());
  const std::vector<hirs::v1::ExtractRow> before = Extract();
  ASSERT_EQ(before.size(), 1u);
  const google::protobuf::Timestamp then = PoliceCase(a.case_id()).updated_at();
  auto corrected = planted;
  corrected.mutable_victim()->set_date_of_birth("1971-07-05");
  corrected.add_motivations(hirs::v1::RELIGION_OR_BELIEF);

  // Only the submitting centre, with a reason and a valid report; the
  // consent changes only through UpdateConsent; nothing stored meanwhile.
  hirs::v1::Report out;
  EXPECT_EQ(Amend(kCentreBToken, a.report_id(), corrected, "typo", "", "", &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Amend(kPoliceToken, a.report_id(), corrected, "typo", "", "", &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Amend(kCentreAToken, a.report_id(), corrected, "", "", "", &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  auto invalid = corrected;
  invalid.clear_occurred_start();
  const grpc::Status bad = Amend(kCentreAToken, a.report_id(), invalid, "typo", "", "", &out);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("report.occurred_start"), std::string::npos) << bad.error_message();
  auto unshared = corrected;
  unshared.mutable_consent()->set_share_with_police(false);
  const grpc::Status consent = Amend(kCentreAToken, a.report_id(), unshared, "typo", "", "", &out);
  EXPECT_EQ(consent.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(consent.error_message().find("report.consent"), std::string::npos) << consent.error_message();
  EXPECT_EQ(Get(kCentreAToken, a.report_id()).etag(), received.etag());

  // Output-only fields a caller sets are ignored.
  auto forged = corrected;
  forged.set_report_id("rpt_00000000000000000000000000");
  forged.set_reporting_centre("centre-b");
  forged.mutable_withdrawal()->set_reason("forged");
  forged.add_versions()->set_reason("forged");
  forged.set_etag("forged");
  ASSERT_TRUE(
      Amend(kCentreAToken, a.report_id(), forged, "date of birth mistyped", received.etag(), "fix-1", &out).ok());
  EXPECT_EQ(out.report_id(), a.report_id());
  EXPECT_EQ(out.reporting_centre(), testing::kCentreA);
  EXPECT_FALSE(out.has_withdrawal());
  EXPECT_EQ(out.victim().date_of_birth(), "1971-07-05");
  EXPECT_EQ(out.received_at().seconds(), received.received_at().seconds());
  EXPECT_NE(out.etag(), received.etag());
  ASSERT_EQ(out.versions_size(), 2);
  EXPECT_EQ(out.versions(0).version(), 1);
  EXPECT_EQ(out.versions(1).version(), 2);
  EXPECT_EQ(out.versions(1).reason(), "date of birth mistyped");
  EXPECT_EQ(std::vector<std::string>(out.versions(1).changed_fields().begin(), out.versions(1).changed_fields().end()),
            (std::vector<std::string>{"motivations", "victim.date_of_birth"}));
  EXPECT_EQ(Get(kCentreAToken, a.report_id()).SerializeAsString().find("1971-05-17"), std::string::npos);

  // A retry is answered as the first call was; a request_id reused for
  // something else, or a change on a version no longer current, is not.
  hirs::v1::Report retry;
  ASSERT_TRUE(
      Amend(kCentreAToken, a.report_id(), corrected, "date of birth mistyped", received.etag(), "fix-1", &retry).ok());
  EXPECT_EQ(retry.versions_size(), 2);
  EXPECT_EQ(retry.etag(), out.etag());
  auto other = corrected;
  other.set_description("a different account");
  EXPECT_EQ(Amend(kCentreAToken, a.report_id(), other, "more", "", "fix-1", &retry).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Amend(kCentreAToken, a.report_id(), other, "more", received.etag(), "", &retry).error_code(),
            grpc::StatusCode::ABORTED);
  EXPECT_EQ(Get(kCentreAToken, a.report_id()).etag(), out.etag());

  // Police see the current version and its history; the feed says what
  // happened; the extract row is REVISED and the past reproduces as it was.
  const hirs::v1::Case c = PoliceCase(a.case_id());
  EXPECT_EQ(c.report_count(), 1);
  ASSERT_EQ(c.reports_size(), 1);
  EXPECT_EQ(c.reports(0).victim().date_of_birth(), "1971-07-05");
  EXPECT_EQ(c.reports(0).versions_size(), 2);
  const auto events = Events(a.case_id());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().kind(), hirs::v1::CaseEvent::REPORT_AMENDED);
  EXPECT_EQ(events.front().SerializeAsString().find(kVictim.name), std::string::npos);
  const auto revised = Extract();
  ASSERT_EQ(revised.size(), 1u);
  EXPECT_EQ(revised[0].change(), hirs::v1::ExtractRow::REVISED);
  EXPECT_EQ(revised[0].motivations_size(), before[0].motivations_size() + 1);
  const auto as_then = Extract(&then);
  ASSERT_EQ(as_then.size(), 1u);
  EXPECT_EQ(as_then[0].SerializeAsString(), before[0].SerializeAsString());

  // The version received stays, for its centre to read, until the
  // report's personal data goes, with every version's.
  const hirs::v1::Report first = Get(kCentreAToken, a.report_id(), 1);
  EXPECT_EQ(first.victim().date_of_birth(), kVictim.dob);
  EXPECT_EQ(first.versions_size(), 2);
  EXPECT_EQ(first.etag(), out.etag());
  EXPECT_EQ(Get(kCentreAToken, a.report_id(), 2).victim().date_of_birth(), "1971-07-05");
  hirs::v1::GetReportRequest third;
  third.set_report_id(a.report_id());
  third.set_version(3);
  const grpc::Status no_such = server_.Reporting()->GetReport(ContextWithToken(kCentreAToken).get(), third, &retry);
  EXPECT_EQ(no_such.error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Withdraw(kCentreAToken, a.report_id(), "the victim asked", &out).ok());
  EXPECT_EQ(Amend(kCentreAToken, a.report_id(), other, "more", "", "", &retry).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  server_.Stop();
  storage::StoreOptions options;
  options.path = server_.data_dir() + "/db";
  auto store = storage::Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_FALSE(testing::StoreHolds(**store, kVictim.dob));
  EXPECT_FALSE(testing::StoreHolds(**store, "1971-07-05"));
}

TEST_F(ReportChangesTest, AnAmendmentThatNowMatchesAnotherCaseMovesTheReportThere) {
  const auto p = Submit(kCentreAToken, testing::ValidReport(), "p");
  const auto q = Submit(kCentreBToken, testing::DistinctReport(1, testing::kTestNow), "q");
  ASSERT_NE(q.case_id(), p.case_id());
  auto corrected = testing::ValidReport();
  corrected.set_source_reference("Q-1");
  hirs::v1::Report out;
  ASSERT_TRUE(
      Amend(kCentreBToken, q.report_id(), corrected, "the wrong incident's details were entered", "", "", &out).ok());
  EXPECT_EQ(Get(kCentreBToken, q.report_id()).progress().case_id(), p.case_id());
  const hirs::v1::Case joined = PoliceCase(p.case_id());
  EXPECT_EQ(joined.report_count(), 2);
  EXPECT_EQ(joined.source_count(), 2);
  const hirs::v1::Case left = PoliceCase(q.case_id());
  EXPECT_EQ(left.report_count(), 0);
  EXPECT_EQ(left.status(), hirs::v1::CLOSED);
  const auto to = Events(p.case_id());
  ASSERT_FALSE(to.empty());
  EXPECT_EQ(to.front().kind(), hirs::v1::CaseEvent::REPORT_AMENDED);
  ASSERT_EQ(to.front().related_case_ids_size(), 1);
  EXPECT_EQ(to.front().related_case_ids(0), q.case_id());
  EXPECT_EQ(Events(q.case_id()).front().kind(), hirs::v1::CaseEvent::REPORT_AMENDED);
  // A later report of the mistaken incident no longer finds the report.
  auto mistaken = testing::DistinctReport(1, testing::kTestNow);
  mistaken.set_source_reference("later");
  EXPECT_NE(Submit(kCentreAToken, mistaken, "later").case_id(), p.case_id());
}

TEST_F(ReportChangesTest, AnAmendmentThatNowNamesAnEarlierCasesVictimLinksTheCases) {
  // The same person targeted again ten days later, their name and date of
  // birth mistyped at the counter: no link, until the correction.
  const auto earlier = Submit(kCentreAToken, testing::ValidReport(), "earlier");
  auto again = testing::ValidReport();
  again.mutable_occurred_start()->set_seconds(again.occurred_start().seconds() + 10 * 86400);
  again.set_description("They shouted at me again outside the shop.");
  again.set_source_reference("AGAIN-1");
  auto mistyped = again;
  mistyped.mutable_victim()->set_full_name("Zenobia Quackenbush");
  mistyped.mutable_victim()->set_date_of_birth("1951-11-30");
  const auto later = Submit(kCentreBToken, mistyped, "later");
  ASSERT_NE(later.case_id(), earlier.case_id());
  ASSERT_FALSE(PoliceCase(later.case_id()).repeat_victim());
  hirs::v1::Report out;
  ASSERT_TRUE(Amend(kCentreBToken, later.report_id(), again, "name and date of birth mistyped", "", "", &out).ok());
  EXPECT_EQ(out.progress().case_id(), later.case_id()) << "another incident: it stays in its case";
  const hirs::v1::Case linked = PoliceCase(later.case_id());
  EXPECT_TRUE(linked.repeat_victim());
  EXPECT_THAT(linked.linked_case_ids(), ::testing::ElementsAre(earlier.case_id()));
}

TEST_F(ReportChangesTest, AnAmendmentLeavesAReportAPersonPlacedAndAnUncertainOneGoesToReview) {
  // Police merged y's case into x's: y stays there even once amended to
  // match w's case clearly.
  const auto x = Submit(kCentreAToken, testing::DistinctReport(1, testing::kTestNow), "x");
  const auto y = Submit(kCentreAToken, testing::DistinctReport(2, testing::kTestNow), "y");
  const auto w = Submit(kCentreBToken, testing::DistinctReport(3, testing::kTestNow), "w");
  hirs::v1::MergeCasesRequest merge;
  merge.set_target_case_id(x.case_id());
  merge.add_source_case_ids(y.case_id());
  merge.set_reason("the same incident");
  hirs::v1::Case merged;
  ASSERT_TRUE(cases_->MergeCases(ContextWithToken(kPoliceToken).get(), merge, &merged).ok());
  auto like_w = testing::DistinctReport(3, testing::kTestNow);
  like_w.set_source_reference("Y-1");
  hirs::v1::Report out;
  ASSERT_TRUE(Amend(kCentreAToken, y.report_id(), like_w, "details corrected", "", "", &out).ok());
  EXPECT_EQ(Get(kCentreAToken, y.report_id()).progress().case_id(), x.case_id());
  EXPECT_EQ(PoliceCase(w.case_id()).report_count(), 1);

  // One incident reported twice, the second split off by police: a report
  // amended to match both cases waits for a person, in its own case.
  const auto a = Submit(kCentreAToken, WitnessReport("A"), "a");
  const auto b = Submit(kCentreAToken, WitnessReport("B"), "b");
  hirs::v1::SplitReportRequest split;
  split.set_report_id(b.report_id());
  hirs::v1::SplitReportResponse split_out;
  ASSERT_TRUE(cases_->SplitReport(ContextWithToken(kPoliceToken).get(), split, &split_out).ok());
  const auto r = Submit(kCentreBToken, testing::DistinctReport(4, testing::kTestNow), "r");
  ASSERT_EQ(r.collation(), hirs::v1::NEW_CASE);
  ASSERT_TRUE(Amend(kCentreBToken, r.report_id(), WitnessReport("C"), "wrong incident entered", "", "", &out).ok());
  EXPECT_EQ(Get(kCentreBToken, r.report_id()).progress().case_id(), r.case_id());
  const auto items = OpenReviewItems(r.report_id());
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].case_id(), r.case_id());
  std::vector<std::string> candidates(items[0].candidate_case_ids().begin(), items[0].candidate_case_ids().end());
  std::sort(candidates.begin(), candidates.end());
  std::vector<std::string> expected = {a.case_id(), split_out.new_case().case_id()};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(candidates, expected);
}

}  // namespace
}  // namespace hirs
