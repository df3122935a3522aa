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

Response problem(int status, std::string_view title, std::string_view detail) {
  Response r;
  r.status = status;
  r.contentType = "application/problem+json";
  r.body = "{\"type\":\"about:blank\",\"title\":";
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

void Router::dispatch(Request req, Respond respond) const {
  auto it = routes_.find({req.method, req.path});
  if (it != routes_.end()) {
    respond(it->second(req));
    return;
  }
  std::string allowed;
  for (const auto& p : prefixes_) {
    if (req.path.starts_with(p.prefix)) {
      if (p.method == req.method || (p.method == "GET" && req.method == "HEAD")) {
        p.handler(std::move(req), std::move(respond));
        return;
      }
      allowed += allowed.empty() ? p.method : ", " + p.method;
    }
  }
  for (const auto& [key, h] : routes_) {
    if (key.second == req.path) {
      allowed += allowed.empty() ? key.first : ", " + key.first;
    }
  }
  if (!allowed.empty()) {
    Response r = problem(405, "Method Not Allowed");
    r.headers.emplace_back("Allow", allowed);
    respond(std::move(r));
    return;
  }
  respond(problem(404, "Not Found", "no resource at this path"));
}

}  // namespace rampart::http
