#include "storage/regional/regional_storage.h"

#include <algorithm>

namespace rampart::storage::regional {

namespace {

constexpr std::int64_t kRange = std::int64_t{1} << 40;

// A status that means "this region does not have it": try the next one.
bool absent(const Status& st) { return st.code() == Status::Code::kNotFound; }

// Every region's answer to `ask`, one after the other.
template <typename T, typename Ask>
Result<std::vector<T>> merged(const std::map<std::string, Storage*>& regions, Ask ask) {
  std::vector<T> out;
  for (const auto& [name, s] : regions) {
    Result<std::vector<T>> part = ask(*s);
    if (!part.isOk()) return part.status();
    out.insert(out.end(), part.value().begin(), part.value().end());
  }
  return out;
}

}  // namespace

std::int64_t quarantineIdBase(std::string_view region) {
  if (region.empty()) return 0;
  // FNV-1a over the name: a stable range however regions are added or ordered.
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : region) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<std::int64_t>(h % 8000 + 1) * kRange;  // below 2^53 (JSON-safe)
}

RegionalStorage::RegionalStorage(std::map<std::string, Storage*> regions,
                                 std::function<std::string(std::string_view host)> regionOf)
    : regions_(std::move(regions)), regionOf_(std::move(regionOf)), home_(*regions_.at("")) {}

Storage& RegionalStorage::of(std::string_view host) {
  auto it = regions_.find(regionOf_(host));
  return it == regions_.end() ? home_ : *it->second;
}

Storage& RegionalStorage::ofQuarantine(std::int64_t id) {
  for (const auto& [name, s] : regions_) {
    const std::int64_t base = quarantineIdBase(name);
    if (!name.empty() && id >= base && id < base + kRange) return *s;
  }
  return home_;
}

// AccountStore
Status RegionalStorage::createAccount(std::string_view host, std::string_view user,
                                      const std::vector<Credential>& credentials) {
  return of(host).accounts().createAccount(host, user, credentials);
}
Status RegionalStorage::setCredentials(std::string_view host, std::string_view user,
                                       const std::vector<Credential>& credentials) {
  return of(host).accounts().setCredentials(host, user, credentials);
}
Status RegionalStorage::deleteAccount(std::string_view host, std::string_view user) {
  return of(host).accounts().deleteAccount(host, user);
}
Result<bool> RegionalStorage::exists(std::string_view host, std::string_view user) {
  return of(host).accounts().exists(host, user);
}
Result<std::vector<Credential>> RegionalStorage::credentials(std::string_view host,
                                                             std::string_view user) {
  return of(host).accounts().credentials(host, user);
}
Result<std::vector<std::string>> RegionalStorage::listAccounts(std::string_view host) {
  return of(host).accounts().listAccounts(host);
}

// RosterStore
Result<std::vector<RosterItem>> RegionalStorage::roster(std::string_view host,
                                                        std::string_view user) {
  return of(host).roster().roster(host, user);
}
Result<std::optional<RosterItem>> RegionalStorage::item(std::string_view host,
                                                        std::string_view user,
                                                        std::string_view contact) {
  return of(host).roster().item(host, user, contact);
}
Status RegionalStorage::putItem(std::string_view host, std::string_view user,
                                const RosterItem& item) {
  return of(host).roster().putItem(host, user, item);
}
Status RegionalStorage::removeItem(std::string_view host, std::string_view user,
                                   std::string_view contact) {
  return of(host).roster().removeItem(host, user, contact);
}
Result<std::int64_t> RegionalStorage::version(std::string_view host, std::string_view user) {
  return of(host).roster().version(host, user);
}

// OfflineStore
Status RegionalStorage::push(std::string_view host, std::string_view user,
                             std::string_view stanza) {
  return of(host).offline().push(host, user, stanza);
}
Result<std::vector<OfflineMessage>> RegionalStorage::fetch(std::string_view host,
                                                           std::string_view user,
                                                           std::size_t limit) {
  return of(host).offline().fetch(host, user, limit);
}
Status RegionalStorage::removeUpTo(std::string_view host, std::string_view user,
                                   std::int64_t lastId) {
  return of(host).offline().removeUpTo(host, user, lastId);
}
Result<std::size_t> RegionalStorage::count(std::string_view host, std::string_view user) {
  return of(host).offline().count(host, user);
}
Result<std::vector<OfflineEntry>> RegionalStorage::offlineAfter(std::string_view host,
                                                                std::int64_t afterId,
                                                                std::size_t limit) {
  return of(host).offline().offlineAfter(host, afterId, limit);
}
Status RegionalStorage::removeOffline(std::string_view host, std::string_view user,
                                      std::int64_t id) {
  return of(host).offline().removeOffline(host, user, id);
}

