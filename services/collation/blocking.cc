#include "services/collation/blocking.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/civil_time.h"
#include "services/collation/comparators.h"
#include "services/collation/features.h"

namespace hirs::collation {
namespace {

constexpr int kBands = 4;
constexpr int kRowsPerBand = kMinHashSize / kBands;
constexpr int64_t kBucketSeconds = 6 * 3600;
constexpr size_t kCasesPerBand = 4;
constexpr size_t kCasesPerName = 4;

class Builder {
 public:
  Builder(const KeyedHasher& hasher, BlockingKeys* keys) : hasher_(hasher), keys_(keys) {}

  // A key stored and looked up as it is.
  void Exact(const char* kind, std::initializer_list<absl::string_view> parts, size_t max_cases = 0) {
    Fingerprint fp{kind, hasher_.Mac(absl::StrCat("block/", kind), parts), max_cases};
    keys_->lookup.push_back(fp);
    keys_->stored.push_back(std::move(fp));
  }

  // A key on `value` and a time step: stored for `step`, looked up for the
  // neighbouring steps too, so a time told a little differently still meets.
  void Windowed(const char* kind, absl::string_view value, int64_t step, size_t max_cases = 0) {
    Steps(kind, value, step, true, true, max_cases);
  }

  // A coarse place key, there for reports that give no finer place. Every
  // report is stored under `kind`; a vague one (no finer place) is also
  // stored under `vague_kind`. A vague report looks up `kind`, every other
  // report only `vague_kind`: two reports meet when either of them is
  // vague, and two precise reports meet through their finer keys, not
  // through every report of the district that day.
  void Coarse(const char* kind, const char* vague_kind, absl::string_view value, int64_t step, bool vague) {
    Steps(kind, value, step, /*store=*/true, /*look_up=*/vague);
    Steps(vague_kind, value, step, /*store=*/vague, /*look_up=*/!vague);
  }

 private:
  void Steps(const char* kind, absl::string_view value, int64_t step, bool store, bool look_up, size_t max_cases = 0) {
    for (int64_t s = step - 1; s <= step + 1; ++s) {
      if (!look_up && s != step) continue;
      Fingerprint fp{kind, hasher_.Mac(absl::StrCat("block/", kind), {value, absl::StrCat(s)}), max_cases};
      if (store && s == step) keys_->stored.push_back(fp);
      if (look_up) keys_->lookup.push_back(std::move(fp));
    }
  }

  const KeyedHasher& hasher_;
  BlockingKeys* const keys_;
};

}  // namespace

BlockingKeys BlockingKeysOf(const hirs::store::v1::MatchFeatures& f, Profile profile, const KeyedHasher& hasher) {
  BlockingKeys keys;
  Builder b(hasher, &keys);
  const std::string birth_year = f.date_of_birth().size() >= 4 ? f.date_of_birth().substr(0, 4) : "";
  const bool person = profile == Profile::kPerson;
  // Keys any profile uses: selective even in a store of millions.
  if (!f.phone().empty()) b.Exact("phone", {f.phone()});
  if (!f.email().empty()) b.Exact("email", {f.email()});
  if (!f.surname().empty() && !f.home_postcode().empty())
    b.Exact("surname_home_postcode", {f.surname(), f.home_postcode()});
  if (!f.surname().empty() && !f.given_name().empty()) {
    // In sorted order, so that swapped given name and surname still meet.
    // A common name is shared by many victims: for incidents, which also
    // meet through time and place, only its most recent cases are read.
    b.Exact("full_name", {std::min(f.given_name(), f.surname()), std::max(f.given_name(), f.surname())},
            person ? 0 : kCasesPerName);
  }
  if (!person) {
    // Incidents: duplicates meet through time and place; identity keys are
    // there to find the same victim's other cases, so they stay selective
    // (a date of birth alone, or a Soundex code with a year, is shared by
    // hundreds of people once the store is large).
    if (!f.date_of_birth().empty() && !f.surname().empty()) {
      b.Exact("date_of_birth_soundex_surname", {f.date_of_birth(), Soundex(f.surname())});
    }
  } else {
    // Persons: identity is all there is, so looser keys catch records whose
    // names and dates were mistyped.
    if (!f.surname().empty() && !birth_year.empty()) {
      b.Exact("soundex_surname_birth_year", {Soundex(f.surname()), birth_year});
    }
    if (!f.given_name().empty() && !birth_year.empty()) {
      b.Exact("soundex_given_birth_year", {Soundex(f.given_name()), birth_year});
    }
    if (!f.date_of_birth().empty()) b.Exact("date_of_birth", {f.date_of_birth()});
    if (!f.surname().empty() && !f.given_name().empty()) {
      b.Exact("soundex_surname_initial", {Soundex(f.surname()), f.given_name().substr(0, 1)});
    }
    if (!f.home_postcode().empty() && !birth_year.empty()) {
      b.Exact("home_postcode_birth_year", {f.home_postcode(), birth_year});
    }
  }
  if (profile == Profile::kPerson) return keys;

  if (!f.crime_reference().empty()) b.Exact("crime_reference", {f.crime_reference()});
  // Days count in the UK calendar, so an evening incident told as "about
  // 11pm" and "just after midnight" is one day apart, not two.
  const absl::CivilDay day = absl::ToCivilDay(absl::FromUnixSeconds(f.occurred_start()), UkTimeZone());
  const int64_t day_number = day - absl::CivilDay(1970, 1, 1);
  if (!f.postcode().empty()) b.Windowed("postcode_day", f.postcode(), day_number);
  if (!f.postcode_sector().empty()) b.Windowed("sector_day", f.postcode_sector(), day_number);
  if (!f.postcode_outward().empty()) {
    b.Coarse("outward_day", "outward_day_vague", f.postcode_outward(), day_number, f.postcode_sector().empty());
  }
  if (!f.district_code().empty()) {
    b.Coarse("district_6h", "district_6h_vague", f.district_code(), f.occurred_start() / kBucketSeconds,
             f.postcode_outward().empty());
  }
  if (!f.online_platform().empty()) b.Windowed("platform_day", f.online_platform(), day_number);
  if (f.description_minhash_size() == kMinHashSize) {
    for (int band = 0; band < kBands; ++band) {
      std::string rows = absl::StrCat(band, ":");
      for (int r = 0; r < kRowsPerBand; ++r)
        absl::StrAppend(&rows, f.description_minhash(band * kRowsPerBand + r), ",");
      // A backstop: everyday wording repeats across unrelated incidents,
      // so a band is keyed with the day (reports of one incident tell of
      // the same days) and read for a few cases only.
      b.Windowed("description_band_day", rows, day_number, kCasesPerBand);
    }
  }
  return keys;
}

}  // namespace hirs::collation
