#include "security/encryption/key_file_provider.h"

#include <openssl/crypto.h>

#include "security/encryption/aead.h"
#include "security/secrets/key_file.h"

namespace rampart::security::encryption {

core::Result<std::shared_ptr<KeyFileProvider>> KeyFileProvider::open(const std::string& path) {
  auto raw = secrets::loadOrCreateKey(path, SecureKey::kSize);
  if (!raw.isOk()) {
    return core::Status::failedPrecondition("the master key file: " + raw.status().message());
  }
  auto master = SecureKey::make(raw.value());
  OPENSSL_cleanse(raw.value().data(), raw.value().size());
  if (!master) {
    return core::Status::unavailable("no locked memory for the master key");
  }
  return std::shared_ptr<KeyFileProvider>(new KeyFileProvider(std::move(master)));
}

core::Result<std::string> KeyFileProvider::wrap(std::string_view key, std::string_view ctx) {
  return encryption::seal(*master_, SealInfo{KeyScope::kTenant, 0}, ctx, key);
}

core::Result<std::string> KeyFileProvider::unwrap(std::string_view wrapped, std::string_view ctx) {
  return encryption::open(*master_, ctx, wrapped);
}

}  // namespace rampart::security::encryption
