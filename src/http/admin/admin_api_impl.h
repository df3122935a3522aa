#pragma once
// Internals of the admin API shared by admin_api.cc (routing, authentication, the OpenAPI
// document) and admin_handlers.cc (the operations). Not an interface: include nowhere else.

#include <boost/json.hpp>
#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "core/sasl/scram.h"
#include "http/admin/admin_api.h"
#include "http/admin/request.h"
#include "http/json_api.h"
#include "security/masking/view_masking.h"
#include "security/privacy/rights.h"
#include "rampart/core/hex.h"
#include "rampart/core/datetime.h"

namespace rampart::http::admin {

namespace json = boost::json;
using security::AuditResult;
using security::Permission;
using security::Principal;
using security::admin::Actor;
using security::admin::Stage;
namespace action = security::audit_action;


inline constexpr std::string_view kCookie = "__Host-rampart_admin";
inline constexpr std::size_t kMaxBody = 64 * 1024;

inline std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}



inline json::object grantJson(const storage::RoleGrant& g) {
  json::object o;
  o["jid"] = g.user + "@" + g.host;
  o["role"] = g.role;
  o["tenant"] = g.tenant.empty() ? json::value(nullptr) : json::value(g.tenant);
  o["granted"] = security::audit::formatUtcMillis(g.grantedMs);
  o["granted_by"] = g.grantedBy;
  return o;
}

inline json::object tokenJson(const storage::ApiToken& t) {
  json::object o;
  o["id"] = t.id;
  o["jid"] = t.user + "@" + t.host;
  o["role"] = t.role;
  o["tenant"] = t.tenant.empty() ? json::value(nullptr) : json::value(t.tenant);
  o["created"] = security::audit::formatUtcMillis(t.createdMs);
  o["expires"] = security::audit::formatUtcMillis(t.expiresMs);
  o["last_used"] = t.lastUsedMs ? json::value(security::audit::formatUtcMillis(t.lastUsedMs))
                                : json::value(nullptr);
  o["label"] = t.label;
  return o;
}


// One request as the handlers see it.
struct Call {
  const Request& req;
  std::map<std::string, std::string> params;  // from the path template
  std::map<std::string, std::string> query;
  json::object body;
  std::optional<Principal> principal;
  std::string sessionId;  // when signed in through the console
  std::optional<security::admin::AdminSession> session;
  std::string tokenId;  // when signed in with an API token
  Actor actor;
  // When the answer may go out (the sign-in throttle's pacing); default: at once.
  std::chrono::steady_clock::time_point due{};
};

struct Operation {
  std::string method;
  std::string path;  // template: /api/v1/users/{jid}
  std::string id;    // operationId, also the audit action of denials and token reads
  std::string summary;
  std::optional<Permission> permission;  // nullopt: no authorization beyond the stage
  bool open = false;                     // no authentication (sign-in, the document)
  bool sessionOnly = false;              // a console session, not an API token
  std::vector<Stage> stages{Stage::kActive};  // console sessions must be in one of these
  std::string requestSchema;                  // JSON Schema of the body (OpenAPI), if any
  // A view of personal data: its answer is masked per the caller's role, and `reveal=true`
  // asks for the clear values (personal.reveal, audited).
  bool personalData = false;
  std::function<Response(Call&)> handler;
};

struct AdminApi::Impl {
  AdminApiDeps deps;
  storage::Storage* db = nullptr;  // used on the storage thread only
  std::unique_ptr<security::admin::AdminOps> ops;
  security::privacy::Notices noNotices;  // consent is the person's own business
  std::unique_ptr<security::privacy::Rights> rights;
  security::admin::AdminSessions sessions;
  security::throttle::Privileged consoleLock;  // the console's stricter lock
  core::CidrList listenerAllow;
  core::CidrList metricsAllow;
  std::map<std::string, core::CidrList> roleAllow;
  std::vector<Operation> operations;

