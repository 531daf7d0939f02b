// Key encodings of every column family. Keys sort the way their scans need:
// fixed-width big-endian numbers, '|' separators between text parts that
// cannot contain '|'.
#ifndef HIRS_STORAGE_KEYS_H_
#define HIRS_STORAGE_KEYS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "hirs/v1/types.pb.h"

namespace hirs::storage {

// A fingerprint is an HMAC-SHA256: 32 bytes.
inline constexpr size_t kFingerprintBytes = 32;

// kFingerprints: fingerprint + case_id. A prefix scan on the fingerprint
// yields the cases that share it.
std::string FingerprintKey(absl::string_view fingerprint, absl::string_view case_id);
// The case_id part of a FingerprintKey.
absl::string_view CaseIdOfFingerprintKey(absl::string_view key);

// kRequests: the record of `request_id` sent by `principal_id`.
std::string RequestKey(absl::string_view principal_id, absl::string_view request_id);
// kRequests: the record of a report whose content digest is `sha256` sent by
// `principal_id` (byte-identical resubmission without a key).
std::string ContentKey(absl::string_view principal_id, absl::string_view sha256);

// kChanges: the change with this sequence number (8 bytes, big endian).
std::string EncodeChangeKey(uint64_t sequence);
// False when `key` is not 8 bytes.
bool DecodeChangeKey(absl::string_view key, uint64_t* sequence);

// kIndexes: every index entry of `c`:
//   "dm|<district or ->|<YYYY-MM of occurred_start, UK>|<case_id>"
//   "st|<status number, 2 digits>|<case_id>"
//   "rt|<first_received_at micros, 16 hex digits>|<case_id>"
// Update a case's entries by deleting the old set and putting the new one.
std::vector<std::string> CaseIndexKeys(const hirs::v1::Case& c);

// Prefix of the district-month index for one district and month.
std::string DistrictMonthPrefix(absl::string_view district_code, absl::string_view month);

}  // namespace hirs::storage

#endif  // HIRS_STORAGE_KEYS_H_
