#include "http/web_client.h"

#include "rampart/core/element.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>

namespace rampart::http {
namespace {

const char* typeFor(std::string_view path) {
  static const std::pair<std::string_view, const char*> kTypes[] = {
      {".js", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},             {".map", "application/json"},
      {".svg", "image/svg+xml"},                 {".png", "image/png"},
      {".jpg", "image/jpeg"},                    {".gif", "image/gif"},
      {".ico", "image/x-icon"},                  {".woff2", "font/woff2"},
      {".woff", "font/woff"},                    {".ttf", "font/ttf"},
      {".mp3", "audio/mpeg"},                    {".ogg", "audio/ogg"},
      {".wasm", "application/wasm"},             {".html", "text/html; charset=utf-8"}};
  for (const auto& [ext, type] : kTypes) {
    if (path.ends_with(ext)) {
      return type;
    }
  }
  return nullptr;
}

bool safeRelative(std::string_view p) {
  if (p.empty() || p.front() == '/' || p.find('\\') != std::string_view::npos ||
      p.find('\0') != std::string_view::npos) {
    return false;
  }
  std::size_t start = 0;
  while (start <= p.size()) {
    std::size_t slash = p.find('/', start);
    std::string_view seg = p.substr(start, slash == std::string_view::npos ? p.npos : slash - start);
    if (seg.empty() || seg == "." || seg == "..") {
      return false;
    }
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  return true;
}

std::optional<std::string> readFile(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    return std::nullopt;
  }
  std::ostringstream out;
  out << f.rdbuf();
  return out.str();
}

// The page runs only this origin's scripts and talks only to this origin (and HTTPS uploads).
constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; "
    "connect-src 'self' wss: https:; font-src 'self' data:; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

struct Cache {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<const std::string>> files;

