#pragma once
// One login record as JSON: the fields rampartctl login-log --json and the admin API both
// print (time, source, port, protocol, client, resource, credential, country, city, result,
// reason). Stateless; thread-safe.

#include <boost/json.hpp>

#include "rampart/storage/account_security_store.h"
#include "security/audit/audit_log.h"

namespace rampart::security::logins {

inline boost::json::object loginJson(const storage::LoginRecord& r) {
  return boost::json::object{{"time", audit::formatUtcMillis(r.timeMs)},
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

}  // namespace rampart::security::logins
