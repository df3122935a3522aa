#pragma once
// Routes for the HTTPS listener. Features register exact paths at start-up; lookups are then
// read-only and safe from every network thread.

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace rampart::http {

struct Request {
  std::string method;
  std::string path;   // without the query string
  std::string query;
  std::string body;
  std::string peer;
  std::string host;  // the Host header as sent (may carry a port)
  std::string contentType;
};

struct Response {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// RFC 9457 problem details.
Response problem(int status, std::string_view title, std::string_view detail = {});

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
  // Every path under `prefix` (which ends with '/'), with its own request body limit.
  void addPrefix(std::string method, std::string prefix, std::size_t maxBody,
                 AsyncHandler handler) {
    prefixes_.push_back(Prefix{std::move(method), std::move(prefix), maxBody, std::move(handler)});
  }
  // The largest request body accepted for this request line.
  std::size_t bodyLimit(std::string_view method, std::string_view path) const;
  void dispatch(Request req, Respond respond) const;

 private:
  struct Prefix {
    std::string method;
    std::string prefix;
    std::size_t maxBody;
    AsyncHandler handler;
  };
  std::map<std::pair<std::string, std::string>, Handler> routes_;
  std::vector<Prefix> prefixes_;
};

}  // namespace rampart::http
