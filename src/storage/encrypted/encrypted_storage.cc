#include "storage/encrypted/encrypted_storage.h"

#include <charconv>
#include <filesystem>

#include "core/sasl/scram.h"
#include "rampart/core/search_terms.h"
#include "security/encryption/sealed_file.h"

namespace rampart::storage::encrypted {

namespace enc = security::encryption;

namespace {

constexpr std::string_view kTextPrefix = "rpe1:";

std::string localpartOf(std::string_view jid) {
  const auto at = jid.find('@');
  return at == std::string_view::npos ? std::string() : std::string(jid.substr(0, at));
}

// The sealed bytes of a stored value (text columns hold them in base64); nullopt for a value
// stored in clear.
std::optional<std::string> sealedBytes(std::string_view stored, bool text) {
  if (text) {
    if (stored.substr(0, kTextPrefix.size()) != kTextPrefix) return std::nullopt;
    return core::sasl::base64Decode(stored.substr(kTextPrefix.size()));
  }
  if (!enc::isSealed(stored)) return std::nullopt;
  return std::string(stored);
}

// Security questions are stored as lines "question TAB hash", each ending with a newline; only the questions are sealed
// (the answers are Argon2id strings already).
std::vector<std::pair<std::string, std::string>> splitQuestionLines(std::string_view joined) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start < joined.size()) {
    auto nl = joined.find('\n', start);
    if (nl == std::string_view::npos) nl = joined.size();
    const std::string_view line = joined.substr(start, nl - start);
    const auto tab = line.find('\t');
    if (tab != std::string_view::npos) {
      out.emplace_back(std::string(line.substr(0, tab)), std::string(line.substr(tab + 1)));
    }
    start = nl + 1;
  }
  return out;
}

}  // namespace

EncryptedStorage::EncryptedStorage(Storage& inner, enc::Keyring& keyring, Tenancy tenancy)
    : inner_(inner), keyring_(keyring), tenancy_(std::move(tenancy)) {}

// Where ---------------------------------------------------------------------------------------

EncryptedStorage::Where EncryptedStorage::archiveWhere(std::string_view host,
                                                       std::string_view owner,
                                                       std::string_view id) const {
  const HostTenancy t = tenancy_(host);
  return Where{t.tenant, t.accounts ? std::string(owner) : std::string(), "archive",
               std::string(host) + "/" + std::string(owner), std::string(id), "stanza"};
}

EncryptedStorage::Where EncryptedStorage::kvWhere(std::string_view host, std::string_view owner,
                                                  std::string_view store,
                                                  std::string_view key) const {
  const HostTenancy t = tenancy_(host);
  return Where{t.tenant, t.accounts ? std::string(owner) : std::string(), "kv",
               std::string(host) + "/" + std::string(owner), enc::context({store, key}), "value"};
}

EncryptedStorage::Where EncryptedStorage::offlineWhere(std::string_view host,
                                                       std::string_view user) const {
  const HostTenancy t = tenancy_(host);
  return Where{t.tenant, std::string(user), "offline",
               std::string(host) + "/" + std::string(user), "", "stanza"};
}

EncryptedStorage::Where EncryptedStorage::quarantineWhere(std::string_view tenant,
                                                          std::string_view sender,
                                                          std::string_view column) const {
  const HostTenancy t = tenancy_(tenant);
  return Where{t.tenant, localpartOf(sender), "quarantine", std::string(sender), "",
               std::string(column), true};
}

EncryptedStorage::Where EncryptedStorage::stateWhere(std::string_view host, std::string_view user,
                                                     std::string_view column) const {
  const HostTenancy t = tenancy_(host);
  return Where{t.tenant, std::string(user), "account_state",
               std::string(host) + "/" + std::string(user), "", std::string(column), true};
}

EncryptedStorage::Where EncryptedStorage::loginWhere(std::string_view host, std::string_view user,
                                                     std::string_view column) const {
  // Under the tenant's key: a failed sign-in may name no account.
  const HostTenancy t = tenancy_(host);
  return Where{t.tenant, "", "logins", std::string(host) + "/" + std::string(user), "",
               std::string(column), true};
}

EncryptedStorage::Where EncryptedStorage::totpWhere(std::string_view host,
                                                    std::string_view user) const {
  const HostTenancy t = tenancy_(host);
  return Where{t.tenant, std::string(user), "admin_security",
               std::string(host) + "/" + std::string(user), "", "totp_secret"};
}

