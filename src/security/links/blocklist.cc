#include "security/links/blocklist.h"

#include <fstream>
#include <sstream>

namespace rampart::security::links {
namespace {

// The fields of one CSV line (RFC 4180 quoting).
std::vector<std::string> csvFields(std::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back().push_back(c);
    }
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

void Blocklist::addEntry(std::string_view entry, std::string threat) {
  auto u = canonicalize(entry);
  if (!u) {
    return;
  }
  // A bare domain (no path written) blocks the whole host: its root prefix.
  const bool wholeHost = entry.find('/', entry.find("://") == std::string_view::npos
                                             ? 0
                                             : entry.find("://") + 3) == std::string_view::npos;
  std::string key = u->host + (wholeHost ? "/" : u->path + (u->query.empty() ? "" : "?" + u->query));
  entries_.emplace(std::move(key), threat.empty() ? std::string("listed") : std::move(threat));
}

void Blocklist::addText(std::string_view text) {
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    std::string_view line = trim(text.substr(start, nl == std::string_view::npos ? std::string_view::npos
                                                                                   : nl - start));
    start = nl == std::string_view::npos ? text.size() : nl + 1;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (line.front() == '"') {
      // URLhaus: id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
      auto f = csvFields(line);
      if (f.size() >= 3) {
        addEntry(trim(f[2]), f.size() >= 6 ? std::string(trim(f[5])) : std::string());
      }
      continue;
    }
    addEntry(line, {});
  }
}

core::Result<std::shared_ptr<const Blocklist>> Blocklist::load(
    const std::vector<std::string>& files) {
  auto list = std::make_shared<Blocklist>();
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      return core::Status::invalidArgument("cannot read the link blocklist " + f);
    }
    std::stringstream text;
    text << in.rdbuf();
    list->addText(text.str());
  }
  return std::shared_ptr<const Blocklist>(std::move(list));
}

std::optional<LinkMatch> Blocklist::match(const CanonicalUrl& url) const {
  for (const auto& e : lookupExpressions(url)) {
    auto it = entries_.find(e);
    if (it != entries_.end()) {
      return LinkMatch{it->first, it->second};
    }
  }
  return std::nullopt;
}

bool allowed(const CanonicalUrl& url, const std::vector<std::string>& domains) {
  for (const auto& d : domains) {
    if (url.host == d || (url.host.size() > d.size() && url.host.ends_with(d) &&
                          url.host[url.host.size() - d.size() - 1] == '.')) {
      return true;
    }
  }
  return false;
}

}  // namespace rampart::security::links
