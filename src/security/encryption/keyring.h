#pragma once
// The key hierarchy: a master key in the key provider wraps each tenant's data keys (one per
// version; the newest is current for writes), and each tenant key wraps the per-account keys
// of that version. Unwrapped keys are cached in locked memory and wiped when dropped.
// Thread-safe: one lock guards the key store and the caches; sealing runs outside it.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "rampart/security/key_provider.h"
#include "rampart/storage/key_store.h"
#include "security/encryption/aead.h"

namespace rampart::security::encryption {

// Where a stored value lives: its context binds the ciphertext to exactly this place.
struct Place {
  std::string_view tenant;
  std::string_view account;  // the owning account's localpart; "" for the tenant's key
  std::string_view table;
  std::string_view owner;    // the row's owner (account, room, host "")
  std::string_view row;      // the row within the owner's rows (an id, a key); may be ""
  std::string_view column;
};

std::string placeContext(const Place& p);

class Keyring {
 public:
  using Clock = std::function<std::int64_t()>;  // milliseconds since the epoch
  Keyring(std::unique_ptr<storage::KeyStore> store, std::shared_ptr<KeyProvider> provider,
          Clock nowMs);

  core::Result<std::string> seal(const Place& place, std::string_view plaintext);
  // Fails for an altered value, a value moved from another place, or a destroyed key.
  core::Result<std::string> open(const Place& place, std::string_view sealed);

  // The key (and its name) new data of this tenant or account is sealed with.
  struct WriteKey {
    SealInfo info;
    std::shared_ptr<const SecureKey> key;
  };
  core::Result<WriteKey> writeKey(std::string_view tenant, std::string_view account);
  core::Result<std::shared_ptr<const SecureKey>> readKey(std::string_view tenant,
                                                         std::string_view account, SealInfo info);

  // The key of a tenant's or account's blind index (full-text search terms): derived from the
  // oldest key version of that tenant or account, so that rotations leave the index valid and
  // crypto-shredding the account makes its index terms meaningless too.
  core::Result<std::shared_ptr<const SecureKey>> indexKey(std::string_view tenant,
                                                          std::string_view account);
  // Digests of `terms` under the index key (core::kTermDigestBytes each, concatenated).
  core::Result<std::string> blindTerms(std::string_view tenant, std::string_view account,
                                       const std::vector<std::string>& terms);

  // The version new data is sealed with (the tenant's first key is made on first use).
  core::Result<std::uint32_t> currentVersion(std::string_view tenant);
  // Makes a new tenant key version current; returns it.
  core::Result<std::uint32_t> rotate(std::string_view tenant);
  // Crypto-shredding: destroys every version of one account's keys, or with `account` empty
  // every key of the tenant. Data sealed under them can no longer be read anywhere.
  core::Result<std::size_t> destroy(std::string_view tenant, std::string_view account);
  // Forgets the cached current versions, so keys rotated by another process are used.
  void refresh();
  // Also drops every unwrapped key (wiped as their last users let go): what another process
  // destroyed is no longer used here.
  void forgetKeys();
  // Whether every stored value of the tenant has been sealed (the background re-encryption
  // found none in clear): from then on a value in clear is an altered one, refused.
  bool sealedOnly(std::string_view tenant);
  core::Status setSealedOnly(std::string_view tenant);

  storage::KeyStore& store() { return *store_; }
  std::mutex& storeMutex() { return mu_; }
  const std::string& providerName() const { return providerName_; }

 private:
  using CacheKey = std::tuple<std::string, std::string, std::uint32_t>;
  core::Result<std::shared_ptr<const SecureKey>> tenantKeyLocked(std::string_view tenant,
                                                                 std::uint32_t version);
  core::Result<std::shared_ptr<const SecureKey>> accountKeyLocked(std::string_view tenant,
                                                                  std::string_view account,
                                                                  std::uint32_t version,
                                                                  bool create);
  core::Result<std::uint32_t> currentLocked(std::string_view tenant);
  void remember(CacheKey k, std::shared_ptr<const SecureKey> key);
  // The unwrapped bytes as a locked key, cached (the bytes wiped); `what` names it in errors.
  core::Result<std::shared_ptr<const SecureKey>> keep(CacheKey k, core::Result<std::string> raw,
                                                      const std::string& what);

  std::mutex mu_;
  std::unique_ptr<storage::KeyStore> store_;
  std::shared_ptr<KeyProvider> provider_;
  std::string providerName_;
  Clock now_;
  std::map<std::string, std::uint32_t, std::less<>> current_;
  std::map<CacheKey, std::shared_ptr<const SecureKey>> cache_;
  std::map<std::string, bool, std::less<>> sealedOnly_;
  // A tenant's or account's blind-index key and its HMAC state.
  struct IndexEntry {
    std::shared_ptr<const SecureKey> key;
    std::shared_ptr<const HmacKey> mac;
  };
  core::Result<IndexEntry> indexEntryLocked(std::string_view tenant, std::string_view account);
  // Ordered by (tenant, account); found without copying the names.
  struct IndexLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return std::tie(a.first, a.second) < std::tie(b.first, b.second);
    }
  };
  std::map<std::pair<std::string, std::string>, IndexEntry, IndexLess> indexCache_;
};

}  // namespace rampart::security::encryption
