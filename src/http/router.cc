#include "rampart/http/router.h"

#include "rampart/core/element.h"

namespace rampart::http {
namespace {
void appendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}
}  // namespace

Response problem(int status, std::string_view title, std::string_view detail,
                 std::string_view type) {
  Response r;
  r.status = status;
  r.contentType = "application/problem+json";
  r.body = "{\"type\":";
  appendJsonString(r.body, type);
  r.body += ",\"title\":";
  appendJsonString(r.body, title);
  r.body += ",\"status\":" + std::to_string(status);
  if (!detail.empty()) {
    r.body += ",\"detail\":";
    appendJsonString(r.body, detail);
  }
  r.body += "}";
  return r;
}

const Router::Prefix* Router::match(std::string_view method, std::string_view path) const {
  for (const auto& p : prefixes_) {
    if (p.method == method && path.starts_with(p.prefix)) {
      return &p;
    }
  }
  return nullptr;
}

std::size_t Router::bodyLimit(std::string_view method, std::string_view path) const {
  const Prefix* p = match(method, path);
  return p != nullptr ? p->maxBody : kDefaultMaxBody;
}

std::string_view Router::spoolDir(std::string_view method, std::string_view path) const {
  const Prefix* p = match(method, path);
  return p != nullptr ? std::string_view(p->spoolDir) : std::string_view();
}

int Router::resolve(std::string_view method, std::string_view path, std::string* allowed) const {
  const std::string m(method);
  const std::string p(path);
  if (routes_.count({m, p}) > 0 || (m == "HEAD" && routes_.count({"GET", p}) > 0)) {
    return 200;
  }
  std::string allow;
  auto addAllowed = [&allow](const std::string& verb) {
    if (allow.find(verb) == std::string::npos) {
      allow += allow.empty() ? verb : ", " + verb;
    }
  };
  for (const auto& pre : prefixes_) {
    if (path.starts_with(pre.prefix)) {
      if (pre.method == method || (pre.method == "GET" && method == "HEAD")) {
        return 200;
      }
      addAllowed(pre.method);
      if (pre.method == "GET") {
        addAllowed("HEAD");
      }
    }
  }
  for (const auto& [key, h] : routes_) {
    if (key.second == path) {
      addAllowed(key.first);
      if (key.first == "GET") {
        addAllowed("HEAD");
      }
    }
  }
  if (allowed != nullptr) {
    *allowed = allow;
  }
  return allow.empty() ? 404 : 405;
}

void Router::dispatch(Request req, Respond respond) const {
  auto it = routes_.find({req.method, req.path});
  if (it == routes_.end() && req.method == "HEAD") {
    it = routes_.find({"GET", req.path});  // the server sends the headers only
  }
  if (it != routes_.end()) {
    respond(it->second(req));
    return;
  }
  for (const auto& p : prefixes_) {
    if (req.path.starts_with(p.prefix) &&
        (p.method == req.method || (p.method == "GET" && req.method == "HEAD"))) {
      p.handler(std::move(req), std::move(respond));
      return;
    }
  }
  std::string allowed;
  if (resolve(req.method, req.path, &allowed) == 405) {
    Response r = problem(405, "Method Not Allowed");
    r.headers.emplace_back("Allow", allowed);
    respond(std::move(r));
    return;
  }
  respond(problem(404, "Not Found", "no resource at this path"));
}

}  // namespace rampart::http