// KeyValueStore
Result<std::optional<std::string>> RegionalStorage::get(std::string_view host,
                                                        std::string_view owner,
                                                        std::string_view store,
                                                        std::string_view key) {
  return of(host).keyValue().get(host, owner, store, key);
}
Status RegionalStorage::put(std::string_view host, std::string_view owner, std::string_view store,
                            std::string_view key, std::string_view value) {
  return of(host).keyValue().put(host, owner, store, key, value);
}
Status RegionalStorage::remove(std::string_view host, std::string_view owner,
                               std::string_view store, std::string_view key) {
  return of(host).keyValue().remove(host, owner, store, key);
}
Result<std::vector<KeyValue>> RegionalStorage::list(std::string_view host, std::string_view owner,
                                                    std::string_view store) {
  return of(host).keyValue().list(host, owner, store);
}
Status RegionalStorage::removeAll(std::string_view host, std::string_view owner,
                                  std::string_view store) {
  return of(host).keyValue().removeAll(host, owner, store);
}
Result<std::vector<StoredDocument>> RegionalStorage::documentsOf(std::string_view host,
                                                                 std::string_view owner) {
  return of(host).keyValue().documentsOf(host, owner);
}

// ArchiveStore
Status RegionalStorage::append(std::vector<ArchiveAppend> items) {
  // One batch per region, in the order given.
  std::map<Storage*, std::vector<ArchiveAppend>> batches;
  for (auto& a : items) {
    Storage* s = &of(a.host);
    batches[s].push_back(std::move(a));
  }
  for (auto& [s, batch] : batches) {
    if (auto st = s->archive().append(std::move(batch)); !st.isOk()) return st;
  }
  return Status::ok();
}
Result<ArchivePage> RegionalStorage::query(std::string_view host, std::string_view owner,
                                           const ArchiveQuery& q) {
  return of(host).archive().query(host, owner, q);
}
Result<std::size_t> RegionalStorage::removeOlderThan(std::string_view host, std::int64_t cutoffUs,
                                                     const std::vector<std::string>& except) {
  return of(host).archive().removeOlderThan(host, cutoffUs, except);
}
Status RegionalStorage::removeArchive(std::string_view host, std::string_view owner,
                                      std::int64_t beforeUs) {
  return of(host).archive().removeArchive(host, owner, beforeUs);
}
Result<std::vector<ArchiveAppend>> RegionalStorage::itemsWith(std::string_view host,
                                                              std::string_view withBare) {
  return of(host).archive().itemsWith(host, withBare);
}
Status RegionalStorage::replaceItem(std::string_view host, std::string_view owner,
                                    std::string_view id, std::string_view stanza) {
  return of(host).archive().replaceItem(host, owner, id, stanza);
}

