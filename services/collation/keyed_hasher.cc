#include "services/collation/keyed_hasher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP,
// but they are still exported and are the only way to copy a keyed state
// without an allocation (see KeyedHasher::Context).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace hirs::collation {
namespace {

void AppendLengthPrefixed(std::string* out, absl::string_view part) {
  const uint32_t n = static_cast<uint32_t>(part.size());
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((n >> shift) & 0xff));
  out->append(part.data(), part.size());
}

}  // namespace

// HMAC-SHA256 (RFC 2104) with the key's two padded blocks hashed once:
// `inner` and `outer` are the SHA-256 states after (key ^ ipad) and
// (key ^ opad), and each Mac copies them (a struct copy). OpenSSL's
// EVP_MAC_CTX_dup did the same with four allocations and provider look-ups,
// 9% of the server's CPU under a submit load (2026-11-23, run_load.sh).
// keyed_hasher_test checks the result against OpenSSL's HMAC().
struct KeyedHasher::Context {
  SHA256_CTX inner;
  SHA256_CTX outer;
};

KeyedHasher::KeyedHasher(std::string key) : context_(std::make_unique<Context>()) {
  unsigned char block[SHA256_CBLOCK] = {};
  if (key.size() > sizeof(block)) {
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), block);
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  unsigned char pad[SHA256_CBLOCK];
  for (size_t i = 0; i < sizeof(block); ++i) pad[i] = block[i] ^ 0x36;
  SHA256_Init(&context_->inner);
  SHA256_Update(&context_->inner, pad, sizeof(pad));
  for (size_t i = 0; i < sizeof(block); ++i) pad[i] = block[i] ^ 0x5c;
  SHA256_Init(&context_->outer);
  SHA256_Update(&context_->outer, pad, sizeof(pad));
  OPENSSL_cleanse(block, sizeof(block));
  OPENSSL_cleanse(pad, sizeof(pad));
}

KeyedHasher::~KeyedHasher() = default;
KeyedHasher::KeyedHasher(KeyedHasher&&) noexcept = default;
KeyedHasher& KeyedHasher::operator=(KeyedHasher&&) noexcept = default;

absl::StatusOr<KeyedHasher> KeyedHasher::LoadOrCreate(const std::string& path) {
  std::ifstream in(path);
  if (in) {
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string hex(absl::StripAsciiWhitespace(buffer.str()));
    bool is_hex = hex.size() % 2 == 0;
    for (char c : hex) is_hex = is_hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
    if (!is_hex || hex.size() < 64) {
      return absl::InvalidArgumentError(absl::StrCat("HMAC key file ", path,
                                                     " must hold at least 64 hex digits (32 random bytes); "
                                                     "create one with: openssl rand -hex 32 > ",
                                                     path));
    }
    return KeyedHasher(absl::HexStringToBytes(hex));
  }
  std::string key(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    return absl::InternalError("cannot generate a random HMAC key");
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot create HMAC key file ", path, ": ", std::strerror(errno)));
  }
  const std::string text = absl::StrCat(absl::BytesToHexString(key), "\n");
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return absl::UnavailableError(absl::StrCat("cannot write HMAC key file ", path));
  return KeyedHasher(std::move(key));
}

std::string KeyedHasher::Mac(absl::string_view domain, std::initializer_list<absl::string_view> parts) const {
  std::string message;
  AppendLengthPrefixed(&message, domain);
  for (absl::string_view p : parts) AppendLengthPrefixed(&message, p);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx = context_->inner;
  SHA256_Update(&ctx, message.data(), message.size());
  SHA256_Final(digest, &ctx);
  ctx = context_->outer;
  SHA256_Update(&ctx, digest, sizeof(digest));
  SHA256_Final(digest, &ctx);
  return std::string(reinterpret_cast<char*>(digest), sizeof(digest));
}

std::string Sha256(absl::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return std::string(reinterpret_cast<char*>(out), sizeof(out));
}

std::string Hex(absl::string_view bytes) { return absl::BytesToHexString(bytes); }

}  // namespace hirs::collation
