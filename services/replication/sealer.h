// Seals log entries before they reach etcd, so that etcd's data files and
// snapshots hold no personal data in the clear: AES-256-GCM (OpenSSL), a
// random 96-bit nonce per entry, and the entry's log index as associated
// data (an entry copied to another index does not open).
// Sealed form: 0x01 (version) | nonce (12) | ciphertext | tag (16).
#ifndef HIRS_SERVICES_REPLICATION_SEALER_H_
#define HIRS_SERVICES_REPLICATION_SEALER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hirs::replication {

inline constexpr size_t kSealKeyBytes = 32;

// Thread safe (immutable).
class Sealer {
 public:
  // INVALID_ARGUMENT unless `key` is kSealKeyBytes long.
  static absl::StatusOr<Sealer> WithKey(std::string key);

  std::string Seal(absl::string_view plaintext, uint64_t index) const;
  // DATA_LOSS when `sealed` was not sealed with this key for this index,
  // or was altered.
  absl::StatusOr<std::string> Open(absl::string_view sealed, uint64_t index) const;

 private:
  explicit Sealer(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace hirs::replication

#endif  // HIRS_SERVICES_REPLICATION_SEALER_H_