EncryptedStorage::Where EncryptedStorage::whereOf(const SealedCell& c) const {
  if (c.table == "logins") return loginWhere(c.host, c.owner, c.column);
  if (c.table == "admin_security") return totpWhere(c.host, c.owner);
  if (c.table == "archive") return archiveWhere(c.host, c.owner, c.key);
  if (c.table == "kv") return kvWhere(c.host, c.owner, c.store, c.key);
  if (c.table == "offline") return offlineWhere(c.host, c.owner);
  if (c.table == "quarantine") return quarantineWhere(c.host, c.owner, c.column);
  return stateWhere(c.host, c.owner, c.column);
}

// Sealing -------------------------------------------------------------------------------------

Result<std::string> EncryptedStorage::sealAt(const Where& w, std::string_view plaintext) {
  // An empty field stays empty: there is nothing in it to protect.
  if (plaintext.empty()) return std::string();
  auto sealed = keyring_.seal(enc::Place{w.tenant, w.account, w.table, w.owner, w.row, w.column},
                              plaintext);
  if (!sealed.isOk()) return sealed.status();
  if (!w.text) return sealed;
  return std::string(kTextPrefix) + core::sasl::base64Encode(sealed.value());
}

Result<std::string> EncryptedStorage::openAt(const Where& w, std::string_view stored) {
  if (stored.empty()) return std::string();
  auto bytes = sealedBytes(stored, w.text);
  if (!bytes) {
    // A value written before encryption was switched on; the background re-encryption seals
    // it. Once a tenant's data has been sealed throughout, a value in clear is refused.
    if (keyring_.sealedOnly(w.tenant)) {
      return Status::failedPrecondition("a stored value of " + w.table + "." + w.column +
                                        " is not sealed (altered)");
    }
    return std::string(stored);
  }
  auto opened =
      keyring_.open(enc::Place{w.tenant, w.account, w.table, w.owner, w.row, w.column}, *bytes);
  if (!opened.isOk()) {
    const std::string why = "a stored value of " + w.table + "." + w.column +
                            " cannot be read: " + opened.status().message();
    // A destroyed key (an erased account) stays NotFound: gone, not altered.
    return opened.status().code() == Status::Code::kNotFound ? Status::notFound(why)
                                                             : Status::failedPrecondition(why);
  }
  return opened;
}

Result<std::string> EncryptedStorage::sealQuestions(const Where& w, std::string_view joined,
                                                    bool seal) {
  std::string out;
  for (auto& [question, hash] : splitQuestionLines(joined)) {
    auto q = seal ? sealAt(w, question) : openAt(w, question);
    if (!q.isOk()) return q.status();
    // The backend's form: every line ends with a newline.
    out += q.value() + "\t" + hash + "\n";
  }
  return out;
}

std::uint32_t EncryptedStorage::versionOf(const SealedCell& cell) const {
  const bool text = whereOf(cell).text;
  std::string_view v = cell.value;
  std::string first;
  if (cell.column == "security_questions") {
    auto lines = splitQuestionLines(v);
    if (lines.empty()) return 0;
    first = lines.front().first;
    v = first;
  }
  auto bytes = sealedBytes(v, text);
  if (!bytes) return 0;
  auto info = enc::sealInfo(*bytes);
  return info ? info->version : 0;
}

Result<std::optional<std::string>> EncryptedStorage::reseal(const SealedCell& cell) {
  if (cell.value.empty()) return std::optional<std::string>();
  const Where w = whereOf(cell);
  auto current = keyring_.currentVersion(w.tenant);
  if (!current.isOk()) return current.status();
  if (cell.column == "security_questions") {
    auto lines = splitQuestionLines(cell.value);
    bool stale = false;
    for (const auto& [q, h] : lines) {
      auto b = sealedBytes(q, true);
      auto info = b ? enc::sealInfo(*b) : std::nullopt;
      stale = stale || !info || info->version != current.value();
    }
    if (!stale) return std::optional<std::string>();
    auto clear = sealQuestions(w, cell.value, false);
    if (!clear.isOk()) return clear.status();
    auto sealed = sealQuestions(w, clear.value(), true);
    if (!sealed.isOk()) return sealed.status();
    return std::optional<std::string>(sealed.value());
  }
  if (versionOf(cell) == current.value()) return std::optional<std::string>();
  auto clear = openAt(w, cell.value);
  if (!clear.isOk()) return clear.status();
  auto sealed = sealAt(w, clear.value());
  if (!sealed.isOk()) return sealed.status();
  return std::optional<std::string>(sealed.value());
}

