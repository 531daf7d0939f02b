// Comparators, features and the Fellegi-Sunter model: known pairs give the
// expected levels and weights.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/collation/comparators.h"
#include "services/collation/features.h"
#include "services/collation/model.h"

namespace hirs::collation {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;

TEST(JaroWinkler, MatchesPublishedValues) {
  // Winkler (1990) / Cohen et al. examples.
  EXPECT_THAT(JaroWinkler("martha", "marhta"), DoubleNear(0.961, 0.001));
  EXPECT_THAT(JaroWinkler("dwayne", "duane"), DoubleNear(0.840, 0.001));
  EXPECT_THAT(JaroWinkler("dixon", "dicksonx"), DoubleNear(0.813, 0.001));
  EXPECT_EQ(JaroWinkler("same", "same"), 1.0);
  EXPECT_EQ(JaroWinkler("", "x"), 0.0);
  EXPECT_EQ(JaroWinkler("abc", "xyz"), 0.0);
}

TEST(WithinOneEdit, SubstitutionInsertionDeletionTransposition) {
  EXPECT_TRUE(WithinOneEdit("7364009", "7364009"));
  EXPECT_TRUE(WithinOneEdit("7364009", "7364008"));   // substitution
  EXPECT_TRUE(WithinOneEdit("7364009", "736409"));    // deletion
  EXPECT_TRUE(WithinOneEdit("736409", "7364009"));    // insertion
  EXPECT_TRUE(WithinOneEdit("7364009", "7346009"));   // transposition
  EXPECT_FALSE(WithinOneEdit("7364009", "7346008"));  // two edits
  EXPECT_FALSE(WithinOneEdit("12", "1234"));
}

TEST(Soundex, MatchesTheAmericanRules) {
  EXPECT_EQ(Soundex("Robert"), "R163");
  EXPECT_EQ(Soundex("Rupert"), "R163");
  EXPECT_EQ(Soundex("Rubin"), "R150");
  EXPECT_EQ(Soundex("Ashcraft"), "A261");  // H does not separate S and C
  EXPECT_EQ(Soundex("Tymczak"), "T522");
  EXPECT_EQ(Soundex("Pfister"), "P236");
  EXPECT_EQ(Soundex("Lee"), "L000");
  EXPECT_EQ(Soundex("1234"), "");
}

TEST(BigramSimilarity, RobustToSmallTypos) {
  EXPECT_EQ(BigramSimilarity("tullaroop street", "tullaroop street"), 1.0);
  EXPECT_GT(BigramSimilarity("tullaroop street", "tullarop street"), 0.85);
  EXPECT_LT(BigramSimilarity("tullaroop street", "giblin street"), 0.6);
}

TEST(MinHash, EstimatesJaccardAndIsStable) {
  std::vector<std::string> a, b;
  for (int i = 0; i < 40; ++i) a.push_back("word" + std::to_string(i));
  for (int i = 20; i < 60; ++i) b.push_back("word" + std::to_string(i));  // Jaccard 20/60 = 0.33
  const auto sa = MinHash(a, 256);
  const auto sb = MinHash(b, 256);
  EXPECT_THAT(MinHashSimilarity(sa, sb), DoubleNear(0.333, 0.08));
  EXPECT_EQ(MinHashSimilarity(sa, sa), 1.0);
  EXPECT_EQ(MinHash(a, 8), MinHash(a, 8));              // deterministic: values are stored
  EXPECT_EQ(StableHash("abc"), 0xe71fa2190541574bull);  // FNV-1a 64 reference value
}

TEST(Features, ContentWordsDropFunctionWordsAndShortWords) {
  EXPECT_THAT(ContentWords("They SHOUTED at me near the Bus Stop, shouted again!"),
              ElementsAre("again", "bus", "shouted", "stop"));
}

TEST(Features, NameSplitsIntoGivenAndSurname) {
  std::string given, surname;
  SplitName("mary jane watson", &given, &surname);
  EXPECT_EQ(given, "mary");
  EXPECT_EQ(surname, "watson");
  SplitName("patel", &given, &surname);
  EXPECT_EQ(given, "");
  EXPECT_EQ(surname, "patel");
}

hirs::store::v1::MatchFeatures Person(const std::string& given, const std::string& surname, const std::string& dob) {
  hirs::store::v1::MatchFeatures f;
  f.set_given_name(given);
  f.set_surname(surname);
  f.set_date_of_birth(dob);
  return f;
}

int Level(const LevelVector& v, Field f) { return v[static_cast<int>(f)]; }

TEST(Compare, NameLevelsAndSwappedNames) {
  auto a = Person("aisha", "patel", "19900412");
  EXPECT_EQ(Level(Compare(a, Person("aisha", "patel", "")), Field::kGivenName), 0);
  EXPECT_EQ(Level(Compare(a, Person("aisha", "patell", "")), Field::kSurname), 1);  // JW >= 0.92
  EXPECT_EQ(Level(Compare(a, Person("aisha", "khan", "")), Field::kSurname), 3);    // disagree
  const LevelVector swapped = Compare(a, Person("patel", "aisha", ""));
  EXPECT_EQ(Level(swapped, Field::kGivenName), 0);
  EXPECT_EQ(Level(swapped, Field::kSurname), 0);
  EXPECT_EQ(Level(Compare(a, Person("", "", "")), Field::kGivenName), kMissing);
}

TEST(Compare, DateOfBirthLevels) {
  auto a = Person("", "", "19900412");
  EXPECT_EQ(Level(Compare(a, Person("", "", "19900412")), Field::kDateOfBirth), 0);
  EXPECT_EQ(Level(Compare(a, Person("", "", "19901204")), Field::kDateOfBirth), 1);  // day and month swapped
  EXPECT_EQ(Level(Compare(a, Person("", "", "19900413")), Field::kDateOfBirth), 1);  // one typing error
  EXPECT_EQ(Level(Compare(a, Person("", "", "19851130")), Field::kDateOfBirth), 2);
}

hirs::store::v1::MatchFeatures Event(int64_t start, const std::string& postcode, const std::string& sector,
                                     const std::string& outward, const std::string& district) {
  hirs::store::v1::MatchFeatures f;
  f.set_occurred_start(start);
  f.set_occurred_end(start);
  f.set_postcode(postcode);
  f.set_postcode_sector(sector);
  f.set_postcode_outward(outward);
  f.set_district_code(district);
  return f;
}

TEST(Compare, TimeGapLevels) {
  const auto a = Event(100000, "", "", "", "");
  const std::vector<std::pair<int64_t, int>> gaps = {{20 * 60, 0},   {50 * 60, 1},   {90 * 60, 2},  {3 * 3600, 3},
                                                     {20 * 3600, 4}, {50 * 3600, 5}, {80 * 3600, 6}};
  for (const auto& [gap, level] : gaps) {
    EXPECT_EQ(Level(Compare(a, Event(100000 + gap, "", "", "", "")), Field::kTime), level) << gap;
  }
  EXPECT_EQ(kTimeBeyond72h, 6);
}

TEST(Compare, PlaceLevelsFromUnitToDistrict) {
  const auto a = Event(1, "LE11 3AB", "LE11 3", "LE11", "E07000130");
  EXPECT_EQ(Level(Compare(a, Event(1, "LE11 3AB", "LE11 3", "LE11", "E07000130")), Field::kPlace), 0);
  EXPECT_EQ(Level(Compare(a, Event(1, "", "LE11 3", "LE11", "E07000130")), Field::kPlace), 1);
  EXPECT_EQ(Level(Compare(a, Event(1, "", "", "LE11", "E07000130")), Field::kPlace), 2);
  EXPECT_EQ(Level(Compare(a, Event(1, "LE12 9AA", "LE12 9", "LE12", "E07000130")), Field::kPlace), 3);
  EXPECT_EQ(Level(Compare(a, Event(1, "LE1 5AB", "LE1 5", "LE1", "E06000016")), Field::kPlace), 4);
  EXPECT_EQ(Level(Compare(a, Event(1, "", "", "", "")), Field::kPlace), kMissing);
}

TEST(MatchModel, WeightsAreLogLikelihoodRatios) {
  const MatchModel model = MatchModel::Default();
  for (int f = 0; f < kFieldCount; ++f) {
    const auto& levels = model.levels(static_cast<Field>(f));
    ASSERT_FALSE(levels.empty()) << FieldName(static_cast<Field>(f));
    double m = 0, u = 0;
    for (const auto& l : levels) {
      m += l.m;
      u += l.u;
    }
    EXPECT_NEAR(m, 1.0, 0.01) << FieldName(static_cast<Field>(f));
    EXPECT_NEAR(u, 1.0, 0.01) << FieldName(static_cast<Field>(f));
    // Best level supports a match, worst opposes it.
    EXPECT_GT(model.Weight(static_cast<Field>(f), 0), 0) << FieldName(static_cast<Field>(f));
    EXPECT_LT(model.Weight(static_cast<Field>(f), static_cast<int>(levels.size()) - 1), 0);
  }
}

TEST(MatchModel, ScoreSumsIdentityAndIncidentApartAndSkipsMissing) {
  const MatchModel model = MatchModel::Default();
  LevelVector v;
  v.fill(kMissing);
  v[static_cast<int>(Field::kDateOfBirth)] = 0;
  v[static_cast<int>(Field::kTime)] = 0;
  const PairScore s = model.Score(v, TermFrequencies());
  EXPECT_DOUBLE_EQ(s.identity, model.Weight(Field::kDateOfBirth, 0));
  EXPECT_DOUBLE_EQ(s.incident, model.Weight(Field::kTime, 0));
  EXPECT_EQ(s.weights[static_cast<int>(Field::kPlace)], 0.0);
}

TEST(MatchModel, CommonSurnamesWeighLessThanRareOnes) {
  const MatchModel model = MatchModel::Default();
  LevelVector v;
  v.fill(kMissing);
  v[static_cast<int>(Field::kSurname)] = 0;
  TermFrequencies common, rare;
  common.surname = 0.08;  // like Patel in Leicester
  rare.surname = 0.0002;
  const double w_common = model.Score(v, common).identity;
  const double w_rare = model.Score(v, rare).identity;
  const double w_plain = model.Score(v, TermFrequencies()).identity;
  EXPECT_LT(w_common, w_plain);
  EXPECT_GT(w_rare, w_plain);
  EXPECT_LE(w_rare - w_plain, 3.0 + 1e-9);  // bounded
}

TEST(MatchModel, AgreementAtABusyPostcodeWeighsLess) {
  const MatchModel model = MatchModel::Default();
  LevelVector v;
  v.fill(kMissing);
  v[static_cast<int>(Field::kPlace)] = 0;  // same postcode
  TermFrequencies busy, quiet;
  busy.location_postcode = 0.01;  // 1% of all reports: a hotspot
  quiet.location_postcode = 0.0001;
  EXPECT_LT(model.Score(v, busy).incident, model.Score(v, TermFrequencies()).incident);
  EXPECT_GT(model.Score(v, quiet).incident, model.Score(v, TermFrequencies()).incident);
  // Only exact agreement is adjusted.
  v[static_cast<int>(Field::kPlace)] = 1;
  EXPECT_EQ(model.Score(v, busy).incident, model.Score(v, TermFrequencies()).incident);
}

TEST(MatchModel, LabelledAndEmEstimatesSeparateMatchesFromNonMatches) {
  // Matches agree on dob and time; non-matches disagree, with some noise.
  std::vector<LevelVector> pairs;
  std::vector<bool> labels;
  for (int i = 0; i < 2000; ++i) {
    LevelVector v;
    v.fill(kMissing);
    const bool match = i % 5 == 0;
    v[static_cast<int>(Field::kDateOfBirth)] = match ? (i % 50 == 0 ? 2 : 0) : (i % 37 == 0 ? 0 : 2);
    v[static_cast<int>(Field::kTime)] = match ? 0 : (i % 23 == 0 ? 0 : 6);
    pairs.push_back(v);
    labels.push_back(match);
  }
  const MatchModel base = MatchModel::Default();
  const MatchModel labelled = base.FromLabelled(pairs, labels);
  EXPECT_GT(labelled.Weight(Field::kDateOfBirth, 0), 3);
  EXPECT_LT(labelled.Weight(Field::kDateOfBirth, 2), -3);
  double share = 0;
  const MatchModel em = base.Estimate(pairs, 30, &share);
  EXPECT_NEAR(share, 0.2, 0.05);
  EXPECT_GT(em.Weight(Field::kTime, 0), 3);
  EXPECT_LT(em.Weight(Field::kTime, 6), -3);
}

}  // namespace
}  // namespace hirs::collation