  // The file's content, from memory after the first read when `keep`; null when unreadable.
  std::shared_ptr<const std::string> get(const std::filesystem::path& file, bool keep) {
    if (keep) {
      std::lock_guard lock(mu);
      if (auto it = files.find(file.string()); it != files.end()) {
        return it->second;
      }
    }
    auto data = readFile(file);
    if (!data) {
      return nullptr;
    }
    auto content = std::make_shared<const std::string>(std::move(*data));
    if (keep) {
      std::lock_guard lock(mu);
      files[file.string()] = content;
    }
    return content;
  }
};
}  // namespace

void addWebClient(Router& router, std::string root, std::vector<std::string> hosts,
                  std::map<std::string, std::string> displayNames, std::string accountUrl) {
  auto cache = std::make_shared<Cache>();
  router.add("GET", "/chat", [](const Request&) {
    Response r;
    r.status = 301;
    r.contentType = "text/plain";
    r.headers.emplace_back("Location", "/chat/");
    return r;
  });
  router.addPrefix("GET", "/chat/", 0, [root, hosts, displayNames, cache, accountUrl](
                                           Request req, Respond respond) {
    std::string rel = req.path.substr(6);  // after "/chat/"
    // Clients join paths loosely ("dist//emoji.json"): collapse repeated slashes.
    for (std::size_t pos; (pos = rel.find("//")) != std::string::npos;) {
      rel.erase(pos, 1);
    }
    std::filesystem::path file;
    bool page = false;
    if (rel.empty() || rel == "index.html") {
      file = std::filesystem::path(root) / "index.html";
      page = true;
    } else if (rel == "init.js") {
      file = std::filesystem::path(root) / "init.js";
    } else if (rel.starts_with("dist/") && safeRelative(rel.substr(5)) && typeFor(rel)) {
      file = std::filesystem::path(root) / "node_modules/converse.js/dist" / rel.substr(5);
    } else {
      respond(problem(404, "Not Found", "no such file of the web client"));
      return;
    }
    auto content = cache->get(file, true);
    if (!content) {
      respond(problem(page ? 503 : 404, page ? "Service Unavailable" : "Not Found",
                      page ? "the web client is not installed (run: make web)"
                           : "no such file of the web client"));
      return;
    }
    Response r;
    r.headers.emplace_back("Content-Security-Policy", kCsp);
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    if (page) {
      // The domain the user signs in to: the requested host when it is one of ours.
      std::string host = req.host.substr(0, req.host.rfind(':') == std::string::npos ||
                                                    req.host.front() == '['
                                                ? req.host.size()
                                                : req.host.rfind(':'));
      std::string domain = hosts.front();
      for (const auto& h : hosts) {
        if (h == host) {
          domain = h;
        }
      }
      std::string html = *content;
      const std::string marker = "{{XMPP_DOMAIN}}";
      if (auto pos = html.find(marker); pos != std::string::npos) {
        html.replace(pos, marker.size(), domain);
      }
      // The tenant's name as the operator configured it (hosts[].display_name), escaped for
      // the attribute it goes into; empty lets the page show the domain.
      std::string tenant;
      if (auto it = displayNames.find(domain); it != displayNames.end()) {
        core::appendEscapedAttr(tenant, it->second);
      }
      const std::string accountMarker = "{{ACCOUNT_URL}}";
      if (auto pos = html.find(accountMarker); pos != std::string::npos) {
        std::string escaped;
        core::appendEscapedAttr(escaped, accountUrl);
        html.replace(pos, accountMarker.size(), escaped);
      }
      const std::string tenantMarker = "{{TENANT_NAME}}";
      if (auto pos = html.find(tenantMarker); pos != std::string::npos) {
        html.replace(pos, tenantMarker.size(), tenant);
      }
      r.contentType = "text/html; charset=utf-8";
      r.body = std::move(html);
    } else {
      r.contentType = rel == "init.js" ? "text/javascript; charset=utf-8" : typeFor(rel);
      r.body = *content;
      r.headers.emplace_back("Cache-Control", "public, max-age=3600");
    }
    respond(std::move(r));
  });
}

void addAdminConsole(Router& router, std::string root) {
  addWebApp(router, "/", std::move(root), "admin console");
}

void addWebApp(Router& router, std::string prefix, std::string root, std::string name) {
  auto cache = std::make_shared<Cache>();
  if (prefix != "/") {
    router.add("GET", prefix.substr(0, prefix.size() - 1), [prefix](const Request&) {
      Response r;
      r.status = 301;
      r.contentType = "text/plain";
      r.headers.emplace_back("Location", prefix);
      return r;
    });
  }
  auto serve = [root, cache, prefix, name](Request req, Respond respond) {
    std::string rel = req.path.substr(prefix.size());
    std::filesystem::path file;
    bool page = false;
    if (rel.empty() || (rel.find('.') == std::string::npos && safeRelative(rel) &&
                        !rel.starts_with("api/"))) {
      file = std::filesystem::path(root) / "index.html";
      page = true;
    } else if ((rel.starts_with("assets/") && safeRelative(rel.substr(7)) && typeFor(rel)) ||
               rel == "favicon.svg") {
      file = std::filesystem::path(root) / rel;
    } else {
      respond(problem(404, "Not Found", "no such file of the " + name));
      return;
    }
    // The page is read each time (a new build names new assets); the assets, whose names
    // carry their content hash, are kept in memory.
    auto content = cache->get(file, !page);
    if (!content) {
      respond(problem(page ? 503 : 404, page ? "Service Unavailable" : "Not Found",
                      page ? "the " + name + " is not built (run: make build)"
                           : "no such file of the " + name));
      return;
    }
    Response r;
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
    r.contentType = page ? "text/html; charset=utf-8" : typeFor(rel);
    r.headers.emplace_back("Cache-Control", page ? "no-store" : "public, max-age=3600");
    r.body = *content;
    respond(std::move(r));
  };
  router.addPrefix("GET", prefix, 0, serve);
}

}  // namespace rampart::http
