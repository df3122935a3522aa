#pragma once
// Client side of SASL SCRAM-SHA-1 (RFC 5802) without channel binding (gs2 header "n,,"),
// built on OpenSSL's PBKDF2, HMAC and SHA-1. SaltedPassword values can be cached per
// (user, salt, iterations), as real clients do; the cache is single-threaded.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace loadgen {

std::string base64Encode(std::string_view in);
std::optional<std::string> base64Decode(std::string_view in);

class ScramCache {
 public:
  // Loads "user salt_b64 iterations salted_hex" lines; a missing file is an empty cache.
  void load(const std::string& path);
  void save(const std::string& path) const;
  // SaltedPassword for this user/salt/iterations, computed with PBKDF2 on a miss.
  std::string saltedPassword(const std::string& user, const std::string& password,
                             const std::string& salt, unsigned iterations);
  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }

 private:
  std::map<std::string, std::string> entries_;
  std::uint64_t hits_ = 0, misses_ = 0;
};

class ScramSha1Client {
 public:
  ScramSha1Client(std::string user, std::string password);
  // client-first-message, to send base64-encoded in <auth mechanism='SCRAM-SHA-1'>.
  std::string first();
  // Given server-first-message, the client-final-message; nullopt if malformed or unsafe
  // (nonce not extending ours, too few iterations).
  std::optional<std::string> final(const std::string& serverFirst, ScramCache& cache);
  // Checks v= in server-final-message.
  bool verifyServer(const std::string& serverFinal) const;
  unsigned iterations() const { return iterations_; }

 private:
  std::string user_, password_, clientNonce_, clientFirstBare_;
  std::string serverSignature_;
  unsigned iterations_ = 0;
};

}  // namespace loadgen
