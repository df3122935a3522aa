#pragma once
// The default key provider: a 256-bit master key in a file of its own (created at first
// start, mode 0600), held in locked memory. Wrapping is AES-256-GCM bound to the wrapped
// key's tenant and version. Keep the file apart from backups of the data (docs/encryption.md).
// Thread-safe.

#include <memory>
#include <string>

#include "rampart/security/key_provider.h"
#include "security/encryption/secure_key.h"

namespace rampart::security::encryption {

class KeyFileProvider final : public KeyProvider {
 public:
  static core::Result<std::shared_ptr<KeyFileProvider>> open(const std::string& path);
  std::string name() const override { return "file"; }
  core::Result<std::string> wrap(std::string_view key, std::string_view context) override;
  core::Result<std::string> unwrap(std::string_view wrapped, std::string_view context) override;

 private:
  explicit KeyFileProvider(std::shared_ptr<const SecureKey> master) : master_(std::move(master)) {}
  std::shared_ptr<const SecureKey> master_;
};

}  // namespace rampart::security::encryption
