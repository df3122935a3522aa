#pragma once
// SQLite implementation of the audit log's storage, in its own database file (so that it can
// live on other media and be copied by auditors apart from the messages). WAL mode; one
// instance is used from one thread at a time; several processes may append (BEGIN IMMEDIATE).

#include <memory>
#include <string>

#include "rampart/storage/audit_store.h"

struct sqlite3;

namespace rampart::storage::sqlite {

class SqliteAuditStore final : public AuditStore {
 public:
  static Result<std::unique_ptr<SqliteAuditStore>> open(const std::string& path,
                                                        int busyTimeoutMs = 10000);
  ~SqliteAuditStore() override;
  SqliteAuditStore(const SqliteAuditStore&) = delete;
  SqliteAuditStore& operator=(const SqliteAuditStore&) = delete;

  Status append(const Builder& build) override;
  Result<AuditHead> head() override;
  Result<std::vector<AuditRow>> scan(std::uint64_t fromSeq, std::size_t limit) override;
  Result<std::vector<AuditRow>> query(const AuditFilter& filter) override;
  Result<std::uint64_t> lastSeqBefore(std::int64_t timeMs) override;
  Status prune(std::uint64_t throughSeq, const Anchor& anchor) override;
  Result<std::optional<std::string>> meta(std::string_view key) override;
  Status setMetaIfAbsent(std::string_view key, std::string_view value) override;

 private:
  explicit SqliteAuditStore(sqlite3* db) : db_(db) {}
  Status exec(const char* sql, bool retry = false);
  Status error(std::string_view what) const;
  Result<AuditHead> readHead();
  sqlite3* db_;
};

}  // namespace rampart::storage::sqlite
