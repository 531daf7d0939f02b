#include "services/replication/sealer.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"

namespace hirs::replication {
namespace {

constexpr char kVersion = 1;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

using Context = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::string IndexBytes(uint64_t index) {
  std::string out(8, '\0');
  absl::big_endian::Store64(out.data(), index);
  return out;
}

const unsigned char* Bytes(absl::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

absl::StatusOr<Sealer> Sealer::WithKey(std::string key) {
  if (key.size() != kSealKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat("a log sealing key is ", kSealKeyBytes, " bytes, not ", key.size()));
  }
  return Sealer(std::move(key));
}

std::string Sealer::Seal(absl::string_view plaintext, uint64_t index) const {
  std::string out(1 + kNonceBytes + plaintext.size() + kTagBytes, '\0');
  out[0] = kVersion;
  unsigned char* nonce = reinterpret_cast<unsigned char*>(&out[1]);
  RAND_bytes(nonce, kNonceBytes);
  const std::string aad = IndexBytes(index);
  Context ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key_), nonce);
  EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size()));
  unsigned char* body = nonce + kNonceBytes;
  EVP_EncryptUpdate(ctx.get(), body, &len, Bytes(plaintext), static_cast<int>(plaintext.size()));
  EVP_EncryptFinal_ex(ctx.get(), body + len, &len);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, body + plaintext.size());
  return out;
}

absl::StatusOr<std::string> Sealer::Open(absl::string_view sealed, uint64_t index) const {
  const auto refused =
      absl::DataLossError(absl::StrCat("log entry ", index,
                                       " does not open with this cluster's key: altered, misplaced or sealed with "
                                       "another key"));
  if (sealed.size() < 1 + kNonceBytes + kTagBytes || sealed[0] != kVersion) return refused;
  const absl::string_view nonce = sealed.substr(1, kNonceBytes);
  const absl::string_view body = sealed.substr(1 + kNonceBytes, sealed.size() - 1 - kNonceBytes - kTagBytes);
  std::string tag(sealed.substr(sealed.size() - kTagBytes));
  const std::string aad = IndexBytes(index);
  std::string out(body.size(), '\0');
  Context ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key_), Bytes(nonce));
  EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size()));
  EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, Bytes(body),
                    static_cast<int>(body.size()));
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data());
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &len) != 1) return refused;
  return out;
}

}  // namespace hirs::replication
