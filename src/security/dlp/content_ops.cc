#include "security/dlp/content_ops.h"

#include <chrono>

#include "rampart/core/jid.h"

namespace rampart::security::dlp {
namespace {
std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string bareOf(const std::string& jid) {
  auto j = core::Jid::parse(jid);
  return j ? j->bareStr() : jid;
}
}  // namespace

ContentOps::ContentOps(std::unique_ptr<Inspector> inspector, const core::Config& config,
                       storage::Storage& storage, AuditSink& audit, Alert alert)
    : inspector_(std::move(inspector)),
      config_(config),
      storage_(storage),
      audit_(audit),
      alert_(std::move(alert)) {}

core::Status ContentOps::audit(std::string_view action, const std::string& actor,
                               const std::string& tenant, const std::string& object,
                               std::string reason,
                               std::vector<std::pair<std::string, std::string>> details) {
  AuditEvent e;
  e.action = action;
  e.actor = actor;
  e.source = "xmpp";
  e.client = "xmpp";
  e.tenant = tenant;
  e.object = object;
  e.result = AuditResult::kSuccess;
  e.reason = std::move(reason);
  e.details = std::move(details);
  return audit_.record(e);
}

core::Result<std::int64_t> ContentOps::hold(const storage::QuarantineItem& item) {
  // Fail closed: a hold that cannot be audited is not made (the sender gets an error).
  if (auto st = audit(audit_action::kContentQuarantine, bareOf(item.sender), item.tenant,
                      item.recipient, {}, {{"rule", item.rule}});
      !st.isOk()) {
    return st;
  }
  return storage_.content().addQuarantine(item);
}

core::Status ContentOps::record(const ContentEvent& event) {
  std::string_view action = audit_action::kContentBlock;
  if (event.action == "warn") {
    action = audit_action::kContentWarn;
  } else if (event.action == "override") {
    action = audit_action::kContentOverride;
  } else if (event.action == "e2ee-refused") {
    action = audit_action::kContentE2eeRefused;
  }
  std::string rules;
  for (const auto& r : event.rules) {
    rules += (rules.empty() ? "" : ",") + r;
  }
  std::vector<std::pair<std::string, std::string>> details{{"rule", event.rule}};
  if (!rules.empty()) {
    details.emplace_back("rules", rules);
  }
  return audit(action, bareOf(event.sender), event.tenant, event.recipient, event.note,
               std::move(details));
}

core::Status ContentOps::report(std::int64_t id, const std::string& senderBare,
                                const std::string& text) {
  auto item = storage_.content().quarantineById(id);
  if (!item.isOk()) {
    return item.status();
  }
  if (!item.value() || bareOf(item.value()->sender) != senderBare) {
    return core::Status::notFound("no such held message of yours");
  }
  if (auto st = audit(audit_action::kContentReport, senderBare, item.value()->tenant,
                      "quarantine:" + std::to_string(id), text, {{"rule", item.value()->rule}});
      !st.isOk()) {
    return st;
  }
  return storage_.content().reportQuarantine(id, senderBare, text);
}

core::Result<std::vector<storage::QuarantineItem>> ContentOps::unsettled(
    const std::string& tenant) {
  auto all = storage_.content().unsettledQuarantine();
  if (!all.isOk()) {
    return all.status();
  }
  std::vector<storage::QuarantineItem> out;
  for (auto& i : all.value()) {
    if (i.tenant == tenant) {
      out.push_back(std::move(i));
    }
  }
  return out;
}

core::Status ContentOps::settle(std::int64_t id) { return storage_.content().settleQuarantine(id); }

void ContentOps::housekeeping(const std::string& tenant) {
  const auto o = config_.contentSecurityFor(tenant);
  const std::int64_t now = nowMs();
  auto counts = storage_.content().quarantineCounts(tenant);
  const std::int64_t maxWait =
      std::int64_t{o.reviewAlertMinutes.value_or(kDefaultReviewAlertMinutes)} * 60'000;
  if (counts.isOk() && counts.value().pending > 0 &&
      now - counts.value().oldestPendingMs > maxWait) {
    alert_("content-review-backlog", "warning", tenant,
           std::to_string(counts.value().pending) + " held message(s) of " + tenant +
               " await review; the oldest has waited " +
               std::to_string((now - counts.value().oldestPendingMs) / 60'000) + " minutes");
  }
  const std::int64_t keep = std::int64_t{o.evidenceDays.value_or(kDefaultEvidenceDays)} * 86'400'000;
  (void)storage_.content().pruneQuarantine(tenant, now - keep);
}

}  // namespace rampart::security::dlp
