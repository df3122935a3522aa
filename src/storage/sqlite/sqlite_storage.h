#pragma once
// SQLite implementation of the storage contracts (WAL mode, schema migrations by
// PRAGMA user_version). One instance owns one connection and must be used from one thread
// at a time; the server gives it to a single storage thread, rampartctl uses its own.

#include <functional>
#include <memory>
#include <string>

#include "rampart/storage/stores.h"
#include "storage/common/plain_files.h"

struct sqlite3;

namespace rampart::storage::sqlite {
// rampart_has_terms(TERMS, WANTED): whether every digest in WANTED is among TERMS (both
// concatenated kTermDigestBytes digests). Registered on every connection.
void registerSearchFunctions(sqlite3* db);
}  // namespace rampart::storage::sqlite

namespace rampart::storage::sqlite {

struct Options {
  std::string path;
  // "full" survives power loss; "normal" survives a crash of the process (kill -9).
  std::string synchronous = "full";
  int busyTimeoutMs = 5000;
};

class SqliteStorage final : public Storage,
                            AccountStore,
                            RosterStore,
                            OfflineStore,
                            KeyValueStore,
                            ArchiveStore,
                            AdminStore,
                            AlertStore,
                            ContentStore,
                            AccountSecurityStore,
                            SealedCellStore {
 public:
  // Opens (creating if needed) and migrates the database.
  static Result<std::unique_ptr<SqliteStorage>> open(const Options& options);
  ~SqliteStorage() override;
  SqliteStorage(const SqliteStorage&) = delete;
  SqliteStorage& operator=(const SqliteStorage&) = delete;

  AccountStore& accounts() override { return *this; }
  RosterStore& roster() override { return *this; }
  OfflineStore& offline() override { return *this; }
  KeyValueStore& keyValue() override { return *this; }
  ArchiveStore& archive() override { return *this; }
  AdminStore& admin() override { return *this; }
  AlertStore& alerts() override { return *this; }
  ContentStore& content() override { return *this; }
  AccountSecurityStore& accountSecurity() override { return *this; }
  SealedCellStore& sealedCells() override { return *this; }
  FileStore& files() override { return files_; }
  // Called with a description of every SQLite error (the alert pipeline's storage-error rule).
  void setErrorHook(std::function<void(std::string_view)> hook) { errorHook_ = std::move(hook); }
  // Held-message ids of this database start above `base` (data residency: each region's
  // database numbers from its own range). No effect once they are past it.
  Status reserveQuarantineIds(std::int64_t base);

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

  // RosterStore
  Result<std::vector<RosterItem>> roster(std::string_view host, std::string_view user) override;
  Result<std::optional<RosterItem>> item(std::string_view host, std::string_view user,
                                         std::string_view contact) override;
  Status putItem(std::string_view host, std::string_view user, const RosterItem& item) override;
  Status removeItem(std::string_view host, std::string_view user,
                    std::string_view contact) override;
  Result<std::int64_t> version(std::string_view host, std::string_view user) override;

  // OfflineStore
  Status push(std::string_view host, std::string_view user, std::string_view stanza) override;
  Result<std::vector<OfflineMessage>> fetch(std::string_view host, std::string_view user,
                                            std::size_t limit) override;
  Status removeUpTo(std::string_view host, std::string_view user, std::int64_t lastId) override;
  Result<std::size_t> count(std::string_view host, std::string_view user) override;
  Result<std::vector<OfflineEntry>> offlineAfter(std::string_view host, std::int64_t afterId,
                                                 std::size_t limit) override;
  Status removeOffline(std::string_view host, std::string_view user, std::int64_t id) override;

  // KeyValueStore (sqlite_documents.cc)
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

  // ArchiveStore (sqlite_documents.cc)
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

  // AdminStore (sqlite_admin.cc)
  Status grantRole(const RoleGrant& grant) override;
  Status revokeRole(std::string_view host, std::string_view user, std::string_view role) override;
  Result<std::optional<RoleGrant>> roleOf(std::string_view host, std::string_view user) override;
  Result<std::vector<RoleGrant>> listRoles() override;
  Status createToken(const ApiToken& token) override;
  Result<std::optional<ApiToken>> tokenByHash(std::string_view hash) override;
  Result<std::optional<ApiToken>> tokenById(std::string_view id) override;
  Result<std::vector<ApiToken>> listTokens(std::string_view host, std::string_view user) override;
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

  // ContentStore (sqlite_content.cc)
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

  // AlertStore (sqlite_admin.cc)
  Result<std::int64_t> addAlert(const AlertRecord& alert) override;
  Result<std::vector<AlertRecord>> listAlerts(std::string_view tenant, bool openOnly,
                                              std::int64_t beforeId, std::size_t limit) override;
  Result<std::optional<AlertRecord>> alertById(std::int64_t id) override;
  Status acknowledgeAlert(std::int64_t id, std::string_view by, std::int64_t atMs) override;

  // AccountSecurityStore (sqlite_account_security.cc)
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

  // SealedCellStore (sqlite_cells.cc)
  Result<CellPage> cells(std::string_view table, std::string_view column,
                         std::string_view cursor, std::size_t limit) override;
  Result<bool> replaceCell(const SealedCell& cell, std::string_view value) override;
  Status flushLog() override;

 private:
  explicit SqliteStorage(sqlite3* db) : db_(db) {}
  // `retry`: only while opening (journal mode and migrations do not use the busy handler
  // when another process opens the database at the same moment).
  Status exec(const char* sql, bool retry = false);
  Status migrate();
  Status writeCredentials(std::string_view host, std::string_view user,
                          const std::vector<Credential>& credentials);
  Status error(std::string_view what) const;
  Status bumpRosterVersion(std::string_view host, std::string_view user);
  std::function<void(std::string_view)> errorHook_;
  PlainFiles files_;
  sqlite3* db_;
};

}  // namespace rampart::storage::sqlite
