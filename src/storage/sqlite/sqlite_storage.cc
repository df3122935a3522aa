// SQLite storage. Parameterized statements only; every write is one transaction.

#include "storage/sqlite/sqlite_storage.h"

#include <sqlite3.h>

#include "storage/sqlite/stmt.h"

#include <ctime>

namespace rampart::storage::sqlite {

namespace {

// Schema versions, applied in order; never edit a shipped step, add a new one.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE accounts (
  host TEXT NOT NULL, user TEXT NOT NULL, created INTEGER NOT NULL,
  PRIMARY KEY (host, user)) WITHOUT ROWID;
CREATE TABLE credentials (
  host TEXT NOT NULL, user TEXT NOT NULL, mechanism TEXT NOT NULL,
  salt BLOB NOT NULL, iterations INTEGER NOT NULL, stored_key BLOB NOT NULL,
  server_key BLOB NOT NULL,
  PRIMARY KEY (host, user, mechanism),
  FOREIGN KEY (host, user) REFERENCES accounts (host, user) ON DELETE CASCADE) WITHOUT ROWID;
CREATE TABLE roster (
  host TEXT NOT NULL, user TEXT NOT NULL, contact TEXT NOT NULL, name TEXT NOT NULL,
  subscription INTEGER NOT NULL, ask_out INTEGER NOT NULL, pending_in INTEGER NOT NULL,
  groups TEXT NOT NULL, in_roster INTEGER NOT NULL,
  PRIMARY KEY (host, user, contact),
  FOREIGN KEY (host, user) REFERENCES accounts (host, user) ON DELETE CASCADE) WITHOUT ROWID;
CREATE TABLE offline (
  id INTEGER PRIMARY KEY AUTOINCREMENT, host TEXT NOT NULL, user TEXT NOT NULL,
  stanza BLOB NOT NULL, created INTEGER NOT NULL,
  FOREIGN KEY (host, user) REFERENCES accounts (host, user) ON DELETE CASCADE);
CREATE INDEX offline_by_user ON offline (host, user, id);
)sql",
    R"sql(
CREATE TABLE roster_version (
  host TEXT NOT NULL, user TEXT NOT NULL, version INTEGER NOT NULL,
  PRIMARY KEY (host, user),
  FOREIGN KEY (host, user) REFERENCES accounts (host, user) ON DELETE CASCADE) WITHOUT ROWID;
)sql",
    R"sql(
CREATE TABLE kv (
  host TEXT NOT NULL, owner TEXT NOT NULL, store TEXT NOT NULL, key TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (host, owner, store, key)) WITHOUT ROWID;
CREATE TABLE archive (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, host TEXT NOT NULL, owner TEXT NOT NULL,
  id TEXT NOT NULL, ts INTEGER NOT NULL, with_bare TEXT NOT NULL, with_full TEXT NOT NULL,
  stanza BLOB NOT NULL);
CREATE UNIQUE INDEX archive_by_id ON archive (host, owner, id);
CREATE INDEX archive_by_owner ON archive (host, owner, seq);
CREATE INDEX archive_by_with ON archive (host, owner, with_bare, seq);
CREATE INDEX archive_by_time ON archive (host, ts);
)sql",
    R"sql(
CREATE TABLE admin_roles (
  host TEXT NOT NULL, user TEXT NOT NULL, role TEXT NOT NULL, tenant TEXT NOT NULL,
  granted INTEGER NOT NULL, granted_by TEXT NOT NULL,
  PRIMARY KEY (host, user),
  FOREIGN KEY (host, user) REFERENCES accounts (host, user) ON DELETE CASCADE) WITHOUT ROWID;
CREATE TABLE admin_tokens (
  id TEXT PRIMARY KEY, hash BLOB NOT NULL UNIQUE, host TEXT NOT NULL, user TEXT NOT NULL,
  role TEXT NOT NULL, tenant TEXT NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL,
  last_used INTEGER NOT NULL, label TEXT NOT NULL, created_by TEXT NOT NULL,
  FOREIGN KEY (host, user) REFERENCES accounts (host, user) ON DELETE CASCADE);
CREATE INDEX admin_tokens_by_user ON admin_tokens (host, user);
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT, rule TEXT NOT NULL, severity TEXT NOT NULL,
  tenant TEXT NOT NULL, summary TEXT NOT NULL, created INTEGER NOT NULL,
  acknowledged_by TEXT NOT NULL, acknowledged INTEGER NOT NULL);
