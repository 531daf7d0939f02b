#include "services/collation/features.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "common/civil_time.h"
#include "services/collation/comparators.h"

namespace hirs::collation {
namespace {

// Words that say nothing about which incident a description is about.
const absl::flat_hash_set<absl::string_view>& StopWords() {
  static const auto* const words = new absl::flat_hash_set<absl::string_view>{
      "the",   "and",   "was",   "were",    "with",   "that",    "this",   "they",  "them",  "their", "there",
      "then",  "than",  "for",   "from",    "have",   "had",     "has",    "his",   "her",   "him",   "she",
      "you",   "your",  "our",   "are",     "been",   "but",     "not",    "who",   "what",  "when",  "where",
      "which", "while", "about", "after",   "before", "into",    "onto",   "out",   "off",   "over",  "also",
      "just",  "some",  "any",   "all",     "one",    "two",     "very",   "said",  "would", "could", "should",
      "did",   "does",  "being", "because", "near",   "outside", "inside", "around"};
  return *words;
}

std::string Digits(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) out.push_back(c);
  }
  return out;
}

std::string FoldAscii(absl::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || u >= 0x80) {
      if (space && !out.empty()) out.push_back(' ');
      space = false;
      out.push_back(absl::ascii_tolower(u));
    } else {
      space = true;
    }
  }
  return out;
}

}  // namespace

void SplitName(absl::string_view folded, std::string* given, std::string* surname) {
  std::vector<absl::string_view> words = absl::StrSplit(folded, ' ', absl::SkipEmpty());
  given->clear();
  surname->clear();
  if (words.empty()) return;
  surname->assign(words.back().data(), words.back().size());
  if (words.size() > 1) given->assign(words.front().data(), words.front().size());
}

std::vector<std::string> ContentWords(absl::string_view description) {
  const std::string folded = FoldAscii(description);
  std::vector<std::string> out;
  for (absl::string_view w : absl::StrSplit(folded, ' ', absl::SkipEmpty())) {
    if (w.size() < 3 || StopWords().contains(w)) continue;
    out.emplace_back(w);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

hirs::store::v1::MatchFeatures FeaturesOf(const hirs::v1::Report& report, const hirs::store::v1::NormalisedFields& n,
                                          absl::string_view centre) {
  hirs::store::v1::MatchFeatures f;
  SplitName(n.victim_name(), f.mutable_given_name(), f.mutable_surname());
  f.set_date_of_birth(Digits(n.victim_date_of_birth()));
  f.set_phone(Digits(report.victim().phone()));
  f.set_email(absl::AsciiStrToLower(absl::StripAsciiWhitespace(report.victim().email())));
  f.set_home_postcode(absl::AsciiStrToUpper(absl::StripAsciiWhitespace(report.victim().postcode())));
  f.set_address(FoldAscii(report.victim().address()));
  const int64_t start = report.occurred_start().seconds();
  f.set_occurred_start(start);
  f.set_occurred_end(report.has_occurred_end() ? std::max(start, report.occurred_end().seconds()) : start);
  f.set_postcode(n.postcode());
  f.set_postcode_sector(n.postcode_sector());
  f.set_postcode_outward(n.postcode_outward());
  f.set_district_code(n.district_code());
  f.set_online_platform(FoldAscii(report.location().online_platform()));
  uint32_t motivations = 0;
  for (int m : report.motivations()) motivations |= 1u << m;
  uint32_t types = 0;
  for (int t : report.incident_types()) types |= 1u << t;
  f.set_motivations(motivations);
  f.set_incident_types(types);
  for (uint32_t h : MinHash(ContentWords(report.description()), kMinHashSize)) f.add_description_minhash(h);
  f.set_reporting_centre(std::string(centre));
  f.set_reporter_role(report.reporter_role());
  f.set_crime_reference(n.crime_reference());
  f.set_place_type(report.location().place_type());
  f.set_place_description(FoldAscii(report.location().description()));
  return f;
}

}  // namespace hirs::collation
