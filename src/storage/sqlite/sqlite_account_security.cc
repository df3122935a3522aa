// AccountSecurityStore on SQLite: freeze state, password age and history, device
// credentials, login records and sign-in locks.

#include <sqlite3.h>

#include "storage/sqlite/sqlite_storage.h"
#include "storage/sqlite/lines.h"
#include "storage/sqlite/stmt.h"

namespace rampart::storage::sqlite {

namespace {


#define STATE_COLUMNS \
  "freeze_mode, frozen_until, freeze_reason, frozen_by, password_changed, password_history, " \
  "sessions_revoked, mfa_grace_start, phone, phone_added, security_questions, "              \
  "second_factor_required"

AccountState readState(const Stmt& st, int first) {
  AccountState a;
  a.freezeMode = st.colText(first);
  a.frozenUntilMs = st.colInt(first + 1);
  a.freezeReason = st.colText(first + 2);
  a.frozenBy = st.colText(first + 3);
  a.passwordChangedMs = st.colInt(first + 4);
  a.passwordHistory = splitLines(st.colText(first + 5));
  a.sessionsRevokedMs = st.colInt(first + 6);
  a.mfaGraceStartMs = st.colInt(first + 7);
  a.phone = st.colText(first + 8);
  a.phoneAddedMs = st.colInt(first + 9);
  // One question per line: QUESTION TAB HASH (questions hold neither tabs nor newlines).
  for (const auto& line : splitLines(st.colText(first + 10))) {
    if (auto tab = line.find('\t'); tab != std::string::npos) {
      a.securityQuestions.emplace_back(line.substr(0, tab), line.substr(tab + 1));
    }
  }
  a.secondFactorRequiredMs = st.colInt(first + 11);
  return a;
}

#define DEVICE_COLUMNS                                                                        \
  "id, host, user, kind, name, client, created, last_used, last_address, expires, secret_hash, " \
  "previous_hash, salt, iterations, stored_key256, server_key256, salt1, stored_key1, "       \
  "server_key1"

DeviceCredential readDevice(const Stmt& st) {
  DeviceCredential d;
  d.id = st.colText(0);
  d.host = st.colText(1);
  d.user = st.colText(2);
  d.kind = st.colText(3);
  d.name = st.colText(4);
  d.client = st.colText(5);
  d.createdMs = st.colInt(6);
  d.lastUsedMs = st.colInt(7);
  d.lastAddress = st.colText(8);
  d.expiresMs = st.colInt(9);
  d.secretHash = st.colBlob(10);
  d.previousHash = st.colBlob(11);
  d.salt = st.colBlob(12);
  d.iterations = static_cast<std::uint32_t>(st.colInt(13));
  d.storedKey256 = st.colBlob(14);
  d.serverKey256 = st.colBlob(15);
  d.salt1 = st.colBlob(16);
  d.storedKey1 = st.colBlob(17);
  d.serverKey1 = st.colBlob(18);
  return d;
}

#define LOGIN_COLUMNS                                                                          \
  "id, time, host, user, protocol, source, port, client, resource, credential, country, city, " \
  "latitude, longitude, located, success, reason"

LoginRecord readLogin(const Stmt& st) {
  LoginRecord r;
  r.id = st.colInt(0);
  r.timeMs = st.colInt(1);
  r.host = st.colText(2);
  r.user = st.colText(3);
  r.protocol = st.colText(4);
  r.source = st.colText(5);
  r.port = static_cast<int>(st.colInt(6));
  r.client = st.colText(7);
  r.resource = st.colText(8);
  r.credential = st.colText(9);
  r.country = st.colText(10);
  r.city = st.colText(11);
  r.latitude = st.colDouble(12);
  r.longitude = st.colDouble(13);
  r.located = st.colInt(14) != 0;
  r.success = st.colInt(15) != 0;
  r.reason = st.colText(16);
  return r;
}

#define LOCK_COLUMNS "key, kind, host, user, source, failures, locked_until, updated"

SignInLock readLock(const Stmt& st) {
  SignInLock l;
  l.key = st.colText(0);
  l.kind = st.colText(1);
  l.host = st.colText(2);
  l.user = st.colText(3);
  l.source = st.colText(4);
  l.failures = static_cast<std::uint32_t>(st.colInt(5));
  l.lockedUntilMs = st.colInt(6);
  l.updatedMs = st.colInt(7);
  return l;
}

}  // namespace

Result<AccountState> SqliteStorage::accountState(std::string_view host, std::string_view user) {
  Stmt q(db_,
         "SELECT a.user, " STATE_COLUMNS
         " FROM accounts a LEFT JOIN account_state s ON s.host=a.host AND s.user=a.user "
         "WHERE a.host=?1 AND a.user=?2");
  q.text(1, host).text(2, user);
  const int rc = q.step();
  if (rc == SQLITE_DONE) {
    return Status::notFound("no such account");
  }
  if (rc != SQLITE_ROW) {
    return error("reading account state");
  }
  return readState(q, 1);
}

Status SqliteStorage::putAccountState(std::string_view host, std::string_view user,
                                      const AccountState& a) {
  Stmt q(db_,
         "INSERT INTO account_state (host, user, " STATE_COLUMNS
         ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
         "ON CONFLICT (host, user) "
         "DO UPDATE SET freeze_mode=?3, frozen_until=?4, freeze_reason=?5, frozen_by=?6, "
         "password_changed=?7, password_history=?8, sessions_revoked=?9, mfa_grace_start=?10, "
         "phone=?11, phone_added=?12, security_questions=?13, second_factor_required=?14");
  q.text(1, host).text(2, user).text(3, a.freezeMode).int64(4, a.frozenUntilMs);
  q.text(5, a.freezeReason).text(6, a.frozenBy).int64(7, a.passwordChangedMs);
  q.text(8, joinLines(a.passwordHistory)).int64(9, a.sessionsRevokedMs);
  q.int64(10, a.mfaGraceStartMs);
  std::vector<std::string> questions;
  for (const auto& [question, hash] : a.securityQuestions) questions.push_back(question + "\t" + hash);
  q.text(11, a.phone).int64(12, a.phoneAddedMs).text(13, joinLines(questions));
  q.int64(14, a.secondFactorRequiredMs);
  const int rc = q.step();
  if (rc == SQLITE_CONSTRAINT) {
    return Status::notFound("no such account");
  }
  return rc == SQLITE_DONE ? Status::ok() : error("writing account state");
}

Result<std::vector<std::pair<std::string, AccountState>>> SqliteStorage::frozenAccounts() {
  Stmt q(db_, "SELECT user || '@' || host, " STATE_COLUMNS
              " FROM account_state WHERE freeze_mode != ''");
  std::vector<std::pair<std::string, AccountState>> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.emplace_back(q.colText(0), readState(q, 1));
  }
  if (rc != SQLITE_DONE) {
    return error("listing frozen accounts");
  }
  return out;
}

