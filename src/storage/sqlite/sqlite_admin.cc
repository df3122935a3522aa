// AdminStore on SQLite: role grants, API token hashes and administrators' sign-in security.

#include <sqlite3.h>

#include "storage/sqlite/sqlite_storage.h"
#include "storage/sqlite/lines.h"
#include "storage/sqlite/stmt.h"

namespace rampart::storage::sqlite {

namespace {

#define TOKEN_COLUMNS \
  "id, hash, host, user, role, tenant, created, expires, last_used, label, created_by"

ApiToken readToken(const Stmt& st) {
  ApiToken t;
  t.id = st.colText(0);
  t.hash = st.colBlob(1);
  t.host = st.colText(2);
  t.user = st.colText(3);
  t.role = st.colText(4);
  t.tenant = st.colText(5);
  t.createdMs = st.colInt(6);
  t.expiresMs = st.colInt(7);
  t.lastUsedMs = st.colInt(8);
  t.label = st.colText(9);
  t.createdBy = st.colText(10);
  return t;
}

RoleGrant readGrant(const Stmt& st) {
  RoleGrant g;
  g.host = st.colText(0);
  g.user = st.colText(1);
  g.role = st.colText(2);
  g.tenant = st.colText(3);
  g.grantedMs = st.colInt(4);
  g.grantedBy = st.colText(5);
  return g;
}


}  // namespace

Status SqliteStorage::grantRole(const RoleGrant& g) {
  Stmt exists(db_, "SELECT 1 FROM accounts WHERE host=?1 AND user=?2");
  exists.text(1, g.host).text(2, g.user);
  const int rc0 = exists.step();
  if (rc0 == SQLITE_DONE) {
    return Status::notFound("no such account");
  }
  if (rc0 != SQLITE_ROW) {
    return error("checking the account");
  }
  Stmt ins(db_,
           "INSERT INTO admin_roles (host, user, role, tenant, granted, granted_by) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  ins.text(1, g.host).text(2, g.user).text(3, g.role).text(4, g.tenant).int64(5, g.grantedMs);
  ins.text(6, g.grantedBy);
  const int rc = ins.step();
  if (rc == SQLITE_CONSTRAINT) {
    return Status::alreadyExists("the account already holds an administrator role");
  }
  if (rc != SQLITE_DONE) {
    return error("granting a role");
  }
  return Status::ok();
}

Status SqliteStorage::revokeRole(std::string_view host, std::string_view user,
                                 std::string_view role) {
  Stmt del(db_, "DELETE FROM admin_roles WHERE host=?1 AND user=?2 AND role=?3");
  del.text(1, host).text(2, user).text(3, role);
  if (del.step() != SQLITE_DONE) {
    return error("revoking a role");
  }
  if (sqlite3_changes(db_) == 0) {
    return Status::notFound("the account does not hold that role");
  }
  // Its API tokens carried the role: they go with it.
  Stmt tok(db_, "DELETE FROM admin_tokens WHERE host=?1 AND user=?2");
  tok.text(1, host).text(2, user);
  if (tok.step() != SQLITE_DONE) {
    return error("revoking the role's tokens");
  }
  return Status::ok();
}

Result<std::optional<RoleGrant>> SqliteStorage::roleOf(std::string_view host,
                                                       std::string_view user) {
  Stmt st(db_,
          "SELECT host, user, role, tenant, granted, granted_by FROM admin_roles "
          "WHERE host=?1 AND user=?2");
  st.text(1, host).text(2, user);
  const int rc = st.step();
  if (rc == SQLITE_ROW) {
    return std::optional<RoleGrant>(readGrant(st));
  }
  if (rc != SQLITE_DONE) {
    return error("reading a role");
  }
  return std::optional<RoleGrant>();
}

Result<std::vector<RoleGrant>> SqliteStorage::listRoles() {
  Stmt st(db_,
          "SELECT host, user, role, tenant, granted, granted_by FROM admin_roles "
          "ORDER BY host, user");
  std::vector<RoleGrant> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    out.push_back(readGrant(st));
  }
  if (rc != SQLITE_DONE) {
    return error("listing roles");
  }
  return out;
}

Status SqliteStorage::createToken(const ApiToken& t) {
  Stmt ins(db_, "INSERT INTO admin_tokens (" TOKEN_COLUMNS
                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  ins.text(1, t.id).blob(2, t.hash).text(3, t.host).text(4, t.user).text(5, t.role);
  ins.text(6, t.tenant).int64(7, t.createdMs).int64(8, t.expiresMs).int64(9, t.lastUsedMs);
  ins.text(10, t.label).text(11, t.createdBy);
  const int rc = ins.step();
  if (rc == SQLITE_CONSTRAINT) {
    return Status::alreadyExists("token collision or no such account");
  }
  if (rc != SQLITE_DONE) {
    return error("storing a token");
  }
  return Status::ok();
}

Result<std::optional<ApiToken>> SqliteStorage::tokenByHash(std::string_view hash) {
  Stmt st(db_, "SELECT " TOKEN_COLUMNS " FROM admin_tokens WHERE hash=?1");
  st.blob(1, hash);
  const int rc = st.step();
  if (rc == SQLITE_ROW) {
    return std::optional<ApiToken>(readToken(st));
  }
  if (rc != SQLITE_DONE) {
    return error("looking up a token");
  }
  return std::optional<ApiToken>();
}

Result<std::optional<ApiToken>> SqliteStorage::tokenById(std::string_view id) {
  Stmt st(db_, "SELECT " TOKEN_COLUMNS " FROM admin_tokens WHERE id=?1");
  st.text(1, id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) {
    return std::optional<ApiToken>(readToken(st));
  }
  if (rc != SQLITE_DONE) {
    return error("looking up a token");
  }
  return std::optional<ApiToken>();
}

Result<std::vector<ApiToken>> SqliteStorage::listTokens(std::string_view host,
                                                        std::string_view user) {
  Stmt st(db_, "SELECT " TOKEN_COLUMNS " FROM admin_tokens WHERE (?1 = '' OR host = ?1) AND "
               "(?2 = '' OR user = ?2) ORDER BY created, id");
  st.text(1, host).text(2, user);
  std::vector<ApiToken> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    out.push_back(readToken(st));
  }
  if (rc != SQLITE_DONE) {
    return error("listing tokens");
  }
  return out;
}

Status SqliteStorage::revokeToken(std::string_view id) {
  Stmt del(db_, "DELETE FROM admin_tokens WHERE id=?1");
  del.text(1, id);
  if (del.step() != SQLITE_DONE) {
    return error("revoking a token");
  }
  return sqlite3_changes(db_) == 0 ? Status::notFound("no such token") : Status::ok();
}

Status SqliteStorage::touchToken(std::string_view id, std::int64_t usedMs) {
  Stmt upd(db_, "UPDATE admin_tokens SET last_used=?2 WHERE id=?1");
  upd.text(1, id).int64(2, usedMs);
  return upd.step() == SQLITE_DONE ? Status::ok() : error("recording a token's use");
}

Result<std::optional<AdminSecurity>> SqliteStorage::adminSecurity(std::string_view host,
                                                                  std::string_view user) {
  Stmt st(db_,
          "SELECT must_change_password, totp_secret, totp_enrolled, totp_last_step, "
          "recovery_codes FROM admin_security WHERE host=?1 AND user=?2");
  st.text(1, host).text(2, user);
  const int rc = st.step();
  if (rc == SQLITE_ROW) {
    AdminSecurity s;
    s.mustChangePassword = st.colInt(0) != 0;
    s.totpSecret = st.colBlob(1);
    s.totpEnrolled = st.colInt(2) != 0;
    s.totpLastStep = st.colInt(3);
    s.recoveryCodeHashes = splitLines(st.colText(4));
    return std::optional<AdminSecurity>(std::move(s));
  }
  if (rc != SQLITE_DONE) {
    return error("reading sign-in security");
  }
  return std::optional<AdminSecurity>();
}

Status SqliteStorage::putAdminSecurity(std::string_view host, std::string_view user,
                                       const AdminSecurity& s) {
  Stmt st(db_,
          "INSERT OR REPLACE INTO admin_security (host, user, must_change_password, totp_secret, "
          "totp_enrolled, totp_last_step, recovery_codes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  st.text(1, host).text(2, user).int64(3, s.mustChangePassword ? 1 : 0).blob(4, s.totpSecret);
  st.int64(5, s.totpEnrolled ? 1 : 0).int64(6, s.totpLastStep);
  st.text(7, joinLines(s.recoveryCodeHashes));
  const int rc = st.step();
  if (rc == SQLITE_CONSTRAINT) {
    return Status::notFound("no such account");
  }
  return rc == SQLITE_DONE ? Status::ok() : error("storing sign-in security");
}

namespace {
AlertRecord readAlert(const Stmt& st) {
  AlertRecord a;
  a.id = st.colInt(0);
  a.rule = st.colText(1);
  a.severity = st.colText(2);
  a.tenant = st.colText(3);
  a.summary = st.colText(4);
  a.createdMs = st.colInt(5);
  a.acknowledgedBy = st.colText(6);
  a.acknowledgedMs = st.colInt(7);
  return a;
}
#define ALERT_COLUMNS "id, rule, severity, tenant, summary, created, acknowledged_by, acknowledged"
}  // namespace

Result<std::int64_t> SqliteStorage::addAlert(const AlertRecord& a) {
  Stmt ins(db_, "INSERT INTO alerts (rule, severity, tenant, summary, created, acknowledged_by, "
                "acknowledged) VALUES (?1, ?2, ?3, ?4, ?5, '', 0)");
  ins.text(1, a.rule).text(2, a.severity).text(3, a.tenant).text(4, a.summary);
  ins.int64(5, a.createdMs);
  if (ins.step() != SQLITE_DONE) {
    return error("storing an alert");
  }
  return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
}

Result<std::vector<AlertRecord>> SqliteStorage::listAlerts(std::string_view tenant, bool openOnly,
                                                          std::int64_t beforeId,
                                                          std::size_t limit) {
  Stmt st(db_, "SELECT " ALERT_COLUMNS " FROM alerts WHERE (?1 = '' OR tenant = ?1) AND "
               "(?2 = 0 OR acknowledged = 0) AND (?3 = 0 OR id < ?3) ORDER BY id DESC LIMIT ?4");
  st.text(1, tenant).int64(2, openOnly ? 1 : 0).int64(3, beforeId);
  st.int64(4, static_cast<std::int64_t>(limit));
  std::vector<AlertRecord> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    out.push_back(readAlert(st));
  }
  if (rc != SQLITE_DONE) {
    return error("listing alerts");
  }
  return out;
}

Result<std::optional<AlertRecord>> SqliteStorage::alertById(std::int64_t id) {
  Stmt st(db_, "SELECT " ALERT_COLUMNS " FROM alerts WHERE id = ?1");
  st.int64(1, id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) {
    return std::optional<AlertRecord>(readAlert(st));
  }
  if (rc != SQLITE_DONE) {
    return error("reading an alert");
  }
  return std::optional<AlertRecord>();
}

Status SqliteStorage::acknowledgeAlert(std::int64_t id, std::string_view by, std::int64_t atMs) {
  Stmt upd(db_, "UPDATE alerts SET acknowledged_by = ?2, acknowledged = ?3 WHERE id = ?1 AND "
                "acknowledged = 0");
  upd.int64(1, id).text(2, by).int64(3, atMs);
  if (upd.step() != SQLITE_DONE) {
    return error("acknowledging an alert");
  }
  if (sqlite3_changes(db_) == 0) {
    auto a = alertById(id);
    if (!a.isOk()) {
      return a.status();
    }
    return a.value() ? Status::failedPrecondition("the alert is already acknowledged")
                     : Status::notFound("no such alert");
  }
  return Status::ok();
}

Status SqliteStorage::putHold(const LegalHold& h) {
  Stmt q(db_, "INSERT OR REPLACE INTO legal_holds (host, owner, kind, reason, set_by, set_at) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  q.text(1, h.host).text(2, h.owner).text(3, h.kind).text(4, h.reason).text(5, h.setBy);
  q.int64(6, h.setMs);
  return q.step() == SQLITE_DONE ? Status::ok() : error("setting a legal hold");
}

Status SqliteStorage::removeHold(std::string_view host, std::string_view owner) {
  Stmt q(db_, "DELETE FROM legal_holds WHERE host=?1 AND owner=?2");
  q.text(1, host).text(2, owner);
  if (q.step() != SQLITE_DONE) return error("clearing a legal hold");
  return sqlite3_changes(db_) > 0 ? Status::ok() : Status::notFound("no legal hold on it");
}

namespace {
LegalHold readHold(const Stmt& q) {
  return LegalHold{q.colText(0), q.colText(1), q.colText(2), q.colText(3), q.colText(4),
                   q.colInt(5)};
}
}  // namespace

Result<std::vector<LegalHold>> SqliteStorage::holds() {
  Stmt q(db_, "SELECT host, owner, kind, reason, set_by, set_at FROM legal_holds "
              "ORDER BY host, owner");
  std::vector<LegalHold> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) out.push_back(readHold(q));
  if (rc != SQLITE_DONE) return error("listing legal holds");
  return out;
}

Result<std::optional<LegalHold>> SqliteStorage::holdOn(std::string_view host,
                                                       std::string_view owner) {
  Stmt q(db_, "SELECT host, owner, kind, reason, set_by, set_at FROM legal_holds "
              "WHERE host=?1 AND owner=?2");
  q.text(1, host).text(2, owner);
  const int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<LegalHold>();
  if (rc != SQLITE_ROW) return error("reading a legal hold");
  return std::optional<LegalHold>(readHold(q));
}

}  // namespace rampart::storage::sqlite
