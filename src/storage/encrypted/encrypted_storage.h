#pragma once
// Envelope encryption under the storage interfaces: a Storage that seals what it is given
// (AES-256-GCM, security/encryption) before the backend below stores it, and opens it again
// when read, so any backend (SQLite now, PostgreSQL later) stores only ciphertext for the
// columns personal_data.h marks sealed. What belongs to one account is sealed with that
// account's key, the rest of a tenant's data with the tenant's key. Deleting an account
// destroys its keys (crypto-shredding). Same threading as the backend it wraps.

#include <functional>
#include <string>

#include "rampart/storage/stores.h"
#include "security/encryption/keyring.h"

namespace rampart::storage::encrypted {

// Which tenant a host belongs to, and whether the owners of its rows are accounts (a tenant's
// own domain) or not (a group chat service of the tenant: rooms).
struct HostTenancy {
  std::string tenant;
  bool accounts = true;
};
using Tenancy = std::function<HostTenancy(std::string_view host)>;

class EncryptedStorage final : public Storage,
                               AccountStore,
                               OfflineStore,
                               KeyValueStore,
                               ArchiveStore,
                               ContentStore,
                               AccountSecurityStore,
                               AdminStore,
                               FileStore {
 public:
  // `inner` and `keyring` must outlive this.
  EncryptedStorage(Storage& inner, security::encryption::Keyring& keyring, Tenancy tenancy);

  AccountStore& accounts() override { return *this; }
  RosterStore& roster() override { return inner_.roster(); }
  OfflineStore& offline() override { return *this; }
  KeyValueStore& keyValue() override { return *this; }
  ArchiveStore& archive() override { return *this; }
  AdminStore& admin() override { return *this; }
  AlertStore& alerts() override { return inner_.alerts(); }
  AccountSecurityStore& accountSecurity() override { return *this; }
  ContentStore& content() override { return *this; }
  SealedCellStore& sealedCells() override { return inner_.sealedCells(); }
  FileStore& files() override { return *this; }

  // The cell sealed again with its tenant's current key; nullopt when it already is (or is
  // empty). Fails when the cell cannot be opened. Used by the background re-encryption.
  Result<std::optional<std::string>> reseal(const SealedCell& cell);
  // The key version a stored cell is sealed with; 0 for a value stored in clear.
  std::uint32_t versionOf(const SealedCell& cell) const;
  HostTenancy tenancyOf(std::string_view host) const { return tenancy_(host); }

  // AccountStore
  Status createAccount(std::string_view host, std::string_view user,
                       const std::vector<Credential>& credentials) override;
  Status setCredentials(std::string_view host, std::string_view user,
                        const std::vector<Credential>& credentials) override;
  Status deleteAccount(std::string_view host, std::string_view user) override;
  Result<bool> exists(std::string_view host, std::string_view user) override;
  Result<std::vector<Credential>> credentials(std::string_view host,
                                              std::string_view user) override;
  Result<std::vector<std::string>> listAccounts(std::string_view host) override;

  // OfflineStore
  Status push(std::string_view host, std::string_view user, std::string_view stanza) override;
  Result<std::vector<OfflineMessage>> fetch(std::string_view host, std::string_view user,
                                            std::size_t limit) override;
  Status removeUpTo(std::string_view host, std::string_view user, std::int64_t lastId) override;
  Result<std::size_t> count(std::string_view host, std::string_view user) override;
  Result<std::vector<OfflineEntry>> offlineAfter(std::string_view host, std::int64_t afterId,
                                                 std::size_t limit) override;
  Status removeOffline(std::string_view host, std::string_view user, std::int64_t id) override;

  // KeyValueStore
  Result<std::optional<std::string>> get(std::string_view host, std::string_view owner,
                                         std::string_view store, std::string_view key) override;
  Status put(std::string_view host, std::string_view owner, std::string_view store,
             std::string_view key, std::string_view value) override;
  Status remove(std::string_view host, std::string_view owner, std::string_view store,
                std::string_view key) override;
  Result<std::vector<KeyValue>> list(std::string_view host, std::string_view owner,
                                     std::string_view store) override;
  Status removeAll(std::string_view host, std::string_view owner,
                   std::string_view store) override;
  Result<std::vector<StoredDocument>> documentsOf(std::string_view host,
                                                  std::string_view owner) override;

  // ArchiveStore
  Status append(std::vector<ArchiveAppend> items) override;
  Result<ArchivePage> query(std::string_view host, std::string_view owner,
                            const ArchiveQuery& q) override;
  Result<std::size_t> removeOlderThan(std::string_view host, std::int64_t cutoffUs,
                                      const std::vector<std::string>& except = {}) override;
  Status removeArchive(std::string_view host, std::string_view owner,
                       std::int64_t beforeUs) override;
  Result<std::vector<ArchiveAppend>> itemsWith(std::string_view host,
                                               std::string_view withBare) override;
  Status replaceItem(std::string_view host, std::string_view owner, std::string_view id,
                     std::string_view stanza) override;

  // ContentStore
  Result<std::int64_t> addQuarantine(const QuarantineItem& item) override;
  Result<std::vector<QuarantineItem>> listQuarantine(const QuarantineFilter& f) override;
  Result<std::optional<QuarantineItem>> quarantineById(std::int64_t id) override;
  Result<QuarantineCounts> quarantineCounts(std::string_view tenant) override;
  Status decideQuarantine(std::int64_t id, std::string_view status, std::string_view by,
                          std::int64_t atMs, std::string_view reason) override;
  Result<std::vector<QuarantineItem>> unsettledQuarantine(std::string_view tenant) override;
  Status settleQuarantine(std::int64_t id) override;
  Status reportQuarantine(std::int64_t id, std::string_view senderBare,
                          std::string_view text) override;
  Result<std::size_t> pruneQuarantine(std::string_view tenant, std::int64_t beforeMs) override;
  Result<std::size_t> removeQuarantineFrom(std::string_view tenant,
                                           std::string_view senderBare) override;

  // AdminStore
  Status grantRole(const RoleGrant& grant) override;
  Status revokeRole(std::string_view host, std::string_view user, std::string_view role) override;
  Result<std::optional<RoleGrant>> roleOf(std::string_view host, std::string_view user) override;
  Result<std::vector<RoleGrant>> listRoles() override;
  Status createToken(const ApiToken& token) override;
  Result<std::optional<ApiToken>> tokenByHash(std::string_view hash) override;
  Result<std::optional<ApiToken>> tokenById(std::string_view id) override;
  Result<std::vector<ApiToken>> listTokens(std::string_view host = {},
                                           std::string_view user = {}) override;
  Status revokeToken(std::string_view id) override;
  Status touchToken(std::string_view id, std::int64_t usedMs) override;
  Result<std::optional<AdminSecurity>> adminSecurity(std::string_view host,
                                                     std::string_view user) override;
  Status putAdminSecurity(std::string_view host, std::string_view user,
                          const AdminSecurity& security) override;
  Status putHold(const LegalHold& hold) override;
  Status removeHold(std::string_view host, std::string_view owner) override;
  Result<std::vector<LegalHold>> holds() override;
  Result<std::optional<LegalHold>> holdOn(std::string_view host, std::string_view owner) override;
  // FileStore
  Status keepFile(std::string_view host, std::string_view owner, std::string_view id,
                  const std::string& from, const std::string& to) override;
  Result<std::shared_ptr<core::ByteSource>> readFile(std::string_view host,
                                                     std::string_view owner,
                                                     std::string_view id,
                                                     const std::string& path) override;
  Result<bool> resealFile(std::string_view host, std::string_view owner, std::string_view id,
                          const std::string& path) override;

  // AccountSecurityStore
  Result<AccountState> accountState(std::string_view host, std::string_view user) override;
  Status putAccountState(std::string_view host, std::string_view user,
                         const AccountState& state) override;
  Result<std::vector<std::pair<std::string, AccountState>>> frozenAccounts() override;
  Status addDevice(const DeviceCredential& device) override;
  Result<std::vector<DeviceCredential>> devices(std::string_view host,
                                                std::string_view user) override;
  Status removeDevice(std::string_view host, std::string_view user, std::string_view id) override;
  Status removeDevices(std::string_view host, std::string_view user) override;
  Status addPasskey(const Passkey& passkey) override;
  Result<std::vector<Passkey>> passkeys(std::string_view host, std::string_view user) override;
  Status removePasskey(std::string_view host, std::string_view user, std::string_view id) override;
  Status touchPasskey(std::string_view id, std::uint32_t signCount, std::int64_t usedMs) override;
  Status touchDevice(std::string_view id, std::int64_t usedMs, std::string_view address,
                     std::string_view client) override;
  Status updateDevice(const DeviceCredential& device) override;
  Status appendLogin(const LoginRecord& record) override;
  Result<std::vector<LoginRecord>> logins(std::string_view host, std::string_view user,
                                          std::int64_t beforeId, std::size_t limit) override;
  Result<std::optional<LoginRecord>> lastSuccess(std::string_view host,
                                                 std::string_view user) override;
  Result<std::size_t> pruneLogins(std::string_view host, std::int64_t beforeMs) override;
  Result<std::size_t> removeLogins(std::string_view host, std::string_view user) override;
  Result<std::vector<LoginRecord>> recentSuccesses(std::int64_t sinceMs,
                                                   std::size_t limit) override;
  Status putLock(const SignInLock& lock) override;
  Result<std::vector<SignInLock>> locks() override;
  Result<std::size_t> clearLocks(std::string_view host, std::string_view user) override;
  Status removeLock(std::string_view key) override;

 private:
  // Where a cell lives, as the sealing context binds it.
  struct Where {
    std::string tenant, account, table, owner, row, column;
    bool text = false;  // a TEXT column: sealed values are stored as "rpe1:" + base64
  };
  Where whereOf(const SealedCell& cell) const;
  Where archiveWhere(std::string_view host, std::string_view owner, std::string_view id) const;
  Where kvWhere(std::string_view host, std::string_view owner, std::string_view store,
                std::string_view key) const;
  Where offlineWhere(std::string_view host, std::string_view user) const;
  Where quarantineWhere(std::string_view tenant, std::string_view sender,
                        std::string_view column) const;
  Where stateWhere(std::string_view host, std::string_view user, std::string_view column) const;
  Where loginWhere(std::string_view host, std::string_view user, std::string_view column) const;
  Where totpWhere(std::string_view host, std::string_view user) const;
  Result<LoginRecord> sealLogin(LoginRecord r);
  Status openLogin(LoginRecord& r);
  Result<std::string> sealAt(const Where& w, std::string_view plaintext);
  Result<std::string> openAt(const Where& w, std::string_view stored);
  Result<std::string> sealQuestions(const Where& w, std::string_view joined, bool seal);
  Status openQuarantine(QuarantineItem& item);
  Status openState(std::string_view host, std::string_view user, AccountState& state);

  Storage& inner_;
  security::encryption::Keyring& keyring_;
  Tenancy tenancy_;
};

}  // namespace rampart::storage::encrypted
