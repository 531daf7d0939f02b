// hirs-eval: measures collation accuracy and cost.
//
//   hirs-eval febrl FILE.csv [FILE.csv ...] [--shuffle_seed=N]
//       Streams FEBRL person records (several files: a linkage task, each
//       file's entities kept apart only by the data) through the matcher's
//       person profile in shuffled order.
//   hirs-eval synthetic [--reports=10000] [--seed=1] [--days=730]
//       Generates Leicestershire incidents with duplicates and hard negatives
//       and submits them through the real Intake.
//   --estimate (synthetic): also prints m/u re-estimated from the labelled
//       candidate pairs, and by EM from the same pairs unlabelled.
//
// Prints pairwise precision, recall, F1, pair completeness, candidate
// comparisons and time per record.
#include <algorithm>
#include <cstdio>
#include <random>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "tests/eval/eval.h"

ABSL_FLAG(uint64_t, shuffle_seed, 7, "febrl: order in which records arrive");
ABSL_FLAG(size_t, reports, 10000, "synthetic: number of reports");
ABSL_FLAG(uint64_t, seed, 1, "synthetic: generator seed");
ABSL_FLAG(int, days, 730, "synthetic: days the incidents span");
ABSL_FLAG(bool, estimate, false, "synthetic: print re-estimated m/u");
ABSL_FLAG(int, show_false_merges, 0, "synthetic: print explanations of this many wrong attachments");
ABSL_FLAG(double, attach_threshold, hirs::collation::MatcherOptions().attach_threshold, "synthetic: attach threshold");
ABSL_FLAG(double, attach_threshold_without_identity,
          hirs::collation::MatcherOptions().attach_threshold_without_identity,
          "synthetic: attach threshold where victim identity gives no support");
ABSL_FLAG(double, ambiguity_margin, hirs::collation::MatcherOptions().ambiguity_margin, "synthetic: ambiguity margin");
ABSL_FLAG(double, identity_conflict, hirs::collation::MatcherOptions().identity_conflict,
          "synthetic: identity conflict");
ABSL_FLAG(double, review_threshold, hirs::collation::MatcherOptions().review_threshold, "synthetic: review threshold");

namespace {

int Febrl(const std::vector<std::string>& files) {
  std::vector<hirs::eval::PersonRecord> records;
  std::string names;
  for (const auto& file : files) {
    // FEBRL 4 is a linkage task: rec-N-org in A and rec-N-dup-0 in B are the
    // same entity, so entity numbers are shared across its two files.
    auto loaded = hirs::eval::LoadFebrl(file);
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
      return 2;
    }
    records.insert(records.end(), loaded->begin(), loaded->end());
    absl::StrAppend(&names, names.empty() ? "" : " + ", file.substr(file.rfind('/') + 1));
  }
  std::mt19937_64 rng(absl::GetFlag(FLAGS_shuffle_seed));
  std::shuffle(records.begin(), records.end(), rng);
  auto metrics = hirs::eval::RunFebrl(records);
  if (!metrics.ok()) {
    std::fprintf(stderr, "%s\n", metrics.status().ToString().c_str());
    return 1;
  }
  std::printf("%s", metrics->ToText(absl::StrCat("FEBRL ", names, " (person profile)")).c_str());
  return 0;
}

int Synthetic() {
  hirs::eval::GeneratorOptions g;
  g.reports = absl::GetFlag(FLAGS_reports);
  g.seed = absl::GetFlag(FLAGS_seed);
  g.days = absl::GetFlag(FLAGS_days);
  const auto reports = hirs::eval::GenerateIncidents(g);
  hirs::eval::IncidentRunOptions o;
  o.collect_pairs = absl::GetFlag(FLAGS_estimate);
  o.matcher.attach_threshold = absl::GetFlag(FLAGS_attach_threshold);
  o.show_false_merges = absl::GetFlag(FLAGS_show_false_merges);
  o.matcher.review_threshold = absl::GetFlag(FLAGS_review_threshold);
  o.matcher.ambiguity_margin = absl::GetFlag(FLAGS_ambiguity_margin);
  o.matcher.identity_conflict = absl::GetFlag(FLAGS_identity_conflict);
  o.matcher.attach_threshold_without_identity = absl::GetFlag(FLAGS_attach_threshold_without_identity);
  auto run = hirs::eval::RunIncidents(reports, o);
  if (!run.ok()) {
    std::fprintf(stderr, "%s\n", run.status().ToString().c_str());
    return 1;
  }
  std::printf("%s", run->metrics
                        .ToText(absl::StrCat("synthetic incidents: ", g.reports, " reports, seed ", g.seed, ", ",
                                             g.days, " days"))
                        .c_str());
  std::printf("  repeat-victim links %zu, of which to the same victim %zu\n", run->repeat_victim_links,
              run->correct_repeat_links);
  for (const auto& [kinds, n] : run->false_pairs_by_kind) std::printf("  false pairs %s: %zu\n", kinds.c_str(), n);
  for (const auto& [outcome, n] : run->missed_pairs_by_outcome) {
    std::printf("  missed pairs, later report %s: %zu\n", outcome.c_str(), n);
  }
  if (o.collect_pairs) {
    std::printf("\nm/u from %zu labelled candidate pairs:\n%s", run->pairs.size(),
                hirs::collation::MatchModel::Default().FromLabelled(run->pairs, run->pair_is_match).ToText().c_str());
    double share = 0;
    const auto em = hirs::collation::MatchModel::Default().Estimate(run->pairs, 30, &share);
    std::printf("\nm/u by EM over the same pairs unlabelled (match share %.3f):\n%s", share, em.ToText().c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("hirs-eval febrl FILE.csv... | hirs-eval synthetic [--reports=N] [--seed=S]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() >= 3 && std::string(args[1]) == "febrl") {
    return Febrl(std::vector<std::string>(args.begin() + 2, args.end()));
  }
  if (args.size() == 2 && std::string(args[1]) == "synthetic") return Synthetic();
  std::fprintf(stderr, "usage: hirs-eval febrl FILE.csv... | hirs-eval synthetic [--reports=N] [--seed=S]\n");
  return 2;
}