// AccountStore ----------------------------------------------------------------------------------

Status EncryptedStorage::createAccount(std::string_view host, std::string_view user,
                                       const std::vector<Credential>& credentials) {
  return inner_.accounts().createAccount(host, user, credentials);
}
Status EncryptedStorage::setCredentials(std::string_view host, std::string_view user,
                                        const std::vector<Credential>& credentials) {
  return inner_.accounts().setCredentials(host, user, credentials);
}
Status EncryptedStorage::deleteAccount(std::string_view host, std::string_view user) {
  Status st = inner_.accounts().deleteAccount(host, user);
  if (!st.isOk()) return st;
  // Crypto-shredding: whatever of this account is left anywhere (old backups, a WAL not yet
  // checkpointed) can no longer be read.
  auto destroyed = keyring_.destroy(tenancy_(host).tenant, user);
  return destroyed.isOk() ? Status::ok() : destroyed.status();
}
Result<bool> EncryptedStorage::exists(std::string_view host, std::string_view user) {
  return inner_.accounts().exists(host, user);
}
Result<std::vector<Credential>> EncryptedStorage::credentials(std::string_view host,
                                                              std::string_view user) {
  return inner_.accounts().credentials(host, user);
}
Result<std::vector<std::string>> EncryptedStorage::listAccounts(std::string_view host) {
  return inner_.accounts().listAccounts(host);
}

// OfflineStore ----------------------------------------------------------------------------------

Status EncryptedStorage::push(std::string_view host, std::string_view user,
                              std::string_view stanza) {
  auto sealed = sealAt(offlineWhere(host, user), stanza);
  if (!sealed.isOk()) return sealed.status();
  return inner_.offline().push(host, user, sealed.value());
}
Result<std::vector<OfflineMessage>> EncryptedStorage::fetch(std::string_view host,
                                                            std::string_view user,
                                                            std::size_t limit) {
  auto r = inner_.offline().fetch(host, user, limit);
  if (!r.isOk()) return r;
  const Where w = offlineWhere(host, user);
  for (auto& m : r.value()) {
    auto clear = openAt(w, m.stanza);
    if (!clear.isOk()) return clear.status();
    m.stanza = std::move(clear).value();
  }
  return r;
}
Status EncryptedStorage::removeUpTo(std::string_view host, std::string_view user,
                                    std::int64_t lastId) {
  return inner_.offline().removeUpTo(host, user, lastId);
}
Result<std::size_t> EncryptedStorage::count(std::string_view host, std::string_view user) {
  return inner_.offline().count(host, user);
}
Result<std::vector<OfflineEntry>> EncryptedStorage::offlineAfter(std::string_view host,
                                                                 std::int64_t afterId,
                                                                 std::size_t limit) {
  auto r = inner_.offline().offlineAfter(host, afterId, limit);
  if (!r.isOk()) return r;
  for (auto& m : r.value()) {
    auto clear = openAt(offlineWhere(host, m.user), m.stanza);
    if (!clear.isOk()) return clear.status();
    m.stanza = std::move(clear).value();
  }
  return r;
}
Status EncryptedStorage::removeOffline(std::string_view host, std::string_view user,
                                       std::int64_t id) {
  return inner_.offline().removeOffline(host, user, id);
}

// KeyValueStore ---------------------------------------------------------------------------------

Result<std::optional<std::string>> EncryptedStorage::get(std::string_view host,
                                                         std::string_view owner,
                                                         std::string_view store,
                                                         std::string_view key) {
  auto r = inner_.keyValue().get(host, owner, store, key);
  if (!r.isOk() || !r.value()) return r;
  auto clear = openAt(kvWhere(host, owner, store, key), *r.value());
  if (!clear.isOk()) return clear.status();
  return std::optional<std::string>(std::move(clear).value());
}
Status EncryptedStorage::put(std::string_view host, std::string_view owner, std::string_view store,
                             std::string_view key, std::string_view value) {
  auto sealed = sealAt(kvWhere(host, owner, store, key), value);
  if (!sealed.isOk()) return sealed.status();
  return inner_.keyValue().put(host, owner, store, key, sealed.value());
}
Status EncryptedStorage::remove(std::string_view host, std::string_view owner,
                                std::string_view store, std::string_view key) {
  return inner_.keyValue().remove(host, owner, store, key);
}
Result<std::vector<KeyValue>> EncryptedStorage::list(std::string_view host, std::string_view owner,
                                                     std::string_view store) {
  auto r = inner_.keyValue().list(host, owner, store);
  if (!r.isOk()) return r;
  for (auto& kv : r.value()) {
    auto clear = openAt(kvWhere(host, owner, store, kv.key), kv.value);
    if (!clear.isOk()) return clear.status();
    kv.value = std::move(clear).value();
  }
  return r;
}
Status EncryptedStorage::removeAll(std::string_view host, std::string_view owner,
                                   std::string_view store) {
  return inner_.keyValue().removeAll(host, owner, store);
}

