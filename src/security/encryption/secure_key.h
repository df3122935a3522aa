#pragma once
// A 256-bit key in OpenSSL's secure heap: locked into memory (never swapped out) when the
// heap could be locked, and wiped when freed (MLPS level 3, GB/T 22239 8.1.4.10). Immutable
// once made; shared between threads by shared_ptr<const SecureKey>.

#include <cstddef>
#include <memory>
#include <string_view>

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

}  // namespace rampart::security::encryption
