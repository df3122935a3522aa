#pragma once
// Data residency: one Storage over one backend per region. Every call that names a host (an
// account's domain, a tenant, or a group chat service) goes to the backend of that host's
// region, so a tenant's accounts, messages, documents, files' records, sign-in records and held
// messages live only in its region's database. Calls that name no host (lists across tenants,
// lookups by an id) ask every region and merge; alerts, which are the server's own records,
// stay in the home region. Held-message ids are unique across regions (each region's database
// numbers them from its own range), so an id names one region's item.
// Not thread-safe: used from the storage thread, like the backends.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "rampart/storage/stores.h"

namespace rampart::storage::regional {

class RegionalStorage final : public Storage,
                              AccountStore,
                              RosterStore,
                              OfflineStore,
                              KeyValueStore,
                              ArchiveStore,
                              AdminStore,
                              AlertStore,
                              AccountSecurityStore,
                              ContentStore,
                              SealedCellStore,
                              FileStore {
 public:
  // `regions`: region name -> its storage ("" is the home region, which must be present);
  // `regionOf`: the region of a host ("" for the home region).
  RegionalStorage(std::map<std::string, Storage*> regions,
                  std::function<std::string(std::string_view host)> regionOf);

  AccountStore& accounts() override { return *this; }
  RosterStore& roster() override { return *this; }
  OfflineStore& offline() override { return *this; }
  KeyValueStore& keyValue() override { return *this; }
  ArchiveStore& archive() override { return *this; }
  AdminStore& admin() override { return *this; }
  AlertStore& alerts() override { return *this; }
  AccountSecurityStore& accountSecurity() override { return *this; }
  ContentStore& content() override { return *this; }
  SealedCellStore& sealedCells() override { return *this; }
  FileStore& files() override { return *this; }

  // The storage of `host`'s region.
  Storage& of(std::string_view host);

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
  // AlertStore (the home region's)
  core::Result<std::int64_t> addAlert(const AlertRecord& alert) override;
  core::Result<std::vector<AlertRecord>> listAlerts(std::string_view tenant, bool openOnly,
                                                    std::int64_t beforeId,
                                                    std::size_t limit) override;
  core::Result<std::optional<AlertRecord>> alertById(std::int64_t id) override;
  core::Status acknowledgeAlert(std::int64_t id, std::string_view by, std::int64_t atMs) override;
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
  Status addPasskey(const Passkey& passkey) override;
  Result<std::vector<Passkey>> passkeys(std::string_view host, std::string_view user) override;
  Status removePasskey(std::string_view host, std::string_view user, std::string_view id) override;
  Status touchPasskey(std::string_view id, std::uint32_t signCount, std::int64_t usedMs) override;
  Status putLock(const SignInLock& lock) override;
  Result<std::vector<SignInLock>> locks() override;
  Result<std::size_t> clearLocks(std::string_view host, std::string_view user) override;
  Status removeLock(std::string_view key) override;
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
  // SealedCellStore: every region in turn (the cursor names the region).
  Result<CellPage> cells(std::string_view table, std::string_view column,
                         std::string_view cursor, std::size_t limit) override;
  Result<bool> replaceCell(const SealedCell& cell, std::string_view value) override;
  Status flushLog() override;
  // FileStore
  Status keepFile(std::string_view host, std::string_view owner, std::string_view id,
                  const std::string& from, const std::string& to) override;
  Result<std::shared_ptr<core::ByteSource>> readFile(std::string_view host,
                                                     std::string_view owner,
                                                     std::string_view id,
                                                     const std::string& path) override;
  Result<bool> resealFile(std::string_view host, std::string_view owner, std::string_view id,
                          const std::string& path) override;

 private:
  // The region whose held messages `id` numbers (each region's ids come from its own range);
  // the home region when none has it.
  Storage& ofQuarantine(std::int64_t id);
  std::map<std::string, Storage*> regions_;
  std::function<std::string(std::string_view)> regionOf_;
  Storage& home_;
};

// The first held-message id of a region's database (0 for the home region): each region numbers
// from its own range of 2^40, chosen by its name. Two regions in one range stop the start.
std::int64_t quarantineIdBase(std::string_view region);

}  // namespace rampart::storage::regional