Result<std::vector<StoredDocument>> EncryptedStorage::documentsOf(std::string_view host,
                                                                  std::string_view owner) {
  auto r = inner_.keyValue().documentsOf(host, owner);
  if (!r.isOk()) return r;
  for (auto& d : r.value()) {
    auto clear = openAt(kvWhere(host, owner, d.store, d.key), d.value);
    if (!clear.isOk()) return clear.status();
    d.value = std::move(clear).value();
  }
  return r;
}

// ArchiveStore ----------------------------------------------------------------------------------

Status EncryptedStorage::append(std::vector<ArchiveAppend> items) {
  // A message is archived for both parties one after the other: its terms are found once.
  std::string termsOf;
  std::vector<std::string> terms;
  for (auto& a : items) {
    const Where w = archiveWhere(a.host, a.owner, a.item.id);
    auto s = sealAt(w, a.item.stanza);
    if (!s.isOk()) return s.status();
    a.item.stanza = std::move(s).value();
    // The search terms only as a blind index: keyed digests, never the words.
    if (a.termDigests.empty() && !a.searchText.empty()) {
      if (terms.empty() || termsOf != a.searchText) {
        terms = core::indexTerms(a.searchText);
        termsOf = a.searchText;
      }
      auto blind = keyring_.blindTerms(w.tenant, w.account, terms);
      if (!blind.isOk()) return blind.status();
      a.termDigests = std::move(blind).value();
    }
    a.searchText.clear();
  }
  return inner_.archive().append(std::move(items));
}
Result<ArchivePage> EncryptedStorage::query(std::string_view host, std::string_view owner,
                                            const ArchiveQuery& query) {
  ArchiveQuery q = query;
  if (q.fulltext && q.termDigests.empty()) {
    const Where w = archiveWhere(host, owner, "");
    auto blind = keyring_.blindTerms(w.tenant, w.account, core::queryTerms(*q.fulltext));
    if (!blind.isOk()) return blind.status();
    q.termDigests = std::move(blind).value();
  }
  auto r = inner_.archive().query(host, owner, q);
  if (!r.isOk()) return r;
  for (auto& item : r.value().items) {
    auto clear = openAt(archiveWhere(host, owner, item.id), item.stanza);
    if (!clear.isOk()) return clear.status();
    item.stanza = std::move(clear).value();
  }
  return r;
}
Result<std::size_t> EncryptedStorage::removeOlderThan(std::string_view host, std::int64_t cutoffUs,
                                                     const std::vector<std::string>& except) {
  return inner_.archive().removeOlderThan(host, cutoffUs, except);
}
Result<std::vector<ArchiveAppend>> EncryptedStorage::itemsWith(std::string_view host,
                                                               std::string_view withBare) {
  auto r = inner_.archive().itemsWith(host, withBare);
  if (!r.isOk()) return r;
  for (auto& a : r.value()) {
    auto clear = openAt(archiveWhere(a.host, a.owner, a.item.id), a.item.stanza);
    if (!clear.isOk()) return clear.status();
    a.item.stanza = std::move(clear).value();
  }
  return r;
}
Status EncryptedStorage::replaceItem(std::string_view host, std::string_view owner,
                                     std::string_view id, std::string_view stanza) {
  auto sealed = sealAt(archiveWhere(host, owner, id), stanza);
  if (!sealed.isOk()) return sealed.status();
  return inner_.archive().replaceItem(host, owner, id, sealed.value());
}
Status EncryptedStorage::removeArchive(std::string_view host, std::string_view owner,
                                       std::int64_t beforeUs) {
  return inner_.archive().removeArchive(host, owner, beforeUs);
}

// ContentStore ----------------------------------------------------------------------------------

