#include "security/dlp/inspector.h"

#include <algorithm>

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

DataType maskType(std::string_view type) {
  if (type == kResidentId) return DataType::kResidentId;
  if (type == kUscc) return DataType::kUscc;
  if (type == kMobile) return DataType::kMobile;
  if (type == kBankCard) return DataType::kBankCard;
  if (type == kPassport || type == kPermit) return DataType::kPassport;
  if (type == kEmail) return DataType::kEmail;
  return DataType::kOther;
}
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

core::Result<Inspector::Tenant> Inspector::tenantFrom(const core::ContentSecurityOptions& o) {
  Tenant t;
  t.enabled = o.enabled.value_or(true);
  if (o.e2ee) {
    t.e2ee = *o.e2ee == "refuse"     ? E2eePolicy::kRefuse
             : *o.e2ee == "internal" ? E2eePolicy::kInternal
                                     : E2eePolicy::kAllow;
  }
  std::vector<CustomRule> rules;
  for (const auto& r : o.rules) {
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
    if (action != "off") {
      t.contextActions[rule] = *parseContentAction(action);
    }
  }
  // A misspelt rule name would silently leave its data unprotected: refuse it.
  for (const auto* table : {&o.actions, &o.contextActions}) {
    for (const auto& [rule, action] : *table) {
      const bool known =
          std::find(std::begin(kBuiltins), std::end(kBuiltins), rule) != std::end(kBuiltins) ||
          std::any_of(o.rules.begin(), o.rules.end(),
                      [&](const core::ContentRuleOptions& r) { return r.name == rule; });
      if (!known) {
        return core::Status::invalidArgument(
            "actions name an unknown rule '" + rule +
            "' (built-in: cn_id, uscc, cn_mobile, bank_card, passport, hk_macau_permit, email)");
      }
    }
  }
  auto m = Matcher::compile(rules);
  if (!m.isOk()) {
    return m.status();
  }
  t.matcher = m.value();
  return t;
}

core::Result<std::unique_ptr<Inspector>> Inspector::build(const core::Config& config) {
  std::unique_ptr<Inspector> in(new Inspector());
  auto server = tenantFrom(config.contentSecurity);
  if (!server.isOk()) {
    return core::Status::invalidArgument("[content_security]: " + server.status().message());
  }
  in->server_ = std::move(server.value());
  for (const auto& h : config.hosts) {
    auto t = tenantFrom(config.contentSecurityFor(h.name));
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

ContentVerdict Inspector::inspect(std::string_view tenantName,
                                  const std::vector<ContentField>& fields) const {
  ContentVerdict v;
  const Tenant& t = tenant(tenantName);
  if (!t.enabled) {
    return v;
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    for (auto& f : t.matcher->scan(fields[i].text)) {
      if (t.off.count(f.rule) != 0) {
        continue;
      }
      const bool context = f.confidence == Confidence::kHigh;
      auto it = t.contextActions.find(f.rule);
      if (!context || it == t.contextActions.end()) {
        it = t.actions.find(f.rule);
      }
      const ContentAction a = it == t.actions.end() || it == t.contextActions.end()
                                  ? ContentAction::kWarn
                                  : it->second;
      ContentFinding cf{fields[i].name, i, f.rule, f.type, f.begin, f.end,
                        std::string(confidenceName(f.confidence)), a};
      if (v.rule.empty() || a > v.action) {
        v.action = std::max(v.action, a);
        v.rule = f.rule;
      }
      v.findings.push_back(std::move(cf));
    }
  }
  return v;
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
    out += masker.mask(maskType(f.type), text.substr(f.begin, f.end - f.begin));
    at = f.end;
  }
  out.append(text.substr(at));
  return out;
}

}  // namespace dlp
}  // namespace rampart::security
