#pragma once
// The one retention scheduler: how long each kind of data is kept, per tenant and per room, and
// the hourly pass that deletes what has expired. Policy comes from [retention] and
// [hosts.retention] (falling back to the modules' retention_days, [audit] retention_days and
// [content_security] evidence_days); deletion is done by the purgers the modules and the core
// register for their kinds. Each pass that deletes something is audited (retention.purge).
// Legal holds are honoured by every purger's storage call.

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/config.h"
#include "rampart/core/retention.h"
#include "rampart/security/audit_sink.h"

namespace rampart::security::retention {

// The audit log is kept at least this long whatever the configuration says (PRC Cybersecurity
// Law art. 21: network logs kept no less than six months; MLPS 2.0 8.1.4.3).
inline constexpr std::uint32_t kAuditMinimumDays = 180;

// Days each kind is kept for one tenant (0: forever), and the rooms with their own.
struct Policy {
  std::uint32_t archiveDays = 365;
  std::uint32_t roomArchiveDays = 365;
  std::uint32_t fileDays = 365;
  std::uint32_t loginDays = 180;
  std::uint32_t evidenceDays = 180;
  std::uint32_t auditDays = 180;
  std::map<std::string, std::uint32_t> rooms;  // room@service -> days
  std::uint32_t daysOf(core::DataKind kind) const;
};

// The tenant's policy under `config`.
Policy policyFor(const core::Config& config, std::string_view tenant);
// Every tenant's policy as JSON (rampartctl retention show, docs): days per kind and room.
boost::json::object policyJson(const core::Config& config, std::string_view tenant);

class Scheduler {
 public:
  Scheduler(const core::Config& config, AuditSink& audit);

  // Registers how `kind` data of `tenant` kept at `where` (a host, or a group chat service)
  // is deleted. Thread-safe.
  void add(std::string tenant, std::string where, core::DataKind kind, core::Purger purger);
  // Forgets every purger (before the modules that registered them stop).
  void clear();

  // The cut-offs for one kind of one tenant at `nowMs`.
  core::RetentionCutoff cutoffFor(std::string_view tenant, std::string_view where,
                                  core::DataKind kind, std::int64_t nowMs) const;

  // One pass over everything registered; run on the storage thread. Returns the number of
  // items deleted.
  std::size_t runOnce(storage::Storage& s, std::int64_t nowMs);

 private:
  // The tenant's policy, as read at start (the server-wide one for "", the audit log's).
  Policy policyOf(std::string_view tenant) const;
  struct Entry {
    std::string tenant, where;
    core::DataKind kind;
    core::Purger purger;
  };
  const core::Config& config_;
  AuditSink& audit_;
  std::map<std::string, Policy, std::less<>> policies_;
  std::mutex mu_;
  std::vector<Entry> entries_;
};

}  // namespace rampart::security::retention
