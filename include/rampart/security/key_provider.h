#pragma once
// Where the master key lives: it wraps (encrypts) the per-tenant data keys and never leaves
// the provider in clear when the provider is an HSM. Implementations: a key file (default)
// and PKCS#11 (security/encryption/). Thread-safe.

#include <string>
#include <string_view>

#include "rampart/core/status.h"

namespace rampart::security {

class KeyProvider {
 public:
  virtual ~KeyProvider() = default;
  // "file" or "pkcs11": recorded beside every key it wraps.
  virtual std::string name() const = 0;
  // Encrypts a data key; `context` (the tenant and version) is bound to the result, so a
  // wrapped key cannot be moved to another tenant or version.
  virtual core::Result<std::string> wrap(std::string_view key, std::string_view context) = 0;
  // The data key back, or an error when the blob was altered or wrapped by another master key.
  virtual core::Result<std::string> unwrap(std::string_view wrapped, std::string_view context) = 0;
};

}  // namespace rampart::security
