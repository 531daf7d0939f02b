#include "services/collation/model.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/strings/str_format.h"
#include "services/collation/comparators.h"

namespace hirs::collation {
namespace {

using hirs::store::v1::MatchFeatures;

constexpr const char* kFieldNames[kFieldCount] = {
    "given_name",      "surname",           "date_of_birth", "phone",          "email",
    "home_postcode",   "address",           "time",          "place",          "online_platform",
    "place_type",      "place_description", "motivations",   "incident_types", "description",
    "crime_reference", "reporting_centre",  "reporter_roles"};

int NameLevel(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return kMissing;
  if (a == b) return 0;
  const double jw = JaroWinkler(a, b);
  if (jw >= 0.92) return 1;
  if (jw >= 0.80) return 2;
  return 3;
}

// Given name and surname, compared straight and swapped (reporters swap
// them); the orientation with more agreement wins.
void CompareNames(const MatchFeatures& a, const MatchFeatures& b, LevelVector* out) {
  auto rank = [](int l) { return l == kMissing ? 2 : l; };
  const int g = NameLevel(a.given_name(), b.given_name());
  const int s = NameLevel(a.surname(), b.surname());
  const int gs = NameLevel(a.given_name(), b.surname());
  const int sg = NameLevel(a.surname(), b.given_name());
  const bool swapped = gs != kMissing && sg != kMissing && rank(gs) + rank(sg) < rank(g) + rank(s);
  (*out)[static_cast<int>(Field::kGivenName)] = static_cast<int8_t>(swapped ? gs : g);
  (*out)[static_cast<int>(Field::kSurname)] = static_cast<int8_t>(swapped ? sg : s);
}

int DateOfBirthLevel(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return kMissing;
  if (a == b) return 0;
  // Day and month swapped (US-style entry) or one typing error.
  const bool swapped = a.size() == 8 && b.size() == 8 && a.substr(0, 4) == b.substr(0, 4) &&
                       a.substr(4, 2) == b.substr(6, 2) && a.substr(6, 2) == b.substr(4, 2);
  return swapped || WithinOneEdit(a, b) ? 1 : 2;
}

int EditLevel(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return kMissing;
  if (a == b) return 0;
  return WithinOneEdit(a, b) ? 1 : 2;
}

int AddressLevel(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return kMissing;
  const double s = BigramSimilarity(a, b);
  if (s >= 0.85) return 0;
  if (s >= 0.6) return 1;
  if (s >= 0.4) return 2;
  return 3;
}

int TimeLevel(const MatchFeatures& a, const MatchFeatures& b) {
  const int64_t gap = std::max<int64_t>(
      0, std::max(a.occurred_start(), b.occurred_start()) - std::min(a.occurred_end(), b.occurred_end()));
  if (gap <= 1800) return 0;
  if (gap <= 3600) return 1;
  if (gap <= 2 * 3600) return 2;
  if (gap <= 4 * 3600) return 3;
  if (gap <= 24 * 3600) return 4;
  if (gap <= 72 * 3600) return 5;
  return kTimeBeyond72h;
}

int PlaceLevel(const MatchFeatures& a, const MatchFeatures& b) {
  if (!a.postcode().empty() && a.postcode() == b.postcode()) return 0;
  if (!a.postcode_sector().empty() && a.postcode_sector() == b.postcode_sector()) return 1;
  if (!a.postcode_outward().empty() && a.postcode_outward() == b.postcode_outward()) return 2;
  if (a.district_code().empty() || b.district_code().empty()) return kMissing;
  return a.district_code() == b.district_code() ? 3 : 4;
}

int SetLevel(uint32_t a, uint32_t b) {
  if (a == 0 || b == 0) return kMissing;
  if (a == b) return 0;
  return (a & b) != 0 ? 1 : 2;
}

int DescriptionLevel(const MatchFeatures& a, const MatchFeatures& b) {
  if (a.description_minhash().empty() || b.description_minhash().empty()) return kMissing;
  const std::vector<uint32_t> x(a.description_minhash().begin(), a.description_minhash().end());
  const std::vector<uint32_t> y(b.description_minhash().begin(), b.description_minhash().end());
  const double j = MinHashSimilarity(x, y);
  if (j >= 0.6) return 0;
  if (j >= 0.4) return 1;
  if (j >= 0.25) return 2;
  if (j >= 0.15) return 3;
  return 4;
}

std::vector<LevelParams> Levels(std::initializer_list<LevelParams> list) { return list; }

constexpr double kMaxFrequencyAdjustment = 3.0;

}  // namespace

bool IsIdentityField(Field field) { return static_cast<int>(field) <= static_cast<int>(Field::kAddress); }

const char* FieldName(Field field) { return kFieldNames[static_cast<int>(field)]; }

LevelVector MatchModel::LevelsOf(const hirs::v1::CollationExplanation& explanation) const {
  LevelVector out;
  out.fill(kMissing);
  for (const auto& cmp : explanation.comparisons()) {
    for (int f = 0; f < kFieldCount; ++f) {
      if (cmp.field() != kFieldNames[f]) continue;
      for (size_t l = 0; l < levels_[f].size(); ++l) {
        if (levels_[f][l].name == cmp.level()) out[f] = static_cast<int8_t>(l);
      }
    }
  }
  return out;
}

LevelVector Compare(const MatchFeatures& a, const MatchFeatures& b) {
  LevelVector out;
  out.fill(kMissing);
  auto set = [&out](Field f, int level) { out[static_cast<int>(f)] = static_cast<int8_t>(level); };
  CompareNames(a, b, &out);
  set(Field::kDateOfBirth, DateOfBirthLevel(a.date_of_birth(), b.date_of_birth()));
  set(Field::kPhone, EditLevel(a.phone(), b.phone()));
  set(Field::kEmail, a.email().empty() || b.email().empty() ? kMissing : a.email() == b.email() ? 0 : 1);
  set(Field::kHomePostcode, EditLevel(a.home_postcode(), b.home_postcode()));
  set(Field::kAddress, AddressLevel(a.address(), b.address()));
  if (a.occurred_start() != 0 && b.occurred_start() != 0) set(Field::kTime, TimeLevel(a, b));
  set(Field::kPlace, PlaceLevel(a, b));
  if (!a.online_platform().empty() && !b.online_platform().empty()) {
    set(Field::kPlatform, JaroWinkler(a.online_platform(), b.online_platform()) >= 0.9 ? 0 : 1);
  }
  if (a.place_type() != 0 && b.place_type() != 0) set(Field::kPlaceType, a.place_type() == b.place_type() ? 0 : 1);
  if (!a.place_description().empty() && !b.place_description().empty()) {
    const double sim = BigramSimilarity(a.place_description(), b.place_description());
    set(Field::kPlaceDescription, sim >= 0.8 ? 0 : sim >= 0.5 ? 1 : 2);
  }
  set(Field::kMotivations, SetLevel(a.motivations(), b.motivations()));
  set(Field::kIncidentTypes, SetLevel(a.incident_types(), b.incident_types()));
  set(Field::kDescription, DescriptionLevel(a, b));
  if (!a.crime_reference().empty() && !b.crime_reference().empty()) {
    set(Field::kCrimeReference, a.crime_reference() == b.crime_reference() ? 0 : 1);
  }
  if (!a.reporting_centre().empty() && !b.reporting_centre().empty()) {
    set(Field::kReportingCentre, a.reporting_centre() == b.reporting_centre() ? 0 : 1);
  }
  if (a.reporter_role() != 0 && b.reporter_role() != 0) {
    set(Field::kReporterRoles, a.reporter_role() == 1 && b.reporter_role() == 1 ? 1 : 0);  // 1 = VICTIM
  }
  return out;
}

MatchModel MatchModel::Default() {
  MatchModel model;
  auto set = [&model](Field f, std::vector<LevelParams> levels) {
    model.levels_[static_cast<int>(f)] = std::move(levels);
  };
  // Identity. u is high for exact agreement because candidate pairs include
  // repeat victims: different incidents of the same person.
  set(Field::kGivenName, Levels({{"exact", 0.91, 0.10},
                                 {"jaro_winkler>=0.92", 0.07, 0.01},
                                 {"jaro_winkler>=0.80", 0.01, 0.015},
                                 {"disagree", 0.01, 0.875}}));
  set(Field::kSurname, Levels({{"exact", 0.90, 0.10},
                               {"jaro_winkler>=0.92", 0.07, 0.01},
                               {"jaro_winkler>=0.80", 0.02, 0.016},
                               {"disagree", 0.01, 0.874}}));
  set(Field::kDateOfBirth,
      Levels({{"exact", 0.975, 0.028}, {"one_error_or_swap", 0.015, 0.008}, {"disagree", 0.01, 0.964}}));
  set(Field::kPhone, Levels({{"exact", 0.985, 0.04}, {"one_error", 0.005, 0.001}, {"disagree", 0.01, 0.959}}));
  set(Field::kEmail, Levels({{"exact", 0.98, 0.06}, {"disagree", 0.02, 0.94}}));
  set(Field::kHomePostcode, Levels({{"exact", 0.985, 0.017}, {"one_error", 0.005, 0.002}, {"disagree", 0.01, 0.981}}));
  set(Field::kAddress, Levels({{"bigram>=0.85", 0.80, 0.005},
                               {"bigram>=0.60", 0.12, 0.03},
                               {"bigram>=0.40", 0.04, 0.10},
                               {"disagree", 0.04, 0.865}}));
  // Incident.
  set(Field::kTime, Levels({{"gap<=30m", 0.50, 0.006},
                            {"gap<=1h", 0.23, 0.005},
                            {"gap<=2h", 0.11, 0.01},
                            {"gap<=4h", 0.08, 0.02},
                            {"gap<=24h", 0.055, 0.068},
                            {"gap<=72h", 0.02, 0.031},
                            {"gap>72h", 0.005, 0.86}}));
  set(Field::kPlace, Levels({{"same_postcode", 0.69, 0.019},
                             {"same_sector", 0.15, 0.019},
                             {"same_outward_code", 0.145, 0.10},
                             {"same_district", 0.01, 0.143},
                             {"different_district", 0.005, 0.719}}));
  set(Field::kPlatform, Levels({{"same", 0.80, 0.20}, {"different", 0.20, 0.80}}));
  set(Field::kPlaceType, Levels({{"same", 0.86, 0.19}, {"different", 0.14, 0.81}}));
  set(Field::kPlaceDescription,
      Levels({{"bigram>=0.80", 0.24, 0.043}, {"bigram>=0.50", 0.61, 0.18}, {"disagree", 0.15, 0.777}}));
  set(Field::kMotivations, Levels({{"same", 0.79, 0.21}, {"overlap", 0.20, 0.17}, {"disjoint", 0.01, 0.62}}));
  set(Field::kIncidentTypes, Levels({{"same", 0.74, 0.17}, {"overlap", 0.25, 0.26}, {"disjoint", 0.01, 0.57}}));
  set(Field::kDescription, Levels({{"minhash>=0.60", 0.40, 0.10},
                                   {"minhash>=0.40", 0.34, 0.32},
                                   {"minhash>=0.25", 0.14, 0.18},
                                   {"minhash>=0.15", 0.07, 0.04},
                                   {"minhash<0.15", 0.05, 0.36}}));
  set(Field::kCrimeReference, Levels({{"same", 0.99, 0.00076}, {"different", 0.01, 0.99924}}));
  set(Field::kReportingCentre, Levels({{"same", 0.11, 0.024}, {"different", 0.89, 0.976}}));
  set(Field::kReporterRoles, Levels({{"not_both_victims", 0.81, 0.66}, {"both_victims", 0.19, 0.34}}));
  return model;
}

MatchModel MatchModel::PersonDefault() {
  MatchModel model = Default();
  auto set = [&model](Field f, std::vector<LevelParams> levels) {
    model.levels_[static_cast<int>(f)] = std::move(levels);
  };
  set(Field::kGivenName, Levels({{"exact", 0.80, 0.02},
                                 {"jaro_winkler>=0.92", 0.10, 0.02},
                                 {"jaro_winkler>=0.80", 0.05, 0.05},
                                 {"disagree", 0.05, 0.91}}));
  set(Field::kSurname, Levels({{"exact", 0.82, 0.01},
                               {"jaro_winkler>=0.92", 0.09, 0.02},
                               {"jaro_winkler>=0.80", 0.04, 0.05},
                               {"disagree", 0.05, 0.92}}));
  set(Field::kDateOfBirth,
      Levels({{"exact", 0.90, 0.005}, {"one_error_or_swap", 0.07, 0.02}, {"disagree", 0.03, 0.975}}));
  set(Field::kPhone, Levels({{"exact", 0.88, 0.0005}, {"one_error", 0.08, 0.002}, {"disagree", 0.04, 0.9975}}));
  set(Field::kEmail, Levels({{"exact", 0.90, 0.0005}, {"disagree", 0.10, 0.9995}}));
  set(Field::kHomePostcode, Levels({{"exact", 0.85, 0.01}, {"one_error", 0.08, 0.04}, {"disagree", 0.07, 0.95}}));
  return model;
}

double MatchModel::Weight(Field field, int level) const {
  const LevelParams& p = levels(field)[level];
  return std::log2(p.m / p.u);
}

PairScore MatchModel::Score(const LevelVector& levels_of_pair, const TermFrequencies& tf) const {
  PairScore score;
  score.levels = levels_of_pair;
  for (int i = 0; i < kFieldCount; ++i) {
    const int level = levels_of_pair[i];
    if (level == kMissing) continue;
    const Field field = static_cast<Field>(i);
    double w = Weight(field, level);
    if (level == 0) {
      // Exact agreement on a value of known frequency: a value shared by
      // many reports (Patel, Khan in Leicester) is weaker evidence than a
      // rare one. The correction is relative to a typical value's frequency
      // and bounded, so one rare value cannot outweigh everything else.
      double freq = -1;
      double typical = 0.005;
      if (field == Field::kGivenName) freq = tf.given_name;
      if (field == Field::kSurname) freq = tf.surname;
      if (field == Field::kHomePostcode) {
        freq = tf.postcode;
        typical = 0.0005;
      }
      if (field == Field::kPlace) {
        freq = tf.location_postcode;
        typical = 0.0005;
      }
      if (freq > 0) w += std::clamp(std::log2(typical / freq), -kMaxFrequencyAdjustment, kMaxFrequencyAdjustment);
    }
    score.weights[i] = w;
    (IsIdentityField(field) ? score.identity : score.incident) += w;
  }
  return score;
}

MatchModel MatchModel::Estimate(const std::vector<LevelVector>& pairs, int iterations, double* match_share) const {
  MatchModel model = *this;
  double lambda = 0.1;
  std::vector<double> posterior(pairs.size());
  for (int it = 0; it < iterations; ++it) {
    // E step: P(match | levels) per pair.
    for (size_t p = 0; p < pairs.size(); ++p) {
      double log_m = std::log(lambda);
      double log_u = std::log(1 - lambda);
      for (int f = 0; f < kFieldCount; ++f) {
        const int level = pairs[p][f];
        if (level == kMissing) continue;
        log_m += std::log(model.levels_[f][level].m);
        log_u += std::log(model.levels_[f][level].u);
      }
      posterior[p] = 1.0 / (1.0 + std::exp(log_u - log_m));
    }
    // M step: level shares weighted by the posteriors, lightly smoothed so
    // that no level's probability becomes 0.
    double sum = 0;
    for (double q : posterior) sum += q;
    lambda = std::clamp(sum / std::max<size_t>(1, pairs.size()), 1e-6, 1 - 1e-6);
    for (int f = 0; f < kFieldCount; ++f) {
      const size_t n = model.levels_[f].size();
      std::vector<double> m(n, 0.01), u(n, 0.01);
      for (size_t p = 0; p < pairs.size(); ++p) {
        const int level = pairs[p][f];
        if (level == kMissing) continue;
        m[level] += posterior[p];
        u[level] += 1 - posterior[p];
      }
      double mt = 0, ut = 0;
      for (size_t l = 0; l < n; ++l) {
        mt += m[l];
        ut += u[l];
      }
      for (size_t l = 0; l < n; ++l) {
        model.levels_[f][l].m = m[l] / mt;
        model.levels_[f][l].u = u[l] / ut;
      }
    }
  }
  if (match_share != nullptr) *match_share = lambda;
  return model;
}

MatchModel MatchModel::FromLabelled(const std::vector<LevelVector>& pairs, const std::vector<bool>& is_match) const {
  MatchModel model = *this;
  for (int f = 0; f < kFieldCount; ++f) {
    const size_t n = model.levels_[f].size();
    std::vector<double> m(n, 1.0), u(n, 1.0);  // add-one smoothing
    size_t seen_m = 0, seen_u = 0;
    for (size_t p = 0; p < pairs.size(); ++p) {
      const int level = pairs[p][f];
      if (level == kMissing) continue;
      (is_match[p] ? m : u)[level] += 1;
      ++(is_match[p] ? seen_m : seen_u);
    }
    for (size_t l = 0; l < n; ++l) {
      if (seen_m > 0) model.levels_[f][l].m = m[l] / (seen_m + n);
      if (seen_u > 0) model.levels_[f][l].u = u[l] / (seen_u + n);
    }
  }
  return model;
}

std::string MatchModel::ToText() const {
  std::string out = absl::StrFormat("%-18s %-22s %9s %9s %8s\n", "field", "level", "m", "u", "weight");
  for (int f = 0; f < kFieldCount; ++f) {
    for (size_t l = 0; l < levels_[f].size(); ++l) {
      const LevelParams& p = levels_[f][l];
      absl::StrAppendFormat(&out, "%-18s %-22s %9.5f %9.5f %8.2f\n", kFieldNames[f], p.name, p.m, p.u,
                            std::log2(p.m / p.u));
    }
  }
  return out;
}

}  // namespace hirs::collation
