#include "services/collation/exact_collator.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/intake/normalise.h"
#include "storage/keys.h"
#include "tests/support/test_support.h"

namespace hirs::collation {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

class ExactCollatorTest : public ::testing::Test {
 protected:
  ExactCollatorTest() : hasher_(std::string(32, 'k')), collator_(&hasher_) {
    storage::StoreOptions options;
    options.path = dir_.path();
    store_ = std::move(storage::Store::Open(options)).value();
    router_ = intake::DistrictRouter::LeicestershireDefault();
  }

  std::vector<std::string> Kinds(const hirs::v1::Report& r) {
    auto n = intake::Normalise(r, *router_);
    std::vector<std::string> kinds;
    for (const auto& fp : collator_.Plan({&r, &n}).fingerprints) kinds.push_back(fp.kind);
    return kinds;
  }

  // Stores `r`'s fingerprints under `case_id`, as intake would.
  void Place(const hirs::v1::Report& r, const std::string& case_id) {
    auto n = intake::Normalise(r, *router_);
    storage::WriteBatch batch;
    for (const auto& fp : collator_.Plan({&r, &n}).fingerprints) {
      batch.Put(storage::Family::kFingerprints, storage::FingerprintKey(fp.value, case_id), "rpt");
    }
    ASSERT_TRUE(store_->Write(std::move(batch)).ok());
  }

  Decision Decide(const hirs::v1::Report& r) {
    auto n = intake::Normalise(r, *router_);
    CollationInput input{&r, &n};
    return collator_.Decide(input, collator_.Plan(input), *store_).value();
  }

  hirs::testing::TempDir dir_;
  KeyedHasher hasher_;
  ExactCollator collator_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<intake::DistrictRouter> router_;
};

TEST_F(ExactCollatorTest, DerivesTheThreeFingerprintKinds) {
  auto r = hirs::testing::ValidReport();
  r.set_crime_reference("LE/1/26");
  r.add_motivations(hirs::v1::RELIGION_OR_BELIEF);
  EXPECT_THAT(Kinds(r), ElementsAre("crime_reference", "victim_identity_day", "place_day_motivation",
                                    "place_day_motivation"));
}

TEST_F(ExactCollatorTest, NoIdentityFingerprintWithoutNameAndBirthDate) {
  auto r = hirs::testing::ValidReport();
  r.mutable_victim()->clear_date_of_birth();
  EXPECT_THAT(Kinds(r), ElementsAre("place_day_motivation"));
}

TEST_F(ExactCollatorTest, FingerprintsAreKeyedAndNormalised) {
  auto a = hirs::testing::ValidReport();
  auto b = a;
  b.mutable_location()->set_postcode("le113ab");
  b.mutable_victim()->set_full_name("  TEST   victim ");
  auto na = intake::Normalise(a, *router_);
  auto nb = intake::Normalise(b, *router_);
  auto pa = collator_.Plan({&a, &na});
  auto pb = collator_.Plan({&b, &nb});
  ASSERT_EQ(pa.fingerprints.size(), pb.fingerprints.size());
  for (size_t i = 0; i < pa.fingerprints.size(); ++i) {
    EXPECT_EQ(pa.fingerprints[i].value, pb.fingerprints[i].value);
    EXPECT_EQ(pa.fingerprints[i].value.size(), storage::kFingerprintBytes);
  }
  KeyedHasher other_key(std::string(32, 'o'));
  ExactCollator other(&other_key);
  EXPECT_NE(other.Plan({&a, &na}).fingerprints[0].value, pa.fingerprints[0].value);
}

TEST_F(ExactCollatorTest, NoCandidateMeansNewCase) {
  const Decision d = Decide(hirs::testing::ValidReport());
  EXPECT_EQ(d.outcome, hirs::v1::NEW_CASE);
  EXPECT_EQ(d.case_id, "");
}

TEST_F(ExactCollatorTest, SharedPlaceDayAndMotivationAttaches) {
  auto first = hirs::testing::ValidReport();
  Place(first, "case_A");
  auto witness = first;
  witness.clear_victim();
  witness.set_reporter_role(hirs::v1::WITNESS);
  const Decision d = Decide(witness);
  EXPECT_EQ(d.outcome, hirs::v1::ATTACHED_TO_CASE);
  EXPECT_EQ(d.case_id, "case_A");
  EXPECT_THAT(d.explanation.matched_fingerprints(), ElementsAre("place_day_motivation"));
}

TEST_F(ExactCollatorTest, DifferentDayOrPlaceStartsANewCase) {
  auto first = hirs::testing::ValidReport();
  first.clear_victim();
  Place(first, "case_A");
  auto next_day = first;
  next_day.mutable_occurred_start()->set_seconds(first.occurred_start().seconds() + 86400);
  EXPECT_EQ(Decide(next_day).outcome, hirs::v1::NEW_CASE);
  auto elsewhere = first;
  elsewhere.mutable_location()->set_postcode("LE1 5AB");
  EXPECT_EQ(Decide(elsewhere).outcome, hirs::v1::NEW_CASE);
}

TEST_F(ExactCollatorTest, StrongestEvidenceWinsBetweenCandidates) {
  auto a = hirs::testing::ValidReport();
  a.clear_victim();
  Place(a, "case_place");  // shares only place+day+motivation
  auto b = hirs::testing::ValidReport();
  b.mutable_location()->set_postcode("LE1 5AB");
  b.set_crime_reference("LE/99/26");
  Place(b, "case_crime");  // shares the crime reference
  auto report = hirs::testing::ValidReport();
  report.clear_victim();
  report.set_crime_reference("le/99/26");
  const Decision d = Decide(report);
  EXPECT_EQ(d.case_id, "case_crime");
  EXPECT_THAT(d.explanation.candidate_case_ids(), UnorderedElementsAre("case_place", "case_crime"));
  EXPECT_DOUBLE_EQ(d.score, ExactCollator::Weight("crime_reference"));
}

TEST_F(ExactCollatorTest, CandidatesPerFingerprintAreCapped) {
  auto r = hirs::testing::ValidReport();
  r.clear_victim();
  for (size_t i = 0; i < ExactCollator::kMaxCasesPerFingerprint + 10; ++i) {
    Place(r, absl::StrCat("case_", absl::Dec(i, absl::kZeroPad4)));
  }
  const Decision d = Decide(r);
  EXPECT_EQ(static_cast<size_t>(d.explanation.candidate_case_ids_size()), ExactCollator::kMaxCasesPerFingerprint);
  EXPECT_EQ(d.case_id, "case_0000");  // ties go to the oldest id
}

}  // namespace
}  // namespace hirs::collation
