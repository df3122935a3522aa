#include "security/encryption/keyring.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "rampart/core/search_terms.h"
#include "rampart/storage/personal_data.h"

namespace rampart::security::encryption {

namespace {
// Unwrapped keys kept at most; beyond it the cache starts again (keys are re-unwrapped).
constexpr std::size_t kMaxCached = 16384;
// Blind-index entries kept at most (each holds a key and an HMAC state: 288 bytes of locked
// memory).
constexpr std::size_t kMaxIndexCached = 8192;

std::string tenantKeyContext(std::string_view tenant, std::uint32_t version) {
  return context({"rampart tenant key", tenant, std::to_string(version)});
}

std::string accountKeyContext(std::string_view tenant, std::string_view account) {
  return context({"rampart account key", tenant, account});
}
}  // namespace

std::string placeContext(const Place& p) {
  return context({p.tenant, p.table, p.owner, p.row, p.column});
}

Keyring::Keyring(std::unique_ptr<storage::KeyStore> store, std::shared_ptr<KeyProvider> provider,
                 Clock nowMs)
    : store_(std::move(store)),
      provider_(std::move(provider)),
      providerName_(provider_->name()),
      now_(std::move(nowMs)) {}

core::Result<std::shared_ptr<const SecureKey>> Keyring::keep(CacheKey k,
                                                             core::Result<std::string> raw,
                                                             const std::string& what) {
  if (!raw.isOk()) {
    return core::Status::failedPrecondition(what + " cannot be unwrapped: " +
                                            raw.status().message());
  }
  auto key = SecureKey::make(raw.value());
  OPENSSL_cleanse(raw.value().data(), raw.value().size());
  if (!key) {
    return core::Status::unavailable("no locked memory left for keys");
  }
  remember(std::move(k), key);
  return key;
}

void Keyring::remember(CacheKey k, std::shared_ptr<const SecureKey> key) {
  if (cache_.size() >= kMaxCached) {
    cache_.clear();
  }
  cache_.emplace(std::move(k), std::move(key));
}

core::Result<std::uint32_t> Keyring::currentLocked(std::string_view tenant) {
  if (auto it = current_.find(tenant); it != current_.end()) {
    return it->second;
  }
  auto keys = store_->tenantKeys(tenant);
  if (!keys.isOk()) {
    return keys.status();
  }
  std::uint32_t version = keys.value().empty() ? 0 : keys.value().back().version;
  if (version == 0) {
    // The tenant's first key.
    auto key = SecureKey::random();
    if (!key) {
      return core::Status::unavailable("no memory for a new key");
    }
    auto wrapped = provider_->wrap(key->view(), tenantKeyContext(tenant, 1));
    if (!wrapped.isOk()) {
      return wrapped.status();
    }
    storage::WrappedKey wk{std::string(tenant), "", 1, wrapped.value(),
                           "provider:" + providerName_, now_()};
    auto stored = store_->putKeyIfAbsent(wk);
    if (!stored.isOk()) {
      return stored.status();
    }
    version = 1;
  }
  current_.emplace(std::string(tenant), version);
  return version;
}

core::Result<std::uint32_t> Keyring::currentVersion(std::string_view tenant) {
  std::lock_guard lock(mu_);
  return currentLocked(tenant);
}

core::Result<std::shared_ptr<const SecureKey>> Keyring::tenantKeyLocked(std::string_view tenant,
                                                                        std::uint32_t version) {
  CacheKey ck{std::string(tenant), "", version};
  if (auto it = cache_.find(ck); it != cache_.end()) {
    return it->second;
  }
  auto keys = store_->tenantKeys(tenant);
  if (!keys.isOk()) {
    return keys.status();
  }
  for (const auto& k : keys.value()) {
    if (k.version != version) continue;
    return keep(std::move(ck), provider_->unwrap(k.wrapped, tenantKeyContext(tenant, version)),
                "the key of " + std::string(tenant) + " version " + std::to_string(version));
  }
  return core::Status::notFound("no key version " + std::to_string(version) + " for " +
                                std::string(tenant) + " (destroyed)");
}

core::Result<std::shared_ptr<const SecureKey>> Keyring::accountKeyLocked(std::string_view tenant,
                                                                         std::string_view account,
                                                                         std::uint32_t version,
                                                                         bool create) {
  CacheKey ck{std::string(tenant), std::string(account), version};
  if (auto it = cache_.find(ck); it != cache_.end()) {
    return it->second;
  }
  auto tenantKey = tenantKeyLocked(tenant, version);
  if (!tenantKey.isOk()) {
    return tenantKey.status();
  }
  const SealInfo wrapInfo{KeyScope::kTenant, version};
  auto found = store_->accountKey(tenant, account, version);
  if (!found.isOk()) {
    return found.status();
  }
  std::optional<storage::WrappedKey> wk = found.value();
  if (!wk) {
    if (!create) {
      return core::Status::notFound("the key of " + std::string(account) + "@" +
                                    std::string(tenant) + " version " + std::to_string(version) +
                                    " does not exist (destroyed)");
    }
    auto fresh = SecureKey::random();
    if (!fresh) {
      return core::Status::unavailable("no locked memory left for keys");
    }
    auto wrapped = encryption::seal(*tenantKey.value(), wrapInfo,
                                    accountKeyContext(tenant, account), fresh->view());
    if (!wrapped.isOk()) {
      return wrapped.status();
    }
    auto stored = store_->putKeyIfAbsent(storage::WrappedKey{
        std::string(tenant), std::string(account), version, wrapped.value(), "tenant", now_()});
    if (!stored.isOk()) {
      return stored.status();
    }
    wk = stored.value();
  }
  return keep(std::move(ck),
              encryption::open(*tenantKey.value(), accountKeyContext(tenant, account), wk->wrapped),
              "the key of " + std::string(account) + "@" + std::string(tenant));
}

core::Result<Keyring::WriteKey> Keyring::writeKey(std::string_view tenant,
                                                  std::string_view account) {
  std::lock_guard lock(mu_);
  auto version = currentLocked(tenant);
  if (!version.isOk()) {
    return version.status();
  }
  const std::uint32_t v = version.value();
  auto key = account.empty() ? tenantKeyLocked(tenant, v) : accountKeyLocked(tenant, account, v, true);
  if (!key.isOk()) {
    return key.status();
  }
  return WriteKey{SealInfo{account.empty() ? KeyScope::kTenant : KeyScope::kAccount, v},
                  key.value()};
}

core::Result<std::shared_ptr<const SecureKey>> Keyring::readKey(std::string_view tenant,
                                                                std::string_view account,
                                                                SealInfo info) {
  std::lock_guard lock(mu_);
  if (info.scope == KeyScope::kTenant) {
    return tenantKeyLocked(tenant, info.version);
  }
  return accountKeyLocked(tenant, account, info.version, false);
}

core::Result<std::string> Keyring::seal(const Place& place, std::string_view plaintext) {
  auto wk = writeKey(place.tenant, place.account);
  if (!wk.isOk()) {
    return wk.status();
  }
  return encryption::seal(*wk.value().key, wk.value().info, placeContext(place), plaintext);
}

core::Result<std::string> Keyring::open(const Place& place, std::string_view sealed) {
  auto info = sealInfo(sealed);
  if (!info) {
    return core::Status::failedPrecondition("not a sealed value");
  }
  // An account's value names the account scope; anything else is a value moved here.
  if ((info->scope == KeyScope::kAccount) != !place.account.empty()) {
    return core::Status::failedPrecondition("a sealed value names the wrong kind of key");
  }
  auto key = readKey(place.tenant, place.account, *info);
  if (!key.isOk()) {
    return key.status();
  }
  return encryption::open(*key.value(), placeContext(place), sealed);
}

core::Result<Keyring::IndexEntry> Keyring::indexEntryLocked(std::string_view tenant,
                                                          std::string_view account) {
  if (auto it = indexCache_.find(std::pair<std::string_view, std::string_view>(tenant, account));
      it != indexCache_.end()) {
    return it->second;
  }
  auto current = currentLocked(tenant);
  if (!current.isOk()) return current.status();
  std::shared_ptr<const SecureKey> base;
  if (account.empty()) {
    auto keys = store_->tenantKeys(tenant);
    if (!keys.isOk()) return keys.status();
    if (keys.value().empty()) return core::Status::notFound("no key for " + std::string(tenant));
    auto k = tenantKeyLocked(tenant, keys.value().front().version);
    if (!k.isOk()) return k.status();
    base = k.value();
  } else {
    for (std::uint32_t v = 1; v <= current.value() && !base; ++v) {
      auto found = store_->accountKey(tenant, account, v);
      if (!found.isOk()) return found.status();
      if (!found.value()) continue;
      auto k = accountKeyLocked(tenant, account, v, false);
      if (!k.isOk()) return k.status();
      base = k.value();
    }
    if (!base) {
      auto k = accountKeyLocked(tenant, account, current.value(), true);
      if (!k.isOk()) return k.status();
      base = k.value();
    }
  }
  static constexpr std::string_view kLabel = "rampart blind index v1";
  unsigned char out[SecureKey::kSize];
  unsigned int len = 0;
  HMAC(EVP_sha256(), base->data(), static_cast<int>(SecureKey::kSize),
       reinterpret_cast<const unsigned char*>(kLabel.data()), kLabel.size(), out, &len);
  auto key = SecureKey::make(std::string_view(reinterpret_cast<char*>(out), SecureKey::kSize));
  OPENSSL_cleanse(out, sizeof out);
  auto mac = key ? HmacKey::make(*key) : nullptr;
  if (!mac) return core::Status::unavailable("no locked memory left for keys");
  if (indexCache_.size() >= kMaxIndexCached) indexCache_.clear();
  IndexEntry entry{std::move(key), std::move(mac)};
  indexCache_.emplace(std::pair<std::string, std::string>(tenant, account), entry);
  return entry;
}

core::Result<std::shared_ptr<const SecureKey>> Keyring::indexKey(std::string_view tenant,
                                                                 std::string_view account) {
  std::lock_guard lock(mu_);
  auto e = indexEntryLocked(tenant, account);
  if (!e.isOk()) return e.status();
  return e.value().key;
}

core::Result<std::string> Keyring::blindTerms(std::string_view tenant, std::string_view account,
                                              const std::vector<std::string>& terms) {
  if (terms.empty()) return std::string();
  std::shared_ptr<const HmacKey> mac;
  {
    std::lock_guard lock(mu_);
    auto e = indexEntryLocked(tenant, account);
    if (!e.isOk()) return e.status();
    mac = e.value().mac;
  }
  // The key's padded blocks were hashed once, when the entry was made: each term costs only
  // its own hashing.
  std::string out;
  out.reserve(terms.size() * core::kTermDigestBytes);
  unsigned char md[HmacKey::kDigestBytes];
  for (const auto& t : terms) {
    mac->digest(t, md);
    out.append(reinterpret_cast<const char*>(md), core::kTermDigestBytes);
  }
  OPENSSL_cleanse(md, sizeof md);
  return out;
}

core::Result<std::uint32_t> Keyring::rotate(std::string_view tenant) {
  std::lock_guard lock(mu_);
  current_.erase(std::string(tenant));
  auto keys = store_->tenantKeys(tenant);
  if (!keys.isOk()) {
    return keys.status();
  }
  const std::uint32_t next = keys.value().empty() ? 1 : keys.value().back().version + 1;
  auto key = SecureKey::random();
  if (!key) {
    return core::Status::unavailable("no memory for a new key");
  }
  auto wrapped = provider_->wrap(key->view(), tenantKeyContext(tenant, next));
  if (!wrapped.isOk()) {
    return wrapped.status();
  }
  auto stored = store_->putKeyIfAbsent(storage::WrappedKey{
      std::string(tenant), "", next, wrapped.value(), "provider:" + providerName_, now_()});
  if (!stored.isOk()) {
    return stored.status();
  }
  return next;
}

core::Result<std::size_t> Keyring::destroy(std::string_view tenant, std::string_view account) {
  std::lock_guard lock(mu_);
  auto n = store_->destroyKeys(tenant, account, account.empty());
  // Dropped keys are wiped as their last user lets go.
  for (auto it = cache_.begin(); it != cache_.end();) {
    const bool match = std::get<0>(it->first) == tenant &&
                       (account.empty() || std::get<1>(it->first) == account);
    it = match ? cache_.erase(it) : std::next(it);
  }
  for (auto it = indexCache_.begin(); it != indexCache_.end();) {
    const bool match = it->first.first == tenant && (account.empty() || it->first.second == account);
    it = match ? indexCache_.erase(it) : std::next(it);
  }
  if (account.empty()) {
    current_.erase(std::string(tenant));
  }
  return n;
}

void Keyring::refresh() {
  std::lock_guard lock(mu_);
  current_.clear();
  sealedOnly_.clear();
}

void Keyring::forgetKeys() {
  std::lock_guard lock(mu_);
  current_.clear();
  sealedOnly_.clear();
  cache_.clear();
  indexCache_.clear();
}

bool Keyring::sealedOnly(std::string_view tenant) {
  std::lock_guard lock(mu_);
  if (auto it = sealedOnly_.find(tenant); it != sealedOnly_.end()) {
    return it->second;
  }
  // Marked under the current generation of sealed columns (a column sealed since may still
  // hold values in clear until a pass has gone through it).
  auto v = store_->meta("sealed-only:" + std::string(tenant));
  const bool on = v.isOk() && v.value().has_value() &&
                  *v.value() == std::to_string(storage::kSealedGeneration);
  sealedOnly_.emplace(std::string(tenant), on);
  return on;
}

core::Status Keyring::setSealedOnly(std::string_view tenant) {
  std::lock_guard lock(mu_);
  sealedOnly_[std::string(tenant)] = true;
  return store_->putMeta("sealed-only:" + std::string(tenant),
                         std::to_string(storage::kSealedGeneration));
}

}  // namespace rampart::security::encryption
