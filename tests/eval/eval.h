// The collation evaluation harness (library behind hirs-eval and the
// accuracy tests): FEBRL person data sets streamed through the matcher's
// person profile, and generated Leicestershire incidents submitted through
// the real Intake, each scored against ground truth with pairwise precision,
// recall and F1.
#ifndef HIRS_TESTS_EVAL_EVAL_H_
#define HIRS_TESTS_EVAL_EVAL_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/reporting_service.pb.h"
#include "services/collation/matcher.h"
#include "services/collation/model.h"

namespace hirs::eval {

// Pairwise figures against ground truth.
struct Metrics {
  size_t records = 0;
  size_t true_pairs = 0;
  size_t predicted_pairs = 0;
  size_t correct_pairs = 0;
  size_t reviews = 0;                   // NEEDS_REVIEW outcomes
  size_t candidate_comparisons = 0;     // summed over records
  size_t true_pairs_in_candidates = 0;  // for pair completeness
  double seconds = 0;                   // matching (and, for incidents, intake) time
  std::vector<double> micros_per_record;
  // Incidents: the collator's share (blocking keys, candidate retrieval,
  // scoring, decision), timed apart from validation and the write.
  std::vector<double> matching_micros;
  // What micros_per_record covers.
  std::string timed = "intake, with sync off";

  double precision() const { return predicted_pairs ? double(correct_pairs) / predicted_pairs : 1.0; }
  double recall() const { return true_pairs ? double(correct_pairs) / true_pairs : 1.0; }
  double f1() const {
    const double p = precision(), r = recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
  }
  double pair_completeness() const { return true_pairs ? double(true_pairs_in_candidates) / true_pairs : 1.0; }
  double review_share() const { return records ? double(reviews) / records : 0; }
  double MedianMicros() const;
  static double Median(std::vector<double> v);
  // A human-readable block of every figure.
  std::string ToText(const std::string& title) const;
};

// Pairwise counts of a clustering: `truth[i]` and `predicted[i]` label record i.
void CountPairs(const std::vector<std::string>& truth, const std::vector<std::string>& predicted, Metrics* m);

// One FEBRL record: its entity (the N of rec-N-...) and its features.
struct PersonRecord {
  std::string rec_id;
  std::string entity;
  hirs::store::v1::MatchFeatures features;
};

// Reads a FEBRL CSV (", "-separated with a header; see
// tests/data/febrl/README.md). `entity_prefix` keeps entities of
// different files apart when several files are streamed together.
absl::StatusOr<std::vector<PersonRecord>> LoadFebrl(const std::string& path, const std::string& entity_prefix = "");

// Streams `records` (in the given order) through the matcher's person
// profile on a fresh store, and scores the clustering.
absl::StatusOr<Metrics> RunFebrl(const std::vector<PersonRecord>& records);

// One generated report and the incident it is about.
struct GeneratedReport {
  std::string incident;
  std::string victim;  // "" when the report names nobody
  std::string kind;    // the incident's kind: ordinary, repeat_victim, hotspot, school_day
  std::string centre;
  hirs::v1::SubmitReportRequest request;
};

struct GeneratorOptions {
  size_t reports = 10000;
  uint64_t seed = 1;
  // Incidents are spread over this many days ending at `end`.
  int days = 730;
  int64_t end_unix = 1790000000;  // 2026-09-21
};

// Seeded Leicestershire incidents with realistic multi-agency duplicates
// (time shifts, typing errors, partial postcodes, different motivations
// ticked, missing victim details) and the hard negatives of the domain
// (repeat victims, hotspots, several incidents at one school on one day).
std::vector<GeneratedReport> GenerateIncidents(const GeneratorOptions& options);

struct IncidentRunOptions {
  collation::MatcherOptions matcher;
  // Collect labelled candidate pairs for estimating m/u (slower).
  bool collect_pairs = false;
  // Print the explanations of up to this many wrong attachments (stderr).
  int show_false_merges = 0;
};

struct IncidentRun {
  Metrics metrics;
  std::vector<collation::LevelVector> pairs;  // with collect_pairs
  std::vector<bool> pair_is_match;
  size_t repeat_victim_links = 0;   // cases linked to a victim's earlier case
  size_t correct_repeat_links = 0;  // ... where the victim really is the same
  // Wrongly predicted pairs (two incidents in one case) by the kinds of the
  // two incidents, e.g. "hotspot+hotspot".
  std::map<std::string, size_t> false_pairs_by_kind;
  // Missed pairs (one incident in two cases) by the later report's outcome.
  std::map<std::string, size_t> missed_pairs_by_outcome;
};

// Submits `reports` in order through a real Intake (sync off) on a fresh
// store and scores the resulting cases against the incidents.
absl::StatusOr<IncidentRun> RunIncidents(const std::vector<GeneratedReport>& reports,
                                         const IncidentRunOptions& options);

}  // namespace hirs::eval

#endif  // HIRS_TESTS_EVAL_EVAL_H_
