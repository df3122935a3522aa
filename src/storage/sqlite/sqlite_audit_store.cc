// The audit log's tables. Parameterized statements only; every append and prune is one
// IMMEDIATE transaction, so two processes never append the same position.

#include "storage/sqlite/sqlite_audit_store.h"

#include <sqlite3.h>

#include "storage/sqlite/stmt.h"

namespace rampart::storage::sqlite {

namespace {

const char* const kSchema = R"sql(
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, actor TEXT NOT NULL,
  tenant TEXT NOT NULL, action TEXT NOT NULL, result TEXT NOT NULL,
  body TEXT NOT NULL, leaf BLOB NOT NULL, checkpoint TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit_log (time_ms);
CREATE INDEX IF NOT EXISTS audit_by_actor ON audit_log (actor, seq);
CREATE INDEX IF NOT EXISTS audit_by_action ON audit_log (action, seq);
CREATE TABLE IF NOT EXISTS audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, frontier BLOB NOT NULL,
  checkpoint TEXT NOT NULL, anchor_size INTEGER NOT NULL, anchor_frontier BLOB NOT NULL);
INSERT OR IGNORE INTO audit_head VALUES (1, 0, x'', '', 0, x'');
CREATE TABLE IF NOT EXISTS audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
)sql";

#define AUDIT_COLUMNS "seq, time_ms, actor, tenant, action, result, body, leaf, checkpoint"

AuditRow readRow(const Stmt& st) {
  AuditRow r;
  r.seq = static_cast<std::uint64_t>(st.colInt(0));
  r.timeMs = st.colInt(1);
  r.actor = st.colText(2);
  r.tenant = st.colText(3);
  r.action = st.colText(4);
  r.result = st.colText(5);
  r.body = st.colText(6);
  r.leaf = st.colBlob(7);
  r.checkpoint = st.colText(8);
  return r;
}

}  // namespace

Result<std::unique_ptr<SqliteAuditStore>> SqliteAuditStore::open(const std::string& path,
                                                                 int busyTimeoutMs) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open audit log " + path + ": " +
                      (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return Status::ioError(msg);
  }
  std::unique_ptr<SqliteAuditStore> s(new SqliteAuditStore(db));
  sqlite3_busy_timeout(db, busyTimeoutMs);
  // FULL: an audit record the caller was told is durable survives power loss.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                             "PRAGMA secure_delete=ON"}) {
    if (Status st = s->exec(pragma, true); !st.isOk()) {
      return st;
    }
  }
  if (Status st = s->exec("BEGIN IMMEDIATE", true); !st.isOk()) {
    return st;
  }
  if (Status st = s->exec(kSchema, true); !st.isOk()) {
    s->exec("ROLLBACK");
    return st;
  }
  if (Status st = s->exec("COMMIT", true); !st.isOk()) {
    return st;
  }
  return s;
}

SqliteAuditStore::~SqliteAuditStore() { sqlite3_close(db_); }

Status SqliteAuditStore::error(std::string_view what) const {
  return Status::ioError("audit log: " + std::string(what) + ": " + sqlite3_errmsg(db_));
}

Status SqliteAuditStore::exec(const char* sql, bool retry) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  // Only while opening: changing the journal mode or creating the schema does not go through
  // the busy handler when another process opens the log at the same moment.
  for (int tries = 0; retry && (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && tries < 500; ++tries) {
    sqlite3_free(err);
    err = nullptr;
    sqlite3_sleep(10);
    rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  }
  if (rc != SQLITE_OK) {
    std::string msg = "audit log: " + std::string(err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    return Status::ioError(msg);
  }
  return Status::ok();
}

Result<AuditHead> SqliteAuditStore::readHead() {
  Stmt st(db_,
          "SELECT size, frontier, checkpoint, anchor_size, anchor_frontier FROM audit_head "
          "WHERE id = 1");
  if (!st.ok() || st.step() != SQLITE_ROW) {
    return error("reading the head");
  }
  AuditHead h;
  h.size = static_cast<std::uint64_t>(st.colInt(0));
  h.frontier = st.colBlob(1);
  h.checkpoint = st.colText(2);
  h.anchorSize = static_cast<std::uint64_t>(st.colInt(3));
  h.anchorFrontier = st.colBlob(4);
  return h;
}

Result<AuditHead> SqliteAuditStore::head() { return readHead(); }

Status SqliteAuditStore::append(const Builder& build) {
  if (Status st = exec("BEGIN IMMEDIATE"); !st.isOk()) {
    return st;
  }
  auto fail = [&](Status st) {
    exec("ROLLBACK");
    return st;
  };
  auto head = readHead();
  if (!head.isOk()) {
    return fail(head.status());
  }
  auto built = build(head.value());
  if (!built.isOk()) {
    return fail(built.status());
  }
  const auto& [row, next] = built.value();
  if (row.seq != head.value().size + 1 || next.size != row.seq) {
    return fail(Status::invalidArgument("audit log: append out of order"));
  }
  Stmt ins(db_, "INSERT INTO audit_log (" AUDIT_COLUMNS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)");
  ins.int64(1, static_cast<std::int64_t>(row.seq)).int64(2, row.timeMs).text(3, row.actor);
  ins.text(4, row.tenant).text(5, row.action).text(6, row.result).text(7, row.body);
  ins.blob(8, row.leaf).text(9, row.checkpoint);
  if (ins.step() != SQLITE_DONE) {
    return fail(error("appending a record"));
  }
  Stmt upd(db_, "UPDATE audit_head SET size=?1, frontier=?2, checkpoint=?3 WHERE id = 1");
  upd.int64(1, static_cast<std::int64_t>(next.size)).blob(2, next.frontier).text(3, next.checkpoint);
  if (upd.step() != SQLITE_DONE) {
    return fail(error("moving the head"));
  }
  if (Status st = exec("COMMIT"); !st.isOk()) {
    return fail(st);
  }
  return Status::ok();
}

Result<std::vector<AuditRow>> SqliteAuditStore::scan(std::uint64_t fromSeq, std::size_t limit) {
  Stmt st(db_, "SELECT " AUDIT_COLUMNS " FROM audit_log WHERE seq >= ?1 ORDER BY seq LIMIT ?2");
  st.int64(1, static_cast<std::int64_t>(fromSeq)).int64(2, static_cast<std::int64_t>(limit));
  std::vector<AuditRow> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    out.push_back(readRow(st));
  }
  if (rc != SQLITE_DONE) {
    return error("reading records");
  }
  return out;
}