Status SqliteStorage::addDevice(const DeviceCredential& d) {
  Stmt q(db_, "INSERT INTO devices (" DEVICE_COLUMNS
              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
              "?17, ?18, ?19)");
  q.text(1, d.id).text(2, d.host).text(3, d.user).text(4, d.kind).text(5, d.name);
  q.text(6, d.client).int64(7, d.createdMs).int64(8, d.lastUsedMs).text(9, d.lastAddress);
  q.int64(10, d.expiresMs).blob(11, d.secretHash).blob(12, d.previousHash).blob(13, d.salt);
  q.int64(14, d.iterations).blob(15, d.storedKey256).blob(16, d.serverKey256);
  q.blob(17, d.salt1).blob(18, d.storedKey1).blob(19, d.serverKey1);
  const int rc = q.step();
  if (rc == SQLITE_CONSTRAINT) {
    return Status::notFound("no such account");
  }
  return rc == SQLITE_DONE ? Status::ok() : error("adding a device credential");
}

Result<std::vector<DeviceCredential>> SqliteStorage::devices(std::string_view host,
                                                             std::string_view user) {
  Stmt q(db_, "SELECT " DEVICE_COLUMNS " FROM devices WHERE host=?1 AND user=?2 ORDER BY created");
  q.text(1, host).text(2, user);
  std::vector<DeviceCredential> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.push_back(readDevice(q));
  }
  if (rc != SQLITE_DONE) {
    return error("listing device credentials");
  }
  return out;
}

Status SqliteStorage::removeDevice(std::string_view host, std::string_view user,
                                   std::string_view id) {
  Stmt q(db_, "DELETE FROM devices WHERE host=?1 AND user=?2 AND id=?3");
  q.text(1, host).text(2, user).text(3, id);
  if (q.step() != SQLITE_DONE) {
    return error("removing a device credential");
  }
  return sqlite3_changes(db_) > 0 ? Status::ok() : Status::notFound("no such device credential");
}

Status SqliteStorage::removeDevices(std::string_view host, std::string_view user) {
  Stmt q(db_, "DELETE FROM devices WHERE host=?1 AND user=?2");
  q.text(1, host).text(2, user);
  return q.step() == SQLITE_DONE ? Status::ok() : error("removing device credentials");
}

