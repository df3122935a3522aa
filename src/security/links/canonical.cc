#include "security/links/canonical.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace rampart::security::links {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes until nothing changes (at most a few rounds: "%2525" is "%").
std::string unescapeAll(std::string s) {
  for (int round = 0; round < 8; ++round) {
    std::string out;
    bool changed = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 &&
          hexValue(s[i + 2]) >= 0) {
        out.push_back(static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2])));
        i += 2;
        changed = true;
      } else {
        out.push_back(s[i]);
      }
    }
    s = std::move(out);
    if (!changed) {
      break;
    }
  }
  return s;
}

// Escapes what Safe Browsing escapes: bytes <= 0x20, >= 0x7f, '#' and '%'.
std::string escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '#' || c == '%') {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

// One IPv4 component in decimal, octal (0...) or hex (0x...).
std::optional<std::uint64_t> ipNumber(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  std::uint64_t v = 0;
  for (char c : s) {
    const int d = hexValue(c);
    if (d < 0 || d >= base) return std::nullopt;
    v = v * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
    if (v > 0xFFFFFFFFull) return std::nullopt;
  }
  return v;
}

// "3279880203", "0xc3.0x51.0x9.0x3b", "195.81.9.59" -> dotted quad; nullopt if not an IPv4.
std::optional<std::string> ipv4(std::string_view host) {
  std::vector<std::uint64_t> parts;
  std::size_t start = 0;
  while (start <= host.size()) {
    const auto dot = host.find('.', start);
    auto p = ipNumber(host.substr(start, dot == std::string_view::npos ? std::string_view::npos
                                                                        : dot - start));
    if (!p) return std::nullopt;
    parts.push_back(*p);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.empty() || parts.size() > 4) return std::nullopt;
  std::uint64_t value = 0;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i] > 255) return std::nullopt;
    value = (value << 8) | parts[i];
  }
  const int lastBits = 8 * static_cast<int>(5 - parts.size());
  if (parts.back() >= (1ull << lastBits)) return std::nullopt;
  value = (value << lastBits) | parts.back();
  return std::to_string((value >> 24) & 255) + "." + std::to_string((value >> 16) & 255) + "." +
         std::to_string((value >> 8) & 255) + "." + std::to_string(value & 255);
}

std::string resolvePath(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t i = 0;
  const bool trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
  while (i < path.size()) {
    const auto slash = path.find('/', i);
    const auto seg = path.substr(i, slash == std::string_view::npos ? std::string_view::npos
                                                                     : slash - i);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    if (slash == std::string_view::npos) break;
    i = slash + 1;
  }
  std::string out;
  for (auto s : segments) {
    out += "/";
    out += s;
  }
  if (out.empty() || (trailing && !segments.empty())) {
    out += "/";
  }
  return out;
}

bool urlChar(unsigned char c) {
  // ASCII printable except what ends a URL in text; non-ASCII (CJK text next to a URL) ends it.
  return c > 0x20 && c < 0x7f && c != '"' && c != '<' && c != '>' && c != '\'' && c != '`' &&
         c != '{' && c != '}' && c != '|' && c != '\\' && c != '^';
}

}  // namespace

std::string CanonicalUrl::str() const {
  return scheme + "://" + host + path + (query.empty() ? "" : "?" + query);
}

