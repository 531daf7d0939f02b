// HMAC-SHA256 under the server's secret key (OpenSSL). Fingerprints and
// receipts are keyed so that a stored fingerprint reveals nothing about the
// fields behind it without the key.
#ifndef HIRS_SERVICES_COLLATION_KEYED_HASHER_H_
#define HIRS_SERVICES_COLLATION_KEYED_HASHER_H_

#include <initializer_list>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hirs::collation {

// Immutable; thread safe.
class KeyedHasher {
 public:
  // Reads the key (hex, at least 64 hex digits = 32 bytes) from `path`, or,
  // when the file does not exist, generates 32 random bytes and writes them
  // there with mode 0600. INVALID_ARGUMENT for a malformed key file.
  static absl::StatusOr<KeyedHasher> LoadOrCreate(const std::string& path);

  // REQUIRES: key.size() >= 32.
  explicit KeyedHasher(std::string key);
  ~KeyedHasher();
  KeyedHasher(KeyedHasher&&) noexcept;
  KeyedHasher& operator=(KeyedHasher&&) noexcept;

  // HMAC-SHA256 over `domain`, then each part, each preceded by its length,
  // so that different splits of the same bytes never collide. 32 bytes.
  std::string Mac(absl::string_view domain, std::initializer_list<absl::string_view> parts) const;

 private:
  struct Context;
  // The SHA-256 states with the key already hashed in, copied for each Mac:
  // setting the key up per call cost more than the hashing.
  std::unique_ptr<Context> context_;
};

// SHA-256 of `data` (32 bytes).
std::string Sha256(absl::string_view data);

// Lower-case hex of `bytes`.
std::string Hex(absl::string_view bytes);

}  // namespace hirs::collation

#endif  // HIRS_SERVICES_COLLATION_KEYED_HASHER_H_