Status SqliteStorage::addPasskey(const Passkey& k) {
  Stmt q(db_,
         "INSERT INTO passkeys (id, host, user, name, alg, public_key, sign_count, created, "
         "last_used) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  q.text(1, k.id).text(2, k.host).text(3, k.user).text(4, k.name).int64(5, k.alg);
  q.blob(6, k.publicKey).int64(7, k.signCount).int64(8, k.createdMs).int64(9, k.lastUsedMs);
  const int rc = q.step();
  if (rc == SQLITE_CONSTRAINT) {
    return Status::alreadyExists("this passkey is registered already");
  }
  return rc == SQLITE_DONE ? Status::ok() : error("storing a passkey");
}

Result<std::vector<Passkey>> SqliteStorage::passkeys(std::string_view host,
                                                     std::string_view user) {
  Stmt q(db_,
         "SELECT id, name, alg, public_key, sign_count, created, last_used FROM passkeys "
         "WHERE host=?1 AND user=?2 ORDER BY created");
  q.text(1, host).text(2, user);
  std::vector<Passkey> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    Passkey k;
    k.id = q.colText(0);
    k.host = std::string(host);
    k.user = std::string(user);
    k.name = q.colText(1);
    k.alg = static_cast<int>(q.colInt(2));
    k.publicKey = q.colBlob(3);
    k.signCount = static_cast<std::uint32_t>(q.colInt(4));
    k.createdMs = q.colInt(5);
    k.lastUsedMs = q.colInt(6);
    out.push_back(std::move(k));
  }
  if (rc != SQLITE_DONE) {
    return error("reading passkeys");
  }
  return out;
}

Status SqliteStorage::removePasskey(std::string_view host, std::string_view user,
                                    std::string_view id) {
  Stmt q(db_, "DELETE FROM passkeys WHERE host=?1 AND user=?2 AND id=?3");
  q.text(1, host).text(2, user).text(3, id);
  if (q.step() != SQLITE_DONE) {
    return error("removing a passkey");
  }
  return sqlite3_changes(db_) > 0 ? Status::ok() : Status::notFound("no such passkey");
}

Status SqliteStorage::touchPasskey(std::string_view id, std::uint32_t signCount,
                                   std::int64_t usedMs) {
  Stmt q(db_, "UPDATE passkeys SET sign_count=?2, last_used=?3 WHERE id=?1");
  q.text(1, id).int64(2, signCount).int64(3, usedMs);
  return q.step() == SQLITE_DONE ? Status::ok() : error("recording a passkey's use");
}

Status SqliteStorage::touchDevice(std::string_view id, std::int64_t usedMs,
                                  std::string_view address, std::string_view client) {
  Stmt q(db_, "UPDATE devices SET last_used=?2, last_address=?3, client=?4 WHERE id=?1");
  q.text(1, id).int64(2, usedMs).text(3, address).text(4, client);
  return q.step() == SQLITE_DONE ? Status::ok() : error("recording a device's use");
}

Status SqliteStorage::updateDevice(const DeviceCredential& d) {
  Stmt q(db_,
         "UPDATE devices SET name=?2, client=?3, last_used=?4, last_address=?5, expires=?6, "
         "secret_hash=?7, previous_hash=?8 WHERE id=?1");
  q.text(1, d.id).text(2, d.name).text(3, d.client).int64(4, d.lastUsedMs).text(5, d.lastAddress);
  q.int64(6, d.expiresMs).blob(7, d.secretHash).blob(8, d.previousHash);
  return q.step() == SQLITE_DONE ? Status::ok() : error("updating a device credential");
}

Status SqliteStorage::appendLogin(const LoginRecord& r) {
  Stmt q(db_, "INSERT INTO logins (time, host, user, protocol, source, port, client, resource, "
              "credential, country, city, latitude, longitude, located, success, reason) VALUES "
              "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
  q.int64(1, r.timeMs).text(2, r.host).text(3, r.user).text(4, r.protocol).text(5, r.source);
  q.int64(6, r.port).text(7, r.client).text(8, r.resource).text(9, r.credential);
  q.text(10, r.country).text(11, r.city).real(12, r.latitude).real(13, r.longitude);
  q.int64(14, r.located ? 1 : 0).int64(15, r.success ? 1 : 0).text(16, r.reason);
  return q.step() == SQLITE_DONE ? Status::ok() : error("recording a sign-in");
}

Result<std::vector<LoginRecord>> SqliteStorage::logins(std::string_view host,
                                                       std::string_view user,
                                                       std::int64_t beforeId,
                                                       std::size_t limit) {
  Stmt q(db_, "SELECT " LOGIN_COLUMNS
              " FROM logins WHERE host=?1 AND (?2='' OR user=?2) AND (?3=0 OR id<?3) "
              "ORDER BY id DESC LIMIT ?4");
  q.text(1, host).text(2, user).int64(3, beforeId).int64(4, static_cast<std::int64_t>(limit));
  std::vector<LoginRecord> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.push_back(readLogin(q));
  }
  if (rc != SQLITE_DONE) {
    return error("reading sign-in records");
  }
  return out;
}