Status EncryptedStorage::openQuarantine(QuarantineItem& item) {
  for (auto [column, field] : {std::pair<const char*, std::string*>{"stanza", &item.stanza},
                               {"findings", &item.findings},
                               {"report", &item.report}}) {
    auto clear = openAt(quarantineWhere(item.tenant, item.sender, column), *field);
    if (!clear.isOk()) return clear.status();
    *field = std::move(clear).value();
  }
  return Status::ok();
}

Result<std::int64_t> EncryptedStorage::addQuarantine(const QuarantineItem& item) {
  QuarantineItem sealed = item;
  for (auto [column, field] : {std::pair<const char*, std::string*>{"stanza", &sealed.stanza},
                               {"findings", &sealed.findings},
                               {"report", &sealed.report}}) {
    auto s = sealAt(quarantineWhere(item.tenant, item.sender, column), *field);
    if (!s.isOk()) return s.status();
    *field = std::move(s).value();
  }
  return inner_.content().addQuarantine(sealed);
}
Result<std::vector<QuarantineItem>> EncryptedStorage::listQuarantine(const QuarantineFilter& f) {
  auto r = inner_.content().listQuarantine(f);
  if (!r.isOk()) return r;
  for (auto& item : r.value()) {
    Status st = openQuarantine(item);
    if (st.code() == Status::Code::kNotFound) {
      // The sender was erased (its keys destroyed): the item is listed, its content is gone.
      item.stanza.clear();
      item.findings = "[]";
      item.report.clear();
      continue;
    }
    if (!st.isOk()) return st;
  }
  return r;
}
Result<std::optional<QuarantineItem>> EncryptedStorage::quarantineById(std::int64_t id) {
  auto r = inner_.content().quarantineById(id);
  if (!r.isOk() || !r.value()) return r;
  if (Status st = openQuarantine(*r.value()); !st.isOk()) return st;
  return r;
}
Result<QuarantineCounts> EncryptedStorage::quarantineCounts(std::string_view tenant) {
  return inner_.content().quarantineCounts(tenant);
}
Status EncryptedStorage::decideQuarantine(std::int64_t id, std::string_view status,
                                          std::string_view by, std::int64_t atMs,
                                          std::string_view reason) {
  return inner_.content().decideQuarantine(id, status, by, atMs, reason);
}
Result<std::vector<QuarantineItem>> EncryptedStorage::unsettledQuarantine(
    std::string_view tenant) {
  auto r = inner_.content().unsettledQuarantine(tenant);
  if (!r.isOk()) return r;
  for (auto& item : r.value()) {
    if (Status st = openQuarantine(item); !st.isOk()) return st;
  }
  return r;
}
Status EncryptedStorage::settleQuarantine(std::int64_t id) {
  return inner_.content().settleQuarantine(id);
}
Status EncryptedStorage::reportQuarantine(std::int64_t id, std::string_view senderBare,
                                          std::string_view text) {
  auto item = inner_.content().quarantineById(id);
  if (!item.isOk()) return item.status();
  if (!item.value()) return Status::notFound("no such held message");
  auto sealed = sealAt(quarantineWhere(item.value()->tenant, item.value()->sender, "report"), text);
  if (!sealed.isOk()) return sealed.status();
  return inner_.content().reportQuarantine(id, senderBare, sealed.value());
}
Result<std::size_t> EncryptedStorage::removeQuarantineFrom(std::string_view tenant,
                                                           std::string_view senderBare) {
  return inner_.content().removeQuarantineFrom(tenant, senderBare);
}
Result<std::size_t> EncryptedStorage::pruneQuarantine(std::string_view tenant,
                                                      std::int64_t beforeMs) {
  return inner_.content().pruneQuarantine(tenant, beforeMs);
}

// AdminStore: the second factor's TOTP secret is sealed under the account's key; the rest is
// passed through.

