#include "services/collation/keyed_hasher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
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

struct KeyedHasher::Context {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* keyed = nullptr;
  ~Context() {
    EVP_MAC_CTX_free(keyed);
    EVP_MAC_free(mac);
  }
};

KeyedHasher::KeyedHasher(std::string key) : context_(std::make_unique<Context>()) {
  context_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  context_->keyed = EVP_MAC_CTX_new(context_->mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
  if (context_->keyed == nullptr ||
      EVP_MAC_init(context_->keyed, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) != 1) {
    std::abort();  // OpenSSL without HMAC-SHA256 cannot run hirs at all
  }
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
      return absl::InvalidArgumentError(absl::StrCat(
          "HMAC key file ", path, " must hold at least 64 hex digits (32 random bytes); "
          "create one with: openssl rand -hex 32 > ", path));
    }
    return KeyedHasher(absl::HexStringToBytes(hex));
  }
  std::string key(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    return absl::InternalError("cannot generate a random HMAC key");
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot create HMAC key file ", path, ": ", std::strerror(errno)));
  }
  const std::string text = absl::StrCat(absl::BytesToHexString(key), "\n");
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return absl::UnavailableError(absl::StrCat("cannot write HMAC key file ", path));
  return KeyedHasher(std::move(key));
}

std::string KeyedHasher::Mac(absl::string_view domain,
                             std::initializer_list<absl::string_view> parts) const {
  std::string message;
  AppendLengthPrefixed(&message, domain);
  for (absl::string_view p : parts) AppendLengthPrefixed(&message, p);
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t out_len = 0;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(context_->keyed);
  const bool ok = ctx != nullptr &&
                  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1 &&
                  EVP_MAC_final(ctx, out, &out_len, sizeof(out)) == 1;
  EVP_MAC_CTX_free(ctx);
  if (!ok) std::abort();  // only on allocation failure
  return std::string(reinterpret_cast<char*>(out), out_len);
}

std::string Sha256(absl::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return std::string(reinterpret_cast<char*>(out), sizeof(out));
}

std::string Hex(absl::string_view bytes) { return absl::BytesToHexString(bytes); }

}  // namespace hirs::collation