Result<std::optional<LoginRecord>> SqliteStorage::lastSuccess(std::string_view host,
                                                              std::string_view user) {
  Stmt q(db_, "SELECT " LOGIN_COLUMNS
              " FROM logins WHERE host=?1 AND user=?2 AND success=1 ORDER BY id DESC LIMIT 1");
  q.text(1, host).text(2, user);
  const int rc = q.step();
  if (rc == SQLITE_ROW) {
    return std::optional<LoginRecord>(readLogin(q));
  }
  if (rc != SQLITE_DONE) {
    return error("reading the last sign-in");
  }
  return std::optional<LoginRecord>();
}

Result<std::size_t> SqliteStorage::removeLogins(std::string_view host, std::string_view user) {
  Stmt q(db_, "DELETE FROM logins WHERE host=?1 AND user=?2");
  q.text(1, host).text(2, user);
  if (q.step() != SQLITE_DONE) return error("removing login records");
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

Result<std::size_t> SqliteStorage::pruneLogins(std::string_view host, std::int64_t beforeMs) {
  // Sign-in records of accounts under legal hold stay.
  Stmt q(db_, "DELETE FROM logins WHERE time < ?1 AND host = ?2 AND NOT EXISTS (SELECT 1 FROM "
              "legal_holds h WHERE h.host = logins.host AND h.owner = logins.user)");
  q.int64(1, beforeMs).text(2, host);
  if (q.step() != SQLITE_DONE) {
    return error("pruning sign-in records");
  }
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

Result<std::vector<LoginRecord>> SqliteStorage::recentSuccesses(std::int64_t sinceMs,
                                                                std::size_t limit) {
  Stmt q(db_, "SELECT " LOGIN_COLUMNS
              " FROM logins WHERE time >= ?1 AND success=1 ORDER BY id DESC LIMIT ?2");
  q.int64(1, sinceMs).int64(2, static_cast<std::int64_t>(limit));
  std::vector<LoginRecord> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.push_back(readLogin(q));
  }
  if (rc != SQLITE_DONE) {
    return error("reading recent sign-ins");
  }
  return out;
}

Status SqliteStorage::putLock(const SignInLock& l) {
  Stmt q(db_, "INSERT INTO sign_in_locks (" LOCK_COLUMNS
              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (key) DO UPDATE SET "
              "failures=?6, locked_until=?7, updated=?8");
  q.text(1, l.key).text(2, l.kind).text(3, l.host).text(4, l.user).text(5, l.source);
  q.int64(6, l.failures).int64(7, l.lockedUntilMs).int64(8, l.updatedMs);
  return q.step() == SQLITE_DONE ? Status::ok() : error("recording a sign-in lock");
}

Result<std::vector<SignInLock>> SqliteStorage::locks() {
  Stmt q(db_, "SELECT " LOCK_COLUMNS " FROM sign_in_locks ORDER BY updated DESC");
  std::vector<SignInLock> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.push_back(readLock(q));
  }
  if (rc != SQLITE_DONE) {
    return error("listing sign-in locks");
  }
  return out;
}

Result<std::size_t> SqliteStorage::clearLocks(std::string_view host, std::string_view user) {
  Stmt q(db_, "DELETE FROM sign_in_locks WHERE host=?1 AND user=?2");
  q.text(1, host).text(2, user);
  if (q.step() != SQLITE_DONE) {
    return error("clearing sign-in locks");
  }
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

Status SqliteStorage::removeLock(std::string_view key) {
  Stmt q(db_, "DELETE FROM sign_in_locks WHERE key=?1");
  q.text(1, key);
  return q.step() == SQLITE_DONE ? Status::ok() : error("removing a sign-in lock");
}

Status SqliteStorage::reserveQuarantineIds(std::int64_t base) {
  if (base <= 0) return Status::ok();
  Stmt ins(db_, "INSERT INTO sqlite_sequence (name, seq) SELECT 'quarantine', ?1 WHERE NOT EXISTS "
                "(SELECT 1 FROM sqlite_sequence WHERE name = 'quarantine')");
  ins.int64(1, base);
  if (ins.step() != SQLITE_DONE) return error("reserving held-message ids");
  Stmt up(db_, "UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'quarantine' AND seq < ?1");
  up.int64(1, base);
  return up.step() == SQLITE_DONE ? Status::ok() : error("reserving held-message ids");
}

}  // namespace rampart::storage::sqlite
