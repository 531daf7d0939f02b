// A person's credentials: a password hashed with Argon2id (libargon2) and a
// TOTP second factor (RFC 6238, liboath) enrolled through an otpauth:// URI
// and its QR code (libqrencode). Nothing here logs or keeps a password or
// a code.
#ifndef HIRS_SERVICES_AUTH_CREDENTIALS_H_
#define HIRS_SERVICES_AUTH_CREDENTIALS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hirs::auth {

// Argon2id's cost, from OWASP's Password Storage Cheat Sheet (its first
// recommended configuration: 19 MiB of memory, 2 iterations, 1 lane):
// tens of milliseconds a hash on the test VM (credentials_test prints it).
struct Argon2Cost {
  uint32_t memory_kib = 19 * 1024;
  uint32_t iterations = 2;
  uint32_t lanes = 1;
};

// Passwords are 12 to 128 bytes: long enough with a second factor (NIST SP
// 800-63B asks 8; OWASP 8 with MFA), short enough to bound the work a
// sign-in may ask before anything is hashed.
inline constexpr size_t kMinPasswordBytes = 12;
inline constexpr size_t kMaxPasswordBytes = 128;

// Why `password` may not be a password for `login` (its person id or
// e-mail): too short or long, not UTF-8, on the bundled list of common
// passwords (data/common_passwords.txt, compared case-insensitively) alone
// or with digits and symbols around it, only digits and symbols, fewer
// than five distinct characters, or containing the login. nullopt when it
// may.
std::optional<std::string> PasswordProblem(absl::string_view password, absl::string_view login);

// The Argon2id hash of `password` with a random 16-byte salt, in the
// encoded form ("$argon2id$v=19$m=...,t=...,p=...$salt$hash").
absl::StatusOr<std::string> HashPassword(absl::string_view password, const Argon2Cost& cost = {});

// Whether `password` matches `encoded` (argon2id_verify: the comparison is
// constant time). Passwords over kMaxPasswordBytes never match and cost
// nothing.
bool VerifyPassword(absl::string_view encoded, absl::string_view password);

// A hash no password matches, for checking a sign-in of an unknown account
// with the same work as a known one.
const std::string& DecoyHash();

// A one-time password (an administrator's reset): 21 characters of
// lower-case base32 (letters and 2-7: no 0 or 1 to mistake), 104 random
// bits.
std::string NewOneTimePassword();

// TOTP: 30-second steps, 6 digits, HMAC-SHA1 (what authenticator apps
// support), a code valid one step either side of now.
inline constexpr int kTotpStepSeconds = 30;

// A new 160-bit secret (raw bytes).
std::string NewTotpSecret();

// otpauth://totp/hirs:<account>?secret=<base32>&issuer=hirs&... for an
// authenticator app.
std::string TotpUri(absl::string_view secret, absl::string_view account);

// The time step at which `code` is `secret`'s code, within one step of
// `now`; nullopt when it is none of them. The caller refuses a step it has
// already accepted (a replay).
std::optional<int64_t> TotpStep(absl::string_view secret, absl::string_view code, absl::Time now);

// The current code (for tests and the CLI's tests).
std::string TotpCode(absl::string_view secret, absl::Time now);

// `text` as a QR code (ECC level M) in SVG, black modules on white with a
// four-module quiet zone, for a page to show.
absl::StatusOr<std::string> QrSvg(absl::string_view text);

}  // namespace hirs::auth

#endif  // HIRS_SERVICES_AUTH_CREDENTIALS_H_
