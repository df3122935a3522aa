#pragma once
// Parsing of admin API requests, all of it untrusted input: percent-decoding, query strings,
// path segments, the Cookie header, and validation of JSON body fields with precise errors.
// Pure functions; thread-safe. Fuzzed by tests/fuzz/admin_request_fuzz.cc.

#include <boost/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::http::admin {

std::string percentDecode(std::string_view s, bool plusIsSpace);
std::map<std::string, std::string> parseQuery(std::string_view q);
std::vector<std::string_view> segments(std::string_view path);
std::string cookieValue(std::string_view header, std::string_view name);
// One JSON object (depth at most 8), or nullopt.
std::optional<boost::json::object> parseBody(std::string_view body);

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
