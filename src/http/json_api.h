#pragma once
// What the JSON APIs on both listeners (the admin API, the account center) answer with:
// RFC 9457 problem details with a stable type per kind of problem, JSON bodies, and the
// mapping of a storage or operation status to its problem. Pure functions; thread-safe.

#include <boost/json.hpp>
#include <openssl/crypto.h>

#include <string>
#include <string_view>

#include "rampart/core/status.h"
#include "rampart/http/router.h"

namespace rampart::http {

namespace json = boost::json;

// RFC 9457 problem details with a stable type per kind of problem.
inline Response problemOf(int status, std::string_view slug, std::string_view title,
                   std::string_view detail = {}) {
  json::object o;
  o["type"] = "urn:rampart:problem:" + std::string(slug);
  o["title"] = title;
  o["status"] = status;
  if (!detail.empty()) {
    o["detail"] = detail;
  }
  Response r;
  r.status = status;
  r.contentType = "application/problem+json";
  r.body = json::serialize(o);
  return r;
}

inline Response fromStatus(const core::Status& st) {
  using C = core::Status::Code;
  switch (st.code()) {
    case C::kOk:
      return problemOf(500, "internal", "Internal Server Error");
    case C::kNotFound:
      return problemOf(404, "not-found", "Not Found", st.message());
    case C::kAlreadyExists:
      return problemOf(409, "conflict", "Conflict", st.message());
    case C::kInvalidArgument:
      return problemOf(422, "invalid-input", "Invalid input", st.message());
    case C::kPermissionDenied:
      return problemOf(403, "forbidden", "Forbidden", st.message());
    case C::kFailedPrecondition:
      return problemOf(409, "precondition", "Conflict", st.message());
    case C::kUnavailable:
      return problemOf(503, "audit-unavailable", "Service Unavailable", st.message());
    case C::kIoError:
      return problemOf(500, "storage", "Internal Server Error", "a storage error occurred");
  }
  return problemOf(500, "internal", "Internal Server Error");
}

inline Response jsonResponse(const json::value& v, int status = 200) {
  Response r;
  r.status = status;
  r.contentType = "application/json";
  r.body = json::serialize(v);
  return r;
}

inline bool constantEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace rampart::http
