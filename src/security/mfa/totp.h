#pragma once
// Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP): HMAC-SHA-1, 6 digits, 30-second
// steps, the step before and after accepted for clock drift, and each step usable once.
// Enrolment material: the base32 secret, the otpauth:// URI authenticator apps read, and that
// URI as a QR code (SVG, from libqrencode). Recovery codes: 10 random single-use codes, stored
// as Argon2id hashes (libsodium). Stateless functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::security::mfa {

inline constexpr int kTotpStepSeconds = 30;
inline constexpr int kTotpDigits = 6;

std::string newTotpSecret();  // 20 random bytes (RFC 4226 recommends 160 bits)
std::string base32(std::string_view raw);  // RFC 4648, no padding
std::optional<std::string> base32Decode(std::string_view text);
// The code for one time step (RFC 4226 dynamic truncation), zero-padded.
std::string totpCode(std::string_view secret, std::int64_t step);
std::int64_t totpStep(std::int64_t unixSeconds);
// The step `code` matches within +-1 step of `unixSeconds` and after `lastUsedStep`, or
// nullopt. Constant-time comparison.
std::optional<std::int64_t> verifyTotp(std::string_view secret, std::string_view code,
                                       std::int64_t unixSeconds, std::int64_t lastUsedStep);
std::string otpauthUri(std::string_view issuer, std::string_view account, std::string_view secret);
// An SVG image of `text` as a QR code (error correction M), or empty on failure.
std::string qrSvg(std::string_view text);

// Ten new recovery codes ("xxxx-xxxx-xxxx") and their Argon2id hashes.
struct RecoveryCodes {
  std::vector<std::string> codes;
  std::vector<std::string> hashes;
};
RecoveryCodes newRecoveryCodes();
// The index of the hash `code` matches, or nullopt (the caller then removes that hash).
std::optional<std::size_t> matchRecoveryCode(const std::vector<std::string>& hashes,
                                             std::string_view code);

}  // namespace rampart::security::mfa
