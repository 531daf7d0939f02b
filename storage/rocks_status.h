// Internal to storage/: rocksdb::Status to absl::Status, the mapping the
// contract of store.h states. No header outside storage/ includes this.
#ifndef HIRS_STORAGE_ROCKS_STATUS_H_
#define HIRS_STORAGE_ROCKS_STATUS_H_

#include <rocksdb/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hirs::storage {

// `what` names the operation, e.g. "opening the store at /var/lib/hirs/db".
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what);

}  // namespace hirs::storage

#endif  // HIRS_STORAGE_ROCKS_STATUS_H_
