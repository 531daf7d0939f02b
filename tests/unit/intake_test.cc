// Intake (submission, idempotency, collation at intake) and CentreReports
// (what a centre reads back of its reports).
#include "services/intake/intake.h"

#include <thread>

#include "common/bad_request.h"
#include "common/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/cases/cases.h"
#include "services/collation/case_aggregate.h"
#include "services/collation/probabilistic_collator.h"
#include "services/intake/centre_reports.h"
#include "services/records/migrations.h"
#include "storage/keys.h"
#include "storage/schema.h"
#include "tests/support/domain_support.h"

namespace hirs::intake {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class IntakeTest : public ::testing::Test {
 protected:
  IntakeTest()
      : hasher_(std::string(32, 'k')),
        collator_(&hasher_, collation::MatchModel::Default(), collation::MatcherOptions()) {
    storage::StoreOptions options;
    options.path = dir_.path();
    store_ = std::move(storage::Store::Open(options)).value();
    router_ = DistrictRouter::LeicestershireDefault();
    intake_ = std::make_unique<Intake>(store_.get(), &locks_, &collator_, router_.get(), &hasher_);
    reports_ = std::make_unique<CentreReports>(store_.get(), &hasher_);
    cases_ = std::make_unique<cases::Cases>(store_.get(), &locks_, &collator_, &hasher_);
  }

  static hirs::v1::SubmitReportRequest Request(const hirs::v1::Report& report, const std::string& id = "") {
    return hirs::testing::Request(report, id);
  }

  size_t Count(storage::Family family) {
    size_t n = 0;
    EXPECT_TRUE(store_->Scan(family, "", 0, [&](absl::string_view, absl::string_view) { return ++n, true; }).ok());
    return n;
  }

  hirs::store::v1::StoredCase Case(const std::string& id) {
    return storage::ReadProto<hirs::store::v1::StoredCase>(*store_, storage::Family::kCases, id).value().value();
  }

  SubmitResult SubmitFrom(const std::string& centre, const hirs::v1::Report& r) {
    auto result = intake_->Submit(centre, hirs::testing::Request(r));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : SubmitResult();
  }

  // Submits unrelated reports i in [first, first + n) from `centre`; their
  // report ids, oldest first.
  std::vector<std::string> SubmitDistinct(int first, int n, const std::string& centre) {
    std::vector<std::string> ids;
    for (int i = first; i < first + n; ++i)
      ids.push_back(SubmitFrom(centre, hirs::testing::DistinctReport(i, absl::Now())).report_id);
    return ids;
  }