Status EncryptedStorage::grantRole(const RoleGrant& grant) {
  return inner_.admin().grantRole(grant);
}
Status EncryptedStorage::revokeRole(std::string_view host, std::string_view user, std::string_view role) {
  return inner_.admin().revokeRole(host, user, role);
}
Result<std::optional<RoleGrant>> EncryptedStorage::roleOf(std::string_view host, std::string_view user) {
  return inner_.admin().roleOf(host, user);
}
Result<std::vector<RoleGrant>> EncryptedStorage::listRoles() {
  return inner_.admin().listRoles();
}
Status EncryptedStorage::createToken(const ApiToken& token) {
  return inner_.admin().createToken(token);
}
Result<std::optional<ApiToken>> EncryptedStorage::tokenByHash(std::string_view hash) {
  return inner_.admin().tokenByHash(hash);
}
Result<std::optional<ApiToken>> EncryptedStorage::tokenById(std::string_view id) {
  return inner_.admin().tokenById(id);
}
Result<std::vector<ApiToken>> EncryptedStorage::listTokens(std::string_view host, std::string_view user) {
  return inner_.admin().listTokens(host, user);
}
Status EncryptedStorage::revokeToken(std::string_view id) {
  return inner_.admin().revokeToken(id);
}
Status EncryptedStorage::touchToken(std::string_view id, std::int64_t usedMs) {
  return inner_.admin().touchToken(id, usedMs);
}
Status EncryptedStorage::putHold(const LegalHold& hold) {
  return inner_.admin().putHold(hold);
}
Status EncryptedStorage::removeHold(std::string_view host, std::string_view owner) {
  return inner_.admin().removeHold(host, owner);
}
Result<std::vector<LegalHold>> EncryptedStorage::holds() {
  return inner_.admin().holds();
}
Result<std::optional<LegalHold>> EncryptedStorage::holdOn(std::string_view host, std::string_view owner) {
  return inner_.admin().holdOn(host, owner);
}
Result<std::optional<AdminSecurity>> EncryptedStorage::adminSecurity(std::string_view host,
                                                                    std::string_view user) {
  auto r = inner_.admin().adminSecurity(host, user);
  if (!r.isOk() || !r.value()) return r;
  auto clear = openAt(totpWhere(host, user), r.value()->totpSecret);
  if (!clear.isOk()) return clear.status();
  r.value()->totpSecret = std::move(clear).value();
  return r;
}
Status EncryptedStorage::putAdminSecurity(std::string_view host, std::string_view user,
                                          const AdminSecurity& security) {
  AdminSecurity sealed = security;
  auto secret = sealAt(totpWhere(host, user), security.totpSecret);
  if (!secret.isOk()) return secret.status();
  sealed.totpSecret = std::move(secret).value();
  return inner_.admin().putAdminSecurity(host, user, sealed);
}

// FileStore ----------------------------------------------------------------------------------

Status EncryptedStorage::keepFile(std::string_view host, std::string_view owner,
                                  std::string_view id, const std::string& from,
                                  const std::string& to) {
  const HostTenancy t = tenancy_(host);
  const std::string account = t.accounts ? std::string(owner) : std::string();
  auto wk = keyring_.writeKey(t.tenant, account);
  Status st = wk.isOk() ? enc::sealFile(*wk.value().key, wk.value().info,
                                        enc::context({t.tenant, "files", std::string(host) + "/" +
                                                      std::string(owner), id, "content"}),
                                        from, to)
                        : wk.status();
  std::error_code ec;
  std::filesystem::remove(from, ec);
  return st;
}

Result<std::shared_ptr<core::ByteSource>> EncryptedStorage::readFile(std::string_view host,
                                                                     std::string_view owner,
                                                                     std::string_view id,
                                                                     const std::string& path) {
  auto info = enc::sealedFileInfo(path);
  if (!info) {
    // A file kept before encryption was switched on.
    return inner_.files().readFile(host, owner, id, path);
  }
  const HostTenancy t = tenancy_(host);
  const std::string account = t.accounts ? std::string(owner) : std::string();
  if ((info->scope == enc::KeyScope::kAccount) != !account.empty()) {
    return Status::failedPrecondition("a stored file names the wrong kind of key");
  }
  auto key = keyring_.readKey(t.tenant, account, *info);
  if (!key.isOk()) return key.status();
  return enc::openSealedFile(
      key.value(),
      enc::context({t.tenant, "files", std::string(host) + "/" + std::string(owner), id, "content"}),
      path);
}

Result<bool> EncryptedStorage::resealFile(std::string_view host, std::string_view owner,
                                          std::string_view id, const std::string& path) {
  const HostTenancy t = tenancy_(host);
  const std::string account = t.accounts ? std::string(owner) : std::string();
  auto wk = keyring_.writeKey(t.tenant, account);
  if (!wk.isOk()) return wk.status();
  const auto info = enc::sealedFileInfo(path);
  if (info && info->scope == wk.value().info.scope && info->version == wk.value().info.version) {
    return false;
  }
  // Read through the old key (or in clear) and written under the current one, chunk by chunk.
  auto source = readFile(host, owner, id, path);
  if (!source.isOk()) return source.status();
  auto st = enc::sealSource(
      *wk.value().key, wk.value().info,
      enc::context({t.tenant, "files", std::string(host) + "/" + std::string(owner), id, "content"}),
      *source.value(), path);
  if (!st.isOk()) return st;
  return true;
}

