#include "services/collation/comparators.h"

#include <algorithm>
#include <limits>

#include "absl/strings/ascii.h"

namespace hirs::collation {

double JaroWinkler(absl::string_view a, absl::string_view b) {
  if (a.empty() || b.empty()) return 0.0;
  if (a == b) return 1.0;
  const int la = static_cast<int>(a.size());
  const int lb = static_cast<int>(b.size());
  const int window = std::max(0, std::max(la, lb) / 2 - 1);
  std::vector<bool> ma(la, false);
  std::vector<bool> mb(lb, false);
  int matches = 0;
  for (int i = 0; i < la; ++i) {
    const int lo = std::max(0, i - window);
    const int hi = std::min(lb - 1, i + window);
    for (int j = lo; j <= hi; ++j) {
      if (!mb[j] && a[i] == b[j]) {
        ma[i] = mb[j] = true;
        ++matches;
        break;
      }
    }
  }
  if (matches == 0) return 0.0;
  int transpositions = 0;
  for (int i = 0, j = 0; i < la; ++i) {
    if (!ma[i]) continue;
    while (!mb[j]) ++j;
    if (a[i] != b[j]) ++transpositions;
    ++j;
  }
  const double m = matches;
  const double jaro = (m / la + m / lb + (m - transpositions / 2.0) / m) / 3.0;
  int prefix = 0;
  while (prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix]) ++prefix;
  return jaro + prefix * 0.1 * (1.0 - jaro);
}

bool WithinOneEdit(absl::string_view a, absl::string_view b) {
  if (a == b) return true;
  const size_t la = a.size();
  const size_t lb = b.size();
  if (la > lb + 1 || lb > la + 1) return false;
  size_t i = 0;
  while (i < la && i < lb && a[i] == b[i]) ++i;
  if (la == lb) {
    // Substitution, or transposition of i and i+1.
    if (a.substr(i + 1) == b.substr(i + 1)) return true;
    return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] && a.substr(i + 2) == b.substr(i + 2);
  }
  // Insertion or deletion at i.
  return la > lb ? a.substr(i + 1) == b.substr(i) : a.substr(i) == b.substr(i + 1);
}

std::string Soundex(absl::string_view word) {
  // Codes for A..Z; '0' for vowels and H, W, Y (which separate equal codes
  // only for H and W, handled below).
  static constexpr char kCodes[] = "01230120022455012623010202";
  std::string out;
  char last = 0;
  for (char raw : word) {
    const char c = absl::ascii_toupper(static_cast<unsigned char>(raw));
    if (c < 'A' || c > 'Z') continue;
    const char code = kCodes[c - 'A'];
    if (out.empty()) {
      out.push_back(c);
      last = code;
      continue;
    }
    if (c == 'H' || c == 'W') continue;  // do not separate equal codes
    if (code != '0' && code != last) out.push_back(code);
    last = code;
    if (out.size() == 4) break;
  }
  if (!out.empty()) out.resize(4, '0');
  return out;
}

double BigramSimilarity(absl::string_view a, absl::string_view b) {
  if (a.size() < 2 || b.size() < 2) return a == b && !a.empty() ? 1.0 : 0.0;
  auto bigrams = [](absl::string_view s) {
    std::vector<uint16_t> out;
    out.reserve(s.size());
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      out.push_back(
          static_cast<uint16_t>(static_cast<unsigned char>(s[i]) << 8 | static_cast<unsigned char>(s[i + 1])));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  const std::vector<uint16_t> x = bigrams(a);
  const std::vector<uint16_t> y = bigrams(b);
  size_t common = 0;
  for (size_t i = 0, j = 0; i < x.size() && j < y.size();) {
    if (x[i] == y[j]) {
      ++common;
      ++i;
      ++j;
    } else if (x[i] < y[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return 2.0 * common / (x.size() + y.size());
}

uint64_t StableHash(absl::string_view data) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

namespace {

// SplitMix64 finaliser: spreads FNV's output over all bits per seed.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

std::vector<uint32_t> MinHash(const std::vector<std::string>& tokens, int size) {
  if (tokens.empty()) return {};
  std::vector<uint32_t> signature(size, std::numeric_limits<uint32_t>::max());
  for (const auto& token : tokens) {
    const uint64_t base = StableHash(token);
    for (int i = 0; i < size; ++i) {
      const uint32_t h = static_cast<uint32_t>(Mix(base ^ (0x5851f42d4c957f2dull * (i + 1))) >> 32);
      signature[i] = std::min(signature[i], h);
    }
  }
  return signature;
}

double MinHashSimilarity(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  if (a.empty() || a.size() != b.size()) return 0.0;
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  return static_cast<double>(same) / a.size();
}

}  // namespace hirs::collation
