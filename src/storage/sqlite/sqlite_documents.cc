// SQLite key-value documents and message archives. Parameterized statements only; the
// archive query is assembled from fixed fragments, every value bound.

#include <boost/json.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <variant>

#include "rampart/core/search_terms.h"
#include "storage/sqlite/sqlite_storage.h"
#include "storage/sqlite/stmt.h"

namespace rampart::storage::sqlite {

void registerSearchFunctions(sqlite3* db) {
  auto hasTerms = [](sqlite3_context* ctx, int, sqlite3_value** argv) {
    const auto* terms = static_cast<const char*>(sqlite3_value_blob(argv[0]));
    const auto termsLen = static_cast<std::size_t>(sqlite3_value_bytes(argv[0]));
    const auto* wanted = static_cast<const char*>(sqlite3_value_blob(argv[1]));
    const auto wantedLen = static_cast<std::size_t>(sqlite3_value_bytes(argv[1]));
    constexpr std::size_t n = core::kTermDigestBytes;
    const std::string_view have(terms != nullptr ? terms : "", terms != nullptr ? termsLen : 0);
    for (std::size_t w = 0; wanted != nullptr && w + n <= wantedLen; w += n) {
      bool found = false;
      for (std::size_t t = 0; !found && t + n <= have.size(); t += n) {
        found = std::memcmp(have.data() + t, wanted + w, n) == 0;
      }
      if (!found) {
        sqlite3_result_int(ctx, 0);
        return;
      }
    }
    sqlite3_result_int(ctx, 1);
  };
  sqlite3_create_function(db, "rampart_has_terms", 2,
                          SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr, hasTerms,
                          nullptr, nullptr);
}

Result<std::optional<std::string>> SqliteStorage::get(std::string_view host,
                                                      std::string_view owner,
                                                      std::string_view store,
                                                      std::string_view key) {
  Stmt q(db_, "SELECT value FROM kv WHERE host=?1 AND owner=?2 AND store=?3 AND key=?4");
  q.text(1, host).text(2, owner).text(3, store).text(4, key);
  int rc = q.step();
  if (rc == SQLITE_ROW) {
    return std::optional<std::string>(q.colBlob(0));
  }
  if (rc == SQLITE_DONE) {
    return std::optional<std::string>();
  }
  return error("reading document");
}

Status SqliteStorage::put(std::string_view host, std::string_view owner, std::string_view store,
                          std::string_view key, std::string_view value) {
  Stmt q(db_, "INSERT OR REPLACE INTO kv (host, owner, store, key, value) VALUES (?1,?2,?3,?4,?5)");
  q.text(1, host).text(2, owner).text(3, store).text(4, key).blob(5, value);
  return q.step() == SQLITE_DONE ? Status::ok() : error("writing document");
}

Status SqliteStorage::remove(std::string_view host, std::string_view owner, std::string_view store,
                             std::string_view key) {
  Stmt q(db_, "DELETE FROM kv WHERE host=?1 AND owner=?2 AND store=?3 AND key=?4");
  q.text(1, host).text(2, owner).text(3, store).text(4, key);
  return q.step() == SQLITE_DONE ? Status::ok() : error("removing document");
}

Result<std::vector<KeyValue>> SqliteStorage::list(std::string_view host, std::string_view owner,
                                                  std::string_view store) {
  Stmt q(db_, "SELECT key, value FROM kv WHERE host=?1 AND owner=?2 AND store=?3 ORDER BY key");
  q.text(1, host).text(2, owner).text(3, store);
  std::vector<KeyValue> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.push_back(KeyValue{q.colText(0), q.colBlob(1)});
  }
  if (rc != SQLITE_DONE) {
    return error("listing documents");
  }
  return out;
}

Result<std::vector<StoredDocument>> SqliteStorage::documentsOf(std::string_view host,
                                                               std::string_view owner) {
  Stmt q(db_, "SELECT store, key, value FROM kv WHERE host=?1 AND owner=?2 ORDER BY store, key");
  q.text(1, host).text(2, owner);
  std::vector<StoredDocument> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.push_back(StoredDocument{q.colText(0), q.colText(1), q.colBlob(2)});
  }
  if (rc != SQLITE_DONE) return error("listing documents");
  return out;
}

