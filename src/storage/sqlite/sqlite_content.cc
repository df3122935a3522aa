// ContentStore on SQLite: the content-security quarantine.

#include <sqlite3.h>

#include "storage/sqlite/sqlite_storage.h"
#include "storage/sqlite/stmt.h"

namespace rampart::storage::sqlite {

namespace {

#define QUARANTINE_COLUMNS                                                                \
  "id, tenant, sender, recipient, stanza, rule, findings, created, status, decided_by, " \
  "decided, reason, settled, report"

QuarantineItem readItem(const Stmt& st) {
  QuarantineItem q;
  q.id = st.colInt(0);
  q.tenant = st.colText(1);
  q.sender = st.colText(2);
  q.recipient = st.colText(3);
  q.stanza = st.colText(4);
  q.rule = st.colText(5);
  q.findings = st.colText(6);
  q.createdMs = st.colInt(7);
  q.status = st.colText(8);
  q.decidedBy = st.colText(9);
  q.decidedMs = st.colInt(10);
  q.reason = st.colText(11);
  q.settled = st.colInt(12) != 0;
  q.report = st.colText(13);
  return q;
}

}  // namespace

Result<std::int64_t> SqliteStorage::addQuarantine(const QuarantineItem& q) {
  Stmt ins(db_, "INSERT INTO quarantine (tenant, sender, recipient, stanza, rule, findings, "
                "created, status, decided_by, decided, reason, settled, report) VALUES "
                "(?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', '', 0, '', 0, '')");
  ins.text(1, q.tenant).text(2, q.sender).text(3, q.recipient).text(4, q.stanza);
  ins.text(5, q.rule).text(6, q.findings).int64(7, q.createdMs);
  if (ins.step() != SQLITE_DONE) {
    return error("holding a message for review");
  }
  return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
}

Result<std::vector<QuarantineItem>> SqliteStorage::listQuarantine(const QuarantineFilter& f) {
  // The sender filter matches the bare JID: the full JID stored starts with it and a '/'.
  Stmt st(db_, "SELECT " QUARANTINE_COLUMNS " FROM quarantine WHERE (?1 = '' OR tenant = ?1) "
               "AND (?2 = '' OR status = ?2) AND (?3 = '' OR rule = ?3) AND (?4 = '' OR "
               "sender = ?4 OR substr(sender, 1, length(?4) + 1) = ?4 || '/') AND "
               "(?5 = 0 OR id < ?5) ORDER BY id DESC LIMIT ?6");
  st.text(1, f.tenant).text(2, f.status).text(3, f.rule).text(4, f.sender).int64(5, f.beforeId);
  st.int64(6, static_cast<std::int64_t>(f.limit));
  std::vector<QuarantineItem> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    out.push_back(readItem(st));
  }
  if (rc != SQLITE_DONE) {
    return error("listing the review queue");
  }
  return out;
}

Result<std::optional<QuarantineItem>> SqliteStorage::quarantineById(std::int64_t id) {
  Stmt st(db_, "SELECT " QUARANTINE_COLUMNS " FROM quarantine WHERE id = ?1");
  st.int64(1, id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) {
    return std::optional<QuarantineItem>(readItem(st));
  }
  if (rc != SQLITE_DONE) {
    return error("reading a held message");
  }
  return std::optional<QuarantineItem>();
}

Result<QuarantineCounts> SqliteStorage::quarantineCounts(std::string_view tenant) {
  Stmt st(db_, "SELECT status, count(*), min(created) FROM quarantine WHERE (?1 = '' OR "
               "tenant = ?1) GROUP BY status");
  st.text(1, tenant);
  QuarantineCounts c;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    const std::string status = st.colText(0);
    const std::int64_t n = st.colInt(1);
    if (status == "pending") {
      c.pending = n;
      c.oldestPendingMs = st.colInt(2);
    } else if (status == "approved") {
      c.approved = n;
    } else if (status == "rejected") {
      c.rejected = n;
    }
  }
  if (rc != SQLITE_DONE) {
    return error("counting the review queue");
  }
  return c;
}

