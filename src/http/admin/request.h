#pragma once
// Parsing of admin API requests, all of it untrusted input: percent-decoding, query strings,
// path segments, the Cookie header, and validation of JSON body fields with precise errors.
// Pure functions; thread-safe. Fuzzed by tests/fuzz/admin_request_fuzz.cc.

#include <boost/json.hpp>

#include "rampart/http/router.h"
#include "rampart/storage/account_security_store.h"

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::http::admin {

std::string percentDecode(std::string_view s, bool plusIsSpace);

// A login record of a sign-in attempt over HTTPS (`protocol` "web" or "admin") with what the
// request tells: the time, the client's address and port, its User-Agent. The caller fills in
// the account, the credential and the outcome.
storage::LoginRecord httpLoginRecord(const Request& req, std::string protocol);
std::map<std::string, std::string> parseQuery(std::string_view q);
std::vector<std::string_view> segments(std::string_view path);
// Whether `path` fits the route template `templ` ("/users/{jid}/devices"): each "{name}" takes
// one non-empty segment, percent-decoded into `params`.
bool matchTemplate(std::string_view templ, std::string_view path,
                   std::map<std::string, std::string>& params);
std::string cookieValue(std::string_view header, std::string_view name);
// One JSON object (depth at most 8), or nullopt.
std::optional<boost::json::object> parseBody(std::string_view body);

// Query parameters of the JSON APIs (admin API, account center).
inline constexpr std::size_t kMaxPage = 500;
std::optional<std::uint64_t> number(const std::map<std::string, std::string>& q, const char* name);
// The page size of a list (query `limit`): `fallback` when absent; nullopt when out of range.
std::optional<std::size_t> pageLimit(const std::map<std::string, std::string>& q,
                                     std::size_t fallback);
// The problem for a limit out of range.
Response badLimit();
// The numeric `cursor` query parameter (0 when absent); nullopt when it is not a number.
std::optional<std::uint64_t> numericCursor(const std::map<std::string, std::string>& q);
std::string queryOr(const std::map<std::string, std::string>& q, const char* name);

// A field of the request body, validated; `problem` collects the first error.
struct Fields {
  const boost::json::object& o;
  std::string problem;
  // A string field (nullopt-like empty when absent); wrong types and lengths set `problem`.
  std::string str(const char* name, bool required, std::size_t maxLen = 1024);
  std::int64_t integer(const char* name, std::int64_t fallback, std::int64_t lo, std::int64_t hi);
  bool boolean(const char* name, bool fallback);
  // Every field not named here is an error.
  void rejectUnknown(std::initializer_list<const char*> allowed);
};

}  // namespace rampart::http::admin
