#pragma once
// Local link blocklists: domains (a domain blocks its subdomains too), host/path prefixes and
// whole URLs, loaded from plain lists (one entry per line) and URLhaus-style CSV exports
// (the url and threat columns), all kept as Safe Browsing lookup expressions so that
// canonicalised URLs meet them. Immutable after load; thread-safe.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rampart/core/status.h"
#include "security/links/canonical.h"

namespace rampart::security::links {

struct LinkMatch {
  std::string entry;   // the list's expression that matched ("host/path")
  std::string threat;  // e.g. "malware_download", "phishing"; "listed" when the list says none
};

class Blocklist {
 public:
  // InvalidArgument naming the file and line that cannot be read.
  static core::Result<std::shared_ptr<const Blocklist>> load(const std::vector<std::string>& files);
  // From text (tests, fuzzing): the same formats as the files.
  void addText(std::string_view text);
  std::optional<LinkMatch> match(const CanonicalUrl& url) const;
  std::size_t size() const { return entries_.size(); }

 private:
  void addEntry(std::string_view entry, std::string threat);
  std::unordered_map<std::string, std::string> entries_;  // expression -> threat
};

// Whether the URL's host is one of `domains` or below one of them.
bool allowed(const CanonicalUrl& url, const std::vector<std::string>& domains);

}  // namespace rampart::security::links
