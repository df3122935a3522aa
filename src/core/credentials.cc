#include "core/credentials.h"

#include "core/sasl/scram.h"
#include "rampart/core/jid.h"

namespace rampart::core {

std::optional<std::string> preparePassword(std::string_view password) {
  // OpaqueString is also the resourcepart profile (RFC 7622 section 3.4).
  return prepareResourcepart(password);
}

std::vector<storage::Credential> makeCredentials(std::string_view password,
                                                 std::uint32_t iterations,
                                                 const std::vector<storage::Credential>& keep) {
  std::vector<storage::Credential> out;
  for (auto [hash, name] : {std::pair{sasl::ScramHash::kSha1, "SCRAM-SHA-1"},
                            std::pair{sasl::ScramHash::kSha256, "SCRAM-SHA-256"}}) {
    std::string salt = sasl::randomBytes(16);
    std::uint32_t rounds = iterations;
    for (const auto& k : keep) {
      if (k.mechanism == name && k.salt.size() >= 16 && k.iterations >= iterations) {
        salt = k.salt;
        rounds = k.iterations;
      }
    }
    auto c = sasl::deriveScramCredential(hash, password, salt, rounds);
    out.push_back(storage::Credential{name, c.salt, c.iterations, c.storedKey, c.serverKey});
  }
  return out;
}

}  // namespace rampart::core
