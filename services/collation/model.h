// The Fellegi-Sunter match model: which comparisons the matcher makes, their
// agreement levels, and for each level m = P(level | same) and
// u = P(level | different), whose log2 ratio is the level's weight. A pair's
// score is the sum of its comparisons' weights; missing values weigh 0.
//
// Two groups of fields: identity (who the victim is) and incident (what
// happened, when, where). Keeping the groups' sums apart lets the decision
// tell a repeat victim (identity agrees, incident does not) from a
// duplicate report of one incident.
//
// The default m/u values (MatchModel::Default) come from labelled candidate
// pairs of generated Leicestershire incidents (hirs-eval synthetic --seed=1
// --estimate; EM over the same pairs unlabelled agrees closely), with the m
// of every disagreement level floored at 0.01 (0.05 for descriptions) so
// that no single field can veto a match; fields the generator does not
// produce (address, online platform) keep reasoned values. u is the rate
// among *candidate* pairs (pairs that already share a blocking key), the
// population actually scored; that is why exact identity agreement is
// weaker evidence than in person matching: repeat victims are candidates
// too. Re-estimate from review decisions with FromLabelled.
#ifndef HIRS_SERVICES_COLLATION_MODEL_H_
#define HIRS_SERVICES_COLLATION_MODEL_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hirs/store/v1/records.pb.h"

namespace hirs::collation {

enum class Field : int {
  // Identity.
  kGivenName,
  kSurname,
  kDateOfBirth,
  kPhone,
  kEmail,
  kHomePostcode,
  kAddress,
  // Incident.
  kTime,
  kPlace,
  kPlatform,
  kPlaceType,
  kPlaceDescription,
  kMotivations,
  kIncidentTypes,
  kDescription,
  kCrimeReference,
  kReportingCentre,
  kReporterRoles,
};
inline constexpr int kFieldCount = 18;

bool IsIdentityField(Field field);
// snake_case name of the field, as shown in explanations.
const char* FieldName(Field field);

struct LevelParams {
  std::string name;  // e.g. "exact", "jaro_winkler>=0.92", "disagree"
  double m;
  double u;
};

// Agreement level index per field (0 = strongest agreement); kMissing where
// either side lacks the value.
inline constexpr int8_t kMissing = -1;
// The level of Field::kTime for reports more than 72 hours apart.
inline constexpr int8_t kTimeBeyond72h = 6;
using LevelVector = std::array<int8_t, kFieldCount>;

// Compares two reports' features field by field.
LevelVector Compare(const hirs::store::v1::MatchFeatures& a, const hirs::store::v1::MatchFeatures& b);

// The relative frequency (share of stored reports) of the new report's
// values, for term-frequency adjustment of exact agreement: an agreeing rare
// surname weighs more than an agreeing common one. Negative: unknown.
struct TermFrequencies {
  double given_name = -1;
  double surname = -1;
  double postcode = -1;           // the victim's home postcode
  double location_postcode = -1;  // where the incident happened: a busy street agrees often
};

struct PairScore {
  double identity = 0;  // sum of identity weights
  double incident = 0;  // sum of incident weights
  double total() const { return identity + incident; }
  LevelVector levels;
  std::array<double, kFieldCount> weights{};  // per field, 0 where missing
};

// Immutable after construction; thread safe.
class MatchModel {
 public:
  // The documented defaults, for incident reports.
  static MatchModel Default();
  // For matching persons (Profile::kPerson, the FEBRL benchmarks): there u is
  // the rate among *different people*, so exact identity agreement weighs
  // much more than among incidents, where repeat victims share identities.
  static MatchModel PersonDefault();

  const std::vector<LevelParams>& levels(Field field) const { return levels_[static_cast<int>(field)]; }
  // log2(m / u) of a level.
  double Weight(Field field, int level) const;

  PairScore Score(const LevelVector& levels, const TermFrequencies& tf) const;

  // Re-estimates m and u of every level by expectation-maximisation over
  // the level vectors of candidate pairs (conditional independence; missing
  // comparisons skipped), starting from this model. `match_share` receives
  // the estimated share of pairs that are matches.
  MatchModel Estimate(const std::vector<LevelVector>& pairs, int iterations, double* match_share) const;

  // Re-estimates m and u of every level from labelled candidate pairs, such
  // as review decisions (merge = match, keep separate = non-match): each
  // level's share among matches and among non-matches, add-one smoothed.
  // Fields with no labelled comparison keep this model's values.
  MatchModel FromLabelled(const std::vector<LevelVector>& pairs, const std::vector<bool>& is_match) const;

  // A table of every field, level, m, u and weight.
  std::string ToText() const;

  // The level vector an explanation records (its comparisons' field and
  // level names read back against this model; kMissing where absent or
  // unknown), e.g. to learn from a review decision.
  LevelVector LevelsOf(const hirs::v1::CollationExplanation& explanation) const;

 private:
  std::array<std::vector<LevelParams>, kFieldCount> levels_;
};

}  // namespace hirs::collation

#endif  // HIRS_SERVICES_COLLATION_MODEL_H_
