// Collation decisions through the real Intake and RocksDB: duplicates join,
// repeat victims and hotspots stay separate, bridges and uncertain matches
// go to review, and every decision keeps its explanation.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hirs/v1/case_service.pb.h"
#include "services/collation/case_aggregate.h"
#include "services/collation/probabilistic_collator.h"
#include "services/intake/intake.h"
#include "tests/support/domain_support.h"

namespace hirs::collation {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class MatcherTest : public ::testing::Test {
 protected:
  MatcherTest() : hasher_(std::string(32, 'k')), collator_(&hasher_, MatchModel::Default(), MatcherOptions()) {
    storage::StoreOptions options;
    options.path = dir_.path();
    options.sync_writes = false;
    store_ = std::move(storage::Store::Open(options)).value();
    router_ = intake::DistrictRouter::LeicestershireDefault();
    intake_ = std::make_unique<intake::Intake>(store_.get(), &locks_, &collator_, router_.get(), &hasher_,
                                               [] { return hirs::testing::kTestNow; });
  }

  intake::SubmitResult Submit(const std::string& centre, const hirs::v1::Report& report) {
    auto result = intake_->Submit(centre, hirs::testing::Request(report));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(intake::SubmitResult());
  }

  hirs::v1::Case Case(const std::string& id) {
    return storage::ReadProto<hirs::store::v1::StoredCase>(*store_, storage::Family::kCases, id)->value().case_();
  }

  std::vector<hirs::v1::ReviewItem> ReviewItems() {
    std::vector<hirs::v1::ReviewItem> items;
    EXPECT_TRUE(store_
                    ->Scan(storage::Family::kReview, "", 0,
                           [&](absl::string_view, absl::string_view v) {
                             items.emplace_back();
                             return items.back().ParseFromString(std::string(v));
                           })
                    .ok());
    return items;
  }

  // The victim's own report: ValidReport with a place description.
  static hirs::v1::Report VictimReport() {
    auto r = hirs::testing::ValidReport();
    r.mutable_location()->set_description("outside the library");
    r.set_description("Two men shouted racist abuse at me outside the library, one wore a red football shirt.");
    return r;
  }

  // A witness account of the same incident, told a little differently.
  static hirs::v1::Report WitnessReport() {
    auto r = VictimReport();
    r.set_reporter_role(hirs::v1::WITNESS);
    r.clear_victim();
    r.mutable_occurred_start()->set_seconds(r.occurred_start().seconds() + 20 * 60);
    r.mutable_location()->set_postcode("le113ab");
    r.mutable_location()->set_description("by the library");
    r.set_description("I saw two men in a red football shirt shouting racist abuse at a woman by the library.");
    return r;
  }

