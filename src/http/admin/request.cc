#include "http/admin/request.h"
#include "http/json_api.h"

#include <algorithm>
#include <chrono>

namespace rampart::http::admin {

storage::LoginRecord httpLoginRecord(const Request& req, std::string protocol) {
  storage::LoginRecord r;
  r.timeMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  r.protocol = std::move(protocol);
  r.source = req.peer;
  r.port = req.peerPort;
  r.client = req.userAgent.substr(0, 200);
  return r;
}

namespace json = boost::json;

std::string percentDecode(std::string_view s, bool plusIsSpace) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex(s[i + 1]);
      const int lo = hex(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += plusIsSpace && s[i] == '+' ? ' ' : s[i];
  }
  return out;
}

std::map<std::string, std::string> parseQuery(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    const auto eq = pair.find('=');
    out[percentDecode(pair.substr(0, eq), true)] =
        eq == std::string_view::npos ? std::string() : percentDecode(pair.substr(eq + 1), true);
  }
  return out;
}

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos
                                                                      : slash - start));
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  return out;
}

bool matchTemplate(std::string_view templ, std::string_view path,
                   std::map<std::string, std::string>& params) {
  const auto want = segments(templ);
  const auto have = segments(path);
  if (want.size() != have.size()) return false;
  std::map<std::string, std::string> p;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i].size() > 2 && want[i].front() == '{') {
      if (have[i].empty()) return false;
      p[std::string(want[i].substr(1, want[i].size() - 2))] = percentDecode(have[i], false);
    } else if (want[i] != have[i]) {
      return false;
    }
  }
  params = std::move(p);
  return true;
}

std::string cookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.starts_with(name) && part.size() > name.size() && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
  }
  return {};
}

std::optional<json::object> parseBody(std::string_view body) {
  boost::system::error_code ec;
  json::parse_options po;
  po.max_depth = 8;
  json::value v = json::parse(body, ec, {}, po);
  if (ec || !v.is_object()) {
    return std::nullopt;
  }
  return std::move(v.as_object());
}

std::string Fields::str(const char* name, bool required, std::size_t maxLen) {
  const auto* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) {
    if (required && problem.empty()) problem = std::string("\"") + name + "\" is required";
    return {};
  }
  if (!v->is_string()) {
    if (problem.empty()) problem = std::string("\"") + name + "\" must be a string";
    return {};
  }
  if (v->as_string().size() > maxLen) {
    if (problem.empty())
      problem = std::string("\"") + name + "\" is longer than " + std::to_string(maxLen);
    return {};
  }
  return std::string(v->as_string());
}

std::int64_t Fields::integer(const char* name, std::int64_t fallback, std::int64_t lo,
                           std::int64_t hi) {
  const auto* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_int64() && !v->is_uint64()) {
    if (problem.empty()) problem = std::string("\"") + name + "\" must be an integer";
    return fallback;
  }
  const std::int64_t n = v->is_int64() ? v->as_int64() : static_cast<std::int64_t>(v->as_uint64());
  if (n < lo || n > hi) {
    if (problem.empty())
      problem = std::string("\"") + name + "\" must be " + std::to_string(lo) + " to " +
                std::to_string(hi);
    return fallback;
  }
  return n;
}

bool Fields::boolean(const char* name, bool fallback) {
  const auto* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_bool()) {
    if (problem.empty()) problem = std::string("\"") + name + "\" must be true or false";
    return fallback;
  }
  return v->as_bool();
}

void Fields::rejectUnknown(std::initializer_list<const char*> allowed) {
  for (const auto& field : o) {
    const std::string_view key = field.key();
    if (std::find_if(allowed.begin(), allowed.end(),
                     [key](const char* a) { return key == a; }) == allowed.end() &&
        problem.empty()) {
      problem = "unknown field \"" + std::string(key) + "\"";
    }
  }
}

std::optional<std::uint64_t> number(const std::map<std::string, std::string>& q,
                                    const char* name) {
  auto it = q.find(name);
  if (it == q.end() || it->second.empty() || it->second.size() > 19) {
    return std::nullopt;
  }
  std::uint64_t n = 0;
  for (char ch : it->second) {
    if (ch < '0' || ch > '9') {
      return std::nullopt;
    }
    n = n * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  return n;
}

// The page size of a list (query `limit`): `fallback` when absent or not a number; nullopt
// when out of range.
std::optional<std::size_t> pageLimit(const std::map<std::string, std::string>& q,
                                     std::size_t fallback) {
  const std::uint64_t n = number(q, "limit").value_or(fallback);
  if (n < 1 || n > kMaxPage) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(n);
}

Response badLimit() {
  return problemOf(422, "invalid-input", "Invalid input",
                   "limit must be 1 to " + std::to_string(kMaxPage));
}

std::string queryOr(const std::map<std::string, std::string>& q, const char* name) {
  auto it = q.find(name);
  return it == q.end() ? std::string() : it->second;
}

std::optional<std::uint64_t> numericCursor(const std::map<std::string, std::string>& q) {
  return queryOr(q, "cursor").empty() ? std::optional<std::uint64_t>(0) : number(q, "cursor");
}

}  // namespace rampart::http::admin