// AdminStore
Status RegionalStorage::grantRole(const RoleGrant& grant) {
  return of(grant.host).admin().grantRole(grant);
}
Status RegionalStorage::revokeRole(std::string_view host, std::string_view user,
                                   std::string_view role) {
  return of(host).admin().revokeRole(host, user, role);
}
Result<std::optional<RoleGrant>> RegionalStorage::roleOf(std::string_view host,
                                                         std::string_view user) {
  return of(host).admin().roleOf(host, user);
}
Result<std::vector<RoleGrant>> RegionalStorage::listRoles() {
  return merged<RoleGrant>(regions_, [](Storage& s) { return s.admin().listRoles(); });
}
Status RegionalStorage::createToken(const ApiToken& token) {
  return of(token.host).admin().createToken(token);
}
Result<std::optional<ApiToken>> RegionalStorage::tokenByHash(std::string_view hash) {
  for (auto& [name, s] : regions_) {
    auto t = s->admin().tokenByHash(hash);
    if (!t.isOk() || t.value()) return t;
  }
  return std::optional<ApiToken>();
}
Result<std::optional<ApiToken>> RegionalStorage::tokenById(std::string_view id) {
  for (auto& [name, s] : regions_) {
    auto t = s->admin().tokenById(id);
    if (!t.isOk() || t.value()) return t;
  }
  return std::optional<ApiToken>();
}
Result<std::vector<ApiToken>> RegionalStorage::listTokens(std::string_view host,
                                                          std::string_view user) {
  if (!host.empty()) return of(host).admin().listTokens(host, user);
  return merged<ApiToken>(regions_, [&](Storage& s) { return s.admin().listTokens(host, user); });
}
Status RegionalStorage::revokeToken(std::string_view id) {
  for (auto& [name, s] : regions_) {
    auto st = s->admin().revokeToken(id);
    if (!absent(st)) return st;
  }
  return Status::notFound("no such token");
}
Status RegionalStorage::touchToken(std::string_view id, std::int64_t usedMs) {
  for (auto& [name, s] : regions_) {
    auto t = s->admin().tokenById(id);
    if (!t.isOk()) return t.status();
    if (t.value()) return s->admin().touchToken(id, usedMs);
  }
  return Status::notFound("no such token");
}
Result<std::optional<AdminSecurity>> RegionalStorage::adminSecurity(std::string_view host,
                                                                    std::string_view user) {
  return of(host).admin().adminSecurity(host, user);
}
Status RegionalStorage::putAdminSecurity(std::string_view host, std::string_view user,
                                         const AdminSecurity& security) {
  return of(host).admin().putAdminSecurity(host, user, security);
}
Status RegionalStorage::putHold(const LegalHold& hold) { return of(hold.host).admin().putHold(hold); }
Status RegionalStorage::removeHold(std::string_view host, std::string_view owner) {
  return of(host).admin().removeHold(host, owner);
}
Result<std::vector<LegalHold>> RegionalStorage::holds() {
  return merged<LegalHold>(regions_, [](Storage& s) { return s.admin().holds(); });
}
Result<std::optional<LegalHold>> RegionalStorage::holdOn(std::string_view host,
                                                         std::string_view owner) {
  return of(host).admin().holdOn(host, owner);
}

// AlertStore: the server's own records, in the home region.
core::Result<std::int64_t> RegionalStorage::addAlert(const AlertRecord& alert) {
  return home_.alerts().addAlert(alert);
}
core::Result<std::vector<AlertRecord>> RegionalStorage::listAlerts(std::string_view tenant,
                                                                   bool openOnly,
                                                                   std::int64_t beforeId,
                                                                   std::size_t limit) {
  return home_.alerts().listAlerts(tenant, openOnly, beforeId, limit);
}
core::Result<std::optional<AlertRecord>> RegionalStorage::alertById(std::int64_t id) {
  return home_.alerts().alertById(id);
}
core::Status RegionalStorage::acknowledgeAlert(std::int64_t id, std::string_view by,
                                               std::int64_t atMs) {
  return home_.alerts().acknowledgeAlert(id, by, atMs);
}