CREATE INDEX alerts_by_tenant ON alerts (tenant, id);
CREATE TABLE admin_security (
  host TEXT NOT NULL, user TEXT NOT NULL, must_change_password INTEGER NOT NULL,
  totp_secret BLOB NOT NULL, totp_enrolled INTEGER NOT NULL, totp_last_step INTEGER NOT NULL,
  recovery_codes TEXT NOT NULL,
  PRIMARY KEY (host, user),
  FOREIGN KEY (host, user) REFERENCES accounts (host, user) ON DELETE CASCADE) WITHOUT ROWID;
)sql",
    R"sql(
CREATE TABLE account_state (
  host TEXT NOT NULL, user TEXT NOT NULL, freeze_mode TEXT NOT NULL, frozen_until INTEGER NOT NULL,
  freeze_reason TEXT NOT NULL, frozen_by TEXT NOT NULL, password_changed INTEGER NOT NULL,
  password_history TEXT NOT NULL, sessions_revoked INTEGER NOT NULL,
  PRIMARY KEY (host, user),
  FOREIGN KEY (host, user) REFERENCES accounts (host, user) ON DELETE CASCADE) WITHOUT ROWID;
CREATE TABLE devices (
  id TEXT PRIMARY KEY, host TEXT NOT NULL, user TEXT NOT NULL, kind TEXT NOT NULL,
  name TEXT NOT NULL, client TEXT NOT NULL, created INTEGER NOT NULL, last_used INTEGER NOT NULL,
  last_address TEXT NOT NULL, expires INTEGER NOT NULL, secret_hash BLOB NOT NULL,
  previous_hash BLOB NOT NULL, salt BLOB NOT NULL, iterations INTEGER NOT NULL,
  stored_key256 BLOB NOT NULL, server_key256 BLOB NOT NULL, salt1 BLOB NOT NULL,
  stored_key1 BLOB NOT NULL, server_key1 BLOB NOT NULL,
  FOREIGN KEY (host, user) REFERENCES accounts (host, user) ON DELETE CASCADE);
CREATE INDEX devices_by_user ON devices (host, user);
CREATE TABLE logins (
  id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, host TEXT NOT NULL,
  user TEXT NOT NULL, protocol TEXT NOT NULL, source TEXT NOT NULL, port INTEGER NOT NULL,
  client TEXT NOT NULL, resource TEXT NOT NULL, credential TEXT NOT NULL, country TEXT NOT NULL,
  city TEXT NOT NULL, latitude REAL NOT NULL, longitude REAL NOT NULL, located INTEGER NOT NULL,
  success INTEGER NOT NULL, reason TEXT NOT NULL);
CREATE INDEX logins_by_user ON logins (host, user, id);
CREATE INDEX logins_by_time ON logins (time);
CREATE TABLE sign_in_locks (
  key TEXT PRIMARY KEY, kind TEXT NOT NULL, host TEXT NOT NULL, user TEXT NOT NULL,
  source TEXT NOT NULL, failures INTEGER NOT NULL, locked_until INTEGER NOT NULL,
  updated INTEGER NOT NULL) WITHOUT ROWID;
)sql",
    R"sql(
ALTER TABLE account_state ADD COLUMN mfa_grace_start INTEGER NOT NULL DEFAULT 0;
)sql",
    R"sql(
CREATE TABLE passkeys (
  id TEXT PRIMARY KEY, host TEXT NOT NULL, user TEXT NOT NULL, name TEXT NOT NULL,
  alg INTEGER NOT NULL, public_key BLOB NOT NULL, sign_count INTEGER NOT NULL,
  created INTEGER NOT NULL, last_used INTEGER NOT NULL,
  FOREIGN KEY (host, user) REFERENCES accounts (host, user) ON DELETE CASCADE);
CREATE INDEX passkeys_by_user ON passkeys (host, user);
)sql",
    R"sql(
ALTER TABLE account_state ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE account_state ADD COLUMN phone_added INTEGER NOT NULL DEFAULT 0;
ALTER TABLE account_state ADD COLUMN security_questions TEXT NOT NULL DEFAULT '';
)sql",
    R"sql(
ALTER TABLE account_state ADD COLUMN second_factor_required INTEGER NOT NULL DEFAULT 0;
)sql",
    // FAST tokens are now derived from a seed with the server's FAST key: rows written before
    // hold raw tokens that no longer sign in; their clients sign in again and get new ones.
    R"sql(
DELETE FROM devices WHERE kind = 'fast';
)sql",
    R"sql(
