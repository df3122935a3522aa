#include "storage/regional/setup.h"

#include <filesystem>

namespace rampart::storage::regional {

core::Result<OpenedStorage> openStorage(const core::Config& config, int busyTimeoutMs,
                                        const std::string& synchronous) {
  OpenedStorage o;
  std::map<std::string, std::int64_t> bases;
  std::map<std::string, std::string> paths{{"", config.resolvedDbPath()}};
  for (const auto& [name, region] : config.regions) {
    const std::int64_t base = quarantineIdBase(name);
    for (const auto& [other, b] : bases) {
      if (b == base) {
        return core::Status::invalidArgument("residency regions " + other + " and " + name +
                                             " fall in one range of ids; rename one of them");
      }
    }
    bases[name] = base;
    std::error_code ec;
    std::filesystem::create_directories(region.dataDir, ec);
    std::filesystem::permissions(region.dataDir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
    paths[name] = region.dataDir + "/rampart.db";
  }
  for (const auto& [name, path] : paths) {
    auto db = sqlite::SqliteStorage::open({path, synchronous, busyTimeoutMs});
    if (!db.isOk()) return db.status();
    if (!name.empty()) {
      if (auto st = db.value()->reserveQuarantineIds(bases[name]); !st.isOk()) return st;
    }
    o.databases[name] = std::move(db).value();
  }
  std::map<std::string, Storage*> regions;
  if (config.encryption.enabled) {
    auto e = encrypted::openEncryption(config, o.home());
    if (!e.isOk()) return core::Status::invalidArgument("encryption: " + e.status().message());
    o.encryption = std::move(e).value();
    regions[""] = o.encryption.storage.get();
    for (auto& [name, db] : o.databases) {
      if (name.empty()) continue;
      o.sealed[name] = std::make_unique<encrypted::EncryptedStorage>(
          *db, *o.encryption.keyring, encrypted::tenancyFor(config));
      regions[name] = o.sealed[name].get();
    }
  } else {
    for (auto& [name, db] : o.databases) regions[name] = db.get();
  }
  if (regions.size() == 1) {
    o.store = regions.at("");
    return o;
  }
  // A host's region: its tenant's (a group chat service belongs to its tenant).
  auto tenancy = encrypted::tenancyFor(config);
  std::map<std::string, std::string> hostRegion;
  for (const auto& h : config.hosts) hostRegion[h.name] = h.region;
  o.regional = std::make_unique<RegionalStorage>(
      std::move(regions), [tenancy, hostRegion](std::string_view host) -> std::string {
        auto it = hostRegion.find(tenancy(host).tenant);
        return it == hostRegion.end() ? std::string() : it->second;
      });
  o.store = o.regional.get();
  return o;
}

}  // namespace rampart::storage::regional
