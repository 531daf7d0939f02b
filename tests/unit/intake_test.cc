#include "services/intake/intake.h"

#include <thread>

#include "common/bad_request.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/collation/case_aggregate.h"
#include "services/collation/probabilistic_collator.h"
#include "storage/keys.h"
#include "tests/support/domain_support.h"

namespace hirs::intake {
namespace {

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

  hirs::testing::TempDir dir_;
  collation::KeyedHasher hasher_;
  collation::ProbabilisticCollator collator_;
  std::unique_ptr<storage::Store> store_;
  storage::CaseLocks locks_;
  std::unique_ptr<DistrictRouter> router_;
  std::unique_ptr<Intake> intake_;
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
  auto stored = intake_->GetReport("centre-a", result->report_id);
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
  auto stored = intake_->GetReport("centre-a", result->report_id);
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
  EXPECT_TRUE(intake_->GetReport("centre-a", result->report_id).ok());
  EXPECT_EQ(intake_->GetReport("centre-b", result->report_id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(intake_->GetReport("centre-a", "rpt_00000000000000000000000000").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(intake_->GetReport("centre-a", "not-an-id").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hirs::intake
