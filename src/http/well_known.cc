#include "http/well_known.h"

#include "rampart/core/element.h"

namespace rampart::http {
namespace {
constexpr std::string_view kRelWebSocket = "urn:xmpp:alt-connections:websocket";

bool plausibleHost(std::string_view h) {
  if (h.empty() || h.size() > 255) {
    return false;
  }
  for (char c : h) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) {
      return false;
    }
  }
  return true;
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

void addHostMeta(Router& router, std::string websocketPath, std::string fallbackHost) {
  auto url = [websocketPath, fallbackHost](const Request& req) {
    return "wss://" + (plausibleHost(req.host) ? req.host : fallbackHost) + websocketPath;
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
