// The Collator of hirsd: the probabilistic Matcher over reports' features
// with the incident profile.
#ifndef HIRS_SERVICES_COLLATION_PROBABILISTIC_COLLATOR_H_
#define HIRS_SERVICES_COLLATION_PROBABILISTIC_COLLATOR_H_

#include "services/collation/collator.h"
#include "services/collation/matcher.h"

namespace hirs::collation {

// Immutable; thread safe.
class ProbabilisticCollator final : public Collator {
 public:
  // `hasher` is borrowed and must outlive the collator.
  ProbabilisticCollator(const KeyedHasher* hasher, MatchModel model, MatcherOptions options)
      : matcher_(hasher, std::move(model), options) {}

  CollationPlan Plan(const CollationInput& input) const override;
  absl::StatusOr<Decision> Decide(const CollationPlan& plan, const storage::Store& store) const override;
  void Record(const CollationPlan& plan, const std::string& report_id, const std::string& case_id,
              hirs::v1::CollationOutcome outcome, storage::WriteBatch* batch) const override;

  absl::Status Settle(const std::string& report_id, const storage::Store& store,
                      storage::WriteBatch* batch) const override;
  absl::StatusOr<std::vector<std::string>> StoredKeys(const std::string& report_id,
                                                      const storage::Store& store) const override;
  void Move(const std::vector<std::string>& stored_keys, const std::string& report_id, const std::string& from,
            const std::string& to, const std::map<std::string, std::string>& staying,
            storage::WriteBatch* batch) const override;

  absl::Status Forget(const std::vector<std::string>& report_ids, const std::vector<std::string>& other_report_ids,
                      const std::string& case_id, const storage::Store& store,
                      storage::WriteBatch* batch) const override;
  absl::Status Drop(const std::string& report_id, const std::vector<std::string>& other_report_ids,
                    const std::string& case_id, const storage::Store& store, storage::WriteBatch* batch) const override;
  const Matcher& matcher() const { return matcher_; }

 private:
  // Points the case's fingerprints at the reports still giving them: each
  // key of `before` that neither `after` nor a report of
  // `other_report_ids` gives is removed; every other is set to a report
  // that gives it.
  absl::Status Repoint(const std::set<std::string>& before, std::map<std::string, std::string> after,
                       const std::vector<std::string>& other_report_ids, const std::string& case_id,
                       const storage::Store& store, storage::WriteBatch* batch) const;

  Matcher matcher_;
};

}  // namespace hirs::collation

#endif  // HIRS_SERVICES_COLLATION_PROBABILISTIC_COLLATOR_H_
