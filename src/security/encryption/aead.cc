#include "security/encryption/aead.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <pthread.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>

namespace rampart::security::encryption {

namespace {

constexpr std::string_view kValueMagic{"\0RE\1", 4};
constexpr std::string_view kFileMagic{"\0RF\1", 4};
constexpr std::size_t kNonce = 12;
constexpr std::size_t kTag = 16;
constexpr std::size_t kKeyHeader = 4 + 1 + 4;  // magic, scope, version: authenticated

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const EVP_CIPHER* cipher() {
  static EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return c;
}

void putU32(std::string& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
}

std::uint32_t getU32(std::string_view b) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(b[i]);
  return v;
}

std::optional<SealInfo> infoAfter(std::string_view blob, std::string_view magic,
                                  std::size_t minSize) {
  if (blob.size() < minSize || blob.substr(0, 4) != magic) {
    return std::nullopt;
  }
  const char scope = blob[4];
  if (scope != static_cast<char>(KeyScope::kTenant) &&
      scope != static_cast<char>(KeyScope::kAccount)) {
    return std::nullopt;
  }
  return SealInfo{static_cast<KeyScope>(scope), getU32(blob.substr(5, 4))};
}

std::string keyHeader(std::string_view magic, SealInfo info) {
  std::string h(magic);
  h.push_back(static_cast<char>(info.scope));
  putU32(h, info.version);
  return h;
}

// A random 96-bit nonce from OpenSSL's DRBG, taken from a per-thread buffer filled 4 KiB at a
// time: every sealed value needs one, and one RAND_bytes() call costs about as much as the
// encryption of a message. The buffer is wiped as it is used, and refilled in a forked child
// (which must not repeat its parent's nonces).
std::atomic<unsigned> forks{0};  // raised in every forked child

bool randomNonce(char* out) {
  static std::once_flag watchForks;
  std::call_once(watchForks, [] { ::pthread_atfork(nullptr, nullptr, [] { ++forks; }); });
  struct Pool {
    unsigned char bytes[4096];
    std::size_t used = sizeof bytes;
    unsigned forks = 0;
    ~Pool() { OPENSSL_cleanse(bytes, sizeof bytes); }
  };
  thread_local Pool pool;
  const unsigned now = forks.load(std::memory_order_relaxed);
  if (pool.used + kNonce > sizeof pool.bytes || pool.forks != now) {
    if (RAND_bytes(pool.bytes, sizeof pool.bytes) != 1) return false;
    pool.used = 0;
    pool.forks = now;
  }
  std::memcpy(out, pool.bytes + pool.used, kNonce);
  OPENSSL_cleanse(pool.bytes + pool.used, kNonce);
  pool.used += kNonce;
  return true;
}

// One GCM operation: encrypts (tag appended) or decrypts (tag checked) `in`; the result follows
// `prefix` in the string returned (one allocation for a whole sealed value).
core::Result<std::string> gcm(bool encrypt, const SecureKey& key, std::string_view nonce,
                              std::string_view aad, std::string_view in,
                              std::string_view prefix = {}) {
  Ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || cipher() == nullptr) {
    return core::Status::unavailable("AES-256-GCM is not available");
  }
  std::string_view body = in;
  std::string_view tag;
  if (!encrypt) {
    if (in.size() < kTag) {
      return core::Status::failedPrecondition("sealed value too short");
    }
    body = in.substr(0, in.size() - kTag);
    tag = in.substr(in.size() - kTag);
  }
  const auto* iv = reinterpret_cast<const unsigned char*>(nonce.data());
  if (EVP_CipherInit_ex2(ctx.get(), cipher(), key.data(), iv, encrypt ? 1 : 0, nullptr) != 1) {
    return core::Status::unavailable("AES-256-GCM could not be set up");
  }
  int n = 0;
  if (!aad.empty() &&
      EVP_CipherUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(aad.data()),
                       static_cast<int>(aad.size())) != 1) {
    return core::Status::unavailable("AES-256-GCM failed");
  }
  std::string out;
  out.reserve(prefix.size() + body.size() + (encrypt ? kTag : 0));
  out.append(prefix);
  out.resize(prefix.size() + body.size() + (encrypt ? kTag : 0));
  auto* o = reinterpret_cast<unsigned char*>(out.data() + prefix.size());
  int len = 0;
  if (!body.empty() &&
      EVP_CipherUpdate(ctx.get(), o, &len, reinterpret_cast<const unsigned char*>(body.data()),
                       static_cast<int>(body.size())) != 1) {
    return core::Status::unavailable("AES-256-GCM failed");
  }
  if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTag),
                                      const_cast<char*>(tag.data())) != 1) {
    return core::Status::unavailable("AES-256-GCM failed");
  }
  int fin = 0;
  if (EVP_CipherFinal_ex(ctx.get(), o + len, &fin) != 1) {
    OPENSSL_cleanse(o, body.size());
    return core::Status::failedPrecondition(
        "a sealed value failed its integrity check (altered, moved, or another key)");
  }
  if (encrypt &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTag),
                          o + body.size()) != 1) {
    return core::Status::unavailable("AES-256-GCM failed");
  }
  return out;
}

