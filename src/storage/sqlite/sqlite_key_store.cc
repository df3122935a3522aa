// The key store's table. Parameterized statements only.

#include "storage/sqlite/sqlite_key_store.h"

#include <sqlite3.h>

#include "storage/sqlite/stmt.h"

namespace rampart::storage::sqlite {

namespace {

const char* const kSchema = R"sql(
CREATE TABLE IF NOT EXISTS data_keys (
  tenant TEXT NOT NULL, account TEXT NOT NULL, version INTEGER NOT NULL,
  wrapped BLOB NOT NULL, wrapped_by TEXT NOT NULL, created INTEGER NOT NULL,
  PRIMARY KEY (tenant, account, version)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS key_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
)sql";

WrappedKey readKey(const Stmt& st) {
  WrappedKey k;
  k.tenant = st.colText(0);
  k.account = st.colText(1);
  k.version = static_cast<std::uint32_t>(st.colInt(2));
  k.wrapped = st.colBlob(3);
  k.wrappedBy = st.colText(4);
  k.createdMs = st.colInt(5);
  return k;
}

#define KEY_COLUMNS "tenant, account, version, wrapped, wrapped_by, created"

}  // namespace

core::Result<std::unique_ptr<SqliteKeyStore>> SqliteKeyStore::open(const std::string& path,
                                                                   int busyTimeoutMs) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open the key store " + path + ": " +
                      (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return core::Status::ioError(msg);
  }
  std::unique_ptr<SqliteKeyStore> s(new SqliteKeyStore(db));
  sqlite3_busy_timeout(db, busyTimeoutMs);
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                          "PRAGMA secure_delete=ON", kSchema}) {
    // Two processes opening the store at once: the schema step may meet a lock the busy
    // handler does not cover; retry briefly.
    int erc = SQLITE_BUSY;
    for (int i = 0; i < 200 && (erc == SQLITE_BUSY || erc == SQLITE_LOCKED); ++i) {
      erc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
      if (erc == SQLITE_BUSY || erc == SQLITE_LOCKED) sqlite3_sleep(25);
    }
    if (erc != SQLITE_OK) {
      return core::Status::ioError("cannot prepare the key store " + path + ": " +
                                   sqlite3_errmsg(db));
    }
  }
  return s;
}

SqliteKeyStore::~SqliteKeyStore() { sqlite3_close(db_); }

core::Status SqliteKeyStore::error(std::string_view what) const {
  return core::Status::ioError(std::string(what) + ": " + sqlite3_errmsg(db_));
}

core::Result<std::vector<WrappedKey>> SqliteKeyStore::tenantKeys(std::string_view tenant) {
  Stmt st(db_, "SELECT " KEY_COLUMNS " FROM data_keys WHERE tenant = ? AND account = '' "
               "ORDER BY version");
  if (!st.ok()) return error("key store");
  st.text(1, tenant);
  std::vector<WrappedKey> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(readKey(st));
  if (rc != SQLITE_DONE) return error("reading tenant keys");
  return out;
}

core::Result<std::vector<std::string>> SqliteKeyStore::tenants() {
  Stmt st(db_, "SELECT DISTINCT tenant FROM data_keys WHERE account = '' ORDER BY tenant");
  if (!st.ok()) return error("key store");
  std::vector<std::string> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(st.colText(0));
  if (rc != SQLITE_DONE) return error("listing tenants");
  return out;
}

core::Result<WrappedKey> SqliteKeyStore::putKeyIfAbsent(const WrappedKey& key) {
  Stmt ins(db_, "INSERT OR IGNORE INTO data_keys (" KEY_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?)");
  if (!ins.ok()) return error("key store");
  ins.text(1, key.tenant).text(2, key.account).int64(3, key.version).blob(4, key.wrapped);
  ins.text(5, key.wrappedBy).int64(6, key.createdMs);
  if (ins.step() != SQLITE_DONE) return error("storing a key");
  Stmt st(db_, "SELECT " KEY_COLUMNS " FROM data_keys WHERE tenant = ? AND account = ? AND "
               "version = ?");
  if (!st.ok()) return error("key store");
  st.text(1, key.tenant).text(2, key.account).int64(3, key.version);
  if (st.step() != SQLITE_ROW) return error("reading a stored key");
  return readKey(st);
}

core::Result<std::optional<WrappedKey>> SqliteKeyStore::accountKey(std::string_view tenant,
                                                                   std::string_view account,
                                                                   std::uint32_t version) {
  Stmt st(db_, "SELECT " KEY_COLUMNS " FROM data_keys WHERE tenant = ? AND account = ? AND "
               "version = ?");
  if (!st.ok()) return error("key store");
  st.text(1, tenant).text(2, account).int64(3, version);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return std::optional<WrappedKey>();
  if (rc != SQLITE_ROW) return error("reading a key");
  return std::optional<WrappedKey>(readKey(st));
}

core::Result<std::size_t> SqliteKeyStore::accountKeyCount(std::string_view tenant,
                                                          std::uint32_t version) {
  Stmt st(db_, "SELECT count(*) FROM data_keys WHERE tenant = ? AND account <> '' AND "
               "version = ?");
  if (!st.ok()) return error("key store");
  st.text(1, tenant).int64(2, version);
  if (st.step() != SQLITE_ROW) return error("counting keys");
  return static_cast<std::size_t>(st.colInt(0));
}

core::Result<std::size_t> SqliteKeyStore::destroyKeys(std::string_view tenant,
                                                      std::string_view account,
                                                      bool wholeTenant) {
  Stmt st(db_, wholeTenant ? "DELETE FROM data_keys WHERE tenant = ?"
                           : "DELETE FROM data_keys WHERE tenant = ? AND account = ?");
  if (!st.ok()) return error("key store");
  st.text(1, tenant);
  if (!wholeTenant) st.text(2, account);
  if (st.step() != SQLITE_DONE) return error("destroying keys");
  const auto n = static_cast<std::size_t>(sqlite3_changes(db_));
  // The deleted rows' pages are overwritten (secure_delete); the WAL still holds the earlier
  // page images until it is checkpointed and truncated.
  sqlite3_exec(db_, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  return n;
}

core::Result<std::optional<std::string>> SqliteKeyStore::meta(std::string_view key) {
  Stmt st(db_, "SELECT value FROM key_meta WHERE key = ?");
  if (!st.ok()) return error("key store");
  st.text(1, key);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return error("reading key store metadata");
  return std::optional<std::string>(st.colText(0));
}

core::Status SqliteKeyStore::putMeta(std::string_view key, std::string_view value) {
  Stmt st(db_, "INSERT OR REPLACE INTO key_meta (key, value) VALUES (?, ?)");
  if (!st.ok()) return error("key store");
  st.text(1, key).text(2, value);
  if (st.step() != SQLITE_DONE) return error("writing key store metadata");
  return core::Status::ok();
}

}  // namespace rampart::storage::sqlite
