// The admin API's account security operations: freeze, logout, device credentials, login
// records and sign-in locks. Each goes through AdminOps (authorize the tenant, audit first,
// act); the running server applies changes to live sessions through the accountChanged hook.

#include <boost/json.hpp>

#include "http/admin/admin_api_impl.h"
#include "rampart/core/datetime.h"
#include "rampart/core/jid.h"
#include "security/logins/login_json.h"

namespace rampart::http::admin {

namespace {

Response noContent() {
  Response r;
  r.status = 204;
  return r;
}

}  // namespace

Response AdminApi::Impl::freezeUser(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"mode", "until", "reason"});
  std::string mode = f.str("mode", false, 16);
  const std::string until = f.str("until", false, 64);
  const std::string reason = f.str("reason", true, 500);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  std::int64_t untilMs = 0;
  if (!until.empty()) {
    auto us = core::parseDateTime(until);
    if (!us) {
      return problemOf(422, "invalid-input", "Invalid input",
                       "\"until\" must be an RFC 3339 date-time");
    }
    untilMs = *us / 1000;
  }
  if (auto st = ops->freezeUser(c.actor, c.params["jid"], mode.empty() ? "lock" : mode, untilMs,
                                reason);
      !st.isOk()) {
    return fromStatus(st);
  }
  return noContent();
}

Response AdminApi::Impl::unfreezeUser(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"reason"});
  const std::string reason = f.str("reason", true, 500);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  if (auto st = ops->unfreezeUser(c.actor, c.params["jid"], reason); !st.isOk()) {
    return fromStatus(st);
  }
  return noContent();
}

Response AdminApi::Impl::logoutUser(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"revoke_devices"});
  const bool revoke = f.boolean("revoke_devices", false);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  if (auto st = ops->logoutUser(c.actor, c.params["jid"], revoke); !st.isOk()) {
    return fromStatus(st);
  }
  return noContent();
}

Response AdminApi::Impl::devices(Call& c) {
  auto list = ops->listDevices(c.actor, c.params["jid"]);
  if (!list.isOk()) {
    return fromStatus(list.status());
  }
  json::array items;
  for (const auto& d : list.value()) {
    items.push_back(security::logins::deviceJson(d));
  }
  return jsonResponse(json::object{{"items", items}, {"next_cursor", nullptr}});
}

Response AdminApi::Impl::addDevice(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"name"});
  const std::string name = f.str("name", true, 64);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  auto d = ops->addDevice(c.actor, c.params["jid"], name);
  if (!d.isOk()) {
    return fromStatus(d.status());
  }
  json::object o = security::logins::deviceJson(d.value().record);
  o["password"] = d.value().password;  // shown once
  return jsonResponse(o, 201);
}

Response AdminApi::Impl::revokeDevice(Call& c) {
  if (auto st = ops->revokeDevice(c.actor, c.params["jid"], c.params["id"]); !st.isOk()) {
    return fromStatus(st);
  }
  return noContent();
}

Response AdminApi::Impl::logins(Call& c) {
  const auto pageSize = pageLimit(c.query, 50);
  if (!pageSize) {
    return badLimit();
  }
  const auto before = numericCursor(c.query);
  if (!before) {
    return problemOf(422, "invalid-input", "Invalid input", "bad cursor");
  }
  // An account's records, or (GET /logins) the whole tenant's.
  std::string target = c.params.count("jid") ? c.params["jid"] : queryOr(c.query, "tenant");
  if (target.empty()) {
    target = c.principal->tenant.empty() ? deps.hosts.front() : c.principal->tenant;
  }
  auto rows = ops->loginLog(c.actor, target, *pageSize, static_cast<std::int64_t>(*before));
  if (!rows.isOk()) {
    return fromStatus(rows.status());
  }
  json::array items;
  for (const auto& r : rows.value()) {
    json::object o = security::logins::loginJson(r);
    o["id"] = r.id;  // the cursor of the next page
    items.push_back(std::move(o));
  }
  const bool more = rows.value().size() == *pageSize;
  return jsonResponse(json::object{
      {"items", items},
      {"next_cursor", more ? json::value(std::to_string(rows.value().back().id))
                           : json::value(nullptr)}});
}

Response AdminApi::Impl::locks(Call& c) {
  auto list = ops->listLocks(c.actor);
  if (!list.isOk()) {
    return fromStatus(list.status());
  }
  json::array items;
  for (const auto& l : list.value()) {
    items.push_back(json::object{
        {"kind", l.kind},
        {"account", l.user.empty() ? json::value(nullptr) : json::value(l.user + "@" + l.host)},
        {"source", l.source.empty() ? json::value(nullptr) : json::value(l.source)},
        {"tenant", l.host.empty() ? json::value(nullptr) : json::value(l.host)},
        {"failures", l.failures},
        {"locked_until", security::audit::formatUtcMillis(l.lockedUntilMs)}});
  }
  return jsonResponse(json::object{{"items", items}, {"next_cursor", nullptr}});
}

Response AdminApi::Impl::clearLocks(Call& c) {
  auto n = ops->clearLocks(c.actor, c.params["jid"]);
  if (!n.isOk()) {
    return fromStatus(n.status());
  }
  return jsonResponse(json::object{{"cleared", n.value()}});
}

// The export is recorded (user.export) before the data leaves, and streamed from a spool file
// sealed under the account's key.
Response AdminApi::Impl::exportUser(Call& c) {
  auto download = rights->exportForDownload(c.actor, c.params["jid"]);
  if (!download.isOk()) return fromStatus(download.status());
  Response r;
  r.contentType = "application/zip";
  r.source = std::move(download.value().body);
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"rampart-export.zip\"");
  return r;
}

Response AdminApi::Impl::eraseUser(Call& c) {
  auto report = rights->erase(c.actor, c.params["jid"]);
  if (!report.isOk()) return fromStatus(report.status());
  return jsonResponse(report.value());
}

}  // namespace rampart::http::admin
