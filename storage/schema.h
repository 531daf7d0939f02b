// The on-disk schema version kept in kMeta under kSchemaVersionKey. Bump it
// when a stored encoding changes incompatibly and add the migration to
// Store::CheckSchema.
#ifndef HIRS_STORAGE_SCHEMA_H_
#define HIRS_STORAGE_SCHEMA_H_

#include <cstdint>

namespace hirs::storage {

inline constexpr uint32_t kSchemaVersion = 1;
inline constexpr char kSchemaVersionKey[] = "schema_version";

}  // namespace hirs::storage

#endif  // HIRS_STORAGE_SCHEMA_H_
