#include "services/collation/probabilistic_collator.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/collation/features.h"
#include "storage/fingerprints.h"

namespace hirs::collation {

CollationPlan ProbabilisticCollator::Plan(const CollationInput& input) const {
  CollationPlan plan;
  plan.features = FeaturesOf(*input.report, *input.normalised, input.reporting_centre);
  BlockingKeys keys = matcher_.Keys(plan.features);
  plan.stored = std::move(keys.stored);
  plan.lookup = std::move(keys.lookup);
  // Two reports that could find each other share a key one stores and the
  // other looks up, so locking both sets serialises them.
  plan.lock_keys.reserve(plan.lookup.size() + plan.stored.size());
  for (const Fingerprint& fp : plan.lookup) plan.lock_keys.push_back(fp.value);
  for (const Fingerprint& fp : plan.stored) plan.lock_keys.push_back(fp.value);
  return plan;
}

absl::StatusOr<Decision> ProbabilisticCollator::Decide(const CollationPlan& plan, const storage::Store& store) const {
  return matcher_.Place(plan.features, plan.lookup, store);
}

void ProbabilisticCollator::Record(const CollationPlan& plan, const std::string& report_id, const std::string& case_id,
                                   hirs::v1::CollationOutcome outcome, storage::WriteBatch* batch) const {
  matcher_.Record(plan.features, plan.stored, report_id, case_id, outcome == hirs::v1::NEEDS_REVIEW, batch);
}

absl::Status ProbabilisticCollator::Settle(const std::string& report_id, const storage::Store& store,
                                           storage::WriteBatch* batch) const {
  ASSIGN_OR_RETURN(auto features,
                   storage::ReadProto<hirs::store::v1::MatchFeatures>(store, storage::Family::kFeatures, report_id));
  if (!features.has_value() || !features->sent_to_review()) return absl::OkStatus();
  features->clear_sent_to_review();
  batch->Put(storage::Family::kFeatures, report_id, features->SerializeAsString());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ProbabilisticCollator::StoredKeys(const std::string& report_id,
                                                                           const storage::Store& store) const {
  ASSIGN_OR_RETURN(auto features,
                   storage::ReadProto<hirs::store::v1::MatchFeatures>(store, storage::Family::kFeatures, report_id));
  if (!features.has_value()) {
    return absl::DataLossError(absl::StrCat("report ", report_id, " has no stored match features"));
  }
  std::vector<std::string> keys;
  for (const Fingerprint& fp : matcher_.Keys(*features).stored) keys.push_back(fp.value);
  return keys;
}

void ProbabilisticCollator::Move(const std::vector<std::string>& stored_keys, const std::string& report_id,
                                 const std::string& from, const std::string& to,
                                 const std::map<std::string, std::string>& staying, storage::WriteBatch* batch) const {
  for (const std::string& key : stored_keys) {
    auto stays = staying.find(key);
    if (stays == staying.end()) {
      storage::RemoveFingerprintCase(key, from, batch);
    } else {
      storage::SetFingerprintCase(key, from, stays->second, batch);
    }
    storage::SetFingerprintCase(key, to, report_id, batch);
  }
}

absl::Status ProbabilisticCollator::Forget(const std::vector<std::string>& report_ids,
                                           const std::vector<std::string>& other_report_ids, const std::string& case_id,
                                           const storage::Store& store, storage::WriteBatch* batch) const {
  std::set<std::string> before;
  std::map<std::string, std::string> after;  // key -> a report still giving it
  for (const std::string& report_id : report_ids) {
    ASSIGN_OR_RETURN(auto features,
                     storage::ReadProto<hirs::store::v1::MatchFeatures>(store, storage::Family::kFeatures, report_id));
    if (!features.has_value()) continue;
    for (const Fingerprint& fp : matcher_.Keys(*features).stored) before.insert(fp.value);
    hirs::store::v1::MatchFeatures& f = *features;
    f.clear_given_name();
    f.clear_surname();
    f.clear_date_of_birth();
    f.clear_phone();
    f.clear_email();
    f.clear_home_postcode();
    f.clear_address();
    f.clear_description_minhash();
    f.clear_place_description();
    for (const Fingerprint& fp : matcher_.Keys(f).stored) after.emplace(fp.value, report_id);
    batch->Put(storage::Family::kFeatures, report_id, f.SerializeAsString());
  }
  return Repoint(before, std::move(after), other_report_ids, case_id, store, batch);
}

absl::Status ProbabilisticCollator::Drop(const std::string& report_id, const std::vector<std::string>& other_report_ids,
                                         const std::string& case_id, const storage::Store& store,
                                         storage::WriteBatch* batch) const {
  ASSIGN_OR_RETURN(std::vector<std::string> keys, StoredKeys(report_id, store));
  batch->Delete(storage::Family::kFeatures, report_id);
  return Repoint({keys.begin(), keys.end()}, {}, other_report_ids, case_id, store, batch);
}

absl::Status ProbabilisticCollator::Repoint(const std::set<std::string>& before,
                                            std::map<std::string, std::string> after,
                                            const std::vector<std::string>& other_report_ids,
                                            const std::string& case_id, const storage::Store& store,
                                            storage::WriteBatch* batch) const {
  for (const std::string& report_id : other_report_ids) {
    ASSIGN_OR_RETURN(std::vector<std::string> keys, StoredKeys(report_id, store));
    for (const std::string& key : keys) after.emplace(key, report_id);
  }
  for (const std::string& key : before) {
    if (after.count(key) == 0) storage::RemoveFingerprintCase(key, case_id, batch);
  }
  for (const auto& [key, report_id] : after) storage::SetFingerprintCase(key, case_id, report_id, batch);
  return absl::OkStatus();
}

}  // namespace hirs::collation
