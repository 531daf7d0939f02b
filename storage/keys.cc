#include "storage/keys.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/civil_time.h"

namespace hirs::storage {

std::string FingerprintKey(absl::string_view fingerprint, absl::string_view case_id) {
  return absl::StrCat(fingerprint, case_id);
}

absl::string_view CaseIdOfFingerprintKey(absl::string_view key) {
  return key.size() > kFingerprintBytes ? key.substr(kFingerprintBytes) : absl::string_view();
}

std::string RequestKey(absl::string_view principal_id, absl::string_view request_id) {
  return absl::StrCat(principal_id, absl::string_view("\0k", 2), request_id);
}

std::string ContentKey(absl::string_view principal_id, absl::string_view sha256) {
  return absl::StrCat(principal_id, absl::string_view("\0c", 2), sha256);
}

std::string EncodeChangeKey(uint64_t sequence) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i) {
    key[i] = static_cast<char>(sequence & 0xff);
    sequence >>= 8;
  }
  return key;
}

bool DecodeChangeKey(absl::string_view key, uint64_t* sequence) {
  if (key.size() != 8) return false;
  uint64_t v = 0;
  for (unsigned char c : key) v = (v << 8) | c;
  *sequence = v;
  return true;
}

std::vector<std::string> CaseIndexKeys(const hirs::v1::Case& c) {
  const std::string district = c.district_code().empty() ? "-" : c.district_code();
  return {
      absl::StrCat("dm|", district, "|", UkMonth(ToAbslTime(c.occurred_start())), "|", c.case_id()),
      absl::StrFormat("st|%02d|%s", static_cast<int>(c.status()), c.case_id()),
      absl::StrFormat("rt|%016x|%s",
                      static_cast<uint64_t>(absl::ToUnixMicros(ToAbslTime(c.first_received_at()))),
                      c.case_id()),
  };
}

std::string DistrictMonthPrefix(absl::string_view district_code, absl::string_view month) {
  return absl::StrCat("dm|", district_code.empty() ? "-" : district_code, "|", month, "|");
}

}  // namespace hirs::storage
