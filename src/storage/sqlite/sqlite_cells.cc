// The sealed columns, read and replaced for the background re-encryption (SealedCellStore).
// Tables with a rowid page by it; WITHOUT ROWID tables page by their primary key.

#include <sqlite3.h>

#include <array>

#include "storage/sqlite/sqlite_storage.h"
#include "storage/sqlite/stmt.h"

namespace rampart::storage::sqlite {

namespace {

struct CellTable {
  const char* table;
  const char* column;
  bool blob;        // stored as a BLOB (else TEXT)
  bool rowid;       // pages by an integer id column `idColumn`
  const char* idColumn;
  const char* select;  // the columns read: locator/id or key parts, host, owner, store, key, value
};

// Every sealed column (personal_data.h names the same ones).
constexpr std::array<CellTable, 15> kTables{{
    {"archive", "stanza", true, true, "seq", "seq, host, owner, '', id, stanza"},
    {"offline", "stanza", true, true, "id", "id, host, user, '', '', stanza"},
    {"kv", "value", true, false, nullptr, "host, owner, store, key, value"},
    {"quarantine", "stanza", false, true, "id", "id, tenant, sender, '', '', stanza"},
    {"quarantine", "findings", false, true, "id", "id, tenant, sender, '', '', findings"},
    {"quarantine", "report", false, true, "id", "id, tenant, sender, '', '', report"},
    {"account_state", "phone", false, false, nullptr, "host, user, '', '', phone"},
    {"account_state", "security_questions", false, false, nullptr,
     "host, user, '', '', security_questions"},
    {"account_state", "freeze_reason", false, false, nullptr, "host, user, '', '', freeze_reason"},
    {"logins", "source", false, true, "id", "id, host, user, '', '', source"},
    {"logins", "client", false, true, "id", "id, host, user, '', '', client"},
    {"logins", "resource", false, true, "id", "id, host, user, '', '', resource"},
    {"logins", "country", false, true, "id", "id, host, user, '', '', country"},
    {"logins", "city", false, true, "id", "id, host, user, '', '', city"},
    {"admin_security", "totp_secret", true, false, nullptr, "host, user, '', '', totp_secret"},
}};

const CellTable* findTable(std::string_view table, std::string_view column) {
  for (const auto& t : kTables) {
    if (table == t.table && column == t.column) return &t;
  }
  return nullptr;
}

// Composite cursors: length-prefixed parts.
std::string packParts(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) {
    out += std::to_string(p.size());
    out += ':';
    out += p;
  }
  return out;
}

std::vector<std::string> unpackParts(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto colon = s.find(':');
    if (colon == std::string_view::npos) return {};
    std::size_t n = 0;
    for (char c : s.substr(0, colon)) {
      if (c < '0' || c > '9') return {};
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    if (colon + 1 + n > s.size()) return {};
    out.emplace_back(s.substr(colon + 1, n));
    s.remove_prefix(colon + 1 + n);
  }
  return out;
}

}  // namespace

Result<CellPage> SqliteStorage::cells(std::string_view table, std::string_view column,
                                      std::string_view cursor, std::size_t limit) {
  const CellTable* t = findTable(table, column);
  if (t == nullptr) {
    return Status::invalidArgument("no sealed column " + std::string(table) + "." +
                                   std::string(column));
  }
  std::string sql = std::string("SELECT ") + t->select + " FROM " + t->table + " WHERE ";
  const bool kv = std::string_view(t->table) == "kv";
  if (t->rowid) {
    sql += std::string(t->idColumn) + " > ?1 ORDER BY " + t->idColumn + " LIMIT ?2";
  } else if (kv) {
    sql += "(host, owner, store, key) > (?1, ?2, ?3, ?4) ORDER BY host, owner, store, key "
           "LIMIT ?5";
  } else {
    sql += "(host, user) > (?1, ?2) ORDER BY host, user LIMIT ?3";
  }
  Stmt st(db_, sql.c_str());
  if (!st.ok()) return error("reading sealed values");
  const auto lim = static_cast<std::int64_t>(limit);
  if (t->rowid) {
    std::int64_t after = 0;
    for (char c : cursor) after = after * 10 + (c - '0');
    st.int64(1, after).int64(2, lim);
  } else {
    auto parts = unpackParts(cursor);
    parts.resize(kv ? 4 : 2);
    for (std::size_t i = 0; i < parts.size(); ++i) st.text(static_cast<int>(i + 1), parts[i]);
    st.int64(kv ? 5 : 3, lim);
  }
  CellPage page;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    SealedCell c;
    c.table = t->table;
    c.column = t->column;
    if (t->rowid) {
      c.locator = std::to_string(st.colInt(0));
      c.host = st.colText(1);
      c.owner = st.colText(2);
      c.store = st.colText(3);
      c.key = st.colText(4);
      c.value = st.colBlob(5);
    } else {
      c.host = st.colText(0);
      c.owner = st.colText(1);
      c.store = st.colText(2);
      c.key = st.colText(3);
      c.value = st.colBlob(4);
      c.locator = kv ? packParts({c.host, c.owner, c.store, c.key}) : packParts({c.host, c.owner});
    }
    page.cells.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) return error("reading sealed values");
  if (page.cells.size() == limit && limit > 0) {
    page.next = page.cells.back().locator;
  }
  return page;
}

Result<bool> SqliteStorage::replaceCell(const SealedCell& cell, std::string_view value) {
  const CellTable* t = findTable(cell.table, cell.column);
  if (t == nullptr) {
    return Status::invalidArgument("no sealed column " + cell.table + "." + cell.column);
  }
  std::string sql = std::string("UPDATE ") + t->table + " SET " + t->column + " = ?1 WHERE CAST(" +
                    t->column + " AS BLOB) = ?2 AND ";
  const bool kv = std::string_view(t->table) == "kv";
  if (t->rowid) {
    sql += std::string(t->idColumn) + " = ?3";
  } else if (kv) {
    sql += "host = ?3 AND owner = ?4 AND store = ?5 AND key = ?6";
  } else {
    sql += "host = ?3 AND user = ?4";
  }
  Stmt st(db_, sql.c_str());
  if (!st.ok()) return error("replacing a sealed value");
  if (t->blob) {
    st.blob(1, value);
  } else {
    st.text(1, value);
  }
  st.blob(2, cell.value);
  if (t->rowid) {
    std::int64_t id = 0;
    for (char c : cell.locator) id = id * 10 + (c - '0');
    st.int64(3, id);
  } else {
    auto parts = unpackParts(cell.locator);
    if (parts.size() != (kv ? 4u : 2u)) return Status::invalidArgument("bad cell locator");
    for (std::size_t i = 0; i < parts.size(); ++i) st.text(static_cast<int>(i + 3), parts[i]);
  }
  if (st.step() != SQLITE_DONE) return error("replacing a sealed value");
  return sqlite3_changes(db_) > 0;
}

Status SqliteStorage::flushLog() {
  // TRUNCATE waits (busy handler) for other connections' readers; secure_delete has zeroed
  // what the deleted rows left in their pages, and the checkpoint writes those pages back.
  int logFrames = 0, done = 0;
  const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &logFrames,
                                           &done);
  if (rc != SQLITE_OK) return error("checkpointing the write-ahead log");
  return Status::ok();
}

}  // namespace rampart::storage::sqlite