// AccountSecurityStore --------------------------------------------------------------------------

Status EncryptedStorage::openState(std::string_view host, std::string_view user,
                                   AccountState& a) {
  auto phone = openAt(stateWhere(host, user, "phone"), a.phone);
  if (!phone.isOk()) return phone.status();
  a.phone = std::move(phone).value();
  auto reason = openAt(stateWhere(host, user, "freeze_reason"), a.freezeReason);
  if (!reason.isOk()) return reason.status();
  a.freezeReason = std::move(reason).value();
  const Where qw = stateWhere(host, user, "security_questions");
  for (auto& [question, hash] : a.securityQuestions) {
    auto q = openAt(qw, question);
    if (!q.isOk()) return q.status();
    question = std::move(q).value();
  }
  return Status::ok();
}

Result<AccountState> EncryptedStorage::accountState(std::string_view host, std::string_view user) {
  auto r = inner_.accountSecurity().accountState(host, user);
  if (!r.isOk()) return r;
  if (Status st = openState(host, user, r.value()); !st.isOk()) return st;
  return r;
}
Status EncryptedStorage::putAccountState(std::string_view host, std::string_view user,
                                         const AccountState& state) {
  AccountState a = state;
  auto phone = sealAt(stateWhere(host, user, "phone"), a.phone);
  if (!phone.isOk()) return phone.status();
  a.phone = std::move(phone).value();
  auto reason = sealAt(stateWhere(host, user, "freeze_reason"), a.freezeReason);
  if (!reason.isOk()) return reason.status();
  a.freezeReason = std::move(reason).value();
  const Where qw = stateWhere(host, user, "security_questions");
  for (auto& [question, hash] : a.securityQuestions) {
    auto q = sealAt(qw, question);
    if (!q.isOk()) return q.status();
    question = std::move(q).value();
  }
  return inner_.accountSecurity().putAccountState(host, user, a);
}
Result<std::vector<std::pair<std::string, AccountState>>> EncryptedStorage::frozenAccounts() {
  auto r = inner_.accountSecurity().frozenAccounts();
  if (!r.isOk()) return r;
  for (auto& [jid, state] : r.value()) {
    const auto at = jid.find('@');
    if (at == std::string::npos) continue;
    if (Status st = openState(std::string_view(jid).substr(at + 1),
                              std::string_view(jid).substr(0, at), state);
        !st.isOk()) {
      return st;
    }
  }
  return r;
}
Status EncryptedStorage::addDevice(const DeviceCredential& device) {
  return inner_.accountSecurity().addDevice(device);
}
Result<std::vector<DeviceCredential>> EncryptedStorage::devices(std::string_view host,
                                                                std::string_view user) {
  return inner_.accountSecurity().devices(host, user);
}
Status EncryptedStorage::removeDevice(std::string_view host, std::string_view user,
                                      std::string_view id) {
  return inner_.accountSecurity().removeDevice(host, user, id);
}
Status EncryptedStorage::removeDevices(std::string_view host, std::string_view user) {
  return inner_.accountSecurity().removeDevices(host, user);
}
Status EncryptedStorage::addPasskey(const Passkey& passkey) {
  return inner_.accountSecurity().addPasskey(passkey);
}
Result<std::vector<Passkey>> EncryptedStorage::passkeys(std::string_view host,
                                                        std::string_view user) {
  return inner_.accountSecurity().passkeys(host, user);
}
Status EncryptedStorage::removePasskey(std::string_view host, std::string_view user,
                                       std::string_view id) {
  return inner_.accountSecurity().removePasskey(host, user, id);
}
Status EncryptedStorage::touchPasskey(std::string_view id, std::uint32_t signCount,
                                      std::int64_t usedMs) {
  return inner_.accountSecurity().touchPasskey(id, signCount, usedMs);
}
Status EncryptedStorage::touchDevice(std::string_view id, std::int64_t usedMs,
                                     std::string_view address, std::string_view client) {
  return inner_.accountSecurity().touchDevice(id, usedMs, address, client);
}
Status EncryptedStorage::updateDevice(const DeviceCredential& device) {
  return inner_.accountSecurity().updateDevice(device);
}
// The sealed text fields of a sign-in record and their columns (personal_data.h lists the same).
constexpr std::pair<std::string LoginRecord::*, const char*> kSealedLoginFields[] = {
    {&LoginRecord::source, "source"},   {&LoginRecord::client, "client"},
    {&LoginRecord::resource, "resource"}, {&LoginRecord::country, "country"},
    {&LoginRecord::city, "city"}};

