#include "storage/keys.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/civil_time.h"
#include "storage/store.h"

namespace hirs::storage {
namespace {

// "<id>\0": the prefix of keys under an id that holds no NUL.
std::string IdPrefix(absl::string_view id) { return absl::StrCat(id, absl::string_view("\0", 1)); }

}  // namespace

std::string RequestKey(absl::string_view principal_id, absl::string_view request_id) {
  return absl::StrCat(principal_id, absl::string_view("\0k", 2), request_id);
}

std::string RequestKeyPrefix(absl::string_view principal_id) { return IdPrefix(principal_id); }

std::string CaseChangePrefix(absl::string_view case_id) { return IdPrefix(case_id); }

std::string CaseChangeKey(absl::string_view case_id, uint64_t sequence) {
  return absl::StrCat(CaseChangePrefix(case_id), EncodeChangeKey(sequence));
}

std::string CentreReportPrefix(absl::string_view centre_id) { return IdPrefix(centre_id); }

std::string CentreReportKey(absl::string_view centre_id, absl::string_view report_id) {
  return absl::StrCat(CentreReportPrefix(centre_id), report_id);
}

std::string CentreCaseReportPrefix(absl::string_view centre_id, absl::string_view case_id) {
  return absl::StrCat(IdPrefix(centre_id), IdPrefix(case_id));
}

std::string CentreCaseReportKey(absl::string_view centre_id, absl::string_view case_id, absl::string_view report_id) {
  return absl::StrCat(CentreCaseReportPrefix(centre_id, case_id), report_id);
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

std::string CaseMemberPrefix(absl::string_view case_id) { return absl::StrCat(case_id, "|"); }

std::string CaseMemberKey(absl::string_view case_id, absl::string_view report_id) {
  return absl::StrCat(case_id, "|", report_id);
}

std::string CaseIndexPrefix(absl::string_view kind, absl::string_view value) {
  return absl::StrCat(kind, "|", value, "|");
}

std::string IndexNumber(int number) { return absl::StrFormat("%02d", number); }

absl::string_view CaseIdOfIndexKey(absl::string_view key) {
  const size_t bar = key.rfind('|');
  return bar == absl::string_view::npos ? absl::string_view() : key.substr(bar + 1);
}

std::vector<std::string> CaseIndexKeys(const hirs::v1::Case& c) {
  const std::string district = c.district_code().empty() ? "-" : c.district_code();
  const std::string month = UkMonth(ToAbslTime(c.occurred_start()));
  const std::string& id = c.case_id();
  std::vector<std::string> keys = {
      absl::StrCat(CaseIndexPrefix(kDistrictIndex, district), id),
      absl::StrCat(CaseIndexPrefix(kStatusIndex, IndexNumber(c.status())), id),
      absl::StrCat(CaseIndexPrefix(kOccurredMonthIndex, month), id),
      absl::StrCat(DistrictMonthPrefix(c.district_code(), month), id),
  };
  for (int m : c.motivations()) keys.push_back(absl::StrCat(CaseIndexPrefix(kMotivationIndex, IndexNumber(m)), id));
  for (int t : c.incident_types())
    keys.push_back(absl::StrCat(CaseIndexPrefix(kIncidentTypeIndex, IndexNumber(t)), id));
  if (c.repeat_victim()) keys.push_back(absl::StrCat(CaseIndexPrefix(kRepeatVictimIndex, "1"), id));
  if (!c.crime_reference().empty()) {
    keys.push_back(absl::StrCat(CaseIndexPrefix(kCrimeReferenceIndex, c.crime_reference()), id));
  }
  return keys;
}

void UpdateCaseIndexes(const hirs::v1::Case* before, const hirs::v1::Case* after, WriteBatch* batch) {
  std::vector<std::string> old_keys;
  if (before != nullptr) old_keys = CaseIndexKeys(*before);
  std::vector<std::string> new_keys;
  if (after != nullptr) new_keys = CaseIndexKeys(*after);
  for (const auto& k : old_keys) {
    if (std::find(new_keys.begin(), new_keys.end(), k) == new_keys.end()) batch->Delete(Family::kIndexes, k);
  }
  for (const auto& k : new_keys) {
    if (std::find(old_keys.begin(), old_keys.end(), k) == old_keys.end()) batch->Put(Family::kIndexes, k, "");
  }
}

namespace {

std::string Micros(int64_t unix_micros) { return absl::StrFormat("%016x", static_cast<uint64_t>(unix_micros)); }

bool ParseMicros(absl::string_view hex, int64_t* unix_micros) {
  uint64_t v = 0;
  if (hex.size() != 16 || !absl::SimpleHexAtoi(hex, &v)) return false;
  *unix_micros = static_cast<int64_t>(v);
  return true;
}

}  // namespace

std::string ExtractRowPrefix(absl::string_view district_code, absl::string_view month) {
  return absl::StrCat("r|", district_code, "|", month, "|");
}

std::string ExtractRowKey(absl::string_view district_code, absl::string_view month, absl::string_view case_id,
                          int64_t unix_micros) {
  return absl::StrCat(ExtractRowPrefix(district_code, month), case_id, "|", Micros(unix_micros));
}

bool ParseExtractRowKey(absl::string_view key, absl::string_view prefix, std::string* case_id, int64_t* unix_micros) {
  if (!absl::ConsumePrefix(&key, prefix) || key.size() < 18 || key[key.size() - 17] != '|') return false;
  *case_id = std::string(key.substr(0, key.size() - 17));
  return ParseMicros(key.substr(key.size() - 16), unix_micros);
}

std::string ExtractPullPrefix(absl::string_view district_code, absl::string_view month) {
  return absl::StrCat("p|", district_code, "|", month, "|");
}

std::string ExtractPullKey(absl::string_view district_code, absl::string_view month, int64_t unix_micros) {
  return absl::StrCat(ExtractPullPrefix(district_code, month), Micros(unix_micros));
}

bool ParseExtractPullKey(absl::string_view key, int64_t* unix_micros) {
  return key.size() >= 16 && ParseMicros(key.substr(key.size() - 16), unix_micros);
}

std::string DistrictMonthPrefix(absl::string_view district_code, absl::string_view month) {
  return absl::StrCat("dm|", district_code.empty() ? "-" : district_code, "|", month, "|");
}

std::string AuditEntryKey(uint64_t sequence) { return absl::StrCat(kAuditEntryPrefix, EncodeChangeKey(sequence)); }

std::string AuditPendingKey(uint64_t ticket) { return absl::StrCat(kAuditPendingPrefix, EncodeChangeKey(ticket)); }

std::string AuditResourcePrefix(absl::string_view resource_id) { return absl::StrCat("r|", resource_id, "|"); }

std::string AuditPrincipalPrefix(absl::string_view principal_id) { return absl::StrCat("p|", principal_id, "|"); }

bool AuditSequenceOfKey(absl::string_view key, uint64_t* sequence) {
  if (key.size() < 8) return false;
  return DecodeChangeKey(key.substr(key.size() - 8), sequence);
}

}  // namespace hirs::storage
