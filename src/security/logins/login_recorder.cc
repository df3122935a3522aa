#include "security/logins/login_recorder.h"

#include <spdlog/spdlog.h>

#include "rampart/storage/stores.h"
#include "security/audit/audit_log.h"
#include "security/logins/anomaly.h"

namespace rampart::security::logins {

LoginRecorder::LoginRecorder(const core::Config& config, core::StorageRunner& storage,
                             std::unique_ptr<GeoIp> geo, RecorderHooks hooks)
    : config_(config), storage_(storage), geo_(std::move(geo)), hooks_(std::move(hooks)) {}

void LoginRecorder::locate(storage::LoginRecord& r) const {
  if (!geo_) {
    return;
  }
  if (auto p = geo_->lookup(r.source)) {
    r.country = p->country;
    r.city = p->city;
    r.latitude = p->latitude;
    r.longitude = p->longitude;
    r.located = p->hasLocation;
  }
}

void LoginRecorder::record(storage::LoginRecord r) {
  storage_.run([this, r = std::move(r)](storage::Storage& s) mutable {
    locate(r);
    auto& store = s.accountSecurity();
    auto earlier = store.logins(r.host, r.user, 0, 200);
    if (auto st = store.appendLogin(r); !st.isOk()) {
      spdlog::warn("event=login_record_failed error={}", st.message());
    }
    // Device credentials (app passwords, FAST tokens) show their last use and address.
    if (const auto colon = r.credential.find(':');
        r.success && colon != std::string::npos &&
        (r.credential.starts_with("app-password:") || r.credential.starts_with("fast:"))) {
      store.touchDevice(r.credential.substr(colon + 1), r.timeMs, r.source,
                        r.client.empty() ? r.resource : r.client);
    }
    auto exists = s.accounts().exists(r.host, r.user);
    if (!earlier.isOk() || !exists.isOk() || !exists.value()) {
      return;  // no rules for names that are not accounts (the lockout covers those)
    }
    const auto rules = anomalyRulesFor(config_.accountSecurityFor(r.host));
    const auto findings = evaluate(rules, r, earlier.value());
    if (findings.empty()) {
      return;
    }
    const std::string jid = r.user + "@" + r.host;
    std::string reasons;
    for (const auto& f : findings) {
      spdlog::info("event=login_anomaly rule={} jid={} source={}", f.rule, jid, r.source);
      if (hooks_.alert) {
        hooks_.alert("login-" + f.rule, r.host, jid + ": " + f.detail, jid);
      }
      reasons += (reasons.empty() ? "" : ", ") + f.rule;
    }
    if (r.success && hooks_.notify) {
      std::string where = r.source;
      if (!r.country.empty()) {
        where = (r.city.empty() ? "" : r.city + ", ") + r.country + " (" + r.source + ")";
      }
      const std::string device = !r.client.empty() ? r.client
                                 : !r.resource.empty() ? r.resource
                                                       : r.credential;
      const std::string center = hooks_.accountCenterUrl ? hooks_.accountCenterUrl() : "";
      const std::string act =
          center.empty()
              ? "tell your security administrator at once: they can sign you out everywhere."
              : "open " + center + "#not-me to sign out everywhere, then change your password.";
      hooks_.notify(r.host, r.user,
                    "New sign-in to your account at " + audit::formatUtcMillis(r.timeMs) +
                        " from " + device + " in " + where + " (" + reasons +
                        "). If this wasn't you, " + act);
    }
    // Only a successful sign-in freezes: failures alone would let anyone lock any account.
    if (r.success && rules.action == "freeze" && hooks_.freeze) {
      hooks_.freeze(r.host, r.user, "sign-in anomaly: " + reasons);
    }
    if (r.success && rules.action == "require-second-factor" && hooks_.requireSecondFactor) {
      hooks_.requireSecondFactor(r.host, r.user, "sign-in anomaly: " + reasons);
    }
  });
}

}  // namespace rampart::security::logins