  // The ids of every page for `request`, following next_page_token.
  std::vector<std::string> AllIds(hirs::v1::ListReportsRequest request, const std::string& centre = "centre-a",
                                  int* pages = nullptr) {
    std::vector<std::string> ids;
    int n = 0;
    do {
      auto page = reports_->ListReports(centre, centre, request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      ++n;
      for (const auto& r : page->reports()) ids.push_back(r.report_id());
      request.set_page_token(page->next_page_token());
    } while (!request.page_token().empty());
    if (pages != nullptr) *pages = n;
    return ids;
  }

  static std::vector<std::string> Reversed(std::vector<std::string> v) {
    std::reverse(v.begin(), v.end());
    return v;
  }

  void SetStatus(const std::string& case_id, hirs::v1::CaseStatus status, const std::string& crime_reference) {
    const auth::Principal police{"police", hirs::v1::POLICE, "E23000021"};
    auto c = cases_->GetCase(police, case_id);
    ASSERT_TRUE(c.ok()) << c.status();
    hirs::v1::UpdateCaseRequest request;
    request.mutable_case_()->set_case_id(case_id);
    request.mutable_case_()->set_status(status);
    request.mutable_case_()->set_crime_reference(crime_reference);
    request.mutable_update_mask()->add_paths("status");
    request.mutable_update_mask()->add_paths("crime_reference");
    request.set_etag(c->etag());
    ASSERT_TRUE(cases_->UpdateCase(police, request).ok());
  }

  hirs::testing::TempDir dir_;
  collation::KeyedHasher hasher_;
  collation::ProbabilisticCollator collator_;
  std::unique_ptr<storage::Store> store_;
  storage::CaseLocks locks_;
  std::unique_ptr<DistrictRouter> router_;
  std::unique_ptr<Intake> intake_;
  std::unique_ptr<CentreReports> reports_;
  std::unique_ptr<cases::Cases> cases_;
};

TEST_F(IntakeTest, FirstReportStartsANewCase) {
  auto result = intake_->Submit("centre-a", Request(hirs::testing::ValidReport()));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->collation, hirs::v1::NEW_CASE);
  EXPECT_THAT(result->report_id, StartsWith("rpt_"));
  EXPECT_THAT(result->case_id, StartsWith("case_"));
  EXPECT_THAT(result->receipt, HasSubstr(result->report_id));
  const auto c = Case(result->case_id);
  EXPECT_EQ(c.case_().status(), hirs::v1::OPEN);
  EXPECT_EQ(c.case_().district_code(), "E07000130");
  EXPECT_EQ(c.case_().report_count(), 1);
  EXPECT_EQ(collation::ReadMembers(*store_, result->case_id).value().size(), 1u);
  EXPECT_EQ(Count(storage::Family::kChanges), 1u);
  EXPECT_EQ(Count(storage::Family::kIndexes), storage::CaseIndexKeys(c.case_()).size());  // d, st, om, dm, mo, it
  EXPECT_EQ(Count(storage::Family::kIndexes), 6u);
  auto event = storage::ReadProto<hirs::v1::CaseEvent>(*store_, storage::Family::kChanges, storage::EncodeChangeKey(1));
  ASSERT_TRUE(event.ok() && event->has_value());
  EXPECT_EQ((*event)->cursor(), 1u);
  EXPECT_EQ((*event)->kind(), hirs::v1::CaseEvent::CASE_CREATED);
  EXPECT_EQ((*event)->case_().case_id(), result->case_id);
  EXPECT_EQ((*event)->case_().explanations_size(), 0);  // kept small: GetCase serves explanations
}

TEST_F(IntakeTest, ReportIsKeptAsReceivedWithServerFields) {
  auto report = hirs::testing::ValidReport();
  report.mutable_location()->set_postcode("le113ab");
  report.set_report_id("rpt_SPOOFED");
  report.set_reporting_centre("centre-b");  // the caller decides, not the request
  auto result = intake_->Submit("centre-a", Request(report));
  ASSERT_TRUE(result.ok()) << result.status();
  auto stored = reports_->GetReport("centre-a", result->report_id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->report_id(), result->report_id);
  EXPECT_EQ(stored->reporting_centre(), "centre-a");
  EXPECT_TRUE(stored->has_received_at());
  EXPECT_EQ(stored->location().postcode(), "le113ab");  // as received, not normalised
  EXPECT_EQ(stored->description(), report.description());
}

TEST_F(IntakeTest, SameIncidentFromASecondCentreJoinsTheCase) {
  auto first = intake_->Submit("centre-a", Request(hirs::testing::ValidReport()));
  auto witness = hirs::testing::ValidReport();
  witness.set_reporter_role(hirs::v1::WITNESS);
  witness.clear_victim();
  witness.add_incident_types(hirs::v1::THREATS);
  auto second = intake_->Submit("centre-b", Request(witness));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->collation, hirs::v1::ATTACHED_TO_CASE);
  EXPECT_EQ(second->case_id, first->case_id);
  EXPECT_GT(second->match_score, 0);
  const auto c = Case(first->case_id);
  EXPECT_EQ(c.case_().report_count(), 2);
  EXPECT_EQ(c.case_().source_count(), 2);
  EXPECT_EQ(c.case_().incident_types_size(), 2);
  EXPECT_EQ(c.case_().etag(), "2");
  EXPECT_EQ(Count(storage::Family::kCases), 1u);
  // Updated in place (the second report added an incident type), not duplicated.
  EXPECT_EQ(Count(storage::Family::kIndexes), storage::CaseIndexKeys(c.case_()).size());
  EXPECT_EQ(Count(storage::Family::kIndexes), 7u);
}