  explicit Impl(AdminApiDeps d, storage::Storage& storage)
      : deps(std::move(d)),
        db(&storage),
        sessions(deps.config.adminSessionIdle, deps.config.adminSessionMaxAge),
        consoleLock{"admin", deps.config.adminMaxFailures,
                    std::chrono::seconds(deps.config.adminLockoutSeconds)},
        listenerAllow(*core::CidrList::parse(deps.config.adminAllow)),
        metricsAllow(*core::CidrList::parse(deps.config.metricsAllow)) {
    for (const auto& [name, role] : deps.config.adminRoles) {
      if (!role.allow.empty()) {
        roleAllow.emplace(name, *core::CidrList::parse(role.allow));
      }
    }
    ops = std::make_unique<security::admin::AdminOps>(storage, deps.audit, deps.hosts,
                                                      deps.config.scramIterations);
    ops->setAccountChanged(deps.hooks.accountChanged);
    ops->setPasswordPolicy(deps.passwordPolicy);
    rights = std::make_unique<security::privacy::Rights>(storage, *ops, deps.config, noNotices);
    rights->setErased(deps.hooks.accountErased ? deps.hooks.accountErased
                                               : deps.hooks.accountChanged);
    rights->setFlush([&runner = deps.storage](storage::Storage& s) { runner.flushPending(s); });
    define();
  }

  void define();
  void handle(Request req, Respond respond);
  // `due`: when the answer may go out (set by sign-in).
  Response run(const Request& req, std::chrono::steady_clock::time_point& due);
  Response authenticate(Call& c, const Operation& op);
  // How a personal-data view is masked for this caller; PermissionDenied (recorded) when it
  // asks to reveal without personal.reveal; the reveal is recorded before the view runs.
  core::Result<security::masking::ViewPolicy> viewPolicy(Call& c, const Operation& op);
  static void maskResponse(Response& r, const security::masking::ViewPolicy& p);
  std::optional<Response> roleGate(const Request& req, const std::string& jid,
                                   const std::string& role, const std::string& tenant);
  std::string openApi() const;
  // Whether the account (user@host) is frozen in "lock" mode now.
  bool accountLocked(const std::string& jid);
  // Why a console session made at `createdMs` no longer stands (the account is locked or was
  // signed out everywhere since), or empty.
  std::string sessionRevoked(const std::string& jid, std::int64_t createdMs);

  // A login record of a console sign-in attempt (protocol "admin").
  void recordLogin(const Call& c, const std::string& host, const std::string& user, bool ok,
                   std::string credential, std::string reason);

  // Handlers.
  Response signIn(Call& c);
  Response sessionInfo(Call& c);
  Response signOut(Call& c);
  Response changePassword(Call& c);
  Response totpStart(Call& c);
  Response totpConfirm(Call& c);
  Response status(Call& c);
  Response tenants(Call& c);
  Response users(Call& c);
  Response createUser(Call& c);
  Response deleteUser(Call& c);
  Response setPassword(Call& c);
  Response userSessions(Call& c);
  Response endUserSessions(Call& c);
  Response roles(Call& c);
  Response grant(Call& c);
  Response revoke(Call& c);
  Response tokens(Call& c);
  Response createToken(Call& c);
  Response revokeToken(Call& c);
  Response auditEvents(Call& c);
  Response auditExport(Call& c);
  Response auditVerification(Call& c);
  Response auditCheckpoint(Call& c);
  Response auditKey(Call& c);
  Response inclusionProof(Call& c);
  Response consistencyProof(Call& c);
  Response alertList(Call& c);
  Response alertAcknowledge(Call& c);
  // Account security (account_handlers.cc).
  Response freezeUser(Call& c);
  Response unfreezeUser(Call& c);
  Response logoutUser(Call& c);
  Response devices(Call& c);
  Response addDevice(Call& c);
  Response revokeDevice(Call& c);
  Response logins(Call& c);
  Response locks(Call& c);
  Response clearLocks(Call& c);
  // A person's rights on request (account_handlers.cc).
  Response exportUser(Call& c);
  Response eraseUser(Call& c);
  // content_handlers.cc
  Response scanStatus(Call& c);
  Response quarantineList(Call& c);
  Response quarantineItem(Call& c);
  Response quarantineApprove(Call& c);
  Response quarantineReject(Call& c);
  Response quarantineDecide(Call& c, bool approve);

  // A tenant the caller names, checked against its scope.
  std::optional<Response> scope(Call& c, Permission p, const std::string& tenant,
                                std::string_view action, const std::string& object) {
    auto st = ops->check(c.actor, p, tenant, action, object);
    if (!st.isOk()) {
      return fromStatus(st);
    }
    return std::nullopt;
  }
};


}  // namespace rampart::http::admin