Status SqliteStorage::decideQuarantine(std::int64_t id, std::string_view status,
                                       std::string_view by, std::int64_t atMs,
                                       std::string_view reason) {
  Stmt upd(db_, "UPDATE quarantine SET status = ?2, decided_by = ?3, decided = ?4, reason = ?5 "
                "WHERE id = ?1 AND status = 'pending'");
  upd.int64(1, id).text(2, status).text(3, by).int64(4, atMs).text(5, reason);
  if (upd.step() != SQLITE_DONE) {
    return error("deciding on a held message");
  }
  if (sqlite3_changes(db_) == 0) {
    auto q = quarantineById(id);
    if (!q.isOk()) {
      return q.status();
    }
    return q.value() ? Status::failedPrecondition("the message was already " + q.value()->status)
                     : Status::notFound("no such held message");
  }
  return Status::ok();
}

Result<std::vector<QuarantineItem>> SqliteStorage::unsettledQuarantine(std::string_view tenant) {
  Stmt st(db_, "SELECT " QUARANTINE_COLUMNS " FROM quarantine WHERE settled = 0 AND status != "
               "'pending' AND tenant = ?1 ORDER BY id LIMIT 1000");
  st.text(1, tenant);
  std::vector<QuarantineItem> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    out.push_back(readItem(st));
  }
  if (rc != SQLITE_DONE) {
    return error("reading decided messages");
  }
  return out;
}

Status SqliteStorage::settleQuarantine(std::int64_t id) {
  Stmt upd(db_, "UPDATE quarantine SET settled = 1 WHERE id = ?1");
  upd.int64(1, id);
  return upd.step() == SQLITE_DONE ? Status::ok() : error("settling a held message");
}

Status SqliteStorage::reportQuarantine(std::int64_t id, std::string_view senderBare,
                                       std::string_view text) {
  Stmt upd(db_, "UPDATE quarantine SET report = ?3 WHERE id = ?1 AND (sender = ?2 OR "
                "substr(sender, 1, length(?2) + 1) = ?2 || '/')");
  upd.int64(1, id).text(2, senderBare).text(3, text);
  if (upd.step() != SQLITE_DONE) {
    return error("recording a report on a held message");
  }
  return sqlite3_changes(db_) == 0 ? Status::notFound("no such held message of yours")
                                   : Status::ok();
}

Result<std::size_t> SqliteStorage::removeQuarantineFrom(std::string_view tenant,
                                                        std::string_view senderBare) {
  // `sender` holds the full JID of the sending session.
  Stmt q(db_, "DELETE FROM quarantine WHERE tenant=?1 AND (sender=?2 OR "
              "substr(sender, 1, length(?2) + 1) = ?2 || '/')");
  q.text(1, tenant).text(2, senderBare);
  if (q.step() != SQLITE_DONE) return error("removing held messages");
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

Result<std::size_t> SqliteStorage::pruneQuarantine(std::string_view tenant,
                                                   std::int64_t beforeMs) {
  // Evidence of senders under legal hold stays.
  Stmt del(db_, "DELETE FROM quarantine WHERE tenant = ?2 AND status != 'pending' AND "
                "settled = 1 AND decided < ?1 AND NOT EXISTS (SELECT 1 FROM legal_holds h "
                "WHERE h.host = quarantine.tenant AND (h.owner || '@' || h.host = "
                "quarantine.sender OR substr(quarantine.sender, 1, length(h.owner || '@' || "
                "h.host) + 1) = h.owner || '@' || h.host || '/'))");
  del.int64(1, beforeMs).text(2, tenant);
  if (del.step() != SQLITE_DONE) {
    return error("removing old review evidence");
  }
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

}  // namespace rampart::storage::sqlite
