#include "security/dlp/inspector.h"

#include <algorithm>
#include <cctype>

#include "rampart/security/masker.h"

namespace rampart::security {
namespace {
constexpr std::string_view kActionNames[] = {"allow", "mask", "warn", "quarantine", "block"};
}  // namespace

std::string_view contentActionName(ContentAction a) {
  return kActionNames[static_cast<std::size_t>(a)];
}

std::optional<ContentAction> parseContentAction(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kActionNames); ++i) {
    if (kActionNames[i] == name) {
      return static_cast<ContentAction>(i);
    }
  }
  return std::nullopt;
}

namespace dlp {
namespace {

}  // namespace

ContentAction Inspector::defaultAction(std::string_view rule, bool context) {
  // Identity numbers are masked wherever they appear; bank cards and travel documents when
  // the words around them say what they are (a bare 16-digit Luhn number is often an order
  // number). Phone numbers, e-mail addresses and company credit codes are everyday business
  // information: recorded, not changed.
  if (rule == kResidentId) return ContentAction::kMask;
  if (rule == kBankCard || rule == kPassport || rule == kPermit) {
    return context ? ContentAction::kMask : ContentAction::kAllow;
  }
  return ContentAction::kAllow;
}

core::Result<Inspector::Tenant> Inspector::tenantFrom(const core::ContentSecurityOptions& o,
                                                     ListCache& lists) {
  Tenant t;
  t.enabled = o.enabled.value_or(true);
  if (o.e2ee) {
    t.e2ee = *o.e2ee == "refuse"     ? E2eePolicy::kRefuse
             : *o.e2ee == "internal" ? E2eePolicy::kInternal
                                     : E2eePolicy::kAllow;
  }
  std::vector<std::string> builtins(std::begin(kBuiltins), std::end(kBuiltins));
  builtins.emplace_back(kLinkBlocklist);
  builtins.emplace_back(kFraudLink);
  auto isBuiltin = [&](const std::string& name) {
    return std::find(builtins.begin(), builtins.end(), name) != builtins.end();
  };
  std::vector<CustomRule> rules;
  for (const auto& r : o.rules) {
    // A custom rule named like a built-in, or twice, would take another rule's action.
    if (isBuiltin(r.name) || std::any_of(rules.begin(), rules.end(), [&](const CustomRule& x) {
          return x.name == r.name;
        })) {
      return core::Status::invalidArgument("the rule name '" + r.name +
                                           "' is a built-in rule's or given twice");
    }
    rules.push_back(CustomRule{r.name, r.keywords, r.patterns});
    if (r.action == "off") {
      t.off[r.name] = true;
    } else {
      t.actions[r.name] = *parseContentAction(r.action);
    }
  }
  for (std::string_view b : kBuiltins) {
    t.actions[std::string(b)] = defaultAction(b, false);
    t.contextActions[std::string(b)] = defaultAction(b, true);
  }
  // Blocklisted links are blocked; links near fraud cues are delivered with a warning for the
  // recipient (link-warning) unless the tenant chooses a stronger action.
  t.actions[std::string(kLinkBlocklist)] = ContentAction::kBlock;
  t.actions[std::string(kFraudLink)] = ContentAction::kAllow;
  for (const auto& [rule, action] : o.actions) {
    if (action == "off") {
      t.off[rule] = true;
      continue;
    }
    t.actions[rule] = *parseContentAction(action);
    // An explicit action is the context action too, unless that is given separately.
    if (o.contextActions.count(rule) == 0) {
      t.contextActions[rule] = *parseContentAction(action);
    }
  }
  for (const auto& [rule, action] : o.contextActions) {
    if (action == "off") {
      t.contextOff[rule] = true;
    } else {
      t.contextActions[rule] = *parseContentAction(action);
    }
  }
  // A misspelt rule name would silently leave its data unprotected: refuse it.
  for (const auto* table : {&o.actions, &o.contextActions}) {
    for (const auto& [rule, action] : *table) {
      const bool known = isBuiltin(rule) ||
                         std::any_of(o.rules.begin(), o.rules.end(),
                                     [&](const core::ContentRuleOptions& r) { return r.name == rule; });
      if (!known) {
        return core::Status::invalidArgument(
            "actions name an unknown rule '" + rule +
            "' (built-in: cn_id, uscc, cn_mobile, bank_card, passport, hk_macau_permit, email, "
            "link_blocklist, fraud_link)");
      }
    }
  }
  auto m = Matcher::compile(rules);
  if (!m.isOk()) {
    return m.status();
  }
  t.matcher = m.value();
  const auto files = o.linkBlocklists.value_or(std::vector<std::string>{});
  std::string key;
  for (const auto& f : files) {
    key += f + '\n';
  }
  if (auto cached = lists.find(key); cached != lists.end()) {
    t.blocklist = cached->second;
  } else {
    auto list = links::Blocklist::load(files);
    if (!list.isOk()) {
      return list.status();
    }
    t.blocklist = list.value();
    lists.emplace(key, t.blocklist);
  }
  for (const auto& d : o.linkAllowlist.value_or(std::vector<std::string>{})) {
    auto u = links::canonicalize(d);
    if (u) {
      t.allow.push_back(u->host);
    }
  }
  static const std::vector<std::string> kFraudCues = {
      "转账", "汇款", "打款", "验证码", "退款", "客服", "中奖", "刷单", "安全账户", "冻结",
      "理赔", "返利", "贷款", "征信", "transfer money", "wire transfer", "verification code",
      "refund", "customer service", "gift card", "you have won", "account suspended"};
  t.fraudCues = kFraudCues;
  for (auto cue : o.fraudCues.value_or(std::vector<std::string>{})) {
    for (char& c : cue) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    t.fraudCues.push_back(std::move(cue));
  }
  return t;
}

core::Result<std::unique_ptr<Inspector>> Inspector::build(const core::Config& config) {
  std::unique_ptr<Inspector> in(new Inspector());
  ListCache lists;
  auto server = tenantFrom(config.contentSecurity, lists);
  if (!server.isOk()) {
    return core::Status::invalidArgument("[content_security]: " + server.status().message());
  }
  in->server_ = std::move(server.value());
  for (const auto& h : config.hosts) {
    auto t = tenantFrom(config.contentSecurityFor(h.name), lists);
    if (!t.isOk()) {
      return core::Status::invalidArgument("[hosts.content_security] of " + h.name + ": " +
                                           t.status().message());
    }
    in->tenants_.emplace(h.name, std::move(t.value()));
  }
  return in;
}

const Inspector::Tenant& Inspector::tenant(std::string_view name) const {
  auto it = tenants_.find(name);
  return it == tenants_.end() ? server_ : it->second;
}

bool Inspector::enabled(std::string_view tenant) const { return this->tenant(tenant).enabled; }

E2eePolicy Inspector::e2ee(std::string_view tenant) const { return this->tenant(tenant).e2ee; }

void Inspector::decide(ContentFinding f, ContentVerdict& v) {
  if (v.rule.empty() || f.action > v.action) {
    v.action = std::max(v.action, f.action);
    v.rule = f.rule;
  }
  v.findings.push_back(std::move(f));
}

void Inspector::inspectLinks(const Tenant& t, const std::vector<ContentField>& fields,
                             std::size_t index, bool fraudText, ContentVerdict& v) const {
  const std::string& text = fields[index].text;
  const bool whole = fields[index].name == "url";
  std::vector<std::string> urls = whole ? std::vector<std::string>{text} : links::findUrls(text);
  std::size_t from = 0;
  for (const auto& raw : urls) {
    const std::size_t begin = whole ? 0 : text.find(raw, from);
    if (begin == std::string::npos) {
      continue;
    }
    from = begin + raw.size();
    auto u = links::canonicalize(raw);
    if (!u || links::allowed(*u, t.allow)) {
      continue;
    }
    ContentFinding f{fields[index].name, index, {}, "url", begin, begin + raw.size(), "high",
                     ContentAction::kAllow, {}};
    if (auto hit = t.blocklist->match(*u); hit && t.off.count(kLinkBlocklist) == 0) {
      f.rule = kLinkBlocklist;
      f.detail = hit->threat;
    } else if (fraudText && t.off.count(kFraudLink) == 0) {
      f.rule = kFraudLink;
      f.detail = "fraud-cues";
    } else {
      continue;
    }
    f.action = t.actions.at(f.rule);
    decide(std::move(f), v);
  }
}

ContentVerdict Inspector::inspect(std::string_view tenantName,
                                  const std::vector<ContentField>& fields) const {
  ContentVerdict v;
  const Tenant& t = tenant(tenantName);
  if (!t.enabled) {
    return v;
  }
  bool fraudText = false;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    for (auto& f : t.matcher->scan(fields[i].text)) {
      if (t.off.count(f.rule) != 0) {
        continue;
      }
      const bool context = f.confidence == Confidence::kHigh;
      if (context && t.contextOff.count(f.rule) != 0) {
        continue;
      }
      ContentAction a = ContentAction::kWarn;  // a custom rule without an action
      if (auto c = t.contextActions.find(f.rule); context && c != t.contextActions.end()) {
        a = c->second;
      } else if (auto p = t.actions.find(f.rule); p != t.actions.end()) {
        a = p->second;
      }
      decide(
             ContentFinding{fields[i].name, i, f.rule, f.type, f.begin, f.end,
                            std::string(confidenceName(f.confidence)), a, {}},
             v);
    }
    if (!fraudText && fields[i].name != "url" && fields[i].name != "file") {
      // The words around the links, not the links ("refund-help.example" is no cue).
      std::string lower = fields[i].text;
      for (const auto& url : links::findUrls(lower)) {
        if (const auto p = lower.find(url); p != std::string::npos) {
          lower.replace(p, url.size(), " ");
        }
      }
      for (char& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      fraudText = std::any_of(t.fraudCues.begin(), t.fraudCues.end(), [&](const std::string& cue) {
        return lower.find(cue) != std::string::npos;
      });
    }
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name != "file") {
      inspectLinks(t, fields, i, fraudText, v);
    }
  }
  return v;
}

std::optional<std::string> Inspector::blockedLink(std::string_view tenantName,
                                                  std::string_view url) const {
  const Tenant& t = tenant(tenantName);
  auto u = links::canonicalize(url);
  if (!t.enabled || !u || links::allowed(*u, t.allow) || t.off.count(kLinkBlocklist) != 0) {
    return std::nullopt;
  }
  if (auto hit = t.blocklist->match(*u)) {
    return hit->threat;
  }
  return std::nullopt;
}

std::string Inspector::masked(std::string_view text, const std::vector<ContentFinding>& findings,
                              std::size_t index) const {
  std::string out;
  std::size_t at = 0;
  const Masker& masker = Masker::instance();
  for (const auto& f : findings) {
    if (f.index != index || f.action != ContentAction::kMask || f.begin < at ||
        f.end > text.size()) {
      continue;
    }
    out.append(text.substr(at, f.begin - at));
    out += masker.mask(maskingType(f.type), text.substr(f.begin, f.end - f.begin));
    at = f.end;
  }
  out.append(text.substr(at));
  return out;
}

}  // namespace dlp
}  // namespace rampart::security
