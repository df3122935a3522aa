#pragma once
// The storage a storage-level benchmark measures: SQLite on its own, or with the encryption
// layer over it, opened as rampartd opens them (bench/archive, bench/search).

#include <memory>
#include <optional>
#include <string>

#include "core/config.h"
#include "storage/encrypted/setup.h"
#include "storage/sqlite/sqlite_storage.h"

namespace rampart::bench {

struct BenchStorage {
  std::unique_ptr<storage::sqlite::SqliteStorage> db;
  storage::encrypted::Encryption enc;  // declared after db: closed before it
  storage::Storage* s = nullptr;       // what the benchmark calls
};

// SQLite at `path` (synchronous "normal"), wrapped in the encryption of `config` (its key file
// and keys.db in config.dataDir) when `encrypted`; nullopt when either cannot be opened.
inline std::optional<BenchStorage> openBenchStorage(const core::Config& config,
                                                    const std::string& path, bool encrypted) {
  auto db = storage::sqlite::SqliteStorage::open({path, "normal", 5000});
  if (!db.isOk()) return std::nullopt;
  BenchStorage out;
  out.db = std::move(db).value();
  out.s = out.db.get();
  if (encrypted) {
    auto e = storage::encrypted::openEncryption(config, *out.db);
    if (!e.isOk()) return std::nullopt;
    out.enc = std::move(e).value();
    out.s = out.enc.storage.get();
  }
  return out;
}

}  // namespace rampart::bench
