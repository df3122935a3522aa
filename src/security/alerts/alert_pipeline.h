#pragma once
// The security alert pipeline (GB/T 22239-2019 8.1.4.4 f; seed: security monitoring and
// alerting): rules raise alerts; each alert is stored for the console, written to the log,
// POSTed to the operator's webhook as JSON signed with HMAC-SHA256, and sent as an XMPP message
// to the tenant's security administrators. raise() is thread-safe and never blocks: storing
// and delivery run on the storage thread and the pipeline's own sender thread. Repeats of the
// same rule for the same tenant within `quiet` seconds are counted, not sent again.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/workers.h"

namespace rampart::security::alerts {

// Rule names, one constant each (docs/administration.md lists them).
namespace rule {
inline constexpr std::string_view kAdminSignInFailures = "admin-sign-in-failures";
inline constexpr std::string_view kAdminAllowList = "admin-allow-list";
inline constexpr std::string_view kAuditVerification = "audit-verification";
inline constexpr std::string_view kAuditUnwritable = "audit-unwritable";
inline constexpr std::string_view kCertificateExpiry = "tls-certificate-expiry";
inline constexpr std::string_view kStorageErrors = "storage-errors";
inline constexpr std::string_view kSignInLock = "sign-in-lock";
inline constexpr std::string_view kPasswordSpraying = "password-spraying";
// A person reported a sign-in that was not theirs ("this wasn't me" in the account center).
inline constexpr std::string_view kUserReportedSignIn = "user-reported-sign-in";
// A tenant's data key is older than [encryption] max_key_age_days.
inline constexpr std::string_view kKeyAge = "data-key-age";
}  // namespace rule

struct AlertOptions {
  std::string webhookUrl;     // http:// or https://; empty: no webhook
  std::string webhookSecret;  // HMAC key of X-Rampart-Signature
  std::string webhookCa;      // PEM file to verify an https webhook; empty: the system's CAs
  bool xmpp = true;           // message the tenant's security administrators
  // What leaves by webhook and XMPP is masked (security/masking): personal data always, client
  // addresses in the webhook when `maskWebhookAddresses`. The stored alert keeps the clear
  // text, which the admin API masks per the reader's role.
  bool maskWebhookAddresses = false;
  std::vector<std::string> accountDomains;  // account JIDs of these domains stay as they are
  std::chrono::seconds quiet{60};
};

// Sends one XMPP message from the server to `to` (a bare JID).
using XmppSender = std::function<void(const std::string& from, const std::string& to,
                                      const std::string& subject, const std::string& body)>;

class AlertPipeline {
 public:
  AlertPipeline(AlertOptions options, core::StorageRunner& storage, std::string defaultHost,
                XmppSender xmpp);
  ~AlertPipeline();  // delivers what is queued (bounded wait), then stops
  AlertPipeline(const AlertPipeline&) = delete;
  AlertPipeline& operator=(const AlertPipeline&) = delete;

  // `severity`: "info", "warning" or "critical"; `tenant` empty for the whole server.
  // `subject` (an account, for per-account rules) keeps repeats about different subjects
  // apart: only the same rule, tenant and subject within the quiet period is held back.
  void raise(std::string_view rule, std::string_view severity, const std::string& tenant,
             const std::string& summary, const std::string& subject = {});

 private:
  struct Outgoing {
    std::string body;  // the JSON document
  };
  void sender();
  bool post(const std::string& body);

  AlertOptions options_;
  core::StorageRunner& storage_;
  std::string defaultHost_;
  XmppSender xmpp_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Outgoing> queue_;                              // guarded by mu_
  std::map<std::string, std::chrono::steady_clock::time_point> lastSent_;  // guarded by mu_
  bool stopping_ = false;                                   // guarded by mu_
  std::thread thread_;
};

// "sha256=" + hex HMAC-SHA256(secret, body): the X-Rampart-Signature header.
std::string webhookSignature(std::string_view secret, std::string_view body);

}  // namespace rampart::security::alerts