std::string chunkNonce(std::string_view base, std::uint64_t index) {
  std::string n(base);
  std::uint64_t carry = index;
  for (int i = static_cast<int>(kNonce) - 1; i >= 4 && carry != 0; --i) {
    const unsigned sum = static_cast<unsigned char>(n[i]) + (carry & 0xff);
    n[i] = static_cast<char>(sum & 0xff);
    carry = (carry >> 8) + (sum >> 8);
  }
  return n;
}

std::string chunkAad(std::string_view header, std::string_view context, std::uint64_t index,
                     bool last) {
  std::string aad(header.substr(0, kKeyHeader));
  aad += context;
  putU32(aad, static_cast<std::uint32_t>(index >> 32));
  putU32(aad, static_cast<std::uint32_t>(index));
  aad.push_back(last ? '\1' : '\0');
  return aad;
}

}  // namespace

std::string context(std::initializer_list<std::string_view> parts) {
  std::size_t size = 0;
  for (auto p : parts) size += 4 + p.size();
  std::string out;
  out.reserve(size);
  for (auto p : parts) {
    putU32(out, static_cast<std::uint32_t>(p.size()));
    out += p;
  }
  return out;
}

bool isSealed(std::string_view blob) { return sealInfo(blob).has_value(); }

std::optional<SealInfo> sealInfo(std::string_view blob) {
  return infoAfter(blob, kValueMagic, kSealOverhead);
}

core::Result<std::string> seal(const SecureKey& key, SealInfo info, std::string_view ctx,
                               std::string_view plaintext) {
  // key header, nonce, ciphertext and tag
  std::string head = keyHeader(kValueMagic, info);
  head.resize(kKeyHeader + kNonce);
  if (!randomNonce(head.data() + kKeyHeader)) {
    return core::Status::unavailable("no random bytes for a nonce");
  }
  std::string aad;
  aad.reserve(kKeyHeader + ctx.size());
  aad.append(head, 0, kKeyHeader);
  aad += ctx;
  return gcm(true, key, std::string_view(head).substr(kKeyHeader), aad, plaintext, head);
}

core::Result<std::string> open(const SecureKey& key, std::string_view ctx,
                               std::string_view sealed) {
  if (!sealInfo(sealed)) {
    return core::Status::failedPrecondition("not a sealed value");
  }
  std::string aad(sealed.substr(0, kKeyHeader));
  aad += ctx;
  return gcm(false, key, sealed.substr(kKeyHeader, kNonce), aad,
             sealed.substr(kKeyHeader + kNonce));
}

bool isSealedFile(std::string_view header) { return fileSealInfo(header).has_value(); }

std::optional<SealInfo> fileSealInfo(std::string_view header) {
  return infoAfter(header, kFileMagic, kFileHeaderSize);
}

std::optional<std::uint64_t> plaintextSize(std::uint64_t sealedSize) {
  if (sealedSize < kFileHeaderSize + kTag) {
    return std::nullopt;
  }
  const std::uint64_t body = sealedSize - kFileHeaderSize;
  const std::uint64_t full = body / (kFileChunk + kTag);
  const std::uint64_t rest = body % (kFileChunk + kTag);
  if (rest < kTag) {
    return std::nullopt;  // every file ends with a short (possibly empty) last chunk
  }
  return full * kFileChunk + (rest - kTag);
}

std::string fileHeader(SealInfo info, std::string_view nonce) {
  std::string h = keyHeader(kFileMagic, info);
  h += nonce.substr(0, kNonce);
  return h;
}

core::Result<std::string> sealChunk(const SecureKey& key, std::string_view header,
                                    std::string_view ctx, std::uint64_t index, bool last,
                                    std::string_view plaintext) {
  return gcm(true, key, chunkNonce(header.substr(kKeyHeader, kNonce), index),
             chunkAad(header, ctx, index, last), plaintext);
}

core::Result<std::string> openChunk(const SecureKey& key, std::string_view header,
                                    std::string_view ctx, std::uint64_t index, bool last,
                                    std::string_view sealed) {
  return gcm(false, key, chunkNonce(header.substr(kKeyHeader, kNonce), index),
             chunkAad(header, ctx, index, last), sealed);
}

}  // namespace rampart::security::encryption
