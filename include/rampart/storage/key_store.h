#pragma once
// Where wrapped data keys are kept: per-tenant keys (wrapped by the master key of the key
// provider) and per-account keys beneath them (wrapped by a tenant key). Kept apart from the
// data (its own database file), so that destroying a key here makes that data unreadable in
// every copy of the data too. Implementations are used by one Keyring at a time, under its
// lock; they may block.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rampart/core/status.h"

namespace rampart::storage {

struct WrappedKey {
  std::string tenant;
  std::string account;          // the account's localpart; "" for the tenant's own key
  std::uint32_t version = 0;    // the tenant key version this key belongs to (1, 2, ...)
  std::string wrapped;          // the key, encrypted (never the key itself)
  std::string wrappedBy;        // "provider:NAME" for tenant keys, "tenant" for account keys
  std::int64_t createdMs = 0;
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;
  // Every version of one tenant's key, oldest first.
  virtual core::Result<std::vector<WrappedKey>> tenantKeys(std::string_view tenant) = 0;
  // Every tenant with a key.
  virtual core::Result<std::vector<std::string>> tenants() = 0;
  // Stores the key unless one with the same (tenant, account, version) exists; returns the
  // stored one (of two processes creating a key at once, both then use the first one's).
  virtual core::Result<WrappedKey> putKeyIfAbsent(const WrappedKey& key) = 0;
  virtual core::Result<std::optional<WrappedKey>> accountKey(std::string_view tenant,
                                                             std::string_view account,
                                                             std::uint32_t version) = 0;
  // How many account keys one tenant version holds.
  virtual core::Result<std::size_t> accountKeyCount(std::string_view tenant,
                                                    std::uint32_t version) = 0;
  // Crypto-shredding: destroys every version of an account's keys (the tenant's own keys and
  // its account keys when `account` is empty and `wholeTenant`). Overwritten on disk.
  virtual core::Result<std::size_t> destroyKeys(std::string_view tenant, std::string_view account,
                                                bool wholeTenant) = 0;
  // Small named values (re-encryption progress, the last key-age alert).
  virtual core::Result<std::optional<std::string>> meta(std::string_view key) = 0;
  virtual core::Status putMeta(std::string_view key, std::string_view value) = 0;
};

}  // namespace rampart::storage
