// Fuzzes what the admin API parses from a request before any handler runs: the query string,
// the path segments, percent-decoding, the Cookie header, the JSON body and the validation of
// its fields (as the sign-in and role-grant operations read them), and base32 TOTP secrets.
// Besides memory errors it checks that validation never accepts a field of the wrong type.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/admin/request.h"
#include "security/mfa/totp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace rampart::http::admin;
  auto q = parseQuery(in);
  for (const auto& [k, v] : q) {
    if (k.size() > in.size() || v.size() > in.size()) std::abort();
  }
  (void)segments(in.empty() ? std::string_view("/") : in);
  (void)percentDecode(in, true);
  (void)cookieValue(in, "__Host-rampart_admin");
  if (auto b32 = rampart::security::mfa::base32Decode(in)) {
    if (b32->size() > in.size()) std::abort();
  }
  auto body = parseBody(in);
  if (!body) {
    return 0;
  }
  Fields f{*body};
  f.rejectUnknown({"jid", "password", "code", "role", "tenant", "ttl", "label"});
  const std::string jid = f.str("jid", true, 1023);
  (void)f.str("role", false, 16);
  (void)f.integer("ttl", 0, 60, 31622400);
  if (f.problem.empty()) {
    // Accepted: then "jid" is present and a string within bounds.
    const auto* v = body->if_contains("jid");
    if (v == nullptr || !v->is_string() || v->as_string().size() > 1023 || jid != v->as_string()) {
      std::abort();
    }
  }
  return 0;
}