Result<std::vector<ArchiveAppend>> SqliteStorage::itemsWith(std::string_view host,
                                                            std::string_view withBare) {
  Stmt q(db_, "SELECT owner, id, ts, with_bare, with_full, stanza FROM archive "
              "WHERE host=?1 AND with_bare=?2 ORDER BY seq");
  q.text(1, host).text(2, withBare);
  std::vector<ArchiveAppend> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out.push_back(ArchiveAppend{std::string(host), q.colText(0),
                                ArchiveItem{q.colText(1), q.colInt(2), q.colText(3),
                                            q.colText(4), q.colBlob(5)}});
  }
  if (rc != SQLITE_DONE) return error("reading archived messages");
  return out;
}

Status SqliteStorage::replaceItem(std::string_view host, std::string_view owner,
                                  std::string_view id, std::string_view stanza) {
  Stmt q(db_, "UPDATE archive SET stanza=?4, terms=x'', with_bare='', with_full='' WHERE host=?1 AND owner=?2 AND id=?3");
  q.text(1, host).text(2, owner).text(3, id).blob(4, stanza);
  if (q.step() != SQLITE_DONE) return error("replacing an archived message");
  return sqlite3_changes(db_) > 0 ? Status::ok() : Status::notFound("no such archived message");
}

Status SqliteStorage::removeAll(std::string_view host, std::string_view owner,
                                std::string_view store) {
  Stmt q(db_, "DELETE FROM kv WHERE host=?1 AND owner=?2 AND store=?3");
  q.text(1, host).text(2, owner).text(3, store);
  return q.step() == SQLITE_DONE ? Status::ok() : error("removing documents");
}

Status SqliteStorage::append(std::vector<ArchiveAppend> items) {
  if (items.empty()) {
    return Status::ok();
  }
  if (Status st = exec("BEGIN IMMEDIATE"); !st.isOk()) {
    return st;
  }
  {
    Stmt q(db_,
           "INSERT INTO archive (host, owner, id, ts, with_bare, with_full, stanza, terms) "
           "VALUES (?1,?2,?3,?4,?5,?6,?7,?8)");
    for (const auto& a : items) {
      q.reset();
      q.text(1, a.host).text(2, a.owner).text(3, a.item.id).int64(4, a.item.timestampUs);
      q.text(5, a.item.withBare).text(6, a.item.withFull).blob(7, a.item.stanza);
      q.blob(8, a.termDigests.empty() && !a.searchText.empty()
                    ? core::plainTermDigests(core::indexTerms(a.searchText))
                    : a.termDigests);
      if (q.step() != SQLITE_DONE) {
        Status e = error("archiving messages");
        exec("ROLLBACK");
        return e;
      }
    }
  }
  return exec("COMMIT");
}

