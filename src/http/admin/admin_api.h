#pragma once
// The admin REST API (/api/v1/ on the admin listener) and its OpenAPI 3.1 document, built from
// one table of operations: method, path, operation id, the permission it needs (the roles in
// `x-rampart-roles` come from security/authz), and the handler. Every request passes the
// listener's allow-list, then authentication (a bearer API token or a console session with
// its CSRF token), then the one authorization check, before any handler runs; handlers run on
// the storage thread. Errors are RFC 9457 problem details.

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cidr.h"
#include "core/config.h"
#include "core/workers.h"
#include "rampart/http/router.h"
#include "rampart/security/authz.h"
#include "security/password/password_policy.h"
#include "security/admin/admin_ops.h"
#include "security/admin/sessions.h"
#include "security/audit/audit_log.h"
#include "security/throttle/sign_in_throttle.h"

namespace rampart::http::admin {

// What the API needs from the rest of the server, as narrow hooks (all thread-safe).
struct AdminHooks {
  std::function<std::string()> metricsText;  // Prometheus exposition
  std::function<std::string()> statusJson;   // {"connections":..,"sessions":..,...}
  struct Session {
    std::string fullJid;
    std::string peer;
    std::int64_t sinceMs = 0;
  };
  std::function<std::vector<Session>(const std::string& bareJid)> sessionsOf;
  std::function<std::size_t(const std::string& bareJid)> endSessionsOf;
  // An account's security state changed (freeze, logout, device revoked): live sessions check
  // it again and queued notices go out. Called on the storage thread.
  std::function<void(const std::string& host, const std::string& user)> accountChanged;
  // After an erasure: as accountChanged, and copies of archived messages kept in memory (room
  // history) are refreshed.
  std::function<void(const std::string& host, const std::string& user)> accountErased;
  // An alert for the security pipeline (rule, tenant, summary); may be empty.
  std::function<void(std::string_view rule, const std::string& tenant, const std::string& summary)>
      alert;
};

struct AdminApiDeps {
  const core::Config& config;
  core::StorageRunner& storage;
  storage::Storage* db;  // the storage thread's; used only from there
  security::audit::AuditLog& audit;
  std::vector<std::string> hosts;
  AdminHooks hooks;
  const security::password::PasswordPolicy* passwordPolicy = nullptr;  // outlives the API
  // Console sign-in goes through the server's one sign-in throttle (pacing, smart lockout,
  // spraying), with the console's stricter lock (admin.max_failures, admin.lockout_seconds),
  // and writes a login record (protocol "admin") like every other sign-in.
  security::throttle::SignInThrottle* throttle = nullptr;  // null: no throttle (tests)
  std::string fingerprintKey;  // keys the digests of wrong passwords
  std::function<void(storage::LoginRecord)> recordLogin;
  boost::asio::any_io_executor executor;  // for answers the throttle delays
};

class AdminApi {
 public:
  explicit AdminApi(AdminApiDeps deps);
  ~AdminApi();
  AdminApi(const AdminApi&) = delete;
  AdminApi& operator=(const AdminApi&) = delete;

  // Registers /api/v1/ and /metrics on the admin listener's router.
  void registerRoutes(Router& router);
  // The OpenAPI document (also served at /api/v1/openapi.json).
  std::string openApi() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart::http::admin
