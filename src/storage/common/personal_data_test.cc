#include "rampart/storage/personal_data.h"

#include <gtest/gtest.h>

#include "core/temp_dir_for_tests.h"
#include <sqlite3.h>

#include <filesystem>
#include <set>
#include <string>

#include "storage/sqlite/sqlite_audit_store.h"
#include "storage/sqlite/sqlite_key_store.h"
#include "storage/sqlite/sqlite_storage.h"

namespace rampart::storage {
namespace {

std::set<std::string> listed(std::string_view database) {
  std::set<std::string> out;
  for (const auto& f : kDataInventory) {
    if (f.database != database) continue;
    std::string cols(f.columns);
    std::size_t start = 0;
    while (start <= cols.size()) {
      auto comma = cols.find(',', start);
      if (comma == std::string::npos) comma = cols.size();
      std::string c = cols.substr(start, comma - start);
      c.erase(0, c.find_first_not_of(' '));
      c.erase(c.find_last_not_of(' ') + 1);
      out.insert(std::string(f.table) + "." + c);
      start = comma + 1;
    }
  }
  return out;
}

// Every column of every table in the database file.
std::set<std::string> schema(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::set<std::string> out;
  sqlite3_stmt* tables = nullptr;
  sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &tables,
                     nullptr);
  while (sqlite3_step(tables) == SQLITE_ROW) {
    const std::string t = reinterpret_cast<const char*>(sqlite3_column_text(tables, 0));
    sqlite3_stmt* cols = nullptr;
    sqlite3_prepare_v2(db, ("PRAGMA table_info(\"" + t + "\")").c_str(), -1, &cols, nullptr);
    while (sqlite3_step(cols) == SQLITE_ROW) {
      out.insert(t + "." + reinterpret_cast<const char*>(sqlite3_column_text(cols, 1)));
    }
    sqlite3_finalize(cols);
  }
  sqlite3_finalize(tables);
  sqlite3_close(db);
  return out;
}

using rampart::testing::TempDir;

TEST(DataInventory, ListsEveryColumnOfEveryDatabaseAndNothingElse) {
  TempDir d;
  const auto data = (d.path / "rampart.db").string();
  const auto audit = (d.path / "audit.db").string();
  const auto keys = (d.path / "keys.db").string();
  {
    auto s = sqlite::SqliteStorage::open({data, "normal", 1000});
    ASSERT_TRUE(s.isOk());
    // sqlite_sequence appears with the first AUTOINCREMENT row.
    ASSERT_TRUE(s.value()->offline().push("h", "u", "x").isOk() ||
                s.value()->accounts().createAccount("h", "u", {}).isOk());
    ASSERT_TRUE(sqlite::SqliteAuditStore::open(audit, 1000).isOk());
    ASSERT_TRUE(sqlite::SqliteKeyStore::open(keys).isOk());
  }
  std::set<std::string> dataCols = schema(data);
  dataCols.insert("sqlite_sequence.name");
  dataCols.insert("sqlite_sequence.seq");
  EXPECT_EQ(listed("rampart.db"), dataCols);
  std::set<std::string> auditCols = schema(audit);
  auditCols.insert("sqlite_sequence.name");
  auditCols.insert("sqlite_sequence.seq");
  EXPECT_EQ(listed("audit.db"), auditCols);
  EXPECT_EQ(listed("keys.db"), schema(keys));
}

TEST(DataInventory, SealedColumnsAreListedAsSealedAndReadableByTheBackend) {
  for (const auto& c : kSealedColumns) {
    bool found = false;
    for (const auto& f : kDataInventory) {
      if (f.table != c.table || f.database != "rampart.db") continue;
      if (!listed("rampart.db").contains(std::string(c.table) + "." + std::string(c.column))) {
        continue;
      }
      const std::string cols = ", " + std::string(f.columns) + ",";
      if (cols.find(" " + std::string(c.column) + ",") == std::string::npos) continue;
      found = true;
      EXPECT_TRUE(f.protection == Protection::kAccountKey ||
                  f.protection == Protection::kTenantKey || f.protection == Protection::kOwnerKey)
          << c.table << "." << c.column;
    }
    EXPECT_TRUE(found) << c.table << "." << c.column;
  }
  auto s = sqlite::SqliteStorage::open({":memory:", "normal", 1000});
  ASSERT_TRUE(s.isOk());
  for (const auto& c : kSealedColumns) {
    EXPECT_TRUE(s.value()->sealedCells().cells(c.table, c.column, "", 10).isOk())
        << c.table << "." << c.column;
  }
}

}  // namespace
}  // namespace rampart::storage