// AccountSecurityStore
Result<AccountState> RegionalStorage::accountState(std::string_view host, std::string_view user) {
  return of(host).accountSecurity().accountState(host, user);
}
Status RegionalStorage::putAccountState(std::string_view host, std::string_view user,
                                        const AccountState& state) {
  return of(host).accountSecurity().putAccountState(host, user, state);
}
Result<std::vector<std::pair<std::string, AccountState>>> RegionalStorage::frozenAccounts() {
  return merged<std::pair<std::string, AccountState>>(
      regions_, [](Storage& s) { return s.accountSecurity().frozenAccounts(); });
}
Status RegionalStorage::addDevice(const DeviceCredential& device) {
  return of(device.host).accountSecurity().addDevice(device);
}
Result<std::vector<DeviceCredential>> RegionalStorage::devices(std::string_view host,
                                                               std::string_view user) {
  return of(host).accountSecurity().devices(host, user);
}
Status RegionalStorage::removeDevice(std::string_view host, std::string_view user,
                                     std::string_view id) {
  return of(host).accountSecurity().removeDevice(host, user, id);
}
Status RegionalStorage::removeDevices(std::string_view host, std::string_view user) {
  return of(host).accountSecurity().removeDevices(host, user);
}
Status RegionalStorage::touchDevice(std::string_view id, std::int64_t usedMs,
                                    std::string_view address, std::string_view client) {
  // Device ids are random: the region that has it is the one it changes.
  Status last = Status::ok();
  for (auto& [name, s] : regions_) {
    last = s->accountSecurity().touchDevice(id, usedMs, address, client);
    if (!last.isOk()) return last;
  }
  return last;
}
Status RegionalStorage::updateDevice(const DeviceCredential& device) {
  return of(device.host).accountSecurity().updateDevice(device);
}
Status RegionalStorage::appendLogin(const LoginRecord& record) {
  return of(record.host).accountSecurity().appendLogin(record);
}
Result<std::vector<LoginRecord>> RegionalStorage::logins(std::string_view host,
                                                         std::string_view user,
                                                         std::int64_t beforeId,
                                                         std::size_t limit) {
  return of(host).accountSecurity().logins(host, user, beforeId, limit);
}
Result<std::optional<LoginRecord>> RegionalStorage::lastSuccess(std::string_view host,
                                                                std::string_view user) {
  return of(host).accountSecurity().lastSuccess(host, user);
}
Result<std::size_t> RegionalStorage::pruneLogins(std::string_view host, std::int64_t beforeMs) {
  return of(host).accountSecurity().pruneLogins(host, beforeMs);
}
Result<std::size_t> RegionalStorage::removeLogins(std::string_view host, std::string_view user) {
  return of(host).accountSecurity().removeLogins(host, user);
}
Result<std::vector<LoginRecord>> RegionalStorage::recentSuccesses(std::int64_t sinceMs,
                                                                  std::size_t limit) {
  auto all = merged<LoginRecord>(
      regions_, [&](Storage& s) { return s.accountSecurity().recentSuccesses(sinceMs, limit); });
  if (!all.isOk()) return all.status();
  auto out = std::move(all).value();
  // Newest first, as each region answers.
  std::stable_sort(out.begin(), out.end(),
                   [](const LoginRecord& a, const LoginRecord& b) { return a.timeMs > b.timeMs; });
  if (out.size() > limit) out.resize(limit);
  return out;
}
Status RegionalStorage::addPasskey(const Passkey& passkey) {
  return of(passkey.host).accountSecurity().addPasskey(passkey);
}
Result<std::vector<Passkey>> RegionalStorage::passkeys(std::string_view host,
                                                       std::string_view user) {
  return of(host).accountSecurity().passkeys(host, user);
}
Status RegionalStorage::removePasskey(std::string_view host, std::string_view user,
                                      std::string_view id) {
  return of(host).accountSecurity().removePasskey(host, user, id);
}
Status RegionalStorage::touchPasskey(std::string_view id, std::uint32_t signCount,
                                     std::int64_t usedMs) {
  Status last = Status::ok();
  for (auto& [name, s] : regions_) {
    last = s->accountSecurity().touchPasskey(id, signCount, usedMs);
    if (!last.isOk()) return last;
  }
  return last;
}
Status RegionalStorage::putLock(const SignInLock& lock) {
  // Locks on an address alone name no tenant: the home region keeps them.
  return (lock.host.empty() ? home_ : of(lock.host)).accountSecurity().putLock(lock);
}
Result<std::vector<SignInLock>> RegionalStorage::locks() {
  return merged<SignInLock>(regions_, [](Storage& s) { return s.accountSecurity().locks(); });
}
Result<std::size_t> RegionalStorage::clearLocks(std::string_view host, std::string_view user) {
  return of(host).accountSecurity().clearLocks(host, user);
}
Status RegionalStorage::removeLock(std::string_view key) {
  for (auto& [name, s] : regions_) {
    if (auto st = s->accountSecurity().removeLock(key); !st.isOk()) return st;
  }
  return Status::ok();
}

