#include "security/retention/scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "rampart/core/jid.h"

namespace rampart::core {

std::string_view dataKindName(DataKind k) {
  switch (k) {
    case DataKind::kArchive:
      return "archive";
    case DataKind::kRoomArchive:
      return "room_archive";
    case DataKind::kFile:
      return "file";
    case DataKind::kLogin:
      return "login";
    case DataKind::kEvidence:
      return "evidence";
    case DataKind::kAudit:
      return "audit";
  }
  return "unknown";
}

}  // namespace rampart::core

namespace rampart::security::retention {

namespace json = boost::json;
using core::DataKind;

namespace {

constexpr std::int64_t kDayUs = 86'400'000'000LL;

// A module's retention_days for the host (its own table over the server's), if set.
std::optional<std::uint32_t> moduleDays(const core::Config& config, std::string_view host,
                                        const char* module) {
  auto opts = config.moduleOptions(std::string(host), module);
  if (!opts) return std::nullopt;
  auto it = opts->ints.find("retention_days");
  if (it == opts->ints.end()) return std::nullopt;
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(it->second, 0, 36500));
}

}  // namespace

std::uint32_t Policy::daysOf(DataKind kind) const {
  switch (kind) {
    case DataKind::kArchive:
      return archiveDays;
    case DataKind::kRoomArchive:
      return roomArchiveDays;
    case DataKind::kFile:
      return fileDays;
    case DataKind::kLogin:
      return loginDays;
    case DataKind::kEvidence:
      return evidenceDays;
    case DataKind::kAudit:
      return auditDays;
  }
  return 0;
}

Policy policyFor(const core::Config& config, std::string_view tenant) {
  const auto r = config.retentionFor(tenant);
  Policy p;
  p.archiveDays = r.archiveDays.value_or(moduleDays(config, tenant, "mam").value_or(365));
  p.roomArchiveDays = r.roomArchiveDays.value_or(moduleDays(config, tenant, "muc").value_or(365));
  p.fileDays = r.fileDays.value_or(moduleDays(config, tenant, "upload").value_or(365));
  p.auditDays = std::max(config.auditRetentionDays, kAuditMinimumDays);
  // Sign-in records are security logs too: as long as the audit log unless set.
  p.loginDays = r.loginDays.value_or(p.auditDays);
  p.evidenceDays = config.contentSecurityFor(tenant).evidenceDays.value_or(180);
  p.rooms = r.rooms;
  return p;
}

json::object policyJson(const core::Config& config, std::string_view tenant) {
  const Policy p = policyFor(config, tenant);
  json::object kinds;
  for (auto k : {DataKind::kArchive, DataKind::kRoomArchive, DataKind::kFile, DataKind::kLogin,
                 DataKind::kEvidence, DataKind::kAudit}) {
    kinds[core::dataKindName(k)] = p.daysOf(k);
  }
  json::object rooms;
  for (const auto& [room, days] : p.rooms) rooms[room] = days;
  return json::object{{"tenant", tenant}, {"days", std::move(kinds)}, {"rooms", std::move(rooms)},
                      {"audit_minimum_days", kAuditMinimumDays}};
}

Scheduler::Scheduler(const core::Config& config, AuditSink& audit)
    : config_(config), audit_(audit) {
  for (const auto& h : config.hosts) policies_.emplace(h.name, policyFor(config, h.name));
}

void Scheduler::add(std::string tenant, std::string where, DataKind kind, core::Purger purger) {
  std::lock_guard lock(mu_);
  entries_.push_back(Entry{std::move(tenant), std::move(where), kind, std::move(purger)});
}

void Scheduler::clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

Policy Scheduler::policyOf(std::string_view tenant) const {
  auto it = policies_.find(tenant);
  return it != policies_.end() ? it->second : policyFor(config_, tenant);
}

core::RetentionCutoff Scheduler::cutoffFor(std::string_view tenant, std::string_view where,
                                           DataKind kind, std::int64_t nowMs) const {
  const Policy p = policyOf(tenant);
  const std::int64_t nowUs = nowMs * 1000;
  auto cut = [nowUs](std::uint32_t days) {
    return days == 0 ? std::int64_t{0} : nowUs - std::int64_t{days} * kDayUs;
  };
  core::RetentionCutoff c;
  c.beforeUs = cut(p.daysOf(kind));
  if (kind == DataKind::kRoomArchive) {
    for (const auto& [room, days] : p.rooms) {
      auto jid = core::Jid::parse(room);
      if (jid && jid->domain() == where) c.owners.emplace(std::string(jid->local()), cut(days));
    }
  }
  return c;
}

std::size_t Scheduler::runOnce(storage::Storage& s, std::int64_t nowMs) {
  std::vector<Entry> entries;
  {
    std::lock_guard lock(mu_);
    entries = entries_;
  }
  std::size_t total = 0;
  for (const auto& e : entries) {
    const auto cutoff = cutoffFor(e.tenant, e.where, e.kind, nowMs);
    if (cutoff.beforeUs == 0 && cutoff.owners.empty()) continue;  // kept forever
    const std::size_t n = e.purger(s, cutoff);
    total += n;
    if (n == 0 || e.kind == DataKind::kAudit) continue;  // the audit log records its own pruning
    spdlog::info("event=retention_purge tenant={} where={} kind={} deleted={}", e.tenant, e.where,
                 core::dataKindName(e.kind), n);
    AuditEvent ev;
    ev.action = audit_action::kRetentionPurge;
    ev.actor = "rampartd";
    ev.source = "local";
    ev.client = "rampartd";
    ev.tenant = e.tenant;
    ev.object = e.where;
    ev.details = {{"kind", std::string(core::dataKindName(e.kind))},
                  {"deleted", std::to_string(n)},
                  {"days", std::to_string(policyOf(e.tenant).daysOf(e.kind))}};
    (void)audit_.record(ev);
  }
  return total;
}

}  // namespace rampart::security::retention
