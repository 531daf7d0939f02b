#include "tests/eval/eval.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/civil_time.h"
#include "common/status_macros.h"
#include "services/collation/matcher.h"
#include "services/collation/probabilistic_collator.h"
#include "services/intake/intake.h"
#include "services/intake/normalise.h"
#include "services/intake/postcode.h"
#include "services/intake/postcode_default_table.h"
#include "storage/store.h"

namespace hirs::eval {
namespace {

// A store in a fresh temporary directory, removed with it.
class ScratchStore {
 public:
  ScratchStore() {
    std::string templ = (std::filesystem::temp_directory_path() / "hirs-eval-XXXXXX").string();
    dir_ = mkdtemp(templ.data());
    storage::StoreOptions options;
    options.path = dir_;
    options.sync_writes = false;  // the harness measures matching, not fsync
    store_ = std::move(storage::Store::Open(options)).value();
  }
  ~ScratchStore() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  storage::Store* get() { return store_.get(); }

 private:
  std::string dir_;
  std::unique_ptr<storage::Store> store_;
};

// Pair completeness as record-linkage papers define it: the share of true
// pairs that share at least one blocking key (before any per-key cap).
class PairCompleteness {
 public:
  // Adds a record; returns how many earlier records of its entity share a
  // key with it.
  size_t Add(const std::string& entity, const collation::BlockingKeys& keys) {
    std::set<size_t> matched;
    for (const auto& fp : keys.lookup) {
      auto it = records_by_key_.find(fp.value);
      if (it == records_by_key_.end()) continue;
      for (size_t idx : it->second) {
        if (entities_[idx] == entity) matched.insert(idx);
      }
    }
    const size_t idx = entities_.size();
    entities_.push_back(entity);
    for (const auto& fp : keys.stored) records_by_key_[fp.value].push_back(idx);
    return matched.size();
  }

 private:
  std::vector<std::string> entities_;
  absl::flat_hash_map<std::string, std::vector<size_t>> records_by_key_;
};

// Times the collator's calls for one submission (Plan, then Decide), so
// that matching cost can be told apart from the rest of intake.
class TimedCollator final : public collation::Collator {
 public:
  explicit TimedCollator(const collation::Collator* inner) : inner_(inner) {}
  collation::CollationPlan Plan(const collation::CollationInput& input) const override {
    const absl::Time t0 = absl::Now();
    auto plan = inner_->Plan(input);
    elapsed_ = absl::Now() - t0;
    return plan;
  }
  absl::StatusOr<collation::Decision> Decide(const collation::CollationPlan& plan,
                                             const storage::Store& store) const override {
    const absl::Time t0 = absl::Now();
    auto decision = inner_->Decide(plan, store);
    elapsed_ += absl::Now() - t0;
    return decision;
  }
  void Record(const collation::CollationPlan& plan, const std::string& report_id, const std::string& case_id,
              hirs::v1::CollationOutcome outcome, storage::WriteBatch* batch) const override {
    inner_->Record(plan, report_id, case_id, outcome, batch);
  }
  absl::Status Settle(const std::string& report_id, const storage::Store& store,
                      storage::WriteBatch* batch) const override {
    return inner_->Settle(report_id, store, batch);
  }
  absl::StatusOr<std::vector<std::string>> StoredKeys(const std::string& report_id,
                                                      const storage::Store& store) const override {
    return inner_->StoredKeys(report_id, store);
  }
  void Move(const std::vector<std::string>& keys, const std::string& report_id, const std::string& from,
            const std::string& to, const std::map<std::string, std::string>& staying,
            storage::WriteBatch* batch) const override {
    inner_->Move(keys, report_id, from, to, staying, batch);
  }
  absl::Status Forget(const std::vector<std::string>& report_ids, const std::vector<std::string>& other_report_ids,
                      const std::string& case_id, const storage::Store& store,
                      storage::WriteBatch* batch) const override {
    return inner_->Forget(report_ids, other_report_ids, case_id, store, batch);
  }
  absl::Status Drop(const std::string& report_id, const std::vector<std::string>& other_report_ids,
                    const std::string& case_id, const storage::Store& store,
                    storage::WriteBatch* batch) const override {
    return inner_->Drop(report_id, other_report_ids, case_id, store, batch);
  }
  // Plan plus Decide of the last submission. Single-threaded use only.
  absl::Duration last() const { return elapsed_; }

