#pragma once
// AES-256-GCM (OpenSSL EVP) for values and files stored at rest. A sealed value names its key
// (scope and version) in a short header; the header and a caller's context (tenant, table,
// row, column) are authenticated with it, so a value moved to another row, column or tenant,
// or altered in any byte, fails to open: an error, never garbage. Thread-safe (no state).
//
//   value:  "\0RE\1" scope(1) version(4, big-endian) nonce(12) ciphertext tag(16)
//   file:   "\0RF\1" scope(1) version(4) nonce(12), then chunks of up to 64 KiB, each
//           ciphertext + tag(16); chunk i uses the nonce with i added to its last 8 bytes and
//           authenticates i and whether it is the last chunk (truncation is detected).

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "rampart/core/status.h"
#include "security/encryption/secure_key.h"

namespace rampart::security::encryption {

// Whose key sealed a value: the tenant's, or one account's (beneath the tenant's).
enum class KeyScope : char { kTenant = 'T', kAccount = 'A' };

struct SealInfo {
  KeyScope scope = KeyScope::kTenant;
  std::uint32_t version = 0;
};

inline constexpr std::size_t kSealOverhead = 4 + 1 + 4 + 12 + 16;
inline constexpr std::size_t kFileHeaderSize = 4 + 1 + 4 + 12;
inline constexpr std::size_t kFileChunk = 64 * 1024;

// Length-prefixed parts: ("a","bc") and ("ab","c") give different contexts.
std::string context(std::initializer_list<std::string_view> parts);

bool isSealed(std::string_view blob);
// The key a sealed value names; nullopt for anything else.
std::optional<SealInfo> sealInfo(std::string_view blob);

core::Result<std::string> seal(const SecureKey& key, SealInfo info, std::string_view context,
                               std::string_view plaintext);
// Fails (kFailedPrecondition) for an altered value, the wrong key or the wrong context.
core::Result<std::string> open(const SecureKey& key, std::string_view context,
                               std::string_view sealed);

// Files.
bool isSealedFile(std::string_view header);
std::optional<SealInfo> fileSealInfo(std::string_view header);
// The size of the plaintext of a sealed file of `sealedSize` bytes; nullopt when no sealed
// file can have that size.
std::optional<std::uint64_t> plaintextSize(std::uint64_t sealedSize);
std::string fileHeader(SealInfo info, std::string_view nonce);
// Chunk `index` of a file; `last` for its final chunk.
core::Result<std::string> sealChunk(const SecureKey& key, std::string_view header,
                                    std::string_view context, std::uint64_t index, bool last,
                                    std::string_view plaintext);
core::Result<std::string> openChunk(const SecureKey& key, std::string_view header,
                                    std::string_view context, std::uint64_t index, bool last,
                                    std::string_view sealed);

}  // namespace rampart::security::encryption
