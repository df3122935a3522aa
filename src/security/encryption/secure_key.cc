#include "security/encryption/secure_key.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sodium.h>

#include <cstring>
#include <mutex>

namespace rampart::security::encryption {

namespace {
// 4 MiB: room for tens of thousands of cached keys and thousands of HMAC states (256 bytes
// each), below the usual 8 MiB RLIMIT_MEMLOCK.
constexpr std::size_t kHeapBytes = std::size_t{4} << 20;
constexpr std::size_t kMinAlloc = 32;
}  // namespace

bool SecureKey::initSecureHeap() {
  static std::once_flag once;
  static bool locked = false;
  std::call_once(once, [] {
    // 1: locked; 2: usable but not locked; 0: not available (plain heap, still cleansed).
    locked = CRYPTO_secure_malloc_init(kHeapBytes, kMinAlloc) == 1;
  });
  return locked;
}

std::shared_ptr<const SecureKey> SecureKey::make(std::string_view bytes) {
  if (bytes.size() != kSize) {
    return nullptr;
  }
  auto* p = static_cast<unsigned char*>(OPENSSL_secure_malloc(kSize));
  if (p == nullptr) {
    return nullptr;
  }
  std::memcpy(p, bytes.data(), kSize);
  return std::shared_ptr<const SecureKey>(new SecureKey(p));
}

std::shared_ptr<const SecureKey> SecureKey::random() {
  auto* p = static_cast<unsigned char*>(OPENSSL_secure_malloc(kSize));
  if (p == nullptr) {
    return nullptr;
  }
  if (RAND_priv_bytes(p, static_cast<int>(kSize)) != 1) {
    OPENSSL_secure_clear_free(p, kSize);
    return nullptr;
  }
  return std::shared_ptr<const SecureKey>(new SecureKey(p));
}

SecureKey::~SecureKey() { OPENSSL_secure_clear_free(p_, kSize); }

std::shared_ptr<const HmacKey> HmacKey::make(const SecureKey& key) {
  static const bool ready = sodium_init() >= 0;
  if (!ready) {
    return nullptr;
  }
  auto* s = static_cast<crypto_auth_hmacsha256_state*>(
      OPENSSL_secure_malloc(sizeof(crypto_auth_hmacsha256_state)));
  if (s == nullptr) {
    return nullptr;
  }
  crypto_auth_hmacsha256_init(s, key.data(), SecureKey::kSize);
  return std::shared_ptr<const HmacKey>(new HmacKey(s));
}

HmacKey::~HmacKey() { OPENSSL_secure_clear_free(state_, sizeof(crypto_auth_hmacsha256_state)); }

void HmacKey::digest(std::string_view message, unsigned char* out) const {
  crypto_auth_hmacsha256_state s = *state_;
  crypto_auth_hmacsha256_update(&s, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&s, out);
  sodium_memzero(&s, sizeof s);
}

}  // namespace rampart::security::encryption
