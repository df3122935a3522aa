#pragma once
// A 256-bit key in OpenSSL's secure heap: locked into memory (never swapped out) when the
// heap could be locked, and wiped when freed (MLPS level 3, GB/T 22239 8.1.4.10). Immutable
// once made; shared between threads by shared_ptr<const SecureKey>.

#include <cstddef>
#include <memory>
#include <string_view>

struct crypto_auth_hmacsha256_state;

namespace rampart::security::encryption {

class SecureKey {
 public:
  static constexpr std::size_t kSize = 32;
  // Copies `bytes` (kSize of them); null when the secure heap is exhausted.
  static std::shared_ptr<const SecureKey> make(std::string_view bytes);
  // A new random key.
  static std::shared_ptr<const SecureKey> random();
  ~SecureKey();
  SecureKey(const SecureKey&) = delete;
  SecureKey& operator=(const SecureKey&) = delete;
  const unsigned char* data() const { return p_; }
  std::string_view view() const { return {reinterpret_cast<const char*>(p_), kSize}; }

  // Sets up the locked heap once per process (before any key is made). Returns false when
  // the memory could not be locked (RLIMIT_MEMLOCK): keys are then still wiped, not locked.
  static bool initSecureHeap();

 private:
  explicit SecureKey(unsigned char* p) : p_(p) {}
  unsigned char* p_;
};

// An HMAC-SHA-256 key with its padded key blocks already hashed (libsodium's HMAC state), in the
// same secure heap: each digest then costs two SHA-256 compressions plus the message's, instead
// of setting the key up again. Immutable once made; thread-safe.
class HmacKey {
 public:
  static constexpr std::size_t kDigestBytes = 32;
  // Null when the secure heap is exhausted.
  static std::shared_ptr<const HmacKey> make(const SecureKey& key);
  ~HmacKey();
  HmacKey(const HmacKey&) = delete;
  HmacKey& operator=(const HmacKey&) = delete;
  // HMAC-SHA-256(key, message) into `out` (kDigestBytes).
  void digest(std::string_view message, unsigned char* out) const;

 private:
  explicit HmacKey(crypto_auth_hmacsha256_state* s) : state_(s) {}
  crypto_auth_hmacsha256_state* state_;
};

}  // namespace rampart::security::encryption
