// The probabilistic matcher over MatchFeatures: candidate retrieval through
// blocking keys, Fellegi-Sunter scoring, and the decision rules. Works for
// incident reports (ProbabilisticCollator) and, with Profile::kPerson, for
// person records (the FEBRL benchmarks of tests/eval).
//
// Decision rules (incident profile), over candidate cases each scored by
// their best-matching report:
//   - a case counts as the same incident only if the incident part of the
//     score reaches incident_gate and the reports' times are at most 72
//     hours apart (or they share a crime reference): identity agreement
//     alone never merges;
//   - a case sharing the report's police crime reference is the same
//     incident: police decided so; it counts as attachable whatever else
//     differs; a case with a different crime reference is never attached
//     automatically (at most reviewed);
//   - two or more same-incident cases at or above attach_threshold: the
//     report would bridge them, so NEEDS_REVIEW (cases are never merged
//     automatically);
//   - one: ATTACHED_TO_CASE; where identity evidence is not positive (not
//     comparable, or disagreeing) the bar is attach_threshold_without_identity;
//   - a case holding any report whose victim clearly differs from the
//     report's (identity score at or below -identity_conflict: another
//     name, or another date of birth and surname) is never attached
//     automatically, however well its best report scores (Place checks the
//     chosen case and decides again).
//     One incident with two named victims goes to a person; two victims'
//     incidents in one case is the error that matters most;
//   - best at or above review_threshold: NEEDS_REVIEW;
//   - otherwise NEW_CASE.
//   Cases whose identity score reaches repeat_victim_threshold and that the
//   report does not join are linked as the same victim's earlier cases.
// The person profile uses the identity score alone, without review.
#ifndef HIRS_SERVICES_COLLATION_MATCHER_H_
#define HIRS_SERVICES_COLLATION_MATCHER_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "services/collation/blocking.h"
#include "services/collation/collator.h"
#include "services/collation/keyed_hasher.h"
#include "services/collation/model.h"
#include "storage/store.h"

namespace hirs::collation {

struct MatcherOptions {
  Profile profile = Profile::kIncident;
  double attach_threshold = 6.0;
  // Attaching on incident evidence alone (identity not comparable, as with
  // most witness reports, or disagreeing on balance) needs more: at a busy
  // place two incidents an hour apart look alike but for who was targeted.
  double attach_threshold_without_identity = 8.0;
  double review_threshold = 3.0;
  double incident_gate = 1.0;
  // See the decision rules: about two identity fields disagreeing (each
  // name part or the date of birth weighs about -6.5 when it disagrees).
  double identity_conflict = 10.0;
  double ambiguity_margin = 6.0;
  // Identity score linking a repeat victim's cases: name and date of birth
  // agreeing (about 11.5 with the default model) is enough.
  double repeat_victim_threshold = 10.0;
  // At most this many reports are read per blocking key (a busy street or a
  // common name cannot blow up the candidate list), and in all; keys are
  // read newest case first, so a cap leaves out the oldest.
  size_t max_per_key = 16;
  size_t max_candidates = 64;
};

// One candidate report and how it compares.
struct Candidate {
  std::string case_id;
  std::string report_id;
  PairScore score;
  std::vector<std::string> found_by;  // blocking key kinds that found it
  bool sent_to_review = false;        // its case is provisional (see Decide)
};

// Immutable; thread safe.
class Matcher {
 public:
  // `hasher` is borrowed and must outlive the matcher.
  Matcher(const KeyedHasher* hasher, MatchModel model, MatcherOptions options);

  BlockingKeys Keys(const hirs::store::v1::MatchFeatures& features) const;

  // Every candidate found through the `lookup` keys, scored against `features`.
  absl::StatusOr<std::vector<Candidate>> FindCandidates(const hirs::store::v1::MatchFeatures& features,
                                                        const std::vector<Fingerprint>& lookup,
                                                        const storage::Store& store) const;

  // Applies the decision rules to scored candidates; the cases in
  // `other_victims` (see NamesAnotherVictim) are not attached to.
  Decision Decide(const std::vector<Candidate>& candidates,
                  const absl::flat_hash_set<std::string>& other_victims = {}) const;

  // Whether case `case_id` holds a report whose victim clearly differs from
  // the one `features` names (identity score at or below
  // -identity_conflict). Reads the case and its newest 64 reports' features.
  // A case keeps one report per blocking key, so the candidates alone do
  // not show every victim a case names.
  absl::StatusOr<bool> NamesAnotherVictim(const hirs::store::v1::MatchFeatures& features, const std::string& case_id,
                                          const storage::Store& store) const;

  // FindCandidates, then Decide, then NamesAnotherVictim on the chosen case
  // unless one of its candidate reports confirms the victim (identity score
  // above 0), deciding again without it while it names another victim.
  absl::StatusOr<Decision> Place(const hirs::store::v1::MatchFeatures& features, const std::vector<Fingerprint>& lookup,
                                 const storage::Store& store) const;

  // Adds the report's features (marked sent_to_review as told), `stored`
  // keys and term counters to `batch`.
  void Record(const hirs::store::v1::MatchFeatures& features, const std::vector<Fingerprint>& stored,
              const std::string& report_id, const std::string& case_id, bool sent_to_review,
              storage::WriteBatch* batch) const;

  const MatchModel& model() const { return model_; }
  const MatcherOptions& options() const { return options_; }

 private:
  // Counter keys of the features' names and postcode (kCounts).
  std::string CountKey(absl::string_view kind, absl::string_view value) const;
  absl::StatusOr<TermFrequencies> Frequencies(const hirs::store::v1::MatchFeatures& f,
                                              const storage::Store& store) const;

  const KeyedHasher* const hasher_;
  const MatchModel model_;
  const MatcherOptions options_;
};

}  // namespace hirs::collation

#endif  // HIRS_SERVICES_COLLATION_MATCHER_H_
