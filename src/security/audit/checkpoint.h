#pragma once
// Signed checkpoints of the audit log: the tree size and root hash, signed with Ed25519, in
// the text format of C2SP tlog-checkpoint / signed-note (the one Go's sumdb and the
// transparency-dev tools verify). Signer and verifier are immutable after construction and
// safe from any thread.
//
//   <origin>\n<size>\n<base64 root>\n\n— <origin> <base64(key id || signature)>\n
//
// The key id is the first 4 bytes of SHA-256(origin || "\n" || 0x01 || public key).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rampart/core/status.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace rampart::security::audit {

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  std::string root;  // 32 raw bytes
};

// Parses the note's body and signature lines (untrusted input: bounded, strict).
struct SignedCheckpoint {
  Checkpoint checkpoint;
  // (key id, signature) of each signature line by the origin's name: 4 and 64 bytes.
  std::vector<std::pair<std::string, std::string>> signatures;
  std::string signedText;  // the body the signatures cover
};
std::optional<SignedCheckpoint> parseCheckpoint(std::string_view note);

class CheckpointSigner {
 public:
  // Loads the Ed25519 private key from `keyFile` (PKCS#8 PEM), creating it (0600) when absent.
  static core::Result<CheckpointSigner> loadOrCreate(const std::string& keyFile,
                                                     std::string origin);
  CheckpointSigner(CheckpointSigner&& o) noexcept;
  CheckpointSigner& operator=(CheckpointSigner&& o) noexcept;
  CheckpointSigner(const CheckpointSigner&) = delete;
  CheckpointSigner& operator=(const CheckpointSigner&) = delete;
  ~CheckpointSigner();

  std::string sign(std::uint64_t size, std::string_view root) const;
  const std::string& origin() const { return origin_; }
  const std::string& publicKey() const { return publicKey_; }  // 32 raw bytes
  // The verifier key in signed-note form: <origin>+<hex key id>+<base64(0x01 || key)>.
  std::string verifierKey() const;

 private:
  CheckpointSigner(EVP_PKEY* key, std::string origin, std::string publicKey);
  EVP_PKEY* key_ = nullptr;
  std::string origin_;
  std::string publicKey_;
};

// Verifies a checkpoint note against an Ed25519 public key (32 raw bytes) and origin.
std::optional<Checkpoint> verifyCheckpoint(std::string_view note, std::string_view origin,
                                           std::string_view publicKey);
std::string checkpointKeyId(std::string_view origin, std::string_view publicKey);

}  // namespace rampart::security::audit
