#pragma once
// The key store in its own SQLite file (keys.db in the data directory), apart from the data
// it protects. Freed pages are overwritten (secure_delete) and the WAL is truncated after a
// key is destroyed. One connection; not thread-safe (the Keyring serializes its calls).

#include <memory>
#include <string>

#include "rampart/storage/key_store.h"

struct sqlite3;

namespace rampart::storage::sqlite {

class SqliteKeyStore final : public KeyStore {
 public:
  static core::Result<std::unique_ptr<SqliteKeyStore>> open(const std::string& path,
                                                           int busyTimeoutMs = 10000);
  ~SqliteKeyStore() override;
  SqliteKeyStore(const SqliteKeyStore&) = delete;
  SqliteKeyStore& operator=(const SqliteKeyStore&) = delete;

  core::Result<std::vector<WrappedKey>> tenantKeys(std::string_view tenant) override;
  core::Result<std::vector<std::string>> tenants() override;
  core::Result<WrappedKey> putKeyIfAbsent(const WrappedKey& key) override;
  core::Result<std::optional<WrappedKey>> accountKey(std::string_view tenant,
                                                     std::string_view account,
                                                     std::uint32_t version) override;
  core::Result<std::size_t> accountKeyCount(std::string_view tenant,
                                            std::uint32_t version) override;
  core::Result<std::size_t> destroyKeys(std::string_view tenant, std::string_view account,
                                        bool wholeTenant) override;
  core::Result<std::optional<std::string>> meta(std::string_view key) override;
  core::Status putMeta(std::string_view key, std::string_view value) override;

 private:
  explicit SqliteKeyStore(sqlite3* db) : db_(db) {}
  core::Status error(std::string_view what) const;
  sqlite3* db_;
};

}  // namespace rampart::storage::sqlite
