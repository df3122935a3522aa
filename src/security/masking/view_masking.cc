#include "security/masking/view_masking.h"

#include <boost/json.hpp>

#include <array>
#include <algorithm>

#include "security/masking/log_masking.h"

namespace rampart::security::masking {
namespace {

namespace json = boost::json;

// Keys whose values are client addresses.
constexpr std::array<std::string_view, 5> kAddressKeys = {"source", "address", "last_address",
                                                          "peer", "ip"};
// Keys whose values identify things and hold no personal data: never rewritten (a hash or a
// long number could otherwise look like a card number).
constexpr std::array<std::string_view, 26> kIdentifierKeys = {
    "id",        "seq",        "request_id",  "time",       "created",      "expires",
    "last_used", "granted",    "since",       "until",      "acknowledged_at", "root",
    "hash",      "next_cursor", "tenant",     "role",       "action",       "result",
    "rule",      "severity",   "protocol",    "credential", "stage",        "kind",
    "server",    "status"};
// Keys whose values name an account: an account of this server (user@host, or a full JID with
// a resource) is what an administrator acts on and stays; anything else there (what somebody
// typed into a sign-in form, a resource the client chose) is masked like free text.
constexpr std::array<std::string_view, 5> kAccountKeys = {"jid", "account", "actor", "granted_by",
                                                          "acknowledged_by"};

template <std::size_t N>
bool in(const std::array<std::string_view, N>& keys, std::string_view k) {
  return std::find(keys.begin(), keys.end(), k) != keys.end();
}

// The length of the bare JID at the start of `s` when it is an account of `domains`, else 0.
std::size_t ownAccount(std::string_view s, const std::vector<std::string>& domains) {
  const auto slash = s.find('/');
  const std::string_view bare = s.substr(0, slash);
  const auto at = bare.find('@');
  if (at == std::string_view::npos || at == 0 || bare.find('@', at + 1) != std::string_view::npos) {
    return 0;
  }
  if (!isAccountDomain(bare.substr(at + 1), domains)) {
    return 0;
  }
  const std::string_view local = bare.substr(0, at);
  const bool plain = std::none_of(local.begin(), local.end(), [](char c) {
    return c == ' ' || c == '"' || c == '&' || c == '\'' || c == ':' || c == '<' || c == '>';
  });
  return plain ? bare.size() : 0;
}

// `s`, the value of field `key` ("" for free text), as the policy shows it.
std::string maskValue(std::string_view s, std::string_view key, const ViewPolicy& p) {
  std::string masked(s);
  if (p.personal && in(kAccountKeys, key)) {
    const std::size_t keep = ownAccount(s, p.accountDomains);
    masked = std::string(s.substr(0, keep)) +
             maskPersonalData(s.substr(keep), false, p.accountDomains);
  } else if (p.personal && !in(kAddressKeys, key)) {
    masked = maskPersonalData(masked, false, p.accountDomains);
  }
  if (p.addresses) {
    masked = maskAddresses(masked);
  }
  return masked;
}

bool maskString(json::value& v, std::string_view key, const ViewPolicy& p) {
  std::string masked = maskValue(v.get_string(), key, p);
  if (masked == v.get_string()) return false;
  v = json::string(masked);
  return true;
}

json::parse_options parseOptions() {
  json::parse_options o;
  o.allow_invalid_utf8 = true;  // a truncated client string must not make a record unreadable
  return o;
}

bool walk(json::value& v, std::string_view key, const ViewPolicy& p) {
  bool changed = false;
  if (v.is_object()) {
    for (auto& [k, child] : v.as_object()) {
      if (in(kIdentifierKeys, k)) continue;
      changed = walk(child, k, p) || changed;
    }
  } else if (v.is_array()) {
    for (auto& child : v.as_array()) {
      changed = walk(child, key, p) || changed;
    }
  } else if (v.is_string()) {
    changed = maskString(v, key, p);
  }
  return changed;
}

}  // namespace

std::optional<json::value> parseForMasking(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec, {}, parseOptions());
  if (ec) {
    return std::nullopt;
  }
  return v;
}

std::string maskText(std::string_view text, const ViewPolicy& policy) {
  if (policy.masksNothing()) return std::string(text);
  return maskValue(text, "", policy);
}

bool maskJson(json::value& doc, const ViewPolicy& policy) {
  if (policy.masksNothing()) return false;
  return walk(doc, "", policy);
}

std::string maskJsonLines(std::string_view lines, const ViewPolicy& policy) {
  if (policy.masksNothing()) return std::string(lines);
  std::string out;
  out.reserve(lines.size());
  while (!lines.empty()) {
    const auto nl = lines.find('\n');
    const std::string_view line = lines.substr(0, nl);
    lines = nl == std::string_view::npos ? std::string_view() : lines.substr(nl + 1);
    boost::system::error_code ec;
    json::value v = json::parse(line, ec, {}, parseOptions());
    if (ec || !v.is_object()) {
      // Not a record as expected: masked as text, never passed on in clear.
      out += maskText(line, policy);
    } else if (maskJson(v, policy)) {
      v.as_object()["masked"] = true;
      out += json::serialize(v);
    } else {
      out.append(line);
    }
    if (nl != std::string_view::npos) out.push_back('\n');
  }
  return out;
}

}  // namespace rampart::security::masking