CREATE TABLE quarantine (
  id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, sender TEXT NOT NULL,
  recipient TEXT NOT NULL, stanza TEXT NOT NULL, rule TEXT NOT NULL, findings TEXT NOT NULL,
  created INTEGER NOT NULL, status TEXT NOT NULL, decided_by TEXT NOT NULL,
  decided INTEGER NOT NULL, reason TEXT NOT NULL, settled INTEGER NOT NULL,
  report TEXT NOT NULL);
CREATE INDEX quarantine_by_tenant ON quarantine (tenant, status, id);
CREATE INDEX quarantine_unsettled ON quarantine (settled, tenant, status);
)sql",
    // Full-text search (XEP-0431): the digests of each archived message's terms.
    R"sql(
ALTER TABLE archive ADD COLUMN terms BLOB NOT NULL DEFAULT x'';
)sql",
    R"sql(
CREATE TABLE legal_holds (
  host TEXT NOT NULL, owner TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL,
  set_by TEXT NOT NULL, set_at INTEGER NOT NULL,
  PRIMARY KEY (host, owner)) WITHOUT ROWID;
)sql",
};

// Groups are stored newline-separated: a group name cannot contain a newline after the
// roster module's validation.
std::string joinGroups(const std::vector<std::string>& groups) {
  std::string out;
  for (const auto& g : groups) {
    if (!out.empty()) {
      out += '\n';
    }
    out += g;
  }
  return out;
}

std::vector<std::string> splitGroups(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t nl = s.find('\n', start);
    if (nl == std::string::npos) {
      nl = s.size();
    }
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

// Columns in the order readItem() expects.
#define ROSTER_COLUMNS "contact, name, subscription, ask_out, pending_in, groups, in_roster"

RosterItem readItem(const auto& st) {
  RosterItem it;
  it.jid = st.colText(0);
  it.name = st.colText(1);
  it.subscription = static_cast<Subscription>(st.colInt(2));
  it.askOut = st.colInt(3) != 0;
  it.pendingIn = st.colInt(4) != 0;
  it.groups = splitGroups(st.colText(5));
  it.inRoster = st.colInt(6) != 0;
  return it;
}

}  // namespace

Result<std::unique_ptr<SqliteStorage>> SqliteStorage::open(const Options& options) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(options.path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open database " + options.path + ": " +
                      (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return Status::ioError(msg);
  }
  std::unique_ptr<SqliteStorage> s(new SqliteStorage(db));
  sqlite3_busy_timeout(db, options.busyTimeoutMs);
  registerSearchFunctions(db);
  std::string sync = options.synchronous == "normal" ? "NORMAL" : "FULL";
  for (std::string pragma : {std::string("PRAGMA journal_mode=WAL"),
                             "PRAGMA synchronous=" + sync, std::string("PRAGMA foreign_keys=ON"),
                             // Deleted rows are overwritten, not left in free pages
                             // (residual information, GB/T 22239 8.1.4.10).
                             std::string("PRAGMA secure_delete=ON"),
                             // 32 MiB of page cache; a checkpoint every ~40 MiB of WAL, so that
                             // a page written by many commits is copied back once.
                             std::string("PRAGMA cache_size=-32768"),
                             std::string("PRAGMA wal_autocheckpoint=10000")}) {
    if (Status st = s->exec(pragma.c_str(), true); !st.isOk()) {
      return st;
    }
  }
  if (Status st = s->migrate(); !st.isOk()) {
    return st;
  }
  return s;
}

SqliteStorage::~SqliteStorage() { sqlite3_close(db_); }

Status SqliteStorage::error(std::string_view what) const {
  std::string msg = std::string(what) + ": " + sqlite3_errmsg(db_);
  if (errorHook_) {
    errorHook_(msg);
  }
  return Status::ioError(std::move(msg));
}

Status SqliteStorage::exec(const char* sql, bool retry) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  // Changing the journal mode or creating the schema does not go through the busy handler
  // when another process opens a new database at the same moment: wait here instead.
  for (int tries = 0; retry && (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && tries < 500;
       ++tries) {
    sqlite3_free(err);
    err = nullptr;
    sqlite3_sleep(10);
    rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  }
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    if (errorHook_ && rc != SQLITE_CONSTRAINT) {
      errorHook_(msg);
    }
    sqlite3_free(err);
    return Status::ioError(msg);
  }
  return Status::ok();
}

