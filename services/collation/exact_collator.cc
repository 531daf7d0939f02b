#include "services/collation/exact_collator.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/keys.h"

namespace hirs::collation {
namespace {

constexpr char kCrimeReference[] = "crime_reference";
constexpr char kVictimIdentityDay[] = "victim_identity_day";
constexpr char kPlaceDayMotivation[] = "place_day_motivation";

}  // namespace

double ExactCollator::Weight(absl::string_view kind) {
  if (kind == kCrimeReference) return 10.0;
  if (kind == kVictimIdentityDay) return 8.0;
  return 4.0;
}

CollationPlan ExactCollator::Plan(const CollationInput& input) const {
  const auto& n = *input.normalised;
  CollationPlan plan;
  auto add = [&](const char* kind, std::initializer_list<absl::string_view> parts) {
    plan.fingerprints.push_back(Fingerprint{kind, hasher_->Mac(absl::StrCat("fp/", kind), parts)});
  };
  if (!n.crime_reference().empty()) add(kCrimeReference, {n.crime_reference()});
  if (!n.victim_name().empty() && !n.victim_date_of_birth().empty()) {
    add(kVictimIdentityDay, {n.victim_name(), n.victim_date_of_birth(), n.occurred_day()});
  }
  if (!n.postcode().empty()) {
    std::set<int> motivations(input.report->motivations().begin(), input.report->motivations().end());
    for (int m : motivations) add(kPlaceDayMotivation, {n.postcode(), n.occurred_day(), absl::StrCat(m)});
  }
  for (const auto& fp : plan.fingerprints) plan.lock_keys.push_back(fp.value);
  return plan;
}

absl::StatusOr<Decision> ExactCollator::Decide(const CollationInput& input, const CollationPlan& plan,
                                               const storage::Store& store) const {
  // case_id -> kinds of fingerprint shared with the report.
  std::map<std::string, std::set<std::string>> shared;
  for (const auto& fp : plan.fingerprints) {
    RETURN_IF_ERROR(store.Scan(storage::Family::kFingerprints, fp.value, kMaxCasesPerFingerprint,
                               [&](absl::string_view key, absl::string_view) {
                                 shared[std::string(storage::CaseIdOfFingerprintKey(key))].insert(fp.kind);
                                 return true;
                               }));
  }
  Decision decision;
  std::string best;
  double best_score = 0;
  for (const auto& [case_id, kinds] : shared) {
    decision.explanation.add_candidate_case_ids(case_id);
    double score = 0;
    for (const auto& kind : kinds) score += Weight(kind);
    // Ties go to the smaller (older) id: case ids sort by creation time.
    if (score > best_score) {
      best_score = score;
      best = case_id;
    }
  }
  if (best.empty()) {
    decision.outcome = hirs::v1::NEW_CASE;
    decision.explanation.set_outcome(hirs::v1::NEW_CASE);
    return decision;
  }
  decision.outcome = hirs::v1::ATTACHED_TO_CASE;
  decision.case_id = best;
  decision.score = best_score;
  auto& e = decision.explanation;
  e.set_outcome(hirs::v1::ATTACHED_TO_CASE);
  e.set_score(best_score);
  std::set<std::string> kinds_seen;
  for (const auto& fp : plan.fingerprints) {
    if (!kinds_seen.insert(fp.kind).second) continue;
    const bool agreed = shared[best].count(fp.kind) > 0;
    if (agreed) e.add_matched_fingerprints(fp.kind);
    auto* cmp = e.add_comparisons();
    cmp->set_field(fp.kind);
    cmp->set_level(agreed ? "exact" : "disagree");
    cmp->set_weight(agreed ? Weight(fp.kind) : 0.0);
  }
  return decision;
}

}  // namespace hirs::collation
