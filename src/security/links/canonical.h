#pragma once
// URL canonicalisation as Google Safe Browsing specifies it (developers.google.com/safe-
// browsing/v4/urls-hashing), so that the many spellings of one address ("HTTP://EVIL.example.
// ./a/../b%2563", "http://3279880203/") meet the same blocklist entry; and the host-suffix /
// path-prefix expressions Safe Browsing looks up. Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::security::links {

struct CanonicalUrl {
  std::string scheme;  // "http" or "https" (other schemes are not links to check)
  std::string host;    // lower case, no trailing dot; IPv4 as a dotted quad
  std::string path;    // starts with '/', dot segments resolved
  std::string query;   // without '?', empty when none
  std::string str() const;  // scheme://host/path[?query]
};

// nullopt when `url` is not an http(s) URL with a host. A URL without a scheme ("www.x.cn/a")
// is taken as http.
std::optional<CanonicalUrl> canonicalize(std::string_view url);

// The host suffixes (the host, then up to 4 suffixes of its last 5 labels) and, for each, the
// path prefixes (the path with and without the query, then up to 4 prefixes from the root) to
// look up, as "host/path" strings. At most 30.
std::vector<std::string> lookupExpressions(const CanonicalUrl& url);

// The http(s) URLs (and "www." addresses) written in free text, in order.
std::vector<std::string> findUrls(std::string_view text);

}  // namespace rampart::security::links
