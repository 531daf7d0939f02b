// The one writer of cases. A case's record is more than its kCases entry:
// its index entries (storage/keys.h), its extract-history version
// (history.h) and its change event (the feed police follow) must change in
// the same atomic write, or a reader of one disagrees with a reader of
// another. PutCase and DeleteCase add all of them to a batch together;
// nothing else in hirsd writes the kCases family (migrations.cc aside, which
// runs before anything serves).
#ifndef HIRS_SERVICES_RECORDS_CASE_RECORDS_H_
#define HIRS_SERVICES_RECORDS_CASE_RECORDS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/types.pb.h"
#include "storage/store.h"

namespace hirs::records {

// A change event to append with a case write: what happened, the other
// cases it concerns (merged sources, the case a report was split from) and
// the reports it added or moved.
struct CaseEventSpec {
  hirs::v1::CaseEvent::Kind kind = hirs::v1::CaseEvent::KIND_UNSPECIFIED;
  std::vector<std::string> related_case_ids = {};
  std::vector<std::string> report_ids = {};
};

// The case stored as `case_id`, or nullopt.
absl::StatusOr<std::optional<hirs::store::v1::StoredCase>> ReadCase(const storage::Store& store,
                                                                    absl::string_view case_id);

// Adds to `batch` the write of `after` in place of `before` (null for a new
// case): the case, its index changes, a new extract-history version where
// its extract row changed, and one change event of `after` per entry of
// `events`, in order. `events` is empty only for a change no reader sees
// (collation's own bookkeeping, such as separated_case_ids).
// REQUIRES: the caller holds the case's lock (storage::CaseLocks) until the
// batch is written, so versions of one case are written in order.
void PutCase(const hirs::store::v1::StoredCase* before, const hirs::store::v1::StoredCase& after,
             const std::vector<CaseEventSpec>& events, absl::Time now, storage::WriteBatch* batch);

// Adds to `batch` the removal of `before`, a case merged into another: its
// entry and index entries go and its extract row gets a tombstone. Its
// event is the target's CASES_MERGED, naming it. REQUIRES: as PutCase.
void DeleteCase(const hirs::store::v1::StoredCase& before, absl::Time now, storage::WriteBatch* batch);

}  // namespace hirs::records

#endif  // HIRS_SERVICES_RECORDS_CASE_RECORDS_H_
