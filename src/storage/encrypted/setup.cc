#include "storage/encrypted/setup.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>

#include "security/encryption/key_file_provider.h"
#include "security/encryption/pkcs11_provider.h"
#include "storage/sqlite/sqlite_key_store.h"

namespace rampart::storage::encrypted {

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

std::string roomServiceOf(const core::Config& config, const core::HostConfig& h) {
  std::string muc = "conference." + lower(h.name);
  if (auto g = config.modules.find("muc"); g != config.modules.end()) {
    if (auto d = g->second.strings.find("domain"); d != g->second.strings.end()) muc = d->second;
  }
  if (auto m = h.modules.find("muc"); m != h.modules.end()) {
    if (auto d = m->second.strings.find("domain"); d != m->second.strings.end()) muc = d->second;
  }
  return lower(muc);
}

Tenancy tenancyFor(const core::Config& config) {
  // host (lower case) -> tenancy
  auto map = std::make_shared<std::map<std::string, HostTenancy, std::less<>>>();
  for (const auto& h : config.hosts) {
    const std::string tenant = lower(h.name);
    (*map)[tenant] = HostTenancy{tenant, true};
    map->emplace(roomServiceOf(config, h), HostTenancy{tenant, false});
  }
  return [map](std::string_view host) {
    const std::string h = lower(host);
    if (auto it = map->find(h); it != map->end()) return it->second;
    // A service below a tenant's domain not configured above; else its own tenant.
    for (const auto& [name, t] : *map) {
      if (t.accounts && h.size() > name.size() + 1 && h.ends_with("." + name)) {
        return HostTenancy{t.tenant, false};
      }
    }
    return HostTenancy{h, true};
  };
}

core::Result<Encryption> openEncryption(const core::Config& config, Storage& inner) {
  if (!security::encryption::SecureKey::initSecureHeap()) {
    spdlog::warn("event=key_memory_not_locked reason=\"the secure heap could not be locked "
                 "(RLIMIT_MEMLOCK); keys are wiped after use but may be swapped out\"");
  }
  std::shared_ptr<security::KeyProvider> provider;
  if (config.encryption.provider == "pkcs11") {
    auto p = security::encryption::Pkcs11Provider::open(
        {config.encryption.pkcs11Module, config.encryption.pkcs11Token,
         config.encryption.pkcs11PinFile, config.encryption.pkcs11KeyLabel});
    if (!p.isOk()) return p.status();
    provider = std::move(p).value();
  } else {
    auto p = security::encryption::KeyFileProvider::open(config.resolvedKeyFile());
    if (!p.isOk()) return p.status();
    provider = std::move(p).value();
  }
  auto ks = sqlite::SqliteKeyStore::open(config.resolvedKeysDb());
  if (!ks.isOk()) return ks.status();
  Encryption e;
  e.keyring = std::make_unique<security::encryption::Keyring>(std::move(ks).value(), provider,
                                                               nowMs);
  e.storage = std::make_unique<EncryptedStorage>(inner, *e.keyring, tenancyFor(config));
  return e;
}

}  // namespace rampart::storage::encrypted