std::optional<CanonicalUrl> canonicalize(std::string_view input) {
  std::string s;
  for (char c : input) {
    if (c != '\t' && c != '\r' && c != '\n') s.push_back(c);
  }
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= 0x20) s.erase(0, 1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= 0x20) s.pop_back();
  if (const auto hash = s.find('#'); hash != std::string::npos) s.resize(hash);
  s = unescapeAll(std::move(s));
  CanonicalUrl u;
  std::string rest;
  const auto colon = s.find("://");
  if (colon != std::string::npos) {
    u.scheme = s.substr(0, colon);
    for (char& c : u.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    rest = s.substr(colon + 3);
  } else {
    u.scheme = "http";
    rest = s;
  }
  if (u.scheme != "http" && u.scheme != "https") return std::nullopt;
  const auto pathStart = rest.find_first_of("/?");
  std::string authority = rest.substr(0, pathStart);
  std::string pathQuery = pathStart == std::string::npos ? "/" : rest.substr(pathStart);
  if (const auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  if (!authority.empty() && authority.front() == '[') return std::nullopt;  // IPv6: not listed
  if (const auto port = authority.rfind(':'); port != std::string::npos) authority.resize(port);
  std::string host;
  for (char c : authority) {
    host.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  while (!host.empty() && host.front() == '.') host.erase(0, 1);
  while (!host.empty() && host.back() == '.') host.pop_back();
  std::string collapsed;
  for (char c : host) {
    if (c == '.' && !collapsed.empty() && collapsed.back() == '.') continue;
    collapsed.push_back(c);
  }
  host = std::move(collapsed);
  if (host.empty() || host.find_first_of(":@[]/?#\\ %") != std::string::npos) return std::nullopt;
  for (char c : host) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
  }
  if (auto ip = ipv4(host)) host = *ip;
  u.host = escape(host);
  const auto q = pathQuery.find('?');
  std::string path = q == std::string::npos ? pathQuery : pathQuery.substr(0, q);
  if (path.empty()) path = "/";
  u.path = escape(resolvePath(path));
  if (q != std::string::npos) u.query = escape(pathQuery.substr(q + 1));
  return u;
}

std::vector<std::string> lookupExpressions(const CanonicalUrl& u) {
  std::vector<std::string> hosts{u.host};
  const bool ip = ipv4(u.host).has_value() && std::isdigit(static_cast<unsigned char>(u.host[0]));
  if (!ip) {
    std::vector<std::string_view> labels;
    std::string_view h = u.host;
    std::size_t start = 0;
    while (true) {
      const auto dot = h.find('.', start);
      labels.push_back(h.substr(start, dot == std::string_view::npos ? std::string_view::npos
                                                                       : dot - start));
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    const std::size_t n = labels.size();
    const std::size_t first = n > 5 ? n - 5 : 0;
    for (std::size_t i = first; i + 1 < n && hosts.size() < 5; ++i) {
      if (i == 0) continue;  // the full host is already there
      std::string suffix;
      for (std::size_t j = i; j < n; ++j) {
        suffix += (suffix.empty() ? "" : ".") + std::string(labels[j]);
      }
      hosts.push_back(suffix);
    }
  }
  std::vector<std::string> paths;
  if (!u.query.empty()) paths.push_back(u.path + "?" + u.query);
  paths.push_back(u.path);
  std::string prefix = "/";
  if (std::find(paths.begin(), paths.end(), prefix) == paths.end()) paths.push_back(prefix);
  std::size_t i = 1;
  while (paths.size() < 6) {
    const auto slash = u.path.find('/', i);
    if (slash == std::string::npos) break;
    prefix = u.path.substr(0, slash + 1);
    if (std::find(paths.begin(), paths.end(), prefix) == paths.end()) paths.push_back(prefix);
    i = slash + 1;
  }
  std::vector<std::string> out;
  for (const auto& h : hosts) {
    for (const auto& p : paths) {
      out.push_back(h + p);
    }
  }
  return out;
}

std::vector<std::string> findUrls(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size() && out.size() < 64) {
    std::size_t start = std::string_view::npos;
    for (std::string_view marker : {"https://", "http://", "www."}) {
      const auto p = text.find(marker, i);
      if (p != std::string_view::npos && p < start) start = p;
    }
    // Case-insensitive schemes.
    for (std::size_t k = i; k + 7 <= text.size() && k < start; ++k) {
      std::string head;
      for (std::size_t m = 0; m < 8 && k + m < text.size(); ++m) {
        head.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(text[k + m]))));
      }
      if (head.starts_with("http://") || head.starts_with("https://")) {
        start = k;
        break;
      }
    }
    if (start == std::string_view::npos) break;
    if (start > 0 && std::isalnum(static_cast<unsigned char>(text[start - 1])) &&
        text.substr(start, 4) == "www.") {
      i = start + 4;
      continue;
    }
    std::size_t end = start;
    while (end < text.size() && urlChar(static_cast<unsigned char>(text[end]))) ++end;
    // Punctuation that ends a sentence is not part of the URL.
    while (end > start && std::string_view(".,;:!?)]").find(text[end - 1]) != std::string_view::npos) {
      --end;
    }
    if (end > start + 4) out.emplace_back(text.substr(start, end - start));
    i = end + 1;
  }
  return out;
}

}  // namespace rampart::security::links
