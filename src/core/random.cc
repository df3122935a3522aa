#include "rampart/core/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace rampart::core {
namespace {

void randomBytes(unsigned char* out, std::size_t n) {
  // Without randomness nothing here can be made safe; this only happens when the OS has no
  // entropy source at all.
  auto draw = [](unsigned char* p, std::size_t len) {
    if (RAND_bytes(p, static_cast<int>(len)) != 1) {
      throw std::runtime_error("RAND_bytes failed");
    }
  };
  // OpenSSL's DRBG drawn 1 KiB at a time per thread: one call per stanza-id would cost a lock
  // and a fork check each. Bytes handed out are wiped from the pool.
  thread_local std::array<unsigned char, 1024> pool;
  thread_local std::size_t used = pool.size();
  if (n > pool.size() / 4) {
    draw(out, n);
    return;
  }
  if (used + n > pool.size()) {
    draw(pool.data(), pool.size());
    used = 0;
  }
  std::memcpy(out, pool.data() + used, n);
  OPENSSL_cleanse(pool.data() + used, n);
  used += n;
}

}  // namespace

std::string randomToken(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  randomBytes(raw.data(), raw.size());
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : raw) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) {
    out += kAlphabet[(acc << (6 - bits)) & 63];
  }
  return out;
}

}  // namespace rampart::core
