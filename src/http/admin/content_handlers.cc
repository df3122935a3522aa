// The admin API's review queue: messages held by a content rule, for content reviewers. Every
// read of a held message and every decision goes through AdminOps (authorized per tenant and
// audited before anything is shown or done).

#include <boost/json.hpp>

#include <algorithm>

#include "http/admin/admin_api_impl.h"
#include "rampart/core/element.h"
#include "rampart/security/content_fields.h"
#include "security/audit/audit_log.h"
#include "security/filescan/scan_status.h"

namespace rampart::http::admin {

namespace {

std::optional<std::int64_t> idParam(const std::string& text) {
  std::int64_t id = 0;
  if (text.empty() || text.size() > 18) {
    return std::nullopt;
  }
  for (char ch : text) {
    if (ch < '0' || ch > '9') {
      return std::nullopt;
    }
    id = id * 10 + (ch - '0');
  }
  return id;
}

json::object itemJson(const storage::QuarantineItem& q, std::int64_t now) {
  json::object o;
  o["id"] = q.id;
  o["tenant"] = q.tenant;
  o["sender"] = q.sender;
  o["recipient"] = q.recipient;
  o["rule"] = q.rule;
  o["status"] = q.status;
  o["created"] = security::audit::formatUtcMillis(q.createdMs);
  o["age_seconds"] = std::max<std::int64_t>(0, (now - q.createdMs) / 1000);
  o["decided_by"] = q.decidedBy.empty() ? json::value(nullptr) : json::value(q.decidedBy);
  o["decided_at"] =
      q.decidedMs ? json::value(security::audit::formatUtcMillis(q.decidedMs)) : json::value(nullptr);
  o["reason"] = q.reason.empty() ? json::value(nullptr) : json::value(q.reason);
  o["reported"] = !q.report.empty();
  o["report"] = q.report.empty() ? json::value(nullptr) : json::value(q.report);
  json::array rules;
  if (auto parsed = json::parse(q.findings); parsed.is_array()) {
    for (const auto& f : parsed.as_array()) {
      const json::string& r = f.as_object().at("rule").as_string();
      if (std::find(rules.begin(), rules.end(), json::value(r)) == rules.end()) {
        rules.push_back(r);
      }
    }
  }
  o["rules"] = rules;
  return o;
}

// A field's text cut into plain and matched pieces, so that a client can highlight the spans
// without byte arithmetic on UTF-8.
json::array segments(const std::string& text, std::size_t index, const json::array& findings) {
  struct Span {
    std::size_t begin, end;
    std::string rule, confidence;
  };
  std::vector<Span> spans;
  for (const auto& v : findings) {
    const auto& f = v.as_object();
    if (static_cast<std::size_t>(f.at("index").to_number<std::int64_t>()) != index) {
      continue;
    }
    spans.push_back({static_cast<std::size_t>(f.at("begin").to_number<std::int64_t>()),
                     static_cast<std::size_t>(f.at("end").to_number<std::int64_t>()),
                     std::string(f.at("rule").as_string()),
                     std::string(f.at("confidence").as_string())});
  }
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin; });
  json::array out;
  std::size_t at = 0;
  for (const auto& s : spans) {
    if (s.begin < at || s.end > text.size() || s.begin >= s.end) {
      continue;
    }
    if (s.begin > at) {
      out.push_back(json::object{{"text", text.substr(at, s.begin - at)}});
    }
    out.push_back(json::object{{"text", text.substr(s.begin, s.end - s.begin)},
                               {"rule", s.rule},
                               {"confidence", s.confidence}});
    at = s.end;
  }
  if (at < text.size()) {
    out.push_back(json::object{{"text", text.substr(at)}});
  }
  return out;
}

}  // namespace