// ContentStore
Result<std::int64_t> RegionalStorage::addQuarantine(const QuarantineItem& item) {
  return of(item.tenant).content().addQuarantine(item);
}
Result<std::vector<QuarantineItem>> RegionalStorage::listQuarantine(const QuarantineFilter& f) {
  if (!f.tenant.empty()) return of(f.tenant).content().listQuarantine(f);
  auto all = merged<QuarantineItem>(regions_,
                                    [&](Storage& s) { return s.content().listQuarantine(f); });
  if (!all.isOk()) return all.status();
  auto out = std::move(all).value();
  // Newest (highest id) first, as each region answers; one page.
  std::sort(out.begin(), out.end(),
            [](const QuarantineItem& a, const QuarantineItem& b) { return a.id > b.id; });
  if (out.size() > f.limit) out.resize(f.limit);
  return out;
}
Result<std::optional<QuarantineItem>> RegionalStorage::quarantineById(std::int64_t id) {
  return ofQuarantine(id).content().quarantineById(id);
}
Result<QuarantineCounts> RegionalStorage::quarantineCounts(std::string_view tenant) {
  if (!tenant.empty()) return of(tenant).content().quarantineCounts(tenant);
  QuarantineCounts sum;
  for (auto& [name, s] : regions_) {
    auto part = s->content().quarantineCounts(tenant);
    if (!part.isOk()) return part.status();
    const auto& c = part.value();
    sum.pending += c.pending;
    sum.approved += c.approved;
    sum.rejected += c.rejected;
    if (c.oldestPendingMs != 0 &&
        (sum.oldestPendingMs == 0 || c.oldestPendingMs < sum.oldestPendingMs)) {
      sum.oldestPendingMs = c.oldestPendingMs;
    }
  }
  return sum;
}
Status RegionalStorage::decideQuarantine(std::int64_t id, std::string_view status,
                                         std::string_view by, std::int64_t atMs,
                                         std::string_view reason) {
  return ofQuarantine(id).content().decideQuarantine(id, status, by, atMs, reason);
}
Result<std::vector<QuarantineItem>> RegionalStorage::unsettledQuarantine(std::string_view tenant) {
  if (!tenant.empty()) return of(tenant).content().unsettledQuarantine(tenant);
  return merged<QuarantineItem>(
      regions_, [&](Storage& s) { return s.content().unsettledQuarantine(tenant); });
}
Status RegionalStorage::settleQuarantine(std::int64_t id) {
  return ofQuarantine(id).content().settleQuarantine(id);
}
Status RegionalStorage::reportQuarantine(std::int64_t id, std::string_view senderBare,
                                         std::string_view text) {
  return ofQuarantine(id).content().reportQuarantine(id, senderBare, text);
}
Result<std::size_t> RegionalStorage::pruneQuarantine(std::string_view tenant,
                                                     std::int64_t beforeMs) {
  return of(tenant).content().pruneQuarantine(tenant, beforeMs);
}
Result<std::size_t> RegionalStorage::removeQuarantineFrom(std::string_view tenant,
                                                          std::string_view senderBare) {
  return of(tenant).content().removeQuarantineFrom(tenant, senderBare);
}

// SealedCellStore: the cursor is "REGION\n" + the region's own cursor.
Result<CellPage> RegionalStorage::cells(std::string_view table, std::string_view column,
                                        std::string_view cursor, std::size_t limit) {
  std::string region;
  std::string_view inner;
  if (const auto nl = cursor.find('\n'); nl != std::string_view::npos) {
    region = std::string(cursor.substr(0, nl));
    inner = cursor.substr(nl + 1);
  }
  for (auto it = regions_.lower_bound(region); it != regions_.end(); ++it) {
    auto page = it->second->sealedCells().cells(table, column, inner, limit);
    if (!page.isOk()) return page;
    auto p = std::move(page).value();
    for (auto& c : p.cells) c.locator = it->first + "\n" + c.locator;
    if (!p.next.empty()) {
      p.next = it->first + "\n" + p.next;
      return p;
    }
    auto following = std::next(it);
    if (following != regions_.end()) p.next = following->first + "\n";
    if (!p.cells.empty() || following == regions_.end()) return p;
    inner = {};
  }
  return CellPage{};
}
Result<bool> RegionalStorage::replaceCell(const SealedCell& cell, std::string_view value) {
  const auto nl = cell.locator.find('\n');
  if (nl == std::string::npos) return Status::invalidArgument("not a cell of this storage");
  auto it = regions_.find(cell.locator.substr(0, nl));
  if (it == regions_.end()) return Status::invalidArgument("not a cell of this storage");
  SealedCell inner = cell;
  inner.locator = cell.locator.substr(nl + 1);
  return it->second->sealedCells().replaceCell(inner, value);
}
Status RegionalStorage::flushLog() {
  for (auto& [name, s] : regions_) {
    if (auto st = s->sealedCells().flushLog(); !st.isOk()) return st;
  }
  return Status::ok();
}

// FileStore
Status RegionalStorage::keepFile(std::string_view host, std::string_view owner,
                                 std::string_view id, const std::string& from,
                                 const std::string& to) {
  return of(host).files().keepFile(host, owner, id, from, to);
}
Result<std::shared_ptr<core::ByteSource>> RegionalStorage::readFile(std::string_view host,
                                                                    std::string_view owner,
                                                                    std::string_view id,
                                                                    const std::string& path) {
  return of(host).files().readFile(host, owner, id, path);
}
Result<bool> RegionalStorage::resealFile(std::string_view host, std::string_view owner,
                                         std::string_view id, const std::string& path) {
  return of(host).files().resealFile(host, owner, id, path);
}

}  // namespace rampart::storage::regional
