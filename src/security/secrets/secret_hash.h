#pragma once
// The one verifier for secrets that are not SCRAM passwords: recovery codes, security-question
// answers, reset codes and password history entries are stored as Argon2id (libsodium,
// RFC 9106) strings. Cost: t=2 passes over m=19 MiB, one lane (the OWASP password-storage
// minimum for Argon2id), about 30-60 ms per hash on one core. Thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace rampart::security::secrets {

inline constexpr unsigned long long kArgon2Passes = 2;
inline constexpr std::size_t kArgon2MemoryBytes = 19 * 1024 * 1024;

// The encoded Argon2id string ($argon2id$v=19$m=19456,t=2,p=1$...), or nullopt when memory
// runs out (never store the secret instead).
std::optional<std::string> hashSecret(std::string_view secret);
// Whether `secret` matches the encoded hash (constant time in the secret).
bool verifySecret(const std::string& hash, std::string_view secret);

}  // namespace rampart::security::secrets
