#include "storage/backup.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/utilities/backup_engine.h>
#include <rocksdb/utilities/checkpoint.h>

#include <filesystem>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "storage/rocks_status.h"
#include "storage/schema.h"
#include "storage/store.h"

namespace hirs::storage {
namespace {

constexpr char kMetadataPrefix[] = "hirs schema ";

BackupInfo FromRocksInfo(const rocksdb::BackupInfo& info) {
  BackupInfo out;
  out.id = info.backup_id;
  out.created = absl::FromUnixSeconds(info.timestamp);
  out.size_bytes = info.size;
  out.files = info.number_files;
  absl::string_view meta = info.app_metadata;
  if (meta.substr(0, sizeof(kMetadataPrefix) - 1) == kMetadataPrefix) {
    (void)absl::SimpleAtoi(meta.substr(sizeof(kMetadataPrefix) - 1), &out.schema_version);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<rocksdb::BackupEngineReadOnly>> OpenReadOnly(const std::string& backup_dir) {
  if (!std::filesystem::exists(backup_dir)) {
    return absl::NotFoundError(absl::StrCat("no backup directory ", backup_dir));
  }
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  rocksdb::IOStatus s =
      rocksdb::BackupEngineReadOnly::Open(rocksdb::Env::Default(), rocksdb::BackupEngineOptions(backup_dir), &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("opening backups in ", backup_dir));
  return std::unique_ptr<rocksdb::BackupEngineReadOnly>(raw);
}

absl::StatusOr<BackupInfo> Find(rocksdb::BackupEngineReadOnlyBase& engine, uint32_t id) {
  std::vector<rocksdb::BackupInfo> infos;
  engine.GetBackupInfo(&infos);
  for (const auto& info : infos) {
    if (info.backup_id == id) return FromRocksInfo(info);
  }
  return absl::NotFoundError(absl::StrCat("no backup ", id, "; hirs admin backup list shows those held"));
}

// Taken one at a time: the engine is not meant for concurrent writers.
absl::Mutex& BackupMutex() {
  static absl::Mutex* mu = new absl::Mutex();
  return *mu;
}

}  // namespace

absl::StatusOr<BackupInfo> Store::CreateBackup(const std::string& backup_dir) {
  absl::MutexLock lock(&BackupMutex());
  std::error_code ec;
  std::filesystem::create_directories(backup_dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", backup_dir, ": ", ec.message()));
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::IOStatus s =
      rocksdb::BackupEngine::Open(rocksdb::Env::Default(), rocksdb::BackupEngineOptions(backup_dir), &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("opening backups in ", backup_dir));
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = true;
  rocksdb::BackupID id = 0;
  DbUse use(this);
  if (!use.ok()) return Closed();
  s = engine->CreateNewBackupWithMetadata(options, db_.get(), absl::StrCat(kMetadataPrefix, kSchemaVersion), &id);
  if (!s.ok()) return FromRocks(s, absl::StrCat("backing up into ", backup_dir));
  return Find(*engine, id);
}

absl::Status Store::CreateCheckpoint(const std::string& dir) {
  DbUse use(this);
  if (!use.ok()) return Closed();
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(db_.get(), &raw);
  if (!s.ok()) return FromRocks(s, "starting a checkpoint");
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  s = checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0);
  if (!s.ok()) return FromRocks(s, absl::StrCat("writing a checkpoint into ", dir));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<BackupInfo>> ListBackups(const std::string& backup_dir) {
  if (!std::filesystem::exists(backup_dir)) return std::vector<BackupInfo>();
  auto engine = OpenReadOnly(backup_dir);
  if (!engine.ok()) return engine.status();
  std::vector<rocksdb::BackupInfo> infos;
  (*engine)->GetBackupInfo(&infos);
  std::vector<BackupInfo> out;
  for (const auto& info : infos) out.push_back(FromRocksInfo(info));
  return out;
}

absl::StatusOr<BackupInfo> VerifyBackup(const std::string& backup_dir, uint32_t id) {
  auto engine = OpenReadOnly(backup_dir);
  if (!engine.ok()) return engine.status();
  auto info = Find(**engine, id);
  if (!info.ok()) return info.status();
  rocksdb::IOStatus s = (*engine)->VerifyBackup(id, /*verify_with_checksum=*/true);
  if (!s.ok()) {
    return absl::DataLossError(absl::StrCat("backup ", id, " is damaged: ", s.ToString()));
  }
  return info;
}

absl::StatusOr<BackupInfo> RestoreBackup(const std::string& backup_dir, uint32_t id, const std::string& db_dir) {
  std::error_code ec;
  if (std::filesystem::exists(db_dir, ec) && !std::filesystem::is_empty(db_dir, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat(db_dir, " is not empty: restore into a new data directory (nothing is overwritten)"));
  }
  auto engine = OpenReadOnly(backup_dir);
  if (!engine.ok()) return engine.status();
  if (id == 0) {
    std::vector<rocksdb::BackupInfo> infos;
    (*engine)->GetBackupInfo(&infos);
    if (infos.empty()) return absl::NotFoundError(absl::StrCat("no backups in ", backup_dir));
    id = infos.back().backup_id;
  }
  auto info = Find(**engine, id);
  if (!info.ok()) return info.status();
  if (info->schema_version > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat("backup ", id, " holds schema ", info->schema_version,
                                                      "; this hirsd knows up to ", kSchemaVersion,
                                                      ": restore it with a newer hirsd"));
  }
  std::filesystem::create_directories(db_dir, ec);
  rocksdb::IOStatus s = (*engine)->RestoreDBFromBackup(rocksdb::RestoreOptions(), id, db_dir, db_dir);
  if (!s.ok()) return FromRocks(s, absl::StrCat("restoring backup ", id, " into ", db_dir));
  return info;
}

}  // namespace hirs::storage
