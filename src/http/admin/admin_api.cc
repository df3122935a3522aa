#include "http/admin/admin_api.h"
#include "http/admin/admin_api_impl.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "core/credentials.h"
#include "core/sasl/scram.h"
#include "rampart/core/jid.h"
#include "rampart/core/random.h"
#include "security/mfa/totp.h"

namespace rampart::http::admin {

void AdminApi::Impl::define() {
  using P = Permission;
  const std::vector<Stage> any{Stage::kPasswordChange, Stage::kTotpEnrolment, Stage::kActive};
  auto op = [this](std::string method, std::string path, std::string id, std::string summary,
                   std::optional<P> perm, Response (Impl::*fn)(Call&),
                   std::string schema = {}) -> Operation& {
    Operation o;
    o.method = std::move(method);
    o.path = std::move(path);
    o.id = std::move(id);
    o.summary = std::move(summary);
    o.permission = perm;
    o.requestSchema = std::move(schema);
    o.handler = [this, fn](Call& c) { return (this->*fn)(c); };
    operations.push_back(std::move(o));
    return operations.back();
  };
  const std::string jidSchema = R"({"type":"string","maxLength":1023})";
  {
    Operation o;
    o.method = "GET";
    o.path = "/api/v1/openapi.json";
    o.id = "openapi";
    o.summary = "This document";
    o.open = true;
    o.handler = [this](Call&) {
      Response r;
      r.body = openApi();
      return r;
    };
    operations.push_back(std::move(o));
  }
  op("POST", "/api/v1/session", "session.create",
     "Sign in with password and second factor (TOTP or a recovery code)", std::nullopt,
     &Impl::signIn,
     R"({"type":"object","required":["jid","password"],"additionalProperties":false,"properties":{"jid":{"type":"string"},"password":{"type":"string"},"code":{"type":"string","description":"TOTP code or recovery code"}}})")
      .open = true;
  op("GET", "/api/v1/session", "session.read", "The signed-in administrator and the stage",
     std::nullopt, &Impl::sessionInfo)
      .stages = any;
  op("DELETE", "/api/v1/session", "session.delete", "Sign out (ends the session on the server)",
     std::nullopt, &Impl::signOut)
      .stages = any;
  op("POST", "/api/v1/session/password", "session.password",
     "Change one's own password (required at the first sign-in)", std::nullopt,
     &Impl::changePassword,
     R"({"type":"object","required":["new_password"],"additionalProperties":false,"properties":{"current_password":{"type":"string"},"new_password":{"type":"string","minLength":12}}})")
      .stages = {Stage::kPasswordChange, Stage::kActive};
  op("POST", "/api/v1/session/totp", "session.totp.start",
     "Start TOTP enrolment: a new secret, its otpauth URI and QR code", std::nullopt,
     &Impl::totpStart)
      .stages = {Stage::kTotpEnrolment};
  op("POST", "/api/v1/session/totp/confirm", "session.totp.confirm",
     "Finish TOTP enrolment with a code; returns 10 single-use recovery codes once",
     std::nullopt, &Impl::totpConfirm,
     R"({"type":"object","required":["code"],"additionalProperties":false,"properties":{"code":{"type":"string","pattern":"^[0-9]{6}$"}}})")
      .stages = {Stage::kTotpEnrolment};
  op("GET", "/api/v1/status", "status.read", "Health, connections, sessions and message rates",
     P::kServerStatus, &Impl::status);
  op("GET", "/api/v1/tenants", "tenant.list", "The tenants (virtual hosts)", P::kTenantRead,
     &Impl::tenants);
  op("GET", "/api/v1/users", "user.list",
     "Accounts of a tenant (query: tenant, q, cursor, limit)", P::kUserRead, &Impl::users);
  op("POST", "/api/v1/users", "user.create", "Create an account", P::kUserWrite,
     &Impl::createUser,
     R"({"type":"object","required":["jid","password"],"additionalProperties":false,"properties":{"jid":{"type":"string"},"password":{"type":"string","minLength":1,"maxLength":1023}}})");
  op("DELETE", "/api/v1/users/{jid}", "user.delete", "Delete an account with all its data",
     P::kUserWrite, &Impl::deleteUser);
  op("POST", "/api/v1/users/{jid}/export", "user.export",
     "Everything stored about an account, as a ZIP archive (a person's request under PIPL art. 45 "
     "or GDPR arts. 15 and 20)", P::kUserWrite, &Impl::exportUser);
  op("POST", "/api/v1/users/{jid}/erase", "user.erase",
     "Erase an account and everything about it, with tombstones in others' archives and its "
     "keys destroyed; answers the report", P::kUserWrite, &Impl::eraseUser);
  op("PUT", "/api/v1/users/{jid}/password", "user.password", "Set an account's password",
     P::kUserWrite, &Impl::setPassword,
     R"({"type":"object","required":["password"],"additionalProperties":false,"properties":{"password":{"type":"string","minLength":1,"maxLength":1023}}})");
  op("GET", "/api/v1/users/{jid}/sessions", "session.list", "An account's signed-in sessions",
     P::kUserRead, &Impl::userSessions);
  op("DELETE", "/api/v1/users/{jid}/sessions", "session.end",
     "End all of an account's sessions (forced logout)", P::kSessionEnd, &Impl::endUserSessions);
  op("POST", "/api/v1/users/{jid}/freeze", "user.freeze",
     "Freeze an account: lock (sessions end, sign-in refused) or suspend (read-only)",
     P::kAccountFreeze, &Impl::freezeUser,
     R"({"type":"object","required":["reason"],"additionalProperties":false,"properties":{"mode":{"enum":["lock","suspend"]},"until":{"type":["string","null"],"format":"date-time"},"reason":{"type":"string","minLength":1,"maxLength":500}}})");
  op("POST", "/api/v1/users/{jid}/unfreeze", "user.unfreeze", "Unfreeze an account",
     P::kAccountFreeze, &Impl::unfreezeUser,
     R"({"type":"object","required":["reason"],"additionalProperties":false,"properties":{"reason":{"type":"string","minLength":1,"maxLength":500}}})");
  op("POST", "/api/v1/users/{jid}/logout", "user.logout",
     "End every session of the account (streams, resumable sessions, WebSocket), optionally "
     "revoking its device credentials",
     P::kSessionEnd, &Impl::logoutUser,
     R"({"type":"object","additionalProperties":false,"properties":{"revoke_devices":{"type":"boolean"}}})");
  op("GET", "/api/v1/users/{jid}/devices", "device.list", "An account's device credentials",
     P::kDeviceRead, &Impl::devices);
  op("POST", "/api/v1/users/{jid}/devices", "device.create",
     "A new app password for one device (shown once)", P::kDeviceWrite, &Impl::addDevice,
     R"({"type":"object","required":["name"],"additionalProperties":false,"properties":{"name":{"type":"string","minLength":1,"maxLength":64}}})");
  op("DELETE", "/api/v1/users/{jid}/devices/{id}", "device.revoke",
     "Revoke a device credential (that device's sessions end)", P::kDeviceWrite,
     &Impl::revokeDevice);
  op("GET", "/api/v1/users/{jid}/logins", "login.list",
     "An account's sign-in attempts, newest first (cursor pagination)", P::kLoginRead,
     &Impl::logins);
  op("GET", "/api/v1/logins", "login.list.tenant",
     "A tenant's sign-in attempts, every protocol, newest first (query: tenant, cursor, limit)",
     P::kLoginRead, &Impl::logins);
  op("GET", "/api/v1/locks", "lock.list", "Sign-in locks in force", P::kLockRead, &Impl::locks);
  op("DELETE", "/api/v1/users/{jid}/locks", "lock.clear", "Clear an account's sign-in locks",
     P::kLockClear, &Impl::clearLocks);
  op("GET", "/api/v1/roles", "role.list", "Administrators and their roles", P::kAdminRead,
     &Impl::roles);
  op("POST", "/api/v1/roles", "role.grant", "Grant an administrator role", P::kRoleWrite,
     &Impl::grant,
     R"({"type":"object","required":["jid","role"],"additionalProperties":false,"properties":{"jid":{"type":"string"},"role":{"enum":["sysadmin","secadmin","auditor","reviewer"]},"tenant":{"type":["string","null"]}}})");
  op("DELETE", "/api/v1/roles/{jid}/{role}", "role.revoke", "Revoke an administrator role",
     P::kRoleWrite, &Impl::revoke);
  op("GET", "/api/v1/tokens", "token.list",
     "One's own API tokens (all=true: every administrator's, needs token.manage)", P::kTokenOwn,
     &Impl::tokens);
  op("POST", "/api/v1/tokens", "token.create",
     "Create an API token for oneself (shown once); needs a session signed in with TOTP",
     P::kTokenOwn, &Impl::createToken,
     R"({"type":"object","additionalProperties":false,"properties":{"ttl":{"type":"integer","minimum":60,"maximum":31622400},"label":{"type":"string","maxLength":100}}})");
  op("DELETE", "/api/v1/tokens/{id}", "token.revoke", "Revoke an API token", P::kTokenOwn,
     &Impl::revokeToken);
  op("GET", "/api/v1/audit/events", "audit.read",
     "Audit records, newest first (query: actor, action, tenant, result, from, to, cursor, "
     "limit)",
     P::kAuditRead, &Impl::auditEvents);
  op("GET", "/api/v1/audit/export", "audit.export", "The audit log as JSON Lines",
     P::kAuditExport, &Impl::auditExport);
  op("GET", "/api/v1/audit/verification", "audit.verify",
     "Recompute the Merkle tree and check every signed checkpoint", P::kAuditRead,
     &Impl::auditVerification);
  op("GET", "/api/v1/audit/checkpoint", "audit.checkpoint",
     "The latest signed checkpoint (query: size for an earlier one), C2SP note format",
     P::kAuditRead, &Impl::auditCheckpoint);
  op("GET", "/api/v1/audit/key", "audit.key", "The checkpoint verifier key", P::kAuditRead,
     &Impl::auditKey);
  op("GET", "/api/v1/audit/proofs/inclusion", "audit.proof.inclusion",
     "RFC 9162 inclusion proof (query: index, size)", P::kAuditRead, &Impl::inclusionProof);
  op("GET", "/api/v1/audit/proofs/consistency", "audit.proof.consistency",
     "RFC 9162 consistency proof (query: first, second)", P::kAuditRead,
     &Impl::consistencyProof);
  op("GET", "/api/v1/alerts", "alert.list",
     "Security alerts, newest first (query: open=true, cursor, limit)", P::kAlertRead,
     &Impl::alertList);
  op("POST", "/api/v1/alerts/{id}/acknowledge", "alert.acknowledge", "Acknowledge an alert",
     P::kAlertAcknowledge, &Impl::alertAcknowledge);
  op("GET", "/api/v1/scan/status", "scan.status",
     "Virus scanning: per clamd socket, its tenants, whether clamd answers, its engine and "
     "signature version and date",
     P::kServerStatus, &Impl::scanStatus);
  op("GET", "/api/v1/quarantine", "quarantine.list",
     "Messages held for review, newest first, with the queue's counts (query: tenant, status, "
     "rule, sender, cursor, limit); no message text",
     P::kQuarantineRead, &Impl::quarantineList);
  op("GET", "/api/v1/quarantine/{id}", "quarantine.view",
     "A held message with its text and the matched spans (audited)", P::kQuarantineRead,
     &Impl::quarantineItem);
  op("POST", "/api/v1/quarantine/{id}/approve", "quarantine.approve",
     "Approve a held message: delivered with its original time", P::kQuarantineDecide,
     &Impl::quarantineApprove,
     R"({"type":"object","additionalProperties":false,"properties":{"reason":{"type":"string","maxLength":500}}})");
  op("POST", "/api/v1/quarantine/{id}/reject", "quarantine.reject",
     "Reject a held message: not delivered, kept as evidence; the sender is told the reason",
     P::kQuarantineDecide, &Impl::quarantineReject,
     R"({"type":"object","required":["reason"],"additionalProperties":false,"properties":{"reason":{"type":"string","minLength":1,"maxLength":500}}})");
  // What a person does in the console, never an automaton with a token: signing out, changing
  // one's password, enrolling TOTP, and creating API tokens (after a sign-in with TOTP).
  // Views that show personal data: masked per the caller's role (security/masking).
  for (auto& o : operations) {
    for (const char* id : {"user.list", "session.list", "device.list", "login.list",
                           "login.list.tenant", "lock.list", "audit.read", "audit.export",
                           "alert.list"}) {
      if (o.id == id) {
        o.personalData = true;
      }
    }
  }
  for (auto& o : operations) {
    if (o.id == "session.delete" || o.id == "session.password" || o.id == "session.totp.start" ||
        o.id == "session.totp.confirm" || o.id == "token.create") {
      o.sessionOnly = true;
    }
  }
}

std::string AdminApi::Impl::openApi() const {
  json::object doc;
  doc["openapi"] = "3.1.0";
  doc["info"] = {{"title", "Rampart admin API"}, {"version", "1"},
                 {"description",
                  "Every operation lists the administrator roles that may call it in "
                  "x-rampart-roles. Errors are application/problem+json (RFC 9457)."}};
  json::object security;
  security["bearer"] = {{"type", "http"}, {"scheme", "bearer"}};
  security["session"] = {{"type", "apiKey"}, {"in", "cookie"}, {"name", std::string(kCookie)}};
  json::object problem = {
      {"type", "object"},
      {"properties",
       {{"type", {{"type", "string"}}},
        {"title", {{"type", "string"}}},
        {"status", {{"type", "integer"}}},
        {"detail", {{"type", "string"}}}}}};
  doc["components"] = {{"securitySchemes", security}, {"schemas", {{"Problem", problem}}}};
  json::object paths;
  for (const auto& o : operations) {
    json::object item;
    item["operationId"] = o.id;
    item["summary"] = o.summary;
    json::array roles;
    if (o.permission) {
      for (auto r : security::permissionInfo(*o.permission).roles) {
        roles.push_back(json::value(security::roleName(r)));
      }
      item["x-rampart-permission"] = security::permissionInfo(*o.permission).name;
    } else if (!o.open) {
      for (auto r : security::kAllRoles) {
        roles.push_back(json::value(security::roleName(r)));
      }
    }
    item["x-rampart-roles"] = roles;
    if (o.open) {
      item["security"] = json::array();
    } else if (o.sessionOnly) {
      item["security"] = {json::object{{"session", json::array()}}};
    } else {
      item["security"] = {json::object{{"bearer", json::array()}},
                          json::object{{"session", json::array()}}};
    }
    json::array params;
    for (auto seg : segments(o.path)) {
      if (seg.size() > 2 && seg.front() == '{') {
        params.push_back({{"name", std::string(seg.substr(1, seg.size() - 2))},
                          {"in", "path"},
                          {"required", true},
                          {"schema", {{"type", "string"}}}});
      }
    }
    if (o.personalData) {
      params.push_back(
          {{"name", "reveal"},
           {"in", "query"},
           {"required", false},
           {"description",
            "true: personal data in clear instead of masked (permission personal.reveal; "
            "audited as personal.reveal)"},
           {"schema", {{"type", "boolean"}}}});
      item["x-rampart-masked"] = true;
    }
    if (!params.empty()) {
      item["parameters"] = params;
    }
    if (!o.requestSchema.empty()) {
      item["requestBody"] = {
          {"required", true},
          {"content", {{"application/json", {{"schema", json::parse(o.requestSchema)}}}}}};
    }
    json::object responses;
    responses["200"] = {{"description", "OK"}};
    json::object problemContent = {
        {"application/problem+json",
         {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}};
    for (const char* code : {"400", "401", "403", "404", "409", "422", "429", "503"}) {
      responses[code] = {{"description", "a problem"}, {"content", problemContent}};
    }
    item["responses"] = responses;
    std::string method = o.method;
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    auto& p = paths[o.path];
    if (!p.is_object()) {
      p = json::object();
    }
    p.as_object()[method] = item;
  }
  doc["paths"] = paths;
  return json::serialize(doc);
}

AdminApi::AdminApi(AdminApiDeps deps) {
  storage::Storage* db = deps.db;
  impl_ = std::make_unique<Impl>(std::move(deps), *db);
}

AdminApi::~AdminApi() = default;

std::string AdminApi::openApi() const { return impl_->openApi(); }

void AdminApi::registerRoutes(Router& router) {
  for (const char* m : {"GET", "POST", "PUT", "DELETE"}) {
    router.addPrefix(m, "/api/v1/", kMaxBody,
                     [this](Request req, Respond respond) {
                       impl_->handle(std::move(req), std::move(respond));
                     });
  }
  router.addPrefix("GET", "/metrics", 0, [this](Request req, Respond respond) {
    impl_->handle(std::move(req), std::move(respond));
  });
}

void AdminApi::Impl::handle(Request req, Respond respond) {
  // Storage, the audit log and password hashing block: everything runs on the storage thread.
  deps.storage.run([this, req = std::move(req), respond = std::move(respond)](storage::Storage&) {
    Response r;
    std::chrono::steady_clock::time_point due{};
    try {
      r = run(req, due);
    } catch (const std::exception& e) {
      spdlog::error("event=admin_api_error path={} error={}", req.path, e.what());
      r = problemOf(500, "internal", "Internal Server Error");
    }
    r.headers.emplace_back("Cache-Control", "no-store");
    if (due > std::chrono::steady_clock::now() && deps.executor) {
      // The throttle's pacing: the answer waits, the storage thread does not.
      auto timer = std::make_shared<boost::asio::steady_timer>(deps.executor, due);
      timer->async_wait([timer, respond, r = std::move(r)](boost::system::error_code) mutable {
        respond(std::move(r));
      });
      return;
    }
    respond(std::move(r));
  });
}

Response AdminApi::Impl::run(const Request& req, std::chrono::steady_clock::time_point& due) {
  const std::string requestId = core::randomToken(9);
  Actor anonymous{"anonymous", std::nullopt, req.peer, req.userAgent, requestId};
  // The listener's allow-list comes before anything else.
  if (!listenerAllow.contains(req.peer)) {
    ops->record(anonymous, action::kAllowListRefused, req.method + " " + req.path, "",
                AuditResult::kDenied, "address not in admin.allow");
    if (deps.hooks.alert) {
      deps.hooks.alert("admin-allow-list", "",
                       "admin request from " + req.peer + ", outside admin.allow");
    }
    return problemOf(403, "address-not-allowed", "Forbidden",
                     "this address may not use the admin interface");
  }
  if (req.path == "/metrics") {
    Call c{req, {}, {}, {}, std::nullopt, {}, std::nullopt, {}, anonymous};
    if (!req.authorization.empty()) {
      Operation metricsOp;
      metricsOp.id = "metrics.read";
      metricsOp.permission = Permission::kServerStatus;
      if (auto denied = authenticate(c, metricsOp); denied.status != 0) {
        return denied;
      }
      ops->record(c.actor, "metrics.read", "/metrics", c.principal->tenant, AuditResult::kSuccess);
    } else if (!metricsAllow.contains(req.peer)) {
      return problemOf(401, "unauthenticated", "Unauthorized",
                       "metrics need an API token, or an address in admin.metrics_allow");
    }
    Response r;
    r.contentType = "text/plain; version=0.0.4";
    r.body = deps.hooks.metricsText ? deps.hooks.metricsText() : std::string();
    return r;
  }
  // Find the operation.
  const Operation* found = nullptr;
  std::map<std::string, std::string> params;
  std::string allowed;
  for (const auto& o : operations) {
    std::map<std::string, std::string> p;
    if (!matchTemplate(o.path, req.path, p)) continue;
    const std::string method = req.method == "HEAD" ? "GET" : req.method;
    if (o.method == method) {
      found = &o;
      params = std::move(p);
      break;
    }
    allowed += (allowed.empty() ? "" : ", ") + o.method;
  }
  if (found == nullptr) {
    if (!allowed.empty()) {
      Response r = problemOf(405, "method-not-allowed", "Method Not Allowed");
      r.headers.emplace_back("Allow", allowed);
      return r;
    }
    return problemOf(404, "not-found", "Not Found", "no such API resource");
  }
  Call c{req, std::move(params), parseQuery(req.query), {}, std::nullopt, {}, std::nullopt, {},
         anonymous};
  if (!req.body.empty()) {
    if (req.contentType.find("application/json") == std::string::npos) {
      return problemOf(415, "unsupported-media-type", "Unsupported Media Type",
                       "send application/json");
    }
    auto body = parseBody(req.body);
    if (!body) {
      return problemOf(400, "malformed-json", "Bad Request",
                       "the body must be one JSON object");
    }
    c.body = std::move(*body);
  }
  if (!found->open) {
    if (Response denied = authenticate(c, *found); denied.status != 0) {
      return denied;
    }
  }
  std::optional<security::masking::ViewPolicy> masking;
  if (found->personalData) {
    auto policy = viewPolicy(c, *found);
    if (!policy.isOk()) {
      return fromStatus(policy.status());
    }
    masking = std::move(policy.value());
  }
  Response r = found->handler(c);
  due = c.due;
  if (masking && r.status < 300) {
    maskResponse(r, *masking);
  }
  // Every use of an API token is audited: writes record themselves, reads here.
  if (!c.tokenId.empty() && req.method == "GET" && r.status < 400 && found->id != "audit.read" &&
      found->id != "audit.export" && found->id != "audit.verify") {
    ops->record(c.actor, found->id, req.path, c.principal->tenant, AuditResult::kSuccess);
  }
  return r;
}

core::Result<security::masking::ViewPolicy> AdminApi::Impl::viewPolicy(Call& c,
                                                                       const Operation& op) {
  security::masking::ViewPolicy p;
  p.accountDomains = deps.hosts;
  const Principal& who = *c.principal;
  p.addresses = security::authorize(who, Permission::kAddressRead, who.tenant) !=
                security::Decision::kAllow;
  const std::string reveal = queryOr(c.query, "reveal");
  if (reveal.empty() || reveal == "false" || reveal == "0") {
    return p;
  }
  if (reveal != "true" && reveal != "1") {
    return core::Status::invalidArgument("reveal must be true or false");
  }
  const std::string object = c.req.method + " " + c.req.path +
                             (c.req.query.empty() ? "" : "?" + c.req.query);
  // The check records a denial; an allowed reveal is recorded before anything is shown.
  if (auto st = ops->check(c.actor, Permission::kPersonalReveal, who.tenant,
                           action::kPersonalReveal, object);
      !st.isOk()) {
    return st;
  }
  if (auto st = ops->record(c.actor, action::kPersonalReveal, object, who.tenant,
                            AuditResult::kSuccess, {}, {{"view", op.id}});
      !st.isOk()) {
    return core::Status::unavailable("the audit log cannot be written: " + st.message());
  }
  p.addresses = false;
  p.personal = false;
  return p;
}

void AdminApi::Impl::maskResponse(Response& r, const security::masking::ViewPolicy& p) {
  if (p.masksNothing()) {
    return;
  }
  if (r.contentType == "application/jsonl") {
    r.body = security::masking::maskJsonLines(r.body, p);
    return;
  }
  auto v = security::masking::parseForMasking(r.body);
  if (!v) {
    // Fail closed: a view that cannot be masked is not shown.
    r = problemOf(500, "internal", "Internal Server Error", "the view could not be masked");
    return;
  }
  if (security::masking::maskJson(*v, p)) {
    r.body = json::serialize(*v);
  }
}

std::optional<Response> AdminApi::Impl::roleGate(const Request& req, const std::string& jid,
                                                 const std::string& role,
                                                 const std::string& tenant) {
  Actor who{jid, std::nullopt, req.peer, req.userAgent, {}};
  auto it = roleAllow.find(role);
  if (it != roleAllow.end() && !it->second.contains(req.peer)) {
    ops->record(who, action::kAllowListRefused, jid, tenant, AuditResult::kDenied,
                "address not in admin.roles." + role + ".allow");
    if (deps.hooks.alert) {
      deps.hooks.alert("admin-allow-list", tenant,
                       jid + " (" + role + ") from " + req.peer + ", outside the role's allow-list");
    }
    return problemOf(403, "address-not-allowed", "Forbidden",
                     "this role may not be used from this address");
  }
  auto rc = deps.config.adminRoles.find(role);
  if (rc != deps.config.adminRoles.end() && rc->second.clientCertificate &&
      !req.clientCertVerified) {
    ops->record(who, action::kAdminSignIn, jid, tenant, AuditResult::kDenied,
                "no valid client certificate");
    return problemOf(403, "client-certificate-required", "Forbidden",
                     "this role needs a client certificate issued by the operators' CA");
  }
  return std::nullopt;
}

bool AdminApi::Impl::accountLocked(const std::string& jid) {
  const auto at = jid.find('@');
  if (at == std::string::npos) return false;
  auto state = db->accountSecurity().accountState(jid.substr(at + 1), jid.substr(0, at));
  return state.isOk() && state.value().lockedAt(nowMs());
}

std::string AdminApi::Impl::sessionRevoked(const std::string& jid, std::int64_t createdMs) {
  const auto at = jid.find('@');
  if (at == std::string::npos) return {};
  auto state = db->accountSecurity().accountState(jid.substr(at + 1), jid.substr(0, at));
  if (!state.isOk()) return {};
  if (state.value().lockedAt(nowMs())) return "the account is locked";
  if (state.value().sessionsRevokedMs != 0 && createdMs < state.value().sessionsRevokedMs) {
    return "the account was signed out everywhere";
  }
  return {};
}

// Status 0 when the caller is authenticated and allowed to call `op`.
Response AdminApi::Impl::authenticate(Call& c, const Operation& op) {
  const Request& req = c.req;
  Response none;
  none.status = 0;
  if (req.authorization.starts_with("Bearer ") && op.sessionOnly) {
    return problemOf(401, "session-required", "Unauthorized",
                     "this operation needs a console session signed in with TOTP, not a token");
  }
  if (req.authorization.starts_with("Bearer ")) {
    auto who = ops->authenticateToken(req.authorization.substr(7), req.peer);
    if (!who.isOk()) {
      Response r = problemOf(401, "unauthenticated", "Unauthorized",
                             "unknown, expired or revoked API token");
      r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return r;
    }
    c.principal = who.value().principal;
    c.tokenId = who.value().tokenId;
    if (accountLocked(c.principal->jid)) {
      return problemOf(403, "account-disabled", "Forbidden",
                       "the account of this token is locked");
    }
    c.actor = Actor{c.principal->jid, c.principal, req.peer, "token:" + c.tokenId,
                    c.actor.requestId};
    if (auto gate = roleGate(req, c.principal->jid, std::string(security::roleName(c.principal->role)),
                             c.principal->tenant)) {
      return *gate;
    }
  } else if (auto id = cookieValue(req.cookie, kCookie); !id.empty()) {
    std::string ended;
    auto s = sessions.find(id, &ended);
    if (!s) {
      return problemOf(401, "session-ended", "Unauthorized", ended);
    }
    // The role may have been revoked (or the account deleted) since the sign-in, by the API or
    // by rampartctl: every request checks the grant again.
    auto at = s->principal.jid.find('@');
    auto grant = db->admin().roleOf(s->principal.jid.substr(at + 1), s->principal.jid.substr(0, at));
    if (!grant.isOk() || !grant.value() ||
        grant.value()->role != security::roleName(s->principal.role) ||
        grant.value()->tenant != s->principal.tenant) {
      sessions.end(id);
      return problemOf(401, "session-ended", "Unauthorized",
                       "the administrator role of this session was revoked");
    }
    // A freeze (lock) or "sign out everywhere" of the account ends its console sessions too.
    const std::string why = sessionRevoked(s->principal.jid, s->createdMs);
    if (!why.empty()) {
      sessions.end(id);
      return problemOf(401, "session-ended", "Unauthorized", why);
    }
    c.session = s;
    c.sessionId = id;
    c.principal = s->principal;
    c.actor = Actor{s->principal.jid, s->principal, req.peer,
                    req.userAgent.empty() ? "console" : req.userAgent, c.actor.requestId};
    // CSRF: every state change carries the session's token in X-CSRF-Token.
    if (req.method != "GET" && req.method != "HEAD" && !constantEquals(req.csrfToken, s->csrf)) {
      ops->record(c.actor, op.id, req.path, s->principal.tenant, AuditResult::kDenied,
                  "missing or wrong CSRF token");
      return problemOf(403, "csrf", "Forbidden", "missing or wrong X-CSRF-Token");
    }
    if (std::find(op.stages.begin(), op.stages.end(), s->stage) == op.stages.end()) {
      return problemOf(403, "stage", "Forbidden",
                       s->stage == Stage::kPasswordChange
                           ? "change the one-time password first"
                           : "enrol a second factor (TOTP) first");
    }
  } else {
    Response r = problemOf(401, "unauthenticated", "Unauthorized",
                           "sign in, or send an API token as Authorization: Bearer");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  if (op.permission) {
    // The role check; the tenant a request touches is checked again by its handler.
    const auto d = security::authorize(*c.principal, *op.permission, c.principal->tenant);
    if (d != security::Decision::kAllow) {
      const std::string why = std::string(security::decisionReason(d)) + " (" +
                              std::string(security::permissionInfo(*op.permission).name) + ")";
      ops->record(c.actor, op.id, req.path, c.principal->tenant, AuditResult::kDenied, why);
      return problemOf(403, "forbidden", "Forbidden", why);
    }
  }
  return none;
}

}  // namespace rampart::http::admin