TEST_F(IntakeTest, RetryWithTheSameRequestIdIsAlreadyReceivedAndStoresNothing) {
  const auto request = Request(hirs::testing::ValidReport(), "req-1");
  auto first = intake_->Submit("centre-a", request);
  ASSERT_TRUE(first.ok());
  const size_t reports = Count(storage::Family::kReports);
  const size_t requests = Count(storage::Family::kRequests);
  const size_t changes = Count(storage::Family::kChanges);
  auto retry = intake_->Submit("centre-a", request);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->collation, hirs::v1::ALREADY_RECEIVED);
  EXPECT_EQ(retry->report_id, first->report_id);
  EXPECT_EQ(retry->case_id, first->case_id);
  EXPECT_EQ(retry->receipt, first->receipt);
  EXPECT_EQ(Count(storage::Family::kReports), reports);
  EXPECT_EQ(Count(storage::Family::kRequests), requests);
  EXPECT_EQ(Count(storage::Family::kChanges), changes);
}

TEST_F(IntakeTest, ReusedRequestIdWithAnotherReportIsAlreadyExists) {
  ASSERT_TRUE(intake_->Submit("centre-a", Request(hirs::testing::ValidReport(), "req-1")).ok());
  auto other = hirs::testing::ValidReport();
  other.set_description("a different report");
  auto result = intake_->Submit("centre-a", Request(other, "req-1"));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("req-1"));
  EXPECT_EQ(Count(storage::Family::kReports), 1u);
}

TEST_F(IntakeTest, RequestIdsArePerPrincipal) {
  auto a = intake_->Submit("centre-a", Request(hirs::testing::ValidReport(), "req-1"));
  auto other = hirs::testing::ValidReport();
  other.set_description("centre b's own report");
  auto b = intake_->Submit("centre-b", Request(other, "req-1"));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_NE(b->report_id, a->report_id);
  EXPECT_NE(b->collation, hirs::v1::ALREADY_RECEIVED);
}

TEST_F(IntakeTest, ByteIdenticalResubmissionWithoutKeyIsAlreadyReceived) {
  auto first = intake_->Submit("centre-a", Request(hirs::testing::ValidReport()));
  auto again = intake_->Submit("centre-a", Request(hirs::testing::ValidReport()));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->collation, hirs::v1::ALREADY_RECEIVED);
  EXPECT_EQ(again->report_id, first->report_id);
  // The same bytes from another centre are that centre's own report.
  auto other_centre = intake_->Submit("centre-b", Request(hirs::testing::ValidReport()));
  EXPECT_EQ(other_centre->collation, hirs::v1::ATTACHED_TO_CASE);
  EXPECT_EQ(Count(storage::Family::kReports), 2u);
}

TEST_F(IntakeTest, InvalidReportNamesEveryBadFieldAndStoresNothing) {
  auto report = hirs::testing::ValidReport();
  report.clear_motivations();
  report.mutable_location()->set_postcode("nonsense");
  auto result = intake_->Submit("centre-a", Request(report, "req-1"));
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& v : FieldViolationsOf(result.status())) fields.push_back(v.field);
  EXPECT_THAT(fields, ::testing::UnorderedElementsAre("report.motivations", "report.location.postcode"));
  for (auto family : {storage::Family::kReports, storage::Family::kCases, storage::Family::kRequests,
                      storage::Family::kFingerprints, storage::Family::kIndexes, storage::Family::kChanges}) {
    EXPECT_EQ(Count(family), 0u) << storage::FamilyName(family);
  }
}

TEST_F(IntakeTest, UnknownPostcodeIsAcceptedAndFlaggedOnTheCase) {
  auto report = hirs::testing::ValidReport();
  report.mutable_location()->set_postcode("SW1A 1AA");
  auto result = intake_->Submit("centre-a", Request(report));
  ASSERT_TRUE(result.ok()) << result.status();
  const auto c = Case(result->case_id);
  EXPECT_EQ(c.case_().district_code(), "");
  EXPECT_THAT(c.case_().flags(), ::testing::ElementsAre(hirs::v1::DISTRICT_UNRESOLVED));
}