  hirs::testing::TempDir dir_;
  KeyedHasher hasher_;
  ProbabilisticCollator collator_;
  std::unique_ptr<storage::Store> store_;
  storage::CaseLocks locks_;
  std::unique_ptr<intake::DistrictRouter> router_;
  std::unique_ptr<intake::Intake> intake_;
};

TEST_F(MatcherTest, WitnessAccountFromAnotherCentreJoinsTheVictimsCase) {
  const auto first = Submit("centre-a", VictimReport());
  const auto second = Submit("centre-b", WitnessReport());
  EXPECT_EQ(second.collation, hirs::v1::ATTACHED_TO_CASE);
  EXPECT_EQ(second.case_id, first.case_id);
  const hirs::v1::Case c = Case(first.case_id);
  EXPECT_EQ(c.report_count(), 2);
  const auto members = ReadMembers(*store_, first.case_id).value();
  ASSERT_EQ(members.size(), 2u);
  const auto& why = members[1];
  EXPECT_EQ(why.outcome(), hirs::v1::ATTACHED_TO_CASE);
  EXPECT_GT(why.score(), 8.0);
  std::vector<std::string> fields;
  for (const auto& cmp : why.comparisons()) fields.push_back(cmp.field());
  EXPECT_THAT(fields, Contains("time"));
  EXPECT_THAT(fields, Contains("place"));
  EXPECT_THAT(fields, ::testing::Not(Contains("surname")));  // the witness named nobody
  EXPECT_THAT(why.matched_fingerprints(), Contains("postcode_day"));
}

TEST_F(MatcherTest, RepeatVictimGetsANewCaseLinkedToTheEarlierOne) {
  const auto first = Submit("centre-a", VictimReport());
  auto later = VictimReport();  // same victim, same street, ten days later
  later.mutable_occurred_start()->set_seconds(later.occurred_start().seconds() - 10 * 86400);
  later.set_description("They threw eggs at my window again.");
  const auto second = Submit("centre-a", later);
  EXPECT_EQ(second.collation, hirs::v1::NEW_CASE);
  EXPECT_NE(second.case_id, first.case_id);
  const hirs::v1::Case c = Case(second.case_id);
  EXPECT_TRUE(c.repeat_victim());
  EXPECT_THAT(c.linked_case_ids(), ElementsAre(first.case_id));
}

TEST_F(MatcherTest, HotspotIncidentWithAnotherVictimStaysSeparate) {
  const auto first = Submit("centre-a", VictimReport());
  auto other = VictimReport();  // same street, same day, five hours later, another person
  other.mutable_occurred_start()->set_seconds(other.occurred_start().seconds() + 5 * 3600);
  other.mutable_victim()->set_full_name("Kwame Mensah");
  other.mutable_victim()->set_date_of_birth("1995-03-02");
  other.set_description("A man spat at me and called me names outside the library.");
  const auto second = Submit("centre-b", other);
  EXPECT_EQ(second.collation, hirs::v1::NEW_CASE);
  EXPECT_NE(second.case_id, first.case_id);
  EXPECT_FALSE(Case(second.case_id).repeat_victim());
}

TEST_F(MatcherTest, AReportMatchingTwoCasesGoesToReviewAndMergesNothing) {
  const auto a = Submit("centre-a", VictimReport());
  auto b_report = VictimReport();  // another victim at the same place and time: a separate case
  b_report.mutable_occurred_start()->set_seconds(b_report.occurred_start().seconds() + 10 * 60);
  b_report.mutable_victim()->set_full_name("Kwame Mensah");
  b_report.mutable_victim()->set_date_of_birth("1995-03-02");
  const auto b = Submit("centre-b", b_report);
  ASSERT_NE(a.case_id, b.case_id);
  const auto bridge = Submit("centre-c", WitnessReport());  // names nobody: fits both
  EXPECT_EQ(bridge.collation, hirs::v1::NEEDS_REVIEW);
  EXPECT_NE(bridge.case_id, a.case_id);
  EXPECT_NE(bridge.case_id, b.case_id);
  EXPECT_EQ(Case(a.case_id).report_count(), 1);
  EXPECT_EQ(Case(b.case_id).report_count(), 1);
  const auto items = ReviewItems();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].report_id(), bridge.report_id);
  EXPECT_EQ(items[0].case_id(), bridge.case_id);
  EXPECT_THAT(items[0].candidate_case_ids(), UnorderedElementsAre(a.case_id, b.case_id));
  EXPECT_EQ(items[0].explanation().outcome(), hirs::v1::NEEDS_REVIEW);
}

TEST_F(MatcherTest, UncertainMatchStartsItsOwnCaseWithAReviewItem) {
  const auto first = Submit("centre-a", VictimReport());
  auto vague = WitnessReport();  // only the sector, hours later, told differently
  vague.mutable_location()->set_postcode("LE11 3");
  vague.mutable_location()->set_description("town centre");
  vague.mutable_occurred_start()->set_seconds(vague.occurred_start().seconds() + 3 * 3600);
  vague.set_description("Somebody was harassed in town.");
  const auto second = Submit("centre-b", vague);
  EXPECT_EQ(second.collation, hirs::v1::NEEDS_REVIEW);
  EXPECT_NE(second.case_id, first.case_id);
  const auto items = ReviewItems();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_THAT(items[0].candidate_case_ids(), ElementsAre(first.case_id));
  EXPECT_GE(items[0].explanation().score(), 3.0);
  EXPECT_LT(items[0].explanation().score(), 8.0);
  // The explanation says what the score was held against.
  const MatcherOptions defaults;
  EXPECT_EQ(items[0].explanation().review_threshold(), defaults.review_threshold);
  EXPECT_TRUE(items[0].explanation().attach_threshold() == defaults.attach_threshold ||
              items[0].explanation().attach_threshold() == defaults.attach_threshold_without_identity);
  EXPECT_GT(items[0].explanation().attach_threshold(), items[0].explanation().score());
}

TEST_F(MatcherTest, SameCrimeReferenceIsTheSameIncidentEvenToldVeryDifferently) {
  auto police = VictimReport();
  police.set_crime_reference("LE/0012345/26");
  const auto first = Submit("centre-a", police);
  auto other = WitnessReport();
  other.set_crime_reference("le/0012345/26");
  other.mutable_location()->set_postcode("LE1 5AB");  // a different place, four days earlier
  other.mutable_occurred_start()->set_seconds(other.occurred_start().seconds() - 4 * 86400);
  const auto second = Submit("centre-b", other);
  EXPECT_EQ(second.collation, hirs::v1::ATTACHED_TO_CASE);
  EXPECT_EQ(second.case_id, first.case_id);
}

