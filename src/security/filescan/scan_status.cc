#include "security/filescan/scan_status.h"

#include <map>

#include "security/filescan/clamd.h"

namespace rampart::security::filescan {

boost::json::array scanStatus(const core::Config& config, const std::vector<std::string>& hosts,
                              std::chrono::seconds timeout) {
  std::map<std::string, std::vector<std::string>> sockets;
  for (const auto& h : hosts) {
    sockets[config.contentSecurityFor(h).clamdSocket.value_or("")].push_back(h);
  }
  boost::json::array out;
  for (const auto& [socket, tenants] : sockets) {
    boost::json::array names;
    for (const auto& h : tenants) {
      names.push_back(boost::json::string(h));
    }
    boost::json::object o{{"tenants", names},
                          {"socket", socket.empty() ? boost::json::value(nullptr)
                                                    : boost::json::value(socket)}};
    std::string error;
    std::optional<ClamdVersion> v;
    if (!socket.empty()) {
      v = clamdVersion(socket, timeout, &error);
    }
    o["reachable"] = v.has_value();
    o["engine"] = v ? boost::json::value(v->engine) : boost::json::value(nullptr);
    o["signature_version"] = v && !v->signatureVersion.empty()
                                 ? boost::json::value(v->signatureVersion)
                                 : boost::json::value(nullptr);
    o["signature_date"] = v && !v->signatureDate.empty() ? boost::json::value(v->signatureDate)
                                                         : boost::json::value(nullptr);
    o["error"] = error.empty() ? boost::json::value(nullptr) : boost::json::value(error);
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace rampart::security::filescan
