#pragma once
// Opening the storage rampartd and rampartctl use: the home region's database (server.data_dir)
// and one per region of [residency.regions] (REGION_DATA_DIR/rampart.db), each under envelope
// encryption when it is on (one keyring), and with more than one region the router over them.
// Start-up only.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "storage/encrypted/setup.h"
#include "storage/regional/regional_storage.h"
#include "storage/sqlite/sqlite_storage.h"

namespace rampart::storage::regional {

struct OpenedStorage {
  // Region name ("" the home region) -> its database.
  std::map<std::string, std::unique_ptr<sqlite::SqliteStorage>> databases;
  encrypted::Encryption encryption;  // the keyring, and the home region's encrypting storage
  std::map<std::string, std::unique_ptr<encrypted::EncryptedStorage>> sealed;  // other regions
  std::unique_ptr<RegionalStorage> regional;  // with regions only
  Storage* store = nullptr;                   // what everything above uses
  sqlite::SqliteStorage& home() { return *databases.at(""); }
};

core::Result<OpenedStorage> openStorage(const core::Config& config, int busyTimeoutMs,
                                        const std::string& synchronous);

}  // namespace rampart::storage::regional
