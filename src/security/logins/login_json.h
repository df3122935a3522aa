#pragma once
// Account security records as JSON, one shape wherever they are shown: a login record (the
// fields rampartctl login-log --json, the admin API and the account center print: time,
// account, source, port, protocol, client, resource, credential, country, city, result, reason) and a
// device credential (never its secret). Stateless; thread-safe.

#include <boost/json.hpp>

#include "rampart/storage/account_security_store.h"
#include "security/audit/audit_log.h"

namespace rampart::security::logins {

inline boost::json::object loginJson(const storage::LoginRecord& r) {
  return boost::json::object{{"time", audit::formatUtcMillis(r.timeMs)},
                             {"account", r.host.empty() ? r.user : r.user + "@" + r.host},
                             {"source", r.source},
                             {"port", r.port},
                             {"protocol", r.protocol},
                             {"client", r.client},
                             {"resource", r.resource},
                             {"credential", r.credential},
                             {"country", r.country},
                             {"city", r.city},
                             {"result", r.success ? "success" : "failure"},
                             {"reason", r.reason}};
}

inline boost::json::object deviceJson(const storage::DeviceCredential& d) {
  using boost::json::value;
  return boost::json::object{
      {"id", d.id},
      {"kind", d.kind},
      {"name", d.name},
      {"client", d.client},
      {"created", audit::formatUtcMillis(d.createdMs)},
      {"last_used", d.lastUsedMs ? value(audit::formatUtcMillis(d.lastUsedMs)) : value(nullptr)},
      {"last_address", d.lastAddress.empty() ? value(nullptr) : value(d.lastAddress)}};
}

}  // namespace rampart::security::logins
