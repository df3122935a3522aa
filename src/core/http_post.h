#pragma once
// One blocking HTTP(S) POST to an operator-configured endpoint (the alert webhook, the SMS
// gateway): the URL parsed with Boost.URL, HTTPS verified against the system's CAs or a given
// CA file with the host name checked, 10-second timeouts. Call it from a thread of its own,
// never a network or storage thread. Thread-safe.

#include <string>
#include <utility>
#include <vector>

namespace rampart::core {

struct HttpPost {
  std::string url;  // http:// or https://
  std::string body;
  std::string contentType = "application/json";
  std::string userAgent = "rampart/1";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string caFile;  // PEM; empty: the system's CAs
};

struct HttpPostResult {
  int status = 0;     // the HTTP status, 0 when none came
  std::string error;  // why not, when no status came
  bool ok() const { return status / 100 == 2; }
  bool badUrl = false;  // nothing a retry would fix
};

HttpPostResult postBlocking(const HttpPost& post);

}  // namespace rampart::core
