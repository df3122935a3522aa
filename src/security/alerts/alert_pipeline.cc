#include "security/alerts/alert_pipeline.h"

#include <boost/json.hpp>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include "core/http_post.h"
#include "core/log_value.h"
#include "rampart/core/hex.h"
#include "security/audit/audit_log.h"
#include "security/masking/view_masking.h"

namespace rampart::security::alerts {

namespace {

constexpr std::size_t kMaxQueue = 1000;

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string webhookSignature(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  return "sha256=" + core::hexEncode(std::string_view(reinterpret_cast<char*>(mac), len));
}

AlertPipeline::AlertPipeline(AlertOptions options, core::StorageRunner& storage,
                             std::string defaultHost, XmppSender xmpp)
    : options_(std::move(options)),
      storage_(storage),
      defaultHost_(std::move(defaultHost)),
      xmpp_(std::move(xmpp)) {
  if (!options_.webhookUrl.empty()) {
    thread_ = std::thread([this] { sender(); });
  }
}

AlertPipeline::~AlertPipeline() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void AlertPipeline::raise(std::string_view rule, std::string_view severity,
                          const std::string& tenant, const std::string& summary,
                          const std::string& subject) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    const std::string key = std::string(rule) + "\n" + tenant + "\n" + subject;
    auto it = lastSent_.find(key);
    if (it != lastSent_.end() && now - it->second < options_.quiet) {
      spdlog::info("event=alert_repeat rule={} tenant={}", rule, core::logQuoted(tenant));
      return;
    }
    lastSent_[key] = now;
  }
  spdlog::warn("event=alert rule={} severity={} tenant={} summary={}", rule, severity,
               core::logQuoted(tenant), core::logQuoted(summary));
  storage::AlertRecord a;
  a.rule = std::string(rule);
  a.severity = std::string(severity);
  a.tenant = tenant;
  a.summary = summary;
  a.createdMs = nowMs();
  storage_.run([this, a](storage::Storage& s) mutable {
    auto id = s.alerts().addAlert(a);
    a.id = id.isOk() ? id.value() : 0;
    boost::json::object o;
    o["id"] = a.id;
    o["rule"] = a.rule;
    o["severity"] = a.severity;
    o["tenant"] = a.tenant.empty() ? boost::json::value(nullptr) : boost::json::value(a.tenant);
    masking::ViewPolicy policy;
    policy.accountDomains = options_.accountDomains;
    policy.addresses = options_.maskWebhookAddresses;
    o["summary"] = masking::maskText(a.summary, policy);
    o["created"] = audit::formatUtcMillis(a.createdMs);
    o["server"] = defaultHost_;
    if (!options_.webhookUrl.empty()) {
      std::lock_guard lock(mu_);
      if (queue_.size() < kMaxQueue) {
        queue_.push_back(Outgoing{boost::json::serialize(o)});
        cv_.notify_one();
      }
    }
    if (options_.xmpp && xmpp_) {
      // The tenant's security administrators, and the server-wide ones.
      auto grants = s.admin().listRoles();
      if (grants.isOk()) {
        const std::string from = a.tenant.empty() ? defaultHost_ : a.tenant;
        // Security administrators read addresses in clear (address.read), not other data.
        policy.addresses = false;
        const std::string text = "[" + a.severity + "] " + a.rule + ": " +
                                 masking::maskText(a.summary, policy) +
                                 (a.tenant.empty() ? "" : " (tenant " + a.tenant + ")") +
                                 " — alert " + std::to_string(a.id) + ", " +
                                 audit::formatUtcMillis(a.createdMs);
        for (const auto& g : grants.value()) {
          if (g.role == "secadmin" && (g.tenant.empty() || g.tenant == a.tenant)) {
            xmpp_(from, g.user + "@" + g.host, "Security alert: " + a.rule, text);
          }
        }
      }
    }
  });
}

void AlertPipeline::sender() {
  for (;;) {
    Outgoing next;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // stopping, nothing left
      }
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    // A few tries with growing pauses; a webhook that stays down loses the alert to the log
    // and the console, never blocks the server.
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (post(next.body)) {
        break;
      }
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, std::chrono::seconds(1 << attempt), [this] { return stopping_; })) {
        break;
      }
    }
  }
}

bool AlertPipeline::post(const std::string& body) {
  core::HttpPost p;
  p.url = options_.webhookUrl;
  p.body = body;
  p.userAgent = "rampart-alerts/1";
  p.caFile = options_.webhookCa;
  p.headers.emplace_back("X-Rampart-Timestamp", std::to_string(nowMs() / 1000));
  if (!options_.webhookSecret.empty()) {
    p.headers.emplace_back("X-Rampart-Signature", webhookSignature(options_.webhookSecret, body));
  }
  const auto r = core::postBlocking(p);
  if (r.badUrl) {
    spdlog::error("event=alert_webhook_failed error=\"alerts.webhook_url is not a URI\"");
    return true;  // nothing a retry would fix
  }
  if (!r.ok()) {
    if (r.status != 0) {
      spdlog::warn("event=alert_webhook_failed status={}", r.status);
    } else {
      spdlog::warn("event=alert_webhook_failed error={}", core::logQuoted(r.error));
    }
    return false;
  }
  return true;
}

}  // namespace rampart::security::alerts
