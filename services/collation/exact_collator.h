// The first collator: exact keyed fingerprints.
//   crime_reference          the normalised police crime reference
//   victim_identity_day      folded victim name + date of birth + UK day
//   place_day_motivation     postcode + UK day + one motivation (one each)
// A report sharing any fingerprint with an existing case joins the case that
// shares the strongest evidence; otherwise it starts a new case.
#ifndef HIRS_SERVICES_COLLATION_EXACT_COLLATOR_H_
#define HIRS_SERVICES_COLLATION_EXACT_COLLATOR_H_

#include "services/collation/collator.h"
#include "services/collation/keyed_hasher.h"

namespace hirs::collation {

class ExactCollator final : public Collator {
 public:
  // At most this many cases are read per fingerprint, so a hot key cannot
  // blow up the candidate list.
  static constexpr size_t kMaxCasesPerFingerprint = 64;

  // `hasher` is borrowed and must outlive the collator.
  explicit ExactCollator(const KeyedHasher* hasher) : hasher_(hasher) {}

  CollationPlan Plan(const CollationInput& input) const override;
  absl::StatusOr<Decision> Decide(const CollationInput& input, const CollationPlan& plan,
                                  const storage::Store& store) const override;

  // The evidence weight of one fingerprint kind.
  static double Weight(absl::string_view kind);

 private:
  const KeyedHasher* const hasher_;
};

}  // namespace hirs::collation

#endif  // HIRS_SERVICES_COLLATION_EXACT_COLLATOR_H_
