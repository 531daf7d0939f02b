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
//   - best at or above review_threshold: NEEDS_REVIEW;
//   - otherwise NEW_CASE.
//   Cases whose identity score reaches repeat_victim_threshold and that the
//   report does not join are linked as the same victim's earlier cases.
// The person profile uses the identity score alone, without review.
#ifndef HIRS_SERVICES_COLLATION_MATCHER_H_
#define HIRS_SERVICES_COLLATION_MATCHER_H_

#include <string>
#include <vector>

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

  // Applies the decision rules to scored candidates.
  Decision Decide(const std::vector<Candidate>& candidates) const;

  // Adds the report's features, `stored` keys and term counters to `batch`.
  void Record(const hirs::store::v1::MatchFeatures& features, const std::vector<Fingerprint>& stored,
              const std::string& report_id, const std::string& case_id, storage::WriteBatch* batch) const;

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
