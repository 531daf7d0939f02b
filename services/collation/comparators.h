// String and set comparators used by the matcher. Pure functions; ASCII
// comparisons operate on bytes (names are folded by normalisation first, so
// non-ASCII letters compare as their UTF-8 bytes).
#ifndef HIRS_SERVICES_COLLATION_COMPARATORS_H_
#define HIRS_SERVICES_COLLATION_COMPARATORS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace hirs::collation {

// Jaro-Winkler similarity in [0, 1] (prefix scale 0.1, prefix up to 4).
// 1 for equal strings; 0 when either is empty.
double JaroWinkler(absl::string_view a, absl::string_view b);

// True when `a` and `b` are at most one edit apart: one insertion, deletion,
// substitution or transposition of adjacent characters.
bool WithinOneEdit(absl::string_view a, absl::string_view b);

// American Soundex of the ASCII letters of `word` ("Robert" -> "R163");
// "" when it has none.
std::string Soundex(absl::string_view word);

// Dice coefficient of the two strings' character bigram multisets, in
// [0, 1]; robust to word order and small typing errors in addresses.
double BigramSimilarity(absl::string_view a, absl::string_view b);

// FNV-1a 64-bit hash: stable across processes and builds, so values derived
// from it may be stored.
uint64_t StableHash(absl::string_view data);

// A MinHash signature of a set of tokens: for each of `size` seeded hash
// functions, the least hash over the tokens. Empty when `tokens` is.
std::vector<uint32_t> MinHash(const std::vector<std::string>& tokens, int size);

// The estimated Jaccard similarity of two signatures of the same size: the
// share of positions that agree. 0 when either is empty or sizes differ.
double MinHashSimilarity(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b);

}  // namespace hirs::collation

#endif  // HIRS_SERVICES_COLLATION_COMPARATORS_H_