Response AdminApi::Impl::scanStatus(Call& c) {
  std::vector<std::string> hosts;
  for (const auto& h : deps.hosts) {
    if (c.principal->tenant.empty() || c.principal->tenant == h) {
      hosts.push_back(h);
    }
  }
  return jsonResponse(json::object{
      {"items", security::filescan::scanStatus(deps.config, hosts, std::chrono::seconds(1))},
      {"next_cursor", nullptr}});
}

Response AdminApi::Impl::quarantineList(Call& c) {
  const auto pageSize = pageLimit(c.query, 200);
  if (!pageSize) {
    return badLimit();
  }
  const auto before = numericCursor(c.query);
  if (!before) {
    return problemOf(422, "invalid-input", "Invalid input", "bad cursor");
  }
  storage::QuarantineFilter f;
  f.tenant = queryOr(c.query, "tenant");
  f.status = queryOr(c.query, "status");
  f.rule = queryOr(c.query, "rule");
  f.sender = queryOr(c.query, "sender");
  f.beforeId = static_cast<std::int64_t>(*before);
  f.limit = *pageSize;
  if (!f.status.empty() && f.status != "pending" && f.status != "approved" &&
      f.status != "rejected") {
    return problemOf(422, "invalid-input", "Invalid input",
                     "status must be pending, approved or rejected");
  }
  auto list = ops->listQuarantine(c.actor, f);
  if (!list.isOk()) {
    return fromStatus(list.status());
  }
  auto counts = ops->quarantineCounts(c.actor, f.tenant);
  if (!counts.isOk()) {
    return fromStatus(counts.status());
  }
  const std::int64_t now = nowMs();
  json::array items;
  for (const auto& q : list.value()) {
    items.push_back(itemJson(q, now));
  }
  const auto& n = counts.value();
  const bool more = list.value().size() == f.limit;
  return jsonResponse(json::object{
      {"items", items},
      {"counts",
       json::object{{"pending", n.pending},
                    {"approved", n.approved},
                    {"rejected", n.rejected},
                    {"oldest_pending_age_seconds",
                     n.oldestPendingMs ? json::value((now - n.oldestPendingMs) / 1000)
                                       : json::value(nullptr)}}},
      {"next_cursor", more ? json::value(std::to_string(list.value().back().id))
                           : json::value(nullptr)}});
}

Response AdminApi::Impl::quarantineItem(Call& c) {
  auto id = idParam(c.params["id"]);
  if (!id) {
    return problemOf(404, "not-found", "Not Found", "no such held message");
  }
  auto item = ops->viewQuarantine(c.actor, *id);
  if (!item.isOk()) {
    return fromStatus(item.status());
  }
  const auto& q = item.value();
  json::object o = itemJson(q, nowMs());
  json::array findings;
  if (auto parsed = json::parse(q.findings); parsed.is_array()) {
    findings = parsed.as_array();
  }
  json::array fields;
  if (auto message = core::parseElement(q.stanza)) {
    const auto content = security::contentFieldsOf(*message);
    for (std::size_t i = 0; i < content.size(); ++i) {
      fields.push_back(json::object{{"name", content[i].name},
                                    {"text", content[i].text},
                                    {"segments", segments(content[i].text, i, findings)}});
    }
  }
  o["fields"] = fields;
  o["findings"] = findings;
  return jsonResponse(o);
}

Response AdminApi::Impl::quarantineDecide(Call& c, bool approve) {
  auto id = idParam(c.params["id"]);
  if (!id) {
    return problemOf(404, "not-found", "Not Found", "no such held message");
  }
  Fields f{c.body};
  f.rejectUnknown({"reason"});
  const std::string reason = f.str("reason", !approve, 2000);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  if (auto st = ops->decideQuarantine(c.actor, *id, approve, reason); !st.isOk()) {
    return fromStatus(st);
  }
  Response r;
  r.status = 204;
  return r;
}

Response AdminApi::Impl::quarantineApprove(Call& c) { return quarantineDecide(c, true); }
Response AdminApi::Impl::quarantineReject(Call& c) { return quarantineDecide(c, false); }

}  // namespace rampart::http::admin