TEST_F(IntakeTest, ConcurrentReportsOfOneIncidentMakeExactlyOneCase) {
  constexpr int kThreads = 32;
  std::vector<std::string> case_ids(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto report = hirs::testing::ValidReport();
      report.set_source_reference(absl::StrCat("witness-", i));  // distinct reports, one incident
      auto result = intake_->Submit("centre-a", Request(report));
      ASSERT_TRUE(result.ok()) << result.status();
      case_ids[i] = result->case_id;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& id : case_ids) EXPECT_EQ(id, case_ids[0]);
  EXPECT_EQ(Count(storage::Family::kCases), 1u);
  EXPECT_EQ(Case(case_ids[0]).case_().report_count(), kThreads);
}

TEST_F(IntakeTest, EveryOutputOnlyFieldACallerSetsIsIgnored) {
  hirs::v1::Report forged = hirs::testing::ValidReport();
  const auto paths = hirs::testing::ForgeOutputOnlyFields(&forged);
  // report_id, reporting_centre, received_at, personal_data_removed_at, and
  // whatever is annotated later.
  ASSERT_GE(paths.size(), 4u);
  auto result = intake_->Submit("centre-a", Request(forged));
  ASSERT_TRUE(result.ok()) << result.status();
  auto stored = reports_->GetReport("centre-a", result->report_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_THAT(hirs::testing::KeptForgedFields(forged, *stored, paths), ::testing::IsEmpty());
  EXPECT_FALSE(stored->has_personal_data_removed_at());
  // What was kept is the report as if they had not been sent.
  auto plain = intake_->Submit("centre-a", Request(hirs::testing::ValidReport()));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->collation, hirs::v1::ALREADY_RECEIVED);
}

