// Bringing a store written by an older hirsd up to date, in one place and
// in order. Store::Open opens a store of any version up to
// storage::kSchemaVersion as it is; hirsd calls Migrate before anything
// reads it.
#ifndef HIRS_SERVICES_RECORDS_MIGRATIONS_H_
#define HIRS_SERVICES_RECORDS_MIGRATIONS_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "storage/store.h"

namespace hirs::records {

// Runs every migration the store still needs, oldest first (the list in
// migrations.cc), then records storage::kSchemaVersion. Each migration
// writes in bounded batches and is idempotent: one interrupted by a crash
// runs again at the next start. Cheap once done (a few kMeta reads).
// `now` stamps what a migration creates (the extract history's start).
absl::Status Migrate(storage::Store* store, absl::Time now);

}  // namespace hirs::records

#endif  // HIRS_SERVICES_RECORDS_MIGRATIONS_H_