Result<std::vector<AuditRow>> SqliteAuditStore::query(const AuditFilter& f) {
  std::string action = f.action;
  const bool prefix = !action.empty() && action.back() == '.';
  Stmt st(db_,
          "SELECT " AUDIT_COLUMNS " FROM audit_log WHERE seq < ?1 AND time_ms >= ?2 AND "
          "time_ms <= ?3 AND (?4 = '' OR actor = ?4) AND (?5 = '' OR tenant = ?5) AND "
          "(?6 = '' OR action = ?6 OR (?7 AND substr(action, 1, length(?6)) = ?6)) AND "
          "(?8 = '' OR result = ?8) ORDER BY seq DESC LIMIT ?9");
  const auto before = f.beforeSeq > static_cast<std::uint64_t>(INT64_MAX)
                          ? INT64_MAX
                          : static_cast<std::int64_t>(f.beforeSeq);
  st.int64(1, before).int64(2, f.fromMs).int64(3, f.toMs).text(4, f.actor).text(5, f.tenant);
  st.text(6, action).int64(7, prefix ? 1 : 0).text(8, f.result);
  st.int64(9, static_cast<std::int64_t>(f.limit));
  std::vector<AuditRow> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    out.push_back(readRow(st));
  }
  if (rc != SQLITE_DONE) {
    return error("querying records");
  }
  return out;
}

Result<std::uint64_t> SqliteAuditStore::lastSeqBefore(std::int64_t timeMs) {
  Stmt st(db_, "SELECT COALESCE(MAX(seq), 0) FROM audit_log WHERE time_ms < ?1");
  st.int64(1, timeMs);
  if (st.step() != SQLITE_ROW) {
    return error("finding old records");
  }
  return static_cast<std::uint64_t>(st.colInt(0));
}

Status SqliteAuditStore::prune(std::uint64_t throughSeq, const Anchor& anchor) {
  if (Status st = exec("BEGIN IMMEDIATE"); !st.isOk()) {
    return st;
  }
  auto fail = [&](Status st) {
    exec("ROLLBACK");
    return st;
  };
  auto head = readHead();
  if (!head.isOk()) {
    return fail(head.status());
  }
  if (throughSeq <= head.value().anchorSize || throughSeq > head.value().size) {
    return fail(Status::invalidArgument("audit log: nothing to prune there"));
  }
  auto frontier = anchor(head.value());
  if (!frontier.isOk()) {
    return fail(frontier.status());
  }
  Stmt del(db_, "DELETE FROM audit_log WHERE seq <= ?1");
  del.int64(1, static_cast<std::int64_t>(throughSeq));
  if (del.step() != SQLITE_DONE) {
    return fail(error("pruning records"));
  }
  Stmt upd(db_, "UPDATE audit_head SET anchor_size=?1, anchor_frontier=?2 WHERE id = 1");
  upd.int64(1, static_cast<std::int64_t>(throughSeq)).blob(2, frontier.value());
  if (upd.step() != SQLITE_DONE) {
    return fail(error("moving the anchor"));
  }
  return exec("COMMIT");
}

Result<std::optional<std::string>> SqliteAuditStore::meta(std::string_view key) {
  Stmt st(db_, "SELECT value FROM audit_meta WHERE key = ?1");
  st.text(1, key);
  int rc = st.step();
  if (rc == SQLITE_ROW) {
    return std::optional<std::string>(st.colText(0));
  }
  if (rc != SQLITE_DONE) {
    return error("reading metadata");
  }
  return std::optional<std::string>();
}

Status SqliteAuditStore::setMetaIfAbsent(std::string_view key, std::string_view value) {
  Stmt st(db_, "INSERT OR IGNORE INTO audit_meta (key, value) VALUES (?1, ?2)");
  st.text(1, key).text(2, value);
  if (st.step() != SQLITE_DONE) {
    return error("writing metadata");
  }
  return Status::ok();
}

}  // namespace rampart::storage::sqlite
