// Backups of the store with RocksDB's BackupEngine: consistent while the
// store serves (the engine copies a point-in-time set of files, with the
// memtables flushed first), incremental (files shared between backups are
// kept once), each file checksummed. Restoring is offline: into an empty
// directory, before hirsd opens it.
//
// The HMAC key (fingerprints, extract case refs) is not part of the store:
// keep it, as a secret, beside the backups' records; a store restored
// without its key cannot match new reports to old ones.
#ifndef HIRS_STORAGE_BACKUP_H_
#define HIRS_STORAGE_BACKUP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace hirs::storage {

struct BackupInfo {
  uint32_t id = 0;
  absl::Time created;
  uint64_t size_bytes = 0;
  uint32_t files = 0;
  // The schema version of the store it holds (storage/schema.h).
  uint32_t schema_version = 0;
};

// The backups in `backup_dir`, oldest first (none if it holds none).
absl::StatusOr<std::vector<BackupInfo>> ListBackups(const std::string& backup_dir);

// Checks every file of backup `id` against its size and checksum.
// NOT_FOUND for an unknown id, DATA_LOSS naming the first bad file.
absl::StatusOr<BackupInfo> VerifyBackup(const std::string& backup_dir, uint32_t id);

// Restores backup `id` (0: the newest) into `db_dir`, which must not exist
// or be empty (FAILED_PRECONDITION otherwise: nothing is overwritten).
absl::StatusOr<BackupInfo> RestoreBackup(const std::string& backup_dir, uint32_t id, const std::string& db_dir);

// Store::CreateBackup and Store::CreateCheckpoint are declared in store.h and
// defined with these.

}  // namespace hirs::storage

#endif  // HIRS_STORAGE_BACKUP_H_
