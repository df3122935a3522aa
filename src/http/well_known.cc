#include "http/well_known.h"

#include <algorithm>
#include <cctype>

#include "rampart/core/element.h"

namespace rampart::http {
namespace {
constexpr std::string_view kRelWebSocket = "urn:xmpp:alt-connections:websocket";

// "name" or "name:port" where name is one of `known` (letter case aside).
bool knownHost(std::string_view h, const std::vector<std::string>& known) {
  std::string_view name = h;
  if (auto colon = h.rfind(':'); colon != std::string_view::npos && h.front() != '[') {
    name = h.substr(0, colon);
    std::string_view port = h.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != port.npos) {
      return false;
    }
  }
  for (const auto& k : known) {
    if (name.size() == k.size() &&
        std::equal(name.begin(), name.end(), k.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      return true;
    }
  }
  return false;
}

std::string jsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out;
}
}  // namespace

void addHostMeta(Router& router, std::string websocketPath, std::vector<std::string> knownHosts) {
  auto url = [websocketPath, knownHosts](const Request& req) {
    return "wss://" + (knownHost(req.host, knownHosts) ? req.host : knownHosts.front()) +
           websocketPath;
  };
  router.add("GET", "/.well-known/host-meta", [url](const Request& req) {
    core::Element xrd("XRD", "http://docs.oasis-open.org/ns/xri/xrd-1.0");
    xrd.addChild("Link", "http://docs.oasis-open.org/ns/xri/xrd-1.0")
        .setAttr("rel", kRelWebSocket)
        .setAttr("href", url(req));
    Response r;
    r.contentType = "application/xrd+xml; charset=utf-8";
    r.body = "<?xml version='1.0' encoding='utf-8'?>" + xrd.str("");
    r.headers.emplace_back("Access-Control-Allow-Origin", "*");
    return r;
  });
  router.add("GET", "/.well-known/host-meta.json", [url](const Request& req) {
    Response r;
    r.contentType = "application/json";
    r.body = "{\"links\":[{\"rel\":\"" + std::string(kRelWebSocket) + "\",\"href\":\"" +
             jsonEscape(url(req)) + "\"}]}";
    r.headers.emplace_back("Access-Control-Allow-Origin", "*");
    return r;
  });
}

}  // namespace rampart::http