Status SqliteStorage::migrate() {
  constexpr std::size_t kLatest = std::size(kMigrations);
  // The version is read inside the write transaction: two processes opening a new database
  // at once must not both apply the same step (and a read snapshot taken before the
  // transaction could never be upgraded to a write in WAL mode).
  if (Status st = exec("BEGIN IMMEDIATE", true); !st.isOk()) {
    return st;
  }
  std::size_t current = 0;
  {
    Stmt v(db_, "PRAGMA user_version");
    if (!v.ok() || v.step() != SQLITE_ROW) {
      Status e = error("reading schema version");
      exec("ROLLBACK");
      return e;
    }
    current = static_cast<std::size_t>(v.colInt(0));
  }
  if (current > kLatest) {
    exec("ROLLBACK");
    return Status::invalidArgument("database schema version " + std::to_string(current) +
                                   " is newer than this rampart (" + std::to_string(kLatest) +
                                   "); upgrade rampart");
  }
  for (std::size_t i = current; i < kLatest; ++i) {
    Status st = exec(kMigrations[i], true);
    if (st.isOk()) {
      st = exec(("PRAGMA user_version=" + std::to_string(i + 1)).c_str());
    }
    if (!st.isOk()) {
      exec("ROLLBACK");
      return Status::ioError("schema migration " + std::to_string(i + 1) + " failed: " +
                             st.message());
    }
  }
  return exec("COMMIT");
}

Status SqliteStorage::writeCredentials(std::string_view host, std::string_view user,
                                       const std::vector<Credential>& credentials) {
  Stmt del(db_, "DELETE FROM credentials WHERE host=?1 AND user=?2");
  del.text(1, host).text(2, user);
  if (del.step() != SQLITE_DONE) {
    return error("deleting credentials");
  }
  for (const auto& c : credentials) {
    Stmt ins(db_,
             "INSERT INTO credentials (host, user, mechanism, salt, iterations, stored_key, "
             "server_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    ins.text(1, host).text(2, user).text(3, c.mechanism).blob(4, c.salt).int64(5, c.iterations);
    ins.blob(6, c.storedKey).blob(7, c.serverKey);
    if (ins.step() != SQLITE_DONE) {
      return error("storing credentials");
    }
  }
  return Status::ok();
}

Status SqliteStorage::createAccount(std::string_view host, std::string_view user,
                                    const std::vector<Credential>& credentials) {
  if (Status st = exec("BEGIN IMMEDIATE"); !st.isOk()) {
    return st;
  }
  Stmt ins(db_, "INSERT INTO accounts (host, user, created) VALUES (?1, ?2, ?3)");
  ins.text(1, host).text(2, user).int64(3, static_cast<std::int64_t>(std::time(nullptr)));
  int rc = ins.step();
  if (rc != SQLITE_DONE) {
    exec("ROLLBACK");
    if (rc == SQLITE_CONSTRAINT) {
      return Status::alreadyExists("account already exists");
    }
    return error("creating account");
  }
  if (Status st = writeCredentials(host, user, credentials); !st.isOk()) {
    exec("ROLLBACK");
    return st;
  }
  return exec("COMMIT");
}

Status SqliteStorage::setCredentials(std::string_view host, std::string_view user,
                                     const std::vector<Credential>& credentials) {
  if (Status st = exec("BEGIN IMMEDIATE"); !st.isOk()) {
    return st;
  }
  auto ex = exists(host, user);
  if (!ex.isOk() || !ex.value()) {
    exec("ROLLBACK");
    return ex.isOk() ? Status::notFound("no such account") : ex.status();
  }
  if (Status st = writeCredentials(host, user, credentials); !st.isOk()) {
    exec("ROLLBACK");
    return st;
  }
  return exec("COMMIT");
}

Status SqliteStorage::deleteAccount(std::string_view host, std::string_view user) {
  if (Status st = exec("BEGIN IMMEDIATE"); !st.isOk()) {
    return st;
  }
  {
    Stmt held(db_, "SELECT 1 FROM legal_holds WHERE host=?1 AND owner=?2");
    held.text(1, host).text(2, user);
    if (held.step() == SQLITE_ROW) {
      exec("ROLLBACK");
      return Status::failedPrecondition("the account is under legal hold: nothing of it is "
                                        "deleted until the hold is cleared");
    }
  }
  Stmt del(db_, "DELETE FROM accounts WHERE host=?1 AND user=?2");
  del.text(1, host).text(2, user);
  if (del.step() != SQLITE_DONE) {
    Status e = error("deleting account");
    exec("ROLLBACK");
    return e;
  }
  if (sqlite3_changes(db_) == 0) {
    exec("ROLLBACK");
    return Status::notFound("no such account");
  }
  // Documents and archives are not tied by foreign keys (rooms own them too).
  for (const char* sql : {"DELETE FROM kv WHERE host=?1 AND owner=?2",
                          "DELETE FROM archive WHERE host=?1 AND owner=?2"}) {
    Stmt d(db_, sql);
    d.text(1, host).text(2, user);
    if (d.step() != SQLITE_DONE) {
      Status e = error("deleting account data");
      exec("ROLLBACK");
      return e;
    }
  }
  return exec("COMMIT");
}

Result<bool> SqliteStorage::exists(std::string_view host, std::string_view user) {
  Stmt q(db_, "SELECT 1 FROM accounts WHERE host=?1 AND user=?2");
  q.text(1, host).text(2, user);
  int rc = q.step();
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return error("looking up account");
}

Result<std::vector<Credential>> SqliteStorage::credentials(std::string_view host,
                                                           std::string_view user) {
  Stmt q(db_,
         "SELECT mechanism, salt, iterations, stored_key, server_key FROM credentials "
         "WHERE host=?1 AND user=?2");
  q.text(1, host).text(2, user);
  std::vector<Credential> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    Credential c;
    c.mechanism = q.colText(0);
    c.salt = q.colBlob(1);
    c.iterations = static_cast<std::uint32_t>(q.colInt(2));
    c.storedKey = q.colBlob(3);
    c.serverKey = q.colBlob(4);
    out.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) {
    return error("reading credentials");
  }
  return out;
}

