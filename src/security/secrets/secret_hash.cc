#include "security/secrets/secret_hash.h"

#include <sodium.h>

namespace rampart::security::secrets {

std::optional<std::string> hashSecret(std::string_view secret) {
  if (sodium_init() < 0) {
    return std::nullopt;
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, secret.data(), secret.size(), kArgon2Passes, kArgon2MemoryBytes) !=
      0) {
    return std::nullopt;
  }
  return std::string(out);
}

bool verifySecret(const std::string& hash, std::string_view secret) {
  return sodium_init() >= 0 &&
         crypto_pwhash_str_verify(hash.c_str(), secret.data(), secret.size()) == 0;
}

}  // namespace rampart::security::secrets
