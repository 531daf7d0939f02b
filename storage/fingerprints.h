// The fingerprints family: for each blocking-key fingerprint, the cases
// stored under it (hirs.store.v1.FingerprintCases), so that finding a
// report's candidates is one batched point read (MultiGet, with whole-key
// bloom filters that skip every file not holding the key) instead of a
// prefix scan through every level.
//
// Entries are changed by blind merge operands (set or remove one case's
// entry), folded by a RocksDB merge operator (store.cc) with
// FoldFingerprintCases: writers never read, and two writers of one
// fingerprint need no lock between them.
//
// A fingerprint keeps only its kMaxCasesPerFingerprint newest cases. The
// matcher reads at most MatcherOptions::max_per_key (16) per fingerprint,
// newest first, so the cap changes nothing it reads unless more than 16 of
// a full list's cases are removed later (by corrections), in which case
// fewer than 16 remain: the oldest, least likely candidates are lost.
#ifndef HIRS_STORAGE_FINGERPRINTS_H_
#define HIRS_STORAGE_FINGERPRINTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hirs/store/v1/records.pb.h"

namespace hirs::storage {

class Store;
class WriteBatch;

inline constexpr size_t kMaxCasesPerFingerprint = 32;

// Records that `report_id` of case `case_id` gives `fingerprint` (replacing
// the report recorded for that case, if any).
void SetFingerprintCase(absl::string_view fingerprint, absl::string_view case_id, absl::string_view report_id,
                        WriteBatch* batch);
// Removes case `case_id` from `fingerprint`'s cases.
void RemoveFingerprintCase(absl::string_view fingerprint, absl::string_view case_id, WriteBatch* batch);

// The cases of each of `fingerprints`, in order (empty where none), newest
// case first, in one batched read. DATA_LOSS when a stored value does not
// parse.
absl::StatusOr<std::vector<hirs::store::v1::FingerprintCases>> ReadFingerprintCases(
    const Store& store, const std::vector<std::string>& fingerprints);

// The merge operator's fold: `existing` (null when there is none) with
// `operands` applied oldest first, sorted newest case first and cut to
// kMaxCasesPerFingerprint. False when any input does not parse.
bool FoldFingerprintCases(const absl::string_view* existing, const std::vector<absl::string_view>& operands,
                          std::string* result);

}  // namespace hirs::storage

#endif  // HIRS_STORAGE_FINGERPRINTS_H_