TEST_F(MatcherTest, IdenticalIncidentDaysApartIsNotTheSameIncident) {
  const auto first = Submit("centre-a", WitnessReport());
  auto later = WitnessReport();
  later.mutable_occurred_start()->set_seconds(later.occurred_start().seconds() - 5 * 86400);
  later.set_source_reference("another week");
  const auto second = Submit("centre-b", later);
  EXPECT_EQ(second.collation, hirs::v1::NEW_CASE);
}

TEST_F(MatcherTest, DifferentCrimeReferencesKeepCasesApart) {
  auto a = VictimReport();
  a.set_crime_reference("LE/1/26");
  const auto first = Submit("centre-a", a);
  auto b = WitnessReport();
  b.set_crime_reference("LE/2/26");
  const auto second = Submit("centre-b", b);
  EXPECT_EQ(second.collation, hirs::v1::NEEDS_REVIEW);  // a person decides
  EXPECT_NE(second.case_id, first.case_id);
}

TEST_F(MatcherTest, ACaseNamingAnotherVictimIsNeverJoinedAutomatically) {
  const auto a = Submit("centre-a", VictimReport());
  const auto witness = Submit("centre-b", WitnessReport());  // joins it, naming nobody
  ASSERT_EQ(witness.case_id, a.case_id);
  // A school's report of the same place and hour about another person: the
  // witness account fits it as well as the first case's, but the case's
  // victim is someone else.
  auto other = WitnessReport();
  other.set_reporter_role(hirs::v1::THIRD_PARTY);
  other.set_source_reference("school log 7");
  other.mutable_victim()->set_full_name("Kwame Mensah");
  other.mutable_victim()->set_date_of_birth("2011-03-02");
  const auto third = Submit("centre-c", other);
  EXPECT_EQ(third.collation, hirs::v1::NEEDS_REVIEW);
  EXPECT_NE(third.case_id, a.case_id);
  EXPECT_EQ(Case(a.case_id).report_count(), 2);
  const auto items = ReviewItems();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_THAT(items[0].candidate_case_ids(), Contains(a.case_id));
}

TEST_F(MatcherTest, AnIncidentAlreadyWaitingForReviewIsNotReviewedAgainForEachNewReport) {
  auto a_report = VictimReport();
  a_report.set_crime_reference("LE/1/26");
  const auto a = Submit("centre-a", a_report);
  auto disputed = WitnessReport();
  disputed.set_crime_reference("LE/2/26");  // police recorded another crime: a person decides
  const auto pending = Submit("centre-b", disputed);
  ASSERT_EQ(pending.collation, hirs::v1::NEEDS_REVIEW);
  // The same witness account again from another centre fits both cases; the
  // provisional one is the question already queued, so the report joins
  // the established case instead of queuing a second item.
  auto again = WitnessReport();
  again.set_source_reference("second centre's copy");
  const auto later = Submit("centre-c", again);
  EXPECT_EQ(later.collation, hirs::v1::ATTACHED_TO_CASE);
  EXPECT_EQ(later.case_id, a.case_id);
  EXPECT_EQ(ReviewItems().size(), 1u);
  EXPECT_EQ(Case(pending.case_id).report_count(), 1);
}

TEST_F(MatcherTest, TwoEstablishedCasesScoringAlikeSendTheReportToReview) {
  // Two different victims' incidents at one place within the hour; a report
  // naming nobody, a little closer to one of them but not clearly, is for a
  // person to place.
  const auto a = Submit("centre-a", VictimReport());
  auto b_report = VictimReport();
  b_report.mutable_occurred_start()->set_seconds(b_report.occurred_start().seconds() + 50 * 60);
  b_report.mutable_victim()->set_full_name("Kwame Mensah");
  b_report.mutable_victim()->set_date_of_birth("1995-03-02");
  b_report.set_description("A man in a red football shirt shouted abuse at me by the library.");
  const auto b = Submit("centre-b", b_report);
  ASSERT_NE(a.case_id, b.case_id);
  const auto unsure = Submit("centre-c", WitnessReport());
  EXPECT_EQ(unsure.collation, hirs::v1::NEEDS_REVIEW);
  EXPECT_EQ(Case(a.case_id).report_count(), 1);
  EXPECT_EQ(Case(b.case_id).report_count(), 1);
}

}  // namespace
}  // namespace hirs::collation
