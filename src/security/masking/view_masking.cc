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
constexpr std::array<std::string_view, 31> kIdentifierKeys = {
    "id",        "seq",        "request_id",  "time",       "created",      "expires",
    "last_used", "granted",    "since",       "until",      "acknowledged_at", "root",
    "hash",      "next_cursor", "tenant",     "role",       "action",       "result",
    "rule",      "severity",   "protocol",    "credential", "stage",        "kind",
    "jid",       "account",    "actor",       "granted_by", "acknowledged_by", "server",
    "status"};

template <std::size_t N>
bool in(const std::array<std::string_view, N>& keys, std::string_view k) {
  return std::find(keys.begin(), keys.end(), k) != keys.end();
}

bool maskString(json::value& v, std::string_view key, const ViewPolicy& p) {
  const std::string_view s = v.get_string();
  std::string masked(s);
  if (p.personal && !in(kAddressKeys, key)) {
    masked = maskPersonalData(masked, false, p.accountDomains);
  }
  if (p.addresses) {
    masked = maskAddresses(masked);
  }
  if (masked == s) return false;
  v = json::string(masked);
  return true;
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

std::string maskText(std::string_view text, const ViewPolicy& policy) {
  if (policy.masksNothing()) return std::string(text);
  json::value v = json::string(text);
  maskString(v, "", policy);
  return std::string(v.get_string());
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
    json::value v = json::parse(line, ec);
    if (!ec && v.is_object() && maskJson(v, policy)) {
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