TEST_F(IntakeTest, CentreCannotReadAnotherCentresReport) {
  auto result = intake_->Submit("centre-a", Request(hirs::testing::ValidReport()));
  EXPECT_TRUE(reports_->GetReport("centre-a", result->report_id).ok());
  EXPECT_EQ(reports_->GetReport("centre-b", result->report_id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(reports_->GetReport("centre-a", "rpt_00000000000000000000000000").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(reports_->GetReport("centre-a", "not-an-id").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(IntakeTest, CentreReportsACentreListsItsOwnReportsNewestFirstPageByPage) {
  const auto mine = SubmitDistinct(0, 7, "centre-a");
  SubmitDistinct(100, 3, "centre-b");
  hirs::v1::ListReportsRequest request;
  request.set_page_size(3);
  int pages = 0;
  EXPECT_EQ(AllIds(request, "centre-a", &pages), Reversed(mine));
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(AllIds(request, "centre-b").size(), 3u);
  EXPECT_TRUE(AllIds(request, "centre-c").empty());
  // A page exactly full at the end has no next page.
  request.set_page_size(7);
  auto page = reports_->ListReports("centre-a", "centre-a", request);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->reports_size(), 7);
  EXPECT_EQ(page->next_page_token(), "");
}

TEST_F(IntakeTest, CentreReportsEachReportCarriesItsCasePoliceStatusAndCrimeReference) {
  const SubmitResult a = SubmitFrom("centre-a", hirs::testing::DistinctReport(1, absl::Now()));
  // Another centre's report of the same incident joins the case; it must
  // not appear in centre-a's list, nor anything of it.
  hirs::v1::Report same = hirs::testing::DistinctReport(1, absl::Now());
  same.set_source_reference("THEIRS-1");
  const SubmitResult b = SubmitFrom("centre-b", same);
  ASSERT_EQ(b.case_id, a.case_id);
  SetStatus(a.case_id, hirs::v1::CRIME_RECORDED, "LE/1234/26");

  auto page = reports_->ListReports("centre-a", "centre-a", hirs::v1::ListReportsRequest());
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->reports_size(), 1);
  const hirs::v1::Report& r = page->reports(0);
  EXPECT_EQ(r.report_id(), a.report_id);
  EXPECT_EQ(r.progress().case_id(), a.case_id);
  EXPECT_EQ(r.progress().case_status(), hirs::v1::CRIME_RECORDED);
  EXPECT_EQ(r.progress().crime_reference(), "LE/1234/26");
  EXPECT_GT(ToAbslTime(r.progress().updated_at()), ToAbslTime(r.received_at()));
  EXPECT_EQ(page->DebugString().find("THEIRS-1"), std::string::npos);

  auto one = reports_->GetReport("centre-a", a.report_id);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->progress().case_status(), hirs::v1::CRIME_RECORDED);
  EXPECT_EQ(reports_->GetReport("centre-b", a.report_id).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(IntakeTest, CentreReportsFiltersOnReceivedTimeMotivationAndCaseStatus) {
  const auto early = SubmitDistinct(0, 3, "centre-a");  // motivations RACE, DISABILITY, DISABILITY
  absl::SleepFor(absl::Milliseconds(5));
  const absl::Time between = absl::Now();
  absl::SleepFor(absl::Milliseconds(5));
  const auto late = SubmitDistinct(3, 3, "centre-a");  // RACE, DISABILITY, DISABILITY
  auto c = reports_->GetReport("centre-a", late[0]);
  ASSERT_TRUE(c.ok());
  SetStatus(c->progress().case_id(), hirs::v1::UNDER_INVESTIGATION, "");

  hirs::v1::ListReportsRequest request;
  request.set_filter(
      absl::StrCat("received_at > \"", absl::FormatTime(absl::RFC3339_full, between, absl::UTCTimeZone()), "\""));
  EXPECT_EQ(AllIds(request), Reversed(late));
  request.set_filter("motivation = RACE");
  EXPECT_EQ(AllIds(request), (std::vector<std::string>{late[0], early[0]}));
  request.set_filter("status = UNDER_INVESTIGATION");
  EXPECT_EQ(AllIds(request), (std::vector<std::string>{late[0]}));
  request.set_filter("case_status != UNDER_INVESTIGATION AND motivation: DISABILITY");
  EXPECT_EQ(AllIds(request), (std::vector<std::string>{late[2], late[1], early[2], early[1]}));
}

TEST_F(IntakeTest, CentreReportsUpdatedSinceKeepsOnlyReportsWhoseReportOrCaseChangedAfterIt) {
  const auto ids = SubmitDistinct(0, 4, "centre-a");
  absl::SleepFor(absl::Milliseconds(5));
  const absl::Time poll = absl::Now();
  hirs::v1::ListReportsRequest request;
  *request.mutable_updated_since() = ToTimestamp(poll);
  EXPECT_TRUE(AllIds(request).empty());
  auto r = reports_->GetReport("centre-a", ids[1]);
  ASSERT_TRUE(r.ok());
  SetStatus(r->progress().case_id(), hirs::v1::NO_FURTHER_ACTION, "");
  const auto fresh = SubmitDistinct(10, 1, "centre-a");
  EXPECT_EQ(AllIds(request), (std::vector<std::string>{fresh[0], ids[1]}));
}

TEST_F(IntakeTest, CentreReportsBadRequestsNameEveryFieldAtFault) {
  hirs::v1::ListReportsRequest request;
  request.set_filter("district_code = \"E07000130\"");  // a field of cases, not of reports
  request.set_page_size(-1);
  request.set_page_token("forged");
  request.mutable_updated_since()->set_nanos(-1);
  auto page = reports_->ListReports("centre-a", "centre-a", request);
  ASSERT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& v : FieldViolationsOf(page.status())) fields.push_back(v.field);
  EXPECT_THAT(fields, ElementsAre("page_size", "page_token", "filter", "updated_since"));
  EXPECT_THAT(std::string(page.status().message()), HasSubstr("received_at"));
}

TEST_F(IntakeTest, CentreReportsAPageTokenServesOnlyItsCallerAndFilter) {
  SubmitDistinct(0, 3, "centre-a");
  hirs::v1::ListReportsRequest request;
  request.set_page_size(1);
  auto first = reports_->ListReports("centre-a", "centre-a", request);
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->next_page_token().empty());
  request.set_page_token(first->next_page_token());
  EXPECT_TRUE(reports_->ListReports("centre-a", "centre-a", request).ok());
  EXPECT_EQ(reports_->ListReports("centre-b", "centre-b", request).status().code(), absl::StatusCode::kInvalidArgument);
  request.set_filter("motivation = RACE");
  EXPECT_EQ(reports_->ListReports("centre-a", "centre-a", request).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(IntakeTest, CentreReportsTheMigrationIndexesReportsAndChangesStoredBeforeTheIndexes) {
  const auto ids = SubmitDistinct(0, 3, "centre-a");
  const std::string case_id = reports_->GetReport("centre-a", ids[0]).value().progress().case_id();
  hirs::v1::ListCaseEventsRequest history;
  history.set_case_id(case_id);
  const auth::Principal police{"police", hirs::v1::POLICE, "E23000021"};
  ASSERT_EQ(cases_->ListCaseEvents(police, history).value().events_size(), 1);
  storage::WriteBatch batch;  // the store as schema 4 left it
  for (const auto& id : ids) batch.Delete(storage::Family::kCentreReports, storage::CentreReportKey("centre-a", id));
  for (uint64_t sequence = 1; sequence <= store_->LastVisibleChange(); ++sequence) {
    batch.Delete(storage::Family::kCaseChanges, storage::CaseChangeKey(case_id, sequence));
  }
  batch.Put(storage::Family::kMeta, storage::kSchemaVersionKey, "4");
  ASSERT_TRUE(store_->Write(std::move(batch)).ok());
  EXPECT_TRUE(AllIds(hirs::v1::ListReportsRequest()).empty());
  EXPECT_EQ(cases_->ListCaseEvents(police, history).value().events_size(), 0);
  ASSERT_TRUE(records::Migrate(store_.get(), absl::Now()).ok());
  EXPECT_THAT(AllIds(hirs::v1::ListReportsRequest()), ElementsAreArray(Reversed(ids)));
  EXPECT_EQ(cases_->ListCaseEvents(police, history).value().events_size(), 1);
  EXPECT_EQ(store_->Get(storage::Family::kMeta, storage::kSchemaVersionKey).value(),
            std::optional<std::string>(absl::StrCat(storage::kSchemaVersion)));
}

TEST_F(IntakeTest, CentreReportsTheMigrationIndexesReportsByCentreAndCaseForWatches) {
  const auto ids = SubmitDistinct(0, 2, "centre-a");
  const std::string case_id = reports_->GetReport("centre-a", ids[0]).value().progress().case_id();
  hirs::v1::CaseEvent updated;  // a change of the case naming no report: found through kCentreCases
  updated.set_cursor(7);
  updated.set_kind(hirs::v1::CaseEvent::CASE_UPDATED);
  updated.set_case_id(case_id);
  const query::Filter all = query::Filter::Parse("", query::FilterSubject::kReports).value();
  auto sent = [&] {
    std::vector<std::string> out;
    const std::vector<hirs::v1::ReportChange> changes = reports_->Changes("centre-a", all, {updated}).value();
    for (const auto& change : changes) {
      for (const auto& r : change.reports()) out.push_back(r.report_id());
    }
    return out;
  };
  ASSERT_THAT(sent(), ElementsAre(ids[0]));
  EXPECT_TRUE(reports_->Changes("centre-b", all, {updated}).value().empty()) << "another centre's report";
  storage::WriteBatch batch;  // the store as schema 5 left it
  for (const auto& id : ids) {
    const std::string in = reports_->GetReport("centre-a", id).value().progress().case_id();
    batch.Delete(storage::Family::kCentreCases, storage::CentreCaseReportKey("centre-a", in, id));
  }
  batch.Put(storage::Family::kMeta, storage::kSchemaVersionKey, "5");
  ASSERT_TRUE(store_->Write(std::move(batch)).ok());
  EXPECT_TRUE(sent().empty());
  ASSERT_TRUE(records::Migrate(store_.get(), absl::Now()).ok());
  EXPECT_THAT(sent(), ElementsAre(ids[0]));
  EXPECT_EQ(store_->Get(storage::Family::kMeta, storage::kSchemaVersionKey).value(),
            std::optional<std::string>(absl::StrCat(storage::kSchemaVersion)));
}

}  // namespace
}  // namespace hirs::intake