Result<std::vector<std::string>> SqliteStorage::listAccounts(std::string_view host) {
  Stmt q(db_, "SELECT user FROM accounts WHERE host=?1 ORDER BY user");
  q.text(1, host);
  std::vector<std::string> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.push_back(q.colText(0));
  }
  if (rc != SQLITE_DONE) {
    return error("listing accounts");
  }
  return out;
}

Result<std::vector<RosterItem>> SqliteStorage::roster(std::string_view host,
                                                      std::string_view user) {
  Stmt q(db_,
         "SELECT " ROSTER_COLUMNS " FROM roster "
         "WHERE host=?1 AND user=?2 ORDER BY contact");
  q.text(1, host).text(2, user);
  std::vector<RosterItem> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.push_back(readItem(q));
  }
  if (rc != SQLITE_DONE) {
    return error("reading roster");
  }
  return out;
}

Result<std::optional<RosterItem>> SqliteStorage::item(std::string_view host,
                                                      std::string_view user,
                                                      std::string_view contact) {
  Stmt q(db_,
         "SELECT " ROSTER_COLUMNS " FROM roster "
         "WHERE host=?1 AND user=?2 AND contact=?3");
  q.text(1, host).text(2, user).text(3, contact);
  int rc = q.step();
  if (rc == SQLITE_ROW) {
    return std::optional<RosterItem>(readItem(q));
  }
  if (rc == SQLITE_DONE) {
    return std::optional<RosterItem>();
  }
  return error("reading roster item");
}

Status SqliteStorage::putItem(std::string_view host, std::string_view user,
                              const RosterItem& it) {
  Stmt q(db_,
         "INSERT INTO roster (host, user, contact, name, subscription, ask_out, pending_in, "
         "groups, in_roster) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (host, user, "
         "contact) DO UPDATE SET name=excluded.name, subscription=excluded.subscription, "
         "ask_out=excluded.ask_out, pending_in=excluded.pending_in, groups=excluded.groups, "
         "in_roster=excluded.in_roster");
  q.text(1, host).text(2, user).text(3, it.jid).text(4, it.name);
  q.int64(5, static_cast<std::int64_t>(it.subscription)).int64(6, it.askOut ? 1 : 0);
  q.int64(7, it.pendingIn ? 1 : 0).text(8, joinGroups(it.groups)).int64(9, it.inRoster ? 1 : 0);
  if (Status st = exec("BEGIN IMMEDIATE"); !st.isOk()) {
    return st;
  }
  int rc = q.step();
  Status st = rc == SQLITE_DONE         ? bumpRosterVersion(host, user)
              : rc == SQLITE_CONSTRAINT ? Status::notFound("no such account")
                                        : error("storing roster item");
  if (!st.isOk()) {
    exec("ROLLBACK");
    return st;
  }
  return exec("COMMIT");
}