 private:
  const collation::Collator* const inner_;
  mutable absl::Duration elapsed_;
};

const collation::KeyedHasher& EvalHasher() {
  static const auto* const hasher = new collation::KeyedHasher(std::string(32, 'e'));
  return *hasher;
}

}  // namespace

double Metrics::Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

double Metrics::MedianMicros() const { return Median(micros_per_record); }

std::string Metrics::ToText(const std::string& title) const {
  std::string matching;
  if (!matching_micros.empty()) {
    std::vector<double> v = matching_micros;
    std::sort(v.begin(), v.end());
    matching = absl::StrFormat(
        "  matching (blocking, candidates, scoring, decision): median %.0f us, p90 %.0f us, p99 %.0f us\n",
        v[v.size() / 2], v[v.size() * 9 / 10], v[v.size() * 99 / 100]);
  }
  return matching +
         absl::StrFormat(
             "%s\n"
             "  records %zu  true pairs %zu  predicted pairs %zu  correct %zu\n"
             "  precision %.4f  recall %.4f  F1 %.4f\n"
             "  pair completeness (true pairs sharing a blocking key) %.4f  candidates compared per record %.1f\n"
             "  sent to review %.2f%%  time per record (%s): median %.0f us, mean %.0f us\n",
             title, records, true_pairs, predicted_pairs, correct_pairs, precision(), recall(), f1(),
             pair_completeness(), records ? double(candidate_comparisons) / records : 0, 100 * review_share(), timed,
             MedianMicros(), records ? seconds * 1e6 / records : 0);
}

void CountPairs(const std::vector<std::string>& truth, const std::vector<std::string>& predicted, Metrics* m) {
  auto pairs = [](size_t n) { return n * (n - 1) / 2; };
  std::map<std::string, size_t> by_truth, by_predicted;
  std::map<std::pair<std::string, std::string>, size_t> by_both;
  for (size_t i = 0; i < truth.size(); ++i) {
    ++by_truth[truth[i]];
    ++by_predicted[predicted[i]];
    ++by_both[{truth[i], predicted[i]}];
  }
  m->records = truth.size();
  m->true_pairs = m->predicted_pairs = m->correct_pairs = 0;
  for (const auto& [k, n] : by_truth) m->true_pairs += pairs(n);
  for (const auto& [k, n] : by_predicted) m->predicted_pairs += pairs(n);
  for (const auto& [k, n] : by_both) m->correct_pairs += pairs(n);
}

absl::StatusOr<std::vector<PersonRecord>> LoadFebrl(const std::string& path, const std::string& entity_prefix) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::vector<PersonRecord> out;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (header || line.empty()) {
      header = false;
      continue;
    }
    std::vector<std::string> f = absl::StrSplit(line, ',');
    if (f.size() != 11) return absl::InvalidArgumentError(absl::StrCat(path, ": a row without 11 fields: ", line));
    for (auto& field : f) field = std::string(absl::StripAsciiWhitespace(field));
    PersonRecord r;
    r.rec_id = f[0];
    std::vector<std::string> id = absl::StrSplit(f[0], '-');
    if (id.size() < 3) return absl::InvalidArgumentError(absl::StrCat(path, ": bad rec_id ", f[0]));
    r.entity = entity_prefix + id[1];
    auto& x = r.features;
    x.set_given_name(f[1]);
    x.set_surname(f[2]);
    x.set_address(absl::StrJoin({f[3], f[4], f[5], f[6]}, " "));
    x.set_home_postcode(f[7]);
    x.set_date_of_birth(f[9]);
    x.set_phone(f[10]);  // soc_sec_id stands in for a phone number
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<Metrics> RunFebrl(const std::vector<PersonRecord>& records) {
  ScratchStore store;
  collation::MatcherOptions options;
  options.profile = collation::Profile::kPerson;
  options.attach_threshold = 8.0;  // by sweep over FEBRL 1-4: precision stays 1.0 down to 7
  collation::Matcher matcher(&EvalHasher(), collation::MatchModel::PersonDefault(), options);
  Metrics m;
  m.timed = "matching and writing";
  std::vector<std::string> truth, predicted;
  std::vector<hirs::v1::CollationOutcome> outcomes;
  PairCompleteness completeness;
  const absl::Time start = absl::Now();
  for (size_t i = 0; i < records.size(); ++i) {
    const PersonRecord& r = records[i];
    const absl::Time t0 = absl::Now();
    const collation::BlockingKeys keys = matcher.Keys(r.features);
    ASSIGN_OR_RETURN(std::vector<collation::Candidate> candidates,
                     matcher.FindCandidates(r.features, keys.lookup, *store.get()));
    const collation::Decision d = matcher.Decide(candidates);
    const std::string report_id = absl::StrCat("r", i);
    const std::string case_id = d.outcome == hirs::v1::ATTACHED_TO_CASE ? d.case_id : absl::StrCat("c", i);
    storage::WriteBatch batch;
    matcher.Record(r.features, keys.stored, report_id, case_id, /*sent_to_review=*/false, &batch);
    RETURN_IF_ERROR(store.get()->Write(std::move(batch)));
    m.micros_per_record.push_back(absl::ToDoubleMicroseconds(absl::Now() - t0));
    m.true_pairs_in_candidates += completeness.Add(r.entity, keys);
    m.candidate_comparisons += candidates.size();
    truth.push_back(r.entity);
    predicted.push_back(case_id);
  }
  m.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  CountPairs(truth, predicted, &m);
  return m;
}

// ---------------------------------------------------------------------------
// The incident generator.
namespace {

// Fictitious names of the mix found in Leicestershire.
constexpr const char* kGivenNames[] = {
    "mohammed", "aisha",   "fatima",    "ahmed",  "priya",  "rajesh",    "sunita",  "arjun",  "deepa",    "harpreet",
    "gurpreet", "amrit",   "jaswinder", "kiran",  "ravi",   "neha",      "anil",    "meera",  "yusuf",    "zainab",
    "omar",     "hassan",  "amina",     "abdi",   "hodan",  "farah",     "ayaan",   "oliver", "george",   "harry",
    "jack",     "jacob",   "charlie",   "thomas", "james",  "william",   "emily",   "olivia", "amelia",   "isla",
    "ava",      "jessica", "sophie",    "grace",  "chloe",  "lucy",      "daniel",  "ryan",   "liam",     "connor",
    "megan",    "hannah",  "katarzyna", "piotr",  "tomasz", "agnieszka", "marek",   "anna",   "andrei",   "ioana",
    "mihai",    "elena",   "darius",    "kwame",  "ama",    "chidi",     "ngozi",   "tunde",  "blessing", "samuel",
    "grace",    "joseph",  "maria",     "jose",   "lukas",  "sofia",     "ibrahim", "maryam", "bilal",    "sana",
    "imran",    "nadia"};
constexpr const char* kSurnames[] = {
    "patel",    "khan",       "singh",   "kaur",     "ahmed",       "hussain",  "begum",   "ali",       "shah",
    "mistry",   "parmar",     "chauhan", "lad",      "solanki",     "vaghela",  "gohil",   "chudasama", "sharma",
    "gupta",    "mehta",      "joshi",   "desai",    "rahman",      "islam",    "uddin",   "mahmood",   "iqbal",
    "hassan",   "mohamed",    "abdi",    "warsame",  "farah",       "osman",    "smith",   "jones",     "taylor",
    "brown",    "williams",   "wilson",  "johnson",  "davies",      "robinson", "wright",  "thompson",  "evans",
    "walker",   "white",      "roberts", "green",    "hall",        "wood",     "jackson", "clarke",    "nowak",
    "kowalski", "wisniewski", "wojcik",  "kaminski", "lewandowski", "popescu",  "ionescu", "popa",      "okafor",
    "adeyemi",  "mensah",     "owusu",   "boateng",  "nwosu",       "adebayo",  "osei",    "fernandes", "silva",
    "santos",   "costa",      "kumar",   "bibi",     "akhtar",      "javed",    "qureshi", "malik",     "chowdhury",
    "miah",     "sheikh",     "bhatt",   "pandya",   "thakkar",     "raval",    "tailor",  "makwana",   "jadeja",
    "rathod",   "dabhi",      "bhatti",  "sandhu",   "gill",        "dhillon"};
constexpr const char* kActors[] = {"two men",           "a man",        "a woman",    "a group of teenagers",
                                   "three youths",      "an older man", "two women",  "a cyclist",
                                   "a taxi driver",     "a neighbour",  "a customer", "a group of men",
                                   "a delivery driver", "a passenger"};
constexpr const char* kActions[] = {"shouted racist abuse",
                                    "spat",
                                    "threw a bottle",
                                    "pushed",
                                    "threatened",
                                    "made monkey noises",
                                    "pulled at headscarf",
                                    "mocked accent",
                                    "filmed",
                                    "kicked door",
                                    "sprayed graffiti",
                                    "called names",
                                    "blocked the path",
                                    "threw eggs",
                                    "followed home",
                                    "smashed window",
                                    "mimicked disability"};
constexpr const char* kPlaces[] = {"bus stop",       "corner shop",  "park",          "car park", "playground",
                                   "petrol station", "takeaway",     "train station", "market",   "library",
                                   "supermarket",    "pub",          "mosque",        "temple",   "gurdwara",
                                   "church",         "school gates", "allotment"};
constexpr const char* kDetails[] = {
    "red car",      "black hoodie", "white van",   "dog",          "scooter",        "football shirt",
    "baseball cap", "blue jacket",  "bicycle",     "mobile phone", "grey tracksuit", "silver hatchback",
    "rucksack",     "tattoo",       "beard",       "glasses",      "pushchair",      "motorbike",
    "green coat",   "umbrella",     "can of beer", "flag",         "balaclava"};
constexpr const char* kFillers[] = {"I was",  "They were",          "It happened",    "The victim was", "Someone was",
                                    "We saw", "My client reported", "The pupil said", "I witnessed"};

template <size_t N>
const char* Pick(std::mt19937_64& rng, const char* const (&list)[N]) {
  return list[std::uniform_int_distribution<size_t>(0, N - 1)(rng)];
}

bool Chance(std::mt19937_64& rng, double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }
int Uniform(std::mt19937_64& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

struct Victim {
  std::string id, name, dob, phone, email, home;
  bool child = false;
};

struct Incident {
  std::string id;
  const Victim* victim;  // may be null (victim unknown, e.g. graffiti)
  int64_t when;
  std::string postcode;  // full
  std::string district;
  hirs::v1::PlaceType place_type;
  std::vector<hirs::v1::Motivation> motivations;
  std::vector<hirs::v1::IncidentType> types;
  std::string actor, action, place, detail, detail2;
  std::string crime_reference;
  bool school = false;
  const char* kind = "ordinary";
};

// A typing error: one character replaced, dropped, doubled or swapped.
std::string Typo(std::mt19937_64& rng, const std::string& s) {
  if (s.size() < 3) return s;
  std::string t = s;
  const size_t i = Uniform(rng, 1, static_cast<int>(s.size()) - 2);
  switch (Uniform(rng, 0, 3)) {
    case 0:
      t[i] = static_cast<char>('a' + Uniform(rng, 0, 25));
      break;
    case 1:
      t.erase(i, 1);
      break;
    case 2:
      t.insert(i, 1, t[i]);
      break;
    default:
      std::swap(t[i], t[i + 1]);
      break;
  }
  return t;
}

std::string Capitalised(const std::string& name) {
  std::string out;
  bool start = true;
  for (char c : name) {
    out.push_back(start ? absl::ascii_toupper(static_cast<unsigned char>(c)) : c);
    start = c == ' ';
  }
  return out;
}

class Generator {
 public:
  explicit Generator(const GeneratorOptions& o) : o_(o), rng_(o.seed) {
    // Sectors of the bundled table, with their districts.
    std::istringstream table(intake::kLeicestershireSectorTable);
    std::string line;
    std::getline(table, line);  // header
    while (std::getline(table, line)) {
      std::vector<std::string> f = absl::StrSplit(line, ',');
      if (f.size() == 2 && hirs::IsAreaDistrictCode(f[1])) sectors_.push_back({f[0], f[1]});
    }
  }

  std::vector<GeneratedReport> Run() {
    std::vector<GeneratedReport> out;
    while (out.size() < o_.reports) {
      const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
      std::vector<Incident> incidents;
      if (r < 0.08) {
        RepeatVictimSeries(&incidents);
      } else if (r < 0.15) {
        Hotspot(&incidents);
      } else if (r < 0.20) {
        SchoolDay(&incidents);
      } else {
        incidents.push_back(Ordinary(NewVictim(false), RandomTime(), RandomPostcode()));
      }
      for (const Incident& inc : incidents) {
        // A series that would run past the end of the period stops there.
        if (inc.when < o_.end_unix) Reports(inc, &out);
      }
    }
    out.resize(o_.reports);
    // Reports arrive in the order they were made, not incident by incident.
    std::stable_sort(out.begin(), out.end(), [](const GeneratedReport& a, const GeneratedReport& b) {
      return a.request.report().received_at().seconds() < b.request.report().received_at().seconds();
    });
    for (auto& g : out) g.request.mutable_report()->clear_received_at();
    return out;
  }

 private:
  struct Place {
    std::string postcode, district;
  };

  Place RandomPostcode() {
    const auto& [sector, district] = sectors_[Uniform(rng_, 0, static_cast<int>(sectors_.size()) - 1)];
    static constexpr char kInward[] = "ABDEFGHJLNPQRSTUWXYZ";
    return {absl::StrCat(sector, std::string(1, kInward[Uniform(rng_, 0, 19)]),
                         std::string(1, kInward[Uniform(rng_, 0, 19)])),
            district};
  }

  int64_t RandomTime() {
    // Evenings are busier; times fall on whole minutes.
    const int64_t day = o_.end_unix / 86400 - Uniform(rng_, 1, o_.days);
    const int hour = Chance(rng_, 0.6) ? Uniform(rng_, 15, 23) : Uniform(rng_, 7, 14);
    return day * 86400 + hour * 3600 + Uniform(rng_, 0, 59) * 60;
  }

  const Victim* NewVictim(bool child) {
    auto v = std::make_unique<Victim>();
    v->id = absl::StrCat("v", victims_.size());
    v->name = absl::StrCat(Pick(rng_, kGivenNames), " ", Pick(rng_, kSurnames));
    const int year = child ? Uniform(rng_, 2009, 2014) : Uniform(rng_, 1940, 2006);
    v->dob = absl::StrFormat("%04d-%02d-%02d", year, Uniform(rng_, 1, 12), Uniform(rng_, 1, 28));
    if (!child && Chance(rng_, 0.6))
      v->phone = absl::StrFormat("07%03d %06d", Uniform(rng_, 100, 999), Uniform(rng_, 0, 999999));
    if (!child && Chance(rng_, 0.3))
      v->email = absl::StrCat(absl::StrReplaceAll(v->name, {{" ", "."}}), Uniform(rng_, 1, 99), "@example.org");
    v->home = RandomPostcode().postcode;
    v->child = child;
    victims_.push_back(std::move(v));
    return victims_.back().get();
  }

  Incident Ordinary(const Victim* victim, int64_t when, const Place& place) {
    Incident inc;
    inc.id = absl::StrCat("i", next_incident_++);
    inc.victim = victim;
    inc.when = when;
    inc.postcode = place.postcode;
    inc.district = place.district;
    static constexpr hirs::v1::PlaceType kPlaceTypes[] = {hirs::v1::STREET_OR_PUBLIC_PLACE,
                                                          hirs::v1::STREET_OR_PUBLIC_PLACE,
                                                          hirs::v1::HOME,
                                                          hirs::v1::PUBLIC_TRANSPORT,
                                                          hirs::v1::SHOP_OR_BUSINESS,
                                                          hirs::v1::WORKPLACE,
                                                          hirs::v1::LEISURE_OR_NIGHT_TIME_ECONOMY};
    inc.place_type = kPlaceTypes[Uniform(rng_, 0, 6)];
    const double m = std::uniform_real_distribution<double>(0, 1)(rng_);
    inc.motivations.push_back(m < 0.5    ? hirs::v1::RACE
                              : m < 0.65 ? hirs::v1::RELIGION_OR_BELIEF
                              : m < 0.77 ? hirs::v1::SEXUAL_ORIENTATION
                              : m < 0.87 ? hirs::v1::DISABILITY
                              : m < 0.92 ? hirs::v1::TRANSGENDER_IDENTITY
                                         : static_cast<hirs::v1::Motivation>(Uniform(rng_, 6, 9)));
    if (Chance(rng_, 0.2)) inc.motivations.push_back(static_cast<hirs::v1::Motivation>(Uniform(rng_, 1, 5)));
    inc.types.push_back(static_cast<hirs::v1::IncidentType>(Chance(rng_, 0.5) ? 1 : Uniform(rng_, 1, 8)));
    if (Chance(rng_, 0.3)) inc.types.push_back(static_cast<hirs::v1::IncidentType>(Uniform(rng_, 1, 8)));
    inc.actor = Pick(rng_, kActors);
    inc.action = Pick(rng_, kActions);
    inc.place = Pick(rng_, kPlaces);
    inc.detail = Pick(rng_, kDetails);
    inc.detail2 = Pick(rng_, kDetails);
    if (Chance(rng_, 0.2)) inc.crime_reference = absl::StrFormat("LE/%07d/%02d", Uniform(rng_, 1, 9999999), 25);
    return inc;
  }

  // The same person targeted again and again, often near home: separate
  // incidents that must stay separate cases (linked).
  void RepeatVictimSeries(std::vector<Incident>* out) {
    const Victim* v = NewVictim(false);
    const Place home{v->home, ""};
    Place place = RandomPostcode();
    place.postcode = home.postcode;
    int64_t when = RandomTime();
    const int n = Uniform(rng_, 2, 4);
    for (int i = 0; i < n; ++i) {
      Incident inc = Ordinary(v, when, Chance(rng_, 0.7) ? place : RandomPostcode());
      inc.kind = "repeat_victim";
      if (!out->empty()) inc.motivations = out->front().motivations;  // the same hostility each time
      out->push_back(inc);
      when += Uniform(rng_, 4, 30) * 86400 + Uniform(rng_, -3, 3) * 3600;
    }
  }

  // One street, different victims, days apart or the same day hours apart.
  void Hotspot(std::vector<Incident>* out) {
    const Place place = RandomPostcode();
    const int64_t base = RandomTime();
    const int n = Uniform(rng_, 2, 4);
    for (int i = 0; i < n; ++i) {
      const int64_t when = base + (Chance(rng_, 0.5) ? Uniform(rng_, 3, 10) * 3600 : Uniform(rng_, 1, 20) * 86400);
      out->push_back(Ordinary(NewVictim(false), i == 0 ? base : when, place));
      out->back().kind = "hotspot";
    }
  }

  // Several incidents at one school on one day, different pupils.
  void SchoolDay(std::vector<Incident>* out) {
    const Place school = RandomPostcode();
    const int64_t day = RandomTime() / 86400 * 86400;
    const int n = Uniform(rng_, 2, 3);
    for (int i = 0; i < n; ++i) {
      Incident inc = Ordinary(NewVictim(true), day + Uniform(rng_, 8, 15) * 3600 + Uniform(rng_, 0, 59) * 60, school);
      inc.place_type = hirs::v1::SCHOOL_OR_COLLEGE;
      inc.school = true;
      inc.kind = "school_day";
      inc.place = "school";
      inc.crime_reference.clear();
      out->push_back(inc);
    }
  }

  std::string Describe(const Incident& inc, bool victim_voice) {
    std::vector<std::string> parts = {Pick(rng_, kFillers)};
    if (Chance(rng_, 0.8)) parts.push_back(absl::StrCat("at the ", inc.place));
    parts.push_back(absl::StrCat(inc.actor, " ", inc.action));
    if (Chance(rng_, 0.7)) parts.push_back(absl::StrCat("one had a ", inc.detail));
    if (Chance(rng_, 0.5)) parts.push_back(absl::StrCat("there was a ", inc.detail2));
    if (Chance(rng_, 0.3)) parts.push_back(victim_voice ? "I felt scared" : "they looked frightened");
    std::shuffle(parts.begin() + 1, parts.end(), rng_);
    return absl::StrJoin(parts, ", ") + ".";
  }

  void Reports(const Incident& inc, std::vector<GeneratedReport>* out) {
    const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    const int n = r < 0.62 ? 1 : r < 0.85 ? 2 : r < 0.95 ? 3 : Uniform(rng_, 4, 5);
    int centre = Uniform(rng_, 0, 39);
    for (int k = 0; k < n; ++k) {
      GeneratedReport g;
      g.incident = inc.id;
      g.kind = inc.kind;
      // Duplicates mostly come from other agencies.
      if (k > 0 && Chance(rng_, 0.85)) centre = (centre + Uniform(rng_, 1, 39)) % 40;
      g.centre = absl::StrCat("centre-", centre);
      auto& req = g.request;
      req.set_request_id(absl::StrCat(inc.id, "-", k));
      auto& rep = *req.mutable_report();
      const bool first = k == 0;
      const hirs::v1::ReporterRole role =
          first ? (inc.school || Chance(rng_, 0.3) ? hirs::v1::THIRD_PARTY : hirs::v1::VICTIM)
                : static_cast<hirs::v1::ReporterRole>(Uniform(rng_, 1, 3));
      rep.set_reporter_role(role);
      rep.set_source_reference(absl::StrCat("SRC-", out->size()));
      // When: as told. Later reports shift the time; a few get the day wrong.
      int64_t when = inc.when;
      if (!first) {
        const double t = std::uniform_real_distribution<double>(0, 1)(rng_);
        when += t < 0.75   ? Uniform(rng_, -45, 45) * 60
                : t < 0.95 ? Uniform(rng_, -180, 180) * 60
                           : 86400 * (Chance(rng_, 0.5) ? 1 : -1);
      }
      rep.mutable_occurred_start()->set_seconds(when);
      // Where: the full postcode, or only part of it with the district.
      const double p = std::uniform_real_distribution<double>(0, 1)(rng_);
      auto* loc = rep.mutable_location();
      // Reporters name the kind of place differently now and then.
      loc->set_place_type(!first && Chance(rng_, 0.15) ? hirs::v1::STREET_OR_PUBLIC_PLACE : inc.place_type);
      if (first || p < 0.75) {
        loc->set_postcode(Chance(rng_, 0.5) ? inc.postcode
                                            : absl::AsciiStrToLower(absl::StrReplaceAll(inc.postcode, {{" ", ""}})));
      } else if (p < 0.88) {
        loc->set_postcode(inc.postcode.substr(0, inc.postcode.size() - 2));  // sector
        loc->set_district_code(inc.district);
      } else {
        loc->set_postcode(inc.postcode.substr(0, inc.postcode.find(' ')));  // outward code
        loc->set_district_code(inc.district);
      }
      static constexpr const char* kPlacePhrases[] = {
          "near the ", "outside the ", "by the ", "at the ", "", "round the corner from the ", "opposite the "};
      if (Chance(rng_, 0.85)) loc->set_description(absl::StrCat(Pick(rng_, kPlacePhrases), inc.place));
      // What: motivations and types as this reporter saw them.
      std::vector<hirs::v1::Motivation> mot = inc.motivations;
      if (!first && Chance(rng_, 0.2)) {
        if (mot.size() > 1)
          mot.pop_back();
        else
          mot.push_back(static_cast<hirs::v1::Motivation>(Uniform(rng_, 1, 5)));
      }
      for (auto m : mot) rep.add_motivations(m);
      std::vector<hirs::v1::IncidentType> types = inc.types;
      if (!first && Chance(rng_, 0.25)) types.push_back(static_cast<hirs::v1::IncidentType>(Uniform(rng_, 1, 8)));
      for (auto t : types) rep.add_incident_types(t);
      rep.set_description(Describe(inc, role == hirs::v1::VICTIM));
      rep.set_school_related(inc.school);
      // Who: victims and third parties know the victim (with typing
      // errors); witnesses mostly do not.
      if (inc.victim != nullptr && (role != hirs::v1::WITNESS || Chance(rng_, 0.15))) {
        g.victim = inc.victim->id;
        auto* v = rep.mutable_victim();
        std::string name = inc.victim->name;
        if (!first && Chance(rng_, 0.15)) name = Typo(rng_, name);
        if (role == hirs::v1::WITNESS) name = name.substr(name.find(' ') + 1);  // surname only
        v->set_full_name(Capitalised(name));
        if (role != hirs::v1::WITNESS && Chance(rng_, 0.85)) {
          std::string dob = inc.victim->dob;
          if (!first && Chance(rng_, 0.05)) std::swap(dob[8], dob[9]);
          if (dob.substr(8) == "00" || dob.substr(8) > "28") dob = inc.victim->dob;
          v->set_date_of_birth(dob);
        }
        if (role == hirs::v1::VICTIM && !inc.victim->phone.empty() && Chance(rng_, 0.7))
          v->set_phone(inc.victim->phone);
        if (role == hirs::v1::VICTIM && !inc.victim->email.empty() && Chance(rng_, 0.5))
          v->set_email(inc.victim->email);
        if (Chance(rng_, 0.6)) v->set_postcode(inc.victim->home);
        rep.mutable_consent()->set_share_with_police(Chance(rng_, 0.7));
      }
      if (!inc.crime_reference.empty() && Chance(rng_, 0.6)) rep.set_crime_reference(inc.crime_reference);
      // Reports arrive hours to weeks after the incident.
      rep.mutable_received_at()->set_seconds(inc.when + Uniform(rng_, 1, 24 * 21) * 3600);
      out->push_back(std::move(g));
    }
  }

  const GeneratorOptions o_;
  std::mt19937_64 rng_;
  std::vector<std::pair<std::string, std::string>> sectors_;
  std::vector<std::unique_ptr<Victim>> victims_;
  int next_incident_ = 0;
};

}  // namespace

std::vector<GeneratedReport> GenerateIncidents(const GeneratorOptions& options) { return Generator(options).Run(); }

absl::StatusOr<IncidentRun> RunIncidents(const std::vector<GeneratedReport>& reports,
                                         const IncidentRunOptions& options) {
  ScratchStore store;
  auto router = intake::DistrictRouter::LeicestershireDefault();
  collation::ProbabilisticCollator collator(&EvalHasher(), collation::MatchModel::Default(), options.matcher);
  // The clock sits after every generated incident (the generator's end).
  const absl::Time now = absl::FromUnixSeconds(GeneratorOptions().end_unix + 7 * 86400);
  TimedCollator timed(&collator);
  storage::CaseLocks locks;
  intake::Intake intake(store.get(), &locks, &timed, router.get(), &EvalHasher(), [now] { return now; });

  IncidentRun run;
  std::vector<std::string> truth, predicted;
  std::vector<hirs::v1::CollationOutcome> outcomes;
  absl::flat_hash_map<std::string, std::string> incident_of_report, victim_of_case_report;
  absl::flat_hash_map<std::string, std::string> victim_of_report;
  PairCompleteness completeness;
  int shown = 0;
  const absl::Time start = absl::Now();
  for (const GeneratedReport& g : reports) {
    if (options.collect_pairs) {
      hirs::v1::Report report = g.request.report();
      const auto normalised = intake::Normalise(report, *router);
      const auto plan = collator.Plan({&report, &normalised, g.centre});
      ASSIGN_OR_RETURN(auto candidates, collator.matcher().FindCandidates(plan.features, plan.lookup, *store.get()));
      for (const auto& c : candidates) {
        run.pairs.push_back(c.score.levels);
        run.pair_is_match.push_back(incident_of_report[c.report_id] == g.incident);
      }
      run.metrics.true_pairs_in_candidates += completeness.Add(g.incident, {plan.stored, plan.lookup});
      run.metrics.candidate_comparisons += candidates.size();
    }
    const absl::Time t0 = absl::Now();
    ASSIGN_OR_RETURN(intake::SubmitResult result, intake.Submit(g.centre, g.request));
    run.metrics.micros_per_record.push_back(absl::ToDoubleMicroseconds(absl::Now() - t0));
    run.metrics.matching_micros.push_back(absl::ToDoubleMicroseconds(timed.last()));
    if (result.collation == hirs::v1::NEEDS_REVIEW) ++run.metrics.reviews;
    if (result.collation == hirs::v1::ATTACHED_TO_CASE && options.show_false_merges > shown) {
      auto c = storage::ReadProto<hirs::store::v1::StoredCase>(*store.get(), storage::Family::kCases, result.case_id);
      if (c.ok() && c->has_value() && incident_of_report[(*c)->case_().report_ids(0)] != g.incident) {
        ++shown;
        std::string text = absl::StrCat("false merge (", g.kind, "): ");
        for (const auto& cmp : (*c)->case_().explanations().rbegin()->comparisons()) {
          absl::StrAppend(&text, cmp.field(), "=", cmp.level(), "(", absl::StrFormat("%.1f", cmp.weight()), ") ");
        }
        std::fprintf(stderr, "%s score %.1f\n", text.c_str(), result.match_score);
      }
    }
    incident_of_report[result.report_id] = g.incident;
    if ((truth.size() + 1) % 100000 == 0) {  // progress on long runs
      std::fprintf(stderr, "  %zu reports, matching median so far %.0f us\n", truth.size() + 1,
                   Metrics::Median(run.metrics.matching_micros));
    }
    victim_of_report[result.report_id] = g.victim;
    truth.push_back(g.incident);
    predicted.push_back(result.case_id);
    outcomes.push_back(result.collation);
  }
  run.metrics.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  CountPairs(truth, predicted, &run.metrics);
  // Where precision goes: the false pairs of each case, by incident kinds.
  std::map<std::string, std::map<std::string, size_t>> incidents_of_case;  // case -> incident -> reports
  std::map<std::string, std::string> kind_of_incident;
  for (size_t i = 0; i < reports.size(); ++i) {
    ++incidents_of_case[predicted[i]][truth[i]];
    kind_of_incident[truth[i]] = reports[i].kind;
  }
  std::map<std::string, std::vector<size_t>> reports_of_incident;
  for (size_t i = 0; i < reports.size(); ++i) reports_of_incident[truth[i]].push_back(i);
  for (const auto& [incident, indexes] : reports_of_incident) {
    for (size_t a = 0; a < indexes.size(); ++a) {
      for (size_t b = a + 1; b < indexes.size(); ++b) {
        if (predicted[indexes[a]] == predicted[indexes[b]]) continue;
        ++run.missed_pairs_by_outcome[hirs::v1::CollationOutcome_Name(outcomes[indexes[b]])];
      }
    }
  }
  for (const auto& [case_id, incidents] : incidents_of_case) {
    for (auto a = incidents.begin(); a != incidents.end(); ++a) {
      for (auto b = std::next(a); b != incidents.end(); ++b) {
        std::string ka = kind_of_incident[a->first], kb = kind_of_incident[b->first];
        if (kb < ka) std::swap(ka, kb);
        run.false_pairs_by_kind[absl::StrCat(ka, "+", kb)] += a->second * b->second;
      }
    }
  }
  // Repeat-victim links: every linked case should hold a report about the
  // same victim as the linking case.
  RETURN_IF_ERROR(store.get()->Scan(storage::Family::kCases, "", 0, [&](absl::string_view, absl::string_view value) {
    hirs::store::v1::StoredCase c;
    if (!c.ParseFromString(std::string(value))) return true;
    std::set<std::string> victims;
    for (const auto& id : c.case_().report_ids()) {
      if (!victim_of_report[id].empty()) victims.insert(victim_of_report[id]);
    }
    for (const auto& linked : c.case_().linked_case_ids()) {
      ++run.repeat_victim_links;
      auto other = storage::ReadProto<hirs::store::v1::StoredCase>(*store.get(), storage::Family::kCases, linked);
      if (!other.ok() || !other->has_value()) continue;
      bool same = false;
      for (const auto& id : (*other)->case_().report_ids()) same |= victims.count(victim_of_report[id]) > 0;
      run.correct_repeat_links += same;
    }
    return true;
  }));
  return run;
}

}  // namespace hirs::eval
