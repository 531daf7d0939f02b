#include "storage/fingerprints.h"

#include <algorithm>

#include "storage/store.h"

namespace hirs::storage {
namespace {

using Entry = hirs::store::v1::FingerprintCases::Entry;

std::string Operand(absl::string_view case_id, absl::string_view report_id) {
  Entry e;
  e.set_case_id(std::string(case_id));
  e.set_report_id(std::string(report_id));
  return e.SerializeAsString();
}

}  // namespace

void SetFingerprintCase(absl::string_view fingerprint, absl::string_view case_id, absl::string_view report_id,
                        WriteBatch* batch) {
  batch->Merge(Family::kFingerprints, fingerprint, Operand(case_id, report_id));
}

void RemoveFingerprintCase(absl::string_view fingerprint, absl::string_view case_id, WriteBatch* batch) {
  batch->Merge(Family::kFingerprints, fingerprint, Operand(case_id, ""));
}

absl::StatusOr<std::vector<hirs::store::v1::FingerprintCases>> ReadFingerprintCases(
    const Store& store, const std::vector<std::string>& fingerprints) {
  auto read = ReadProtos<hirs::store::v1::FingerprintCases>(store, Family::kFingerprints, fingerprints);
  if (!read.ok()) return read.status();
  std::vector<hirs::store::v1::FingerprintCases> out(read->size());
  for (size_t i = 0; i < read->size(); ++i) {
    if ((*read)[i].has_value()) out[i] = std::move(*(*read)[i]);
  }
  return out;
}

bool FoldFingerprintCases(const absl::string_view* existing, const std::vector<absl::string_view>& operands,
                          std::string* result) {
  hirs::store::v1::FingerprintCases cases;
  if (existing != nullptr && !cases.ParseFromArray(existing->data(), static_cast<int>(existing->size()))) {
    return false;
  }
  auto* entries = cases.mutable_entries();
  for (absl::string_view bytes : operands) {
    Entry op;
    if (!op.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
    auto it =
        std::find_if(entries->begin(), entries->end(), [&](const Entry& e) { return e.case_id() == op.case_id(); });
    if (op.report_id().empty()) {
      if (it != entries->end()) entries->erase(it);
    } else if (it != entries->end()) {
      it->set_report_id(op.report_id());
    } else {
      *entries->Add() = std::move(op);
    }
  }
  std::sort(entries->pointer_begin(), entries->pointer_end(),
            [](const Entry* a, const Entry* b) { return a->case_id() > b->case_id(); });
  if (entries->size() > static_cast<int>(kMaxCasesPerFingerprint)) {
    entries->DeleteSubrange(kMaxCasesPerFingerprint, entries->size() - kMaxCasesPerFingerprint);
  }
  return cases.SerializeToString(result);
}

}  // namespace hirs::storage
