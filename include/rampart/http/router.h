#pragma once
// Routes for the HTTPS listener. Features register exact paths at start-up; lookups are then
// read-only and safe from every network thread.

#include <functional>
#include <memory>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "rampart/core/byte_source.h"

namespace rampart::http {

struct Request {
  std::string method;
  std::string path;   // without the query string
  std::string query;
  std::string body;
  // Set instead of `body` on routes that spool their bodies to disk: a file of `bodySize`
  // bytes the handler may rename away; whatever is left there is deleted after the answer.
  std::string bodyFile;
  std::size_t bodySize = 0;
  std::string peer;
  int peerPort = 0;
  std::string host;  // the Host header as sent (may carry a port)
  std::string contentType;
  std::string authorization;  // the Authorization header, if any (never logged)
  std::string cookie;         // the Cookie header, if any (never logged)
  std::string csrfToken;      // the X-CSRF-Token header, if any
  std::string userAgent;
  // A client certificate that verified against the listener's client CA (admin listener
  // only), and its subject.
  bool clientCertVerified = false;
  std::string clientCertSubject;
};

struct Response {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  // When set, the body is this file's content, streamed from disk (404 if it is gone).
  std::string file;
  // When set, the body is read from this source as it is sent (a sealed file, decrypted).
  std::shared_ptr<core::ByteSource> source;
  std::vector<std::pair<std::string, std::string>> headers;
};

// RFC 9457 problem details.
// RFC 9457 problem details; `type` a stable URI naming the problem ("about:blank": the status
// says it all).
Response problem(int status, std::string_view title, std::string_view detail = {},
                 std::string_view type = "about:blank");

using Handler = std::function<Response(const Request&)>;
// Answers later, possibly from another thread, by calling Respond exactly once.
using Respond = std::function<void(Response)>;
using AsyncHandler = std::function<void(Request, Respond)>;

inline constexpr std::size_t kDefaultMaxBody = 1024 * 1024;

class Router {
 public:
  void add(std::string method, std::string path, Handler handler) {
    routes_[{std::move(method), std::move(path)}] = std::move(handler);
  }
  // Every path under `prefix` (which ends with '/'), with its own request body limit. With a
  // `spoolDir`, request bodies are written to a new file there instead of memory.
  void addPrefix(std::string method, std::string prefix, std::size_t maxBody,
                 AsyncHandler handler, std::string spoolDir = {}) {
    prefixes_.push_back(Prefix{std::move(method), std::move(prefix), maxBody, std::move(handler),
                               std::move(spoolDir)});
  }
  // The largest request body accepted for this request line.
  std::size_t bodyLimit(std::string_view method, std::string_view path) const;
  // The directory this request line's body is spooled to, or empty for memory.
  std::string_view spoolDir(std::string_view method, std::string_view path) const;
  // Whether a request line has a handler: 200, else 404 or 405 (then `allowed` lists the
  // methods the path takes). HEAD is taken wherever GET is.
  int resolve(std::string_view method, std::string_view path, std::string* allowed = nullptr) const;
  void dispatch(Request req, Respond respond) const;

 private:
  struct Prefix {
    std::string method;
    std::string prefix;
    std::size_t maxBody;
    AsyncHandler handler;
    std::string spoolDir;
  };
  const Prefix* match(std::string_view method, std::string_view path) const;
  std::map<std::pair<std::string, std::string>, Handler> routes_;
  std::vector<Prefix> prefixes_;
};

}  // namespace rampart::http
