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

class Router {
 public:
  void add(std::string method, std::string path, Handler handler) {
    routes_[{std::move(method), std::move(path)}] = std::move(handler);
  }
  Response dispatch(const Request& req) const;

 private:
  std::map<std::pair<std::string, std::string>, Handler> routes_;
};

}  // namespace rampart::http
