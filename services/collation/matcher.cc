#include "services/collation/matcher.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/collation/case_aggregate.h"
#include "storage/fingerprints.h"

namespace hirs::collation {
namespace {

constexpr char kTotalKey[] = "total";

// The best-scoring report of one candidate case.
struct CaseScore {
  const Candidate* best = nullptr;
  double score = 0;  // best->score.total()
  bool same_incident = false;
  double attach_bar = 0;  // the attach threshold that applies to it
  // Every report of it found was sent to review on arrival.
  bool provisional = true;
};

// The values whose frequencies are counted (Record) and read back for
// term-frequency adjustment (Frequencies), with their counter kinds.
struct CountedTerm {
  const char* kind;
  double TermFrequencies::*frequency;
  const std::string& (hirs::store::v1::MatchFeatures::*value)() const;
};
constexpr CountedTerm kCountedTerms[] = {
    {"given_name", &TermFrequencies::given_name, &hirs::store::v1::MatchFeatures::given_name},
    {"surname", &TermFrequencies::surname, &hirs::store::v1::MatchFeatures::surname},
    {"home_postcode", &TermFrequencies::postcode, &hirs::store::v1::MatchFeatures::home_postcode},
    {"postcode", &TermFrequencies::location_postcode, &hirs::store::v1::MatchFeatures::postcode},
};

// Reports of one incident tell of the same time: more than 72 hours apart
// they are different incidents unless police gave both the same crime
// reference; and the incident evidence must reach the gate.
bool SameIncidentPossible(const PairScore& s, double gate) {
  const int time = s.levels[static_cast<int>(Field::kTime)];
  const bool same_crime = s.levels[static_cast<int>(Field::kCrimeReference)] == 0;
  return same_crime || (time != kTimeBeyond72h && s.incident >= gate);
}

}  // namespace

Matcher::Matcher(const KeyedHasher* hasher, MatchModel model, MatcherOptions options)
    : hasher_(hasher), model_(std::move(model)), options_(options) {}

BlockingKeys Matcher::Keys(const hirs::store::v1::MatchFeatures& features) const {
  return BlockingKeysOf(features, options_.profile, *hasher_);
}

std::string Matcher::CountKey(absl::string_view kind, absl::string_view value) const {
  return absl::StrCat(kind, "/", hasher_->Mac("count", {kind, value}).substr(0, 16));
}

absl::StatusOr<TermFrequencies> Matcher::Frequencies(const hirs::store::v1::MatchFeatures& f,
                                                     const storage::Store& store) const {
  TermFrequencies tf;
  std::vector<std::string> keys = {kTotalKey};
  std::vector<const CountedTerm*> terms;
  for (const CountedTerm& term : kCountedTerms) {
    const std::string& value = (f.*term.value)();
    if (value.empty()) continue;  // stays -1: unknown
    keys.push_back(CountKey(term.kind, value));
    terms.push_back(&term);
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> counts, storage::ReadCounts(store, keys));
  const int64_t total = counts[0];
  if (total < 100) return tf;  // too few reports for frequencies to mean anything
  for (size_t i = 0; i < terms.size(); ++i) {
    tf.*(terms[i]->frequency) = static_cast<double>(counts[i + 1] + 1) / static_cast<double>(total + 1);
  }
  return tf;
}

absl::StatusOr<std::vector<Candidate>> Matcher::FindCandidates(const hirs::store::v1::MatchFeatures& features,
                                                               const std::vector<Fingerprint>& lookup,
                                                               const storage::Store& store) const {
  // report_id -> index into `found`.
  absl::flat_hash_map<std::string, size_t> seen;
  std::vector<Candidate> found;
  std::vector<std::string> fingerprints;
  fingerprints.reserve(lookup.size());
  for (const Fingerprint& key : lookup) fingerprints.push_back(key.value);
  ASSIGN_OR_RETURN(auto cases_of, storage::ReadFingerprintCases(store, fingerprints));
  for (size_t p = 0; p < lookup.size() && found.size() < options_.max_candidates; ++p) {
    const size_t limit =
        lookup[p].max_cases != 0 ? std::min(lookup[p].max_cases, options_.max_per_key) : options_.max_per_key;
    // Newest cases first: where a key's cap cuts the list, the cases left
    // out are the oldest, least likely to be this incident.
    const auto& entries = cases_of[p].entries();
    for (int e = 0; e < entries.size() && static_cast<size_t>(e) < limit; ++e) {
      auto [it, inserted] = seen.try_emplace(entries[e].report_id(), found.size());
      if (inserted) {
        Candidate c;
        c.case_id = entries[e].case_id();
        c.report_id = entries[e].report_id();
        found.push_back(std::move(c));
      }
      const std::string& kind = lookup[p].kind;
      auto& by = found[it->second].found_by;
      if (std::find(by.begin(), by.end(), kind) == by.end()) by.push_back(kind);
      if (found.size() >= options_.max_candidates) break;
    }
  }
  ASSIGN_OR_RETURN(TermFrequencies tf, Frequencies(features, store));
  std::vector<std::string> report_ids;
  report_ids.reserve(found.size());
  for (const Candidate& c : found) report_ids.push_back(c.report_id);
  ASSIGN_OR_RETURN(auto others,
                   storage::ReadProtos<hirs::store::v1::MatchFeatures>(store, storage::Family::kFeatures, report_ids));
  for (size_t i = 0; i < found.size(); ++i) {
    const hirs::store::v1::MatchFeatures& other =
        others[i].has_value() ? *others[i] : hirs::store::v1::MatchFeatures::default_instance();
    found[i].score = model_.Score(Compare(features, other), tf);
    found[i].sent_to_review = other.sent_to_review();
  }
  return found;
}

namespace {

using CaseScores = std::map<std::string, CaseScore>;  // ordered: ties go to the older case

// Each candidate case's best report. A report sharing the crime reference
// represents its case, whatever the scores of the case's other reports.
CaseScores BestReportPerCase(const std::vector<Candidate>& candidates, const MatcherOptions& options) {
  const bool person = options.profile == Profile::kPerson;
  CaseScores cases;
  for (const Candidate& c : candidates) {
    const double score = person ? c.score.identity : c.score.total();
    CaseScore& cs = cases[c.case_id];
    if (!c.sent_to_review) cs.provisional = false;
    const bool same_crime = c.score.levels[static_cast<int>(Field::kCrimeReference)] == 0;
    const bool best_same_crime =
        cs.best != nullptr && cs.best->score.levels[static_cast<int>(Field::kCrimeReference)] == 0;
    if (cs.best == nullptr || (same_crime && !best_same_crime) || (same_crime == best_same_crime && score > cs.score)) {
      cs.best = &c;
      cs.score = score;
      cs.same_incident = person || SameIncidentPossible(c.score, options.incident_gate);
      cs.attach_bar =
          person || c.score.identity > 0 ? options.attach_threshold : options.attach_threshold_without_identity;
    }
  }
  return cases;
}

// The best attachable case, established cases before provisional ones
// (started by a report sent to review: the question a person already has,
// so never a rival); null without one.
const CaseScores::value_type* BestAttachable(const std::vector<const CaseScores::value_type*>& attachable) {
  const CaseScores::value_type* best = nullptr;
  for (const auto* a : attachable) {
    if (best == nullptr || std::make_pair(!a->second.provisional, a->second.score) >
                               std::make_pair(!best->second.provisional, best->second.score)) {
      best = a;
    }
  }
  return best;
}

// Whether another established case the report could be about stands too
// close to `best`: a second attachable one (the report bridges them) or one
// scoring within ambiguity_margin (at one school on one day, two incidents
// an hour apart score alike).
bool Rivalled(const CaseScores& cases, const CaseScores::value_type* best,
              const std::vector<const CaseScores::value_type*>& attachable, const MatcherOptions& options) {
  bool rivalled = false;
  for (const auto& entry : cases) {
    const CaseScore& cs = entry.second;
    if (&entry == best || !cs.same_incident || cs.provisional) continue;
    const bool attachable_too = std::find(attachable.begin(), attachable.end(), &entry) != attachable.end();
    rivalled |= attachable_too ||
                (cs.score >= options.review_threshold && best->second.score - cs.score < options.ambiguity_margin);
  }
  return rivalled;
}

// The decision's explanation: the candidates (for review, the ones a person
// should weigh), and the comparison with the deciding case's best report.
void Explain(const MatchModel& model, const MatcherOptions& options, const CaseScores& cases,
             const std::vector<std::string>& reviewable, const CaseScore* top, Decision* d) {
  auto& e = d->explanation;
  e.set_outcome(d->outcome);
  if (d->outcome == hirs::v1::NEEDS_REVIEW) {
    for (const auto& id : reviewable) e.add_candidate_case_ids(id);
  } else {
    for (const auto& [case_id, cs] : cases) e.add_candidate_case_ids(case_id);
  }
  if (top == nullptr) return;
  d->score = top->score;
  e.set_score(top->score);
  e.set_attach_threshold(top->attach_bar);
  e.set_review_threshold(options.review_threshold);
  e.set_compared_report_id(top->best->report_id);
  for (const auto& kind : top->best->found_by) e.add_matched_fingerprints(kind);
  for (int f = 0; f < kFieldCount; ++f) {
    const int level = top->best->score.levels[f];
    if (level == kMissing) continue;
    auto* cmp = e.add_comparisons();
    cmp->set_field(FieldName(static_cast<Field>(f)));
    cmp->set_level(model.levels(static_cast<Field>(f))[level].name);
    cmp->set_weight(top->best->score.weights[f]);
  }
}

}  // namespace

Decision Matcher::Decide(const std::vector<Candidate>& candidates,
                         const absl::flat_hash_set<std::string>& other_victims) const {
  const bool person = options_.profile == Profile::kPerson;
  const CaseScores cases = BestReportPerCase(candidates, options_);
  Decision d;
  const CaseScore* top = nullptr;
  std::vector<const CaseScores::value_type*> attachable;
  std::vector<std::string> reviewable;
  for (const auto& entry : cases) {
    const CaseScore& cs = entry.second;
    if (!cs.same_incident) continue;
    if (top == nullptr || cs.score > top->score) top = &cs;
    const int crime = cs.best->score.levels[static_cast<int>(Field::kCrimeReference)];
    // Police recorded two different crimes: a person decides, never the matcher.
    if (crime == 0 || (cs.score >= cs.attach_bar && crime != 1 && !other_victims.contains(entry.first))) {
      attachable.push_back(&entry);
    }
    if (cs.score >= options_.review_threshold) reviewable.push_back(entry.first);
  }
  const CaseScores::value_type* best = BestAttachable(attachable);
  if (best != nullptr && !person && Rivalled(cases, best, attachable, options_)) {
    d.outcome = hirs::v1::NEEDS_REVIEW;
  } else if (best != nullptr) {
    d.outcome = hirs::v1::ATTACHED_TO_CASE;
    d.case_id = best->first;
    top = &best->second;
  } else if (!person && top != nullptr && top->score >= options_.review_threshold) {
    d.outcome = hirs::v1::NEEDS_REVIEW;
  } else {
    d.outcome = hirs::v1::NEW_CASE;
  }
  // Earlier cases of the same victim that this report does not join, in
  // case id order.
  if (!person) {
    std::set<std::string> same_victim;
    for (const Candidate& c : candidates) {
      if (c.case_id != d.case_id && c.score.identity >= options_.repeat_victim_threshold) same_victim.insert(c.case_id);
    }
    d.linked_case_ids.assign(same_victim.begin(), same_victim.end());
  }
  Explain(model_, options_, cases, reviewable, top, &d);
  return d;
}

absl::StatusOr<bool> Matcher::NamesAnotherVictim(const hirs::store::v1::MatchFeatures& features,
                                                 const std::string& case_id, const storage::Store& store) const {
  if (features.given_name().empty() && features.surname().empty() && features.date_of_birth().empty() &&
      features.phone().empty() && features.email().empty() && features.home_postcode().empty() &&
      features.address().empty()) {
    return false;  // names nobody: nothing to conflict with
  }
  ASSIGN_OR_RETURN(auto c, storage::ReadProto<hirs::store::v1::StoredCase>(store, storage::Family::kCases, case_id));
  if (!c.has_value()) return false;  // gone: the caller's own check answers that
  // A case of more reports than this is no longer one quiet incident; the
  // newest reports are the ones read.
  constexpr size_t kMaxReportsRead = 64;
  ASSIGN_OR_RETURN(auto members, ReadMembers(store, case_id, kMaxReportsRead, "", storage::ScanOrder::kDescending));
  std::vector<std::string> report_ids;
  for (const auto& m : members) report_ids.push_back(m.report_id());
  ASSIGN_OR_RETURN(auto others,
                   storage::ReadProtos<hirs::store::v1::MatchFeatures>(store, storage::Family::kFeatures, report_ids));
  for (const auto& other : others) {
    if (other.has_value() &&
        model_.Score(Compare(features, *other), TermFrequencies()).identity <= -options_.identity_conflict) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<Decision> Matcher::Place(const hirs::store::v1::MatchFeatures& features,
                                        const std::vector<Fingerprint>& lookup, const storage::Store& store) const {
  ASSIGN_OR_RETURN(std::vector<Candidate> candidates, FindCandidates(features, lookup, store));
  absl::flat_hash_set<std::string> other_victims;
  Decision d = Decide(candidates, other_victims);
  // Each round rules out one case; a report rarely fits more than two.
  for (int round = 0; round < 4 && d.outcome == hirs::v1::ATTACHED_TO_CASE; ++round) {
    // A report of the case already confirms the victim: the report belongs
    // with it, whoever else the case names.
    bool confirmed = false;
    for (const Candidate& c : candidates) confirmed |= c.case_id == d.case_id && c.score.identity > 0;
    if (confirmed) break;
    ASSIGN_OR_RETURN(bool conflict, NamesAnotherVictim(features, d.case_id, store));
    if (!conflict) break;
    other_victims.insert(d.case_id);
    d = Decide(candidates, other_victims);
  }
  return d;
}

void Matcher::Record(const hirs::store::v1::MatchFeatures& features, const std::vector<Fingerprint>& stored,
                     const std::string& report_id, const std::string& case_id, bool sent_to_review,
                     storage::WriteBatch* batch) const {
  if (sent_to_review) {
    hirs::store::v1::MatchFeatures marked = features;
    marked.set_sent_to_review(true);
    batch->Put(storage::Family::kFeatures, report_id, marked.SerializeAsString());
  } else {
    batch->Put(storage::Family::kFeatures, report_id, features.SerializeAsString());
  }
  for (const Fingerprint& fp : stored) storage::SetFingerprintCase(fp.value, case_id, report_id, batch);
  batch->AddToCount(storage::Family::kCounts, kTotalKey, 1);
  for (const CountedTerm& term : kCountedTerms) {
    const std::string& value = (features.*term.value)();
    if (!value.empty()) batch->AddToCount(storage::Family::kCounts, CountKey(term.kind, value), 1);
  }
}

}  // namespace hirs::collation
