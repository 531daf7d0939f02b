#include "services/auth/credentials.h"

#include <argon2.h>
#include <liboath/oath.h>
#include <openssl/rand.h>
#include <qrencode.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/utf8.h"

extern const char kCommonPasswords[];
extern const size_t kCommonPasswords_size;

namespace hirs::auth {
namespace {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::abort();  // the CSPRNG failing is not recoverable
  }
  return out;
}

// The bundled list, lower-cased, without its comment lines.
const absl::flat_hash_set<std::string>& CommonPasswords() {
  static const auto* list = [] {
    auto* out = new absl::flat_hash_set<std::string>();
    for (absl::string_view line :
         absl::StrSplit(absl::string_view(kCommonPasswords, kCommonPasswords_size), '\n', absl::SkipEmpty())) {
      if (!absl::StartsWith(line, "#")) out->insert(absl::AsciiStrToLower(line));
    }
    return out;
  }();
  return *list;
}

// liboath wants oath_init once per process.
void InitOath() {
  static const bool ready = oath_init() == OATH_OK;
  if (!ready) std::abort();
}

// RFC 4648 base32 without padding, as otpauth URIs carry secrets.
std::string Base32(absl::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

}  // namespace

std::optional<std::string> PasswordProblem(absl::string_view password, absl::string_view login) {
  if (password.size() < kMinPasswordBytes) {
    return absl::StrCat("is shorter than ", kMinPasswordBytes, " characters; a phrase of a few words is easiest");
  }
  if (password.size() > kMaxPasswordBytes) return absl::StrCat("is longer than ", kMaxPasswordBytes, " bytes");
  if (!IsValidUtf8(password)) return "is not UTF-8 text";
  const std::string lower = absl::AsciiStrToLower(password);
  // A common password with digits or symbols around it ("password1234")
  // is as easy to guess as the password.
  absl::string_view base = lower;
  const auto padding = [](char c) { return !absl::ascii_isalpha(static_cast<unsigned char>(c)); };
  while (!base.empty() && padding(base.front())) base.remove_prefix(1);
  while (!base.empty() && padding(base.back())) base.remove_suffix(1);
  if (CommonPasswords().contains(lower) || base.empty() || CommonPasswords().contains(base)) {
    return "is one of the most common passwords, or one with digits added; choose another";
  }
  if (absl::flat_hash_set<char>(lower.begin(), lower.end()).size() < 5) return "repeats too few characters";
  if (!login.empty() && absl::StrContains(lower, absl::AsciiStrToLower(login))) {
    return "contains the account's own name; choose another";
  }
  return std::nullopt;
}

absl::StatusOr<std::string> HashPassword(absl::string_view password, const Argon2Cost& cost) {
  if (password.size() > kMaxPasswordBytes) return absl::InvalidArgumentError("password too long");
  const std::string salt = RandomBytes(16);
  constexpr size_t kHashBytes = 32;
  std::string encoded(
      argon2_encodedlen(cost.iterations, cost.memory_kib, cost.lanes, salt.size(), kHashBytes, Argon2_id), '\0');
  const int r = argon2id_hash_encoded(cost.iterations, cost.memory_kib, cost.lanes, password.data(), password.size(),
                                      salt.data(), salt.size(), kHashBytes, encoded.data(), encoded.size());
  if (r != ARGON2_OK) return absl::InternalError(absl::StrCat("argon2id: ", argon2_error_message(r)));
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool VerifyPassword(absl::string_view encoded, absl::string_view password) {
  if (password.size() > kMaxPasswordBytes) return false;
  const std::string hash(encoded);  // argon2 wants it NUL-terminated
  return argon2id_verify(hash.c_str(), password.data(), password.size()) == ARGON2_OK;
}

const std::string& DecoyHash() {
  static const std::string* decoy = new std::string(*HashPassword(RandomBytes(24)));
  return *decoy;
}

std::string NewOneTimePassword() { return absl::AsciiStrToLower(Base32(RandomBytes(13))); }

std::string NewTotpSecret() { return RandomBytes(20); }

std::string TotpUri(absl::string_view secret, absl::string_view account) {
  return absl::StrCat("otpauth://totp/hirs:", account, "?secret=", Base32(secret),
                      "&issuer=hirs&algorithm=SHA1&digits=6&period=", kTotpStepSeconds);
}

std::optional<int64_t> TotpStep(absl::string_view secret, absl::string_view code, absl::Time now) {
  InitOath();
  if (code.size() != 6 || !std::all_of(code.begin(), code.end(), absl::ascii_isdigit)) return std::nullopt;
  const std::string otp(code);
  const time_t t = absl::ToTimeT(now);
  int position = 0;
  const int r = oath_totp_validate2(secret.data(), secret.size(), t, kTotpStepSeconds, 0, 1, &position, otp.c_str());
  if (r < 0) return std::nullopt;
  return t / kTotpStepSeconds + position;
}

std::string TotpCode(absl::string_view secret, absl::Time now) {
  InitOath();
  char otp[7] = {0};
  if (oath_totp_generate(secret.data(), secret.size(), absl::ToTimeT(now), kTotpStepSeconds, 0, 6, otp) != OATH_OK) {
    return "";
  }
  return otp;
}

absl::StatusOr<std::string> QrSvg(absl::string_view text) {
  const std::string input(text);
  std::unique_ptr<QRcode, void (*)(QRcode*)> qr(QRcode_encodeString(input.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1),
                                                QRcode_free);
  if (qr == nullptr) return absl::InternalError("the QR code could not be made");
  const int quiet = 4;
  const int size = qr->width + 2 * quiet;
  std::string svg = absl::StrCat(R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 )", size, " ", size,
                                 R"(" shape-rendering="crispEdges" role="img" aria-label="QR code">)",
                                 R"(<rect width="100%" height="100%" fill="#fff"/><path fill="#000" d=")");
  for (int y = 0; y < qr->width; ++y) {
    for (int x = 0; x < qr->width; ++x) {
      if (qr->data[y * qr->width + x] & 1) absl::StrAppend(&svg, "M", x + quiet, " ", y + quiet, "h1v1h-1z");
    }
  }
  absl::StrAppend(&svg, R"("/></svg>)");
  return svg;
}

}  // namespace hirs::auth