// Sign-in records: the address, client, resource and place are sealed; the coordinates go
// into the sealed city ("CITY\nLAT\nLON"), and the clear columns hold 0.
Result<LoginRecord> EncryptedStorage::sealLogin(LoginRecord r) {
  if (r.located) {
    char buf[64];
    const auto lat = std::to_chars(buf, buf + sizeof buf, r.latitude);
    std::string packed = r.city + "\n" + std::string(buf, lat.ptr);
    const auto lon = std::to_chars(buf, buf + sizeof buf, r.longitude);
    packed += "\n" + std::string(buf, lon.ptr);
    r.city = std::move(packed);
    r.latitude = r.longitude = 0;
  }
  for (const auto& [member, column] : kSealedLoginFields) {
    auto sealed = sealAt(loginWhere(r.host, r.user, column), r.*member);
    if (!sealed.isOk()) return sealed.status();
    r.*member = std::move(sealed).value();
  }
  return r;
}

Status EncryptedStorage::openLogin(LoginRecord& r) {
  for (const auto& [member, column] : kSealedLoginFields) {
    auto clear = openAt(loginWhere(r.host, r.user, column), r.*member);
    if (!clear.isOk()) return clear.status();
    r.*member = std::move(clear).value();
  }
  // Coordinates sealed with the city (records written before encryption hold them in clear).
  if (const auto nl = r.city.find('\n'); nl != std::string::npos) {
    const auto nl2 = r.city.find('\n', nl + 1);
    if (nl2 != std::string::npos) {
      const char* p = r.city.data();
      std::from_chars(p + nl + 1, p + nl2, r.latitude);
      std::from_chars(p + nl2 + 1, p + r.city.size(), r.longitude);
    }
    r.city.resize(nl);
  }
  return Status::ok();
}

Status EncryptedStorage::appendLogin(const LoginRecord& record) {
  auto sealed = sealLogin(record);
  if (!sealed.isOk()) return sealed.status();
  return inner_.accountSecurity().appendLogin(sealed.value());
}
Result<std::vector<LoginRecord>> EncryptedStorage::logins(std::string_view host,
                                                          std::string_view user,
                                                          std::int64_t beforeId,
                                                          std::size_t limit) {
  auto r = inner_.accountSecurity().logins(host, user, beforeId, limit);
  if (!r.isOk()) return r;
  for (auto& rec : r.value()) {
    if (auto st = openLogin(rec); !st.isOk()) return st;
  }
  return r;
}
Result<std::optional<LoginRecord>> EncryptedStorage::lastSuccess(std::string_view host,
                                                                 std::string_view user) {
  auto r = inner_.accountSecurity().lastSuccess(host, user);
  if (!r.isOk() || !r.value()) return r;
  if (auto st = openLogin(*r.value()); !st.isOk()) return st;
  return r;
}
Result<std::size_t> EncryptedStorage::removeLogins(std::string_view host, std::string_view user) {
  return inner_.accountSecurity().removeLogins(host, user);
}
Result<std::size_t> EncryptedStorage::pruneLogins(std::string_view host, std::int64_t beforeMs) {
  return inner_.accountSecurity().pruneLogins(host, beforeMs);
}
Result<std::vector<LoginRecord>> EncryptedStorage::recentSuccesses(std::int64_t sinceMs,
                                                                   std::size_t limit) {
  auto r = inner_.accountSecurity().recentSuccesses(sinceMs, limit);
  if (!r.isOk()) return r;
  for (auto& rec : r.value()) {
    if (auto st = openLogin(rec); !st.isOk()) return st;
  }
  return r;
}
Status EncryptedStorage::putLock(const SignInLock& lock) {
  return inner_.accountSecurity().putLock(lock);
}
Result<std::vector<SignInLock>> EncryptedStorage::locks() {
  return inner_.accountSecurity().locks();
}
Result<std::size_t> EncryptedStorage::clearLocks(std::string_view host, std::string_view user) {
  return inner_.accountSecurity().clearLocks(host, user);
}
Status EncryptedStorage::removeLock(std::string_view key) {
  return inner_.accountSecurity().removeLock(key);
}

}  // namespace rampart::storage::encrypted
