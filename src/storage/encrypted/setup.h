#pragma once
// Wiring shared by rampartd and rampartctl: the key provider named by [encryption], the key
// store beside the data, the keyring, and the encrypting storage over a backend. Start-up only.

#include <memory>

#include "core/config.h"
#include "storage/encrypted/encrypted_storage.h"

namespace rampart::storage::encrypted {

// Which tenant each configured host and group chat service belongs to.
Tenancy tenancyFor(const core::Config& config);
// The group chat service of a configured host: its [hosts.modules.muc] domain, the server-wide
// one, or conference.HOST.
std::string roomServiceOf(const core::Config& config, const core::HostConfig& host);

struct Encryption {
  std::unique_ptr<security::encryption::Keyring> keyring;
  std::unique_ptr<EncryptedStorage> storage;
};

// Opens the key provider and key store of [encryption] and wraps `inner`. Fails with a message
// an operator can act on (the key file unreadable, the HSM token not found).
core::Result<Encryption> openEncryption(const core::Config& config, Storage& inner);

}  // namespace rampart::storage::encrypted