Status SqliteStorage::bumpRosterVersion(std::string_view host, std::string_view user) {
  Stmt q(db_,
         "INSERT INTO roster_version (host, user, version) VALUES (?1, ?2, 1) "
         "ON CONFLICT (host, user) DO UPDATE SET version=version+1");
  q.text(1, host).text(2, user);
  return q.step() == SQLITE_DONE ? Status::ok() : error("updating roster version");
}

Result<std::int64_t> SqliteStorage::version(std::string_view host, std::string_view user) {
  Stmt q(db_, "SELECT version FROM roster_version WHERE host=?1 AND user=?2");
  q.text(1, host).text(2, user);
  int rc = q.step();
  if (rc == SQLITE_ROW) {
    return q.colInt(0);
  }
  return rc == SQLITE_DONE ? Result<std::int64_t>(std::int64_t{0})
                           : Result<std::int64_t>(error("reading roster version"));
}

Status SqliteStorage::removeItem(std::string_view host, std::string_view user,
                                 std::string_view contact) {
  Stmt q(db_, "DELETE FROM roster WHERE host=?1 AND user=?2 AND contact=?3");
  q.text(1, host).text(2, user).text(3, contact);
  if (Status st = exec("BEGIN IMMEDIATE"); !st.isOk()) {
    return st;
  }
  Status st = q.step() == SQLITE_DONE ? bumpRosterVersion(host, user)
                                      : error("removing roster item");
  if (!st.isOk()) {
    exec("ROLLBACK");
    return st;
  }
  return exec("COMMIT");
}

Status SqliteStorage::push(std::string_view host, std::string_view user,
                           std::string_view stanza) {
  Stmt q(db_, "INSERT INTO offline (host, user, stanza, created) VALUES (?1, ?2, ?3, ?4)");
  q.text(1, host).text(2, user).blob(3, stanza);
  q.int64(4, static_cast<std::int64_t>(std::time(nullptr)));
  int rc = q.step();
  if (rc == SQLITE_CONSTRAINT) {
    return Status::notFound("no such account");
  }
  return rc == SQLITE_DONE ? Status::ok() : error("storing offline message");
}

Result<std::vector<OfflineMessage>> SqliteStorage::fetch(std::string_view host,
                                                         std::string_view user,
                                                         std::size_t limit) {
  Stmt q(db_, "SELECT id, stanza FROM offline WHERE host=?1 AND user=?2 ORDER BY id LIMIT ?3");
  q.text(1, host).text(2, user).int64(3, static_cast<std::int64_t>(limit));
  std::vector<OfflineMessage> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.push_back(OfflineMessage{q.colInt(0), q.colBlob(1)});
  }
  if (rc != SQLITE_DONE) {
    return error("reading offline messages");
  }
  return out;
}

Status SqliteStorage::removeUpTo(std::string_view host, std::string_view user,
                                 std::int64_t lastId) {
  Stmt q(db_, "DELETE FROM offline WHERE host=?1 AND user=?2 AND id<=?3");
  q.text(1, host).text(2, user).int64(3, lastId);
  return q.step() == SQLITE_DONE ? Status::ok() : error("removing offline messages");
}

Result<std::size_t> SqliteStorage::count(std::string_view host, std::string_view user) {
  Stmt q(db_, "SELECT count(*) FROM offline WHERE host=?1 AND user=?2");
  q.text(1, host).text(2, user);
  if (q.step() != SQLITE_ROW) {
    return error("counting offline messages");
  }
  return static_cast<std::size_t>(q.colInt(0));
}

Result<std::vector<OfflineEntry>> SqliteStorage::offlineAfter(std::string_view host,
                                                              std::int64_t afterId,
                                                              std::size_t limit) {
  Stmt q(db_, "SELECT user, id, stanza FROM offline WHERE host=?1 AND id>?2 ORDER BY id LIMIT ?3");
  q.text(1, host).int64(2, afterId).int64(3, static_cast<std::int64_t>(limit));
  std::vector<OfflineEntry> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.push_back(OfflineEntry{q.colText(0), q.colInt(1), q.colBlob(2)});
  }
  if (rc != SQLITE_DONE) {
    return error("reading offline messages");
  }
  return out;
}

Status SqliteStorage::removeOffline(std::string_view host, std::string_view user,
                                    std::int64_t id) {
  Stmt q(db_, "DELETE FROM offline WHERE host=?1 AND user=?2 AND id=?3");
  q.text(1, host).text(2, user).int64(3, id);
  return q.step() == SQLITE_DONE ? Status::ok() : error("removing an offline message");
}

}  // namespace rampart::storage::sqlite