Result<ArchivePage> SqliteStorage::query(std::string_view host, std::string_view owner,
                                         const ArchiveQuery& q) {
  struct Blob {
    std::string bytes;
  };
  using Value = std::variant<std::string, std::int64_t, Blob>;
  auto seqOf = [&](const std::string& id) -> Result<std::int64_t> {
    Stmt s(db_, "SELECT seq FROM archive WHERE host=?1 AND owner=?2 AND id=?3");
    s.text(1, host).text(2, owner).text(3, id);
    int rc = s.step();
    if (rc == SQLITE_ROW) {
      return s.colInt(0);
    }
    if (rc == SQLITE_DONE) {
      return Status::notFound("no archived item with id " + id);
    }
    return error("looking up archived item");
  };

  std::string filter = "host=? AND owner=?";
  std::vector<Value> binds{std::string(host), std::string(owner)};
  if (q.with) {
    filter += q.with->find('/') == std::string::npos ? " AND with_bare=?" : " AND with_full=?";
    binds.emplace_back(*q.with);
  }
  if (q.startUs) {
    filter += " AND ts>=?";
    binds.emplace_back(*q.startUs);
  }
  if (q.endUs) {
    filter += " AND ts<=?";
    binds.emplace_back(*q.endUs);
  }
  if (!q.ids.empty()) {
    filter += " AND id IN (";
    for (std::size_t i = 0; i < q.ids.size(); ++i) {
      filter += i == 0 ? "?" : ",?";
      binds.emplace_back(q.ids[i]);
    }
    filter += ")";
  }
  if (q.fulltext) {
    std::string wanted = q.termDigests.empty() ? core::plainTermDigests(core::queryTerms(*q.fulltext))
                                               : q.termDigests;
    // A search string without a word (only spaces or punctuation) filters nothing.
    if (!wanted.empty()) {
      filter += " AND rampart_has_terms(terms, ?)";
      binds.emplace_back(Blob{std::move(wanted)});
    }
  }
  auto bindAll = [](Stmt& s, const std::vector<Value>& values) {
    int i = 1;
    for (const auto& v : values) {
      if (const auto* str = std::get_if<std::string>(&v)) {
        s.text(i++, *str);
      } else if (const auto* blob = std::get_if<Blob>(&v)) {
        s.blob(i++, blob->bytes);
      } else {
        s.int64(i++, std::get<std::int64_t>(v));
      }
    }
  };

  ArchivePage page;
  {
    std::string sql = "SELECT count(*) FROM archive WHERE " + filter;
    Stmt c(db_, sql.c_str());
    bindAll(c, binds);
    if (c.step() != SQLITE_ROW) {
      return error("counting archived messages");
    }
    page.count = static_cast<std::size_t>(c.colInt(0));
  }

  std::string paged = filter;
  std::vector<Value> pagedBinds = binds;
  if (q.afterId) {
    auto seq = seqOf(*q.afterId);
    if (!seq.isOk()) {
      return seq.status();
    }
    paged += " AND seq>?";
    pagedBinds.emplace_back(seq.value());
  }
  if (q.beforeId) {
    auto seq = seqOf(*q.beforeId);
    if (!seq.isOk()) {
      return seq.status();
    }
    paged += " AND seq<?";
    pagedBinds.emplace_back(seq.value());
  }
  const bool backward = (q.beforeId || q.lastPage) && !q.afterId;
  std::string sql = "SELECT id, ts, with_bare, with_full, stanza FROM archive WHERE " + paged +
                    (backward ? " ORDER BY seq DESC" : " ORDER BY seq ASC") + " LIMIT ?";
  pagedBinds.emplace_back(static_cast<std::int64_t>(q.max) + 1);
  Stmt s(db_, sql.c_str());
  bindAll(s, pagedBinds);
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    page.items.push_back(
        ArchiveItem{s.colText(0), s.colInt(1), s.colText(2), s.colText(3), s.colBlob(4)});
  }
  if (rc != SQLITE_DONE) {
    return error("reading archived messages");
  }
  page.complete = page.items.size() <= q.max;
  if (!page.complete) {
    page.items.pop_back();
  }
  if (backward) {
    std::reverse(page.items.begin(), page.items.end());
  }
  return page;
}

Result<std::size_t> SqliteStorage::removeOlderThan(std::string_view host, std::int64_t cutoffUs,
                                                  const std::vector<std::string>& except) {
  // What is under legal hold stays, and so do the archives with a retention of their own.
  boost::json::array kept;
  for (const auto& o : except) kept.emplace_back(o);
  const std::string keptJson = boost::json::serialize(kept);
  Stmt q(db_, "DELETE FROM archive WHERE ts<?1 AND host=?2 AND owner NOT IN "
              "(SELECT owner FROM legal_holds WHERE host=?2) AND owner NOT IN "
              "(SELECT value FROM json_each(?3))");
  q.int64(1, cutoffUs).text(2, host).text(3, keptJson);
  if (q.step() != SQLITE_DONE) {
    return error("expiring archived messages");
  }
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

Status SqliteStorage::removeArchive(std::string_view host, std::string_view owner,
                                    std::int64_t beforeUs) {
  Stmt q(db_, "DELETE FROM archive WHERE host=?1 AND owner=?2 AND ts<?3");
  q.text(1, host).text(2, owner).int64(3, beforeUs);
  return q.step() == SQLITE_DONE ? Status::ok() : error("removing archive");
}

}  // namespace rampart::storage::sqlite
