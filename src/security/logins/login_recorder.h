#pragma once
// Keeps the login record (MLPS 8.1.4.4 f; 登录日志): every checked XMPP sign-in attempt, with its place when a GeoIP database is configured, and the last use of the device
// credential that signed in; then runs the tenant's anomaly rules over it (anomaly.h) and
// raises alerts, tells the user of a new sign-in, or freezes the account.
// Thread-safe: record() may be called from any thread; the work happens on the storage thread.

#include <functional>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/workers.h"
#include "rampart/storage/account_security_store.h"
#include "security/logins/geoip.h"

namespace rampart::security::logins {

struct RecorderHooks {
  // An alert through the alert pipeline (rule, tenant, summary, subject: the account).
  std::function<void(std::string_view, const std::string&, const std::string&,
                     const std::string&)>
      alert;
  // A message from the host to the account (host, user, body).
  std::function<void(const std::string&, const std::string&, const std::string&)> notify;
  // The "freeze" action: lock the account (host, user, reason). Called on the storage thread.
  std::function<void(const std::string&, const std::string&, const std::string&)> freeze;
  // The "require-second-factor" action (host, user, reason). Called on the storage thread.
  std::function<void(const std::string&, const std::string&, const std::string&)>
      requireSecondFactor;
  // The account center's address ("https://HOST:PORT/account/"), for the link in the message;
  // may be empty (no account center).
  std::function<std::string()> accountCenterUrl;
};

class LoginRecorder {
 public:
  // `config` and `storage` must outlive the recorder; `geo` may be null.
  LoginRecorder(const core::Config& config, core::StorageRunner& storage,
                std::unique_ptr<GeoIp> geo, RecorderHooks hooks);
  // Start-up only, before the first record().
  void setHooks(RecorderHooks hooks) { hooks_ = std::move(hooks); }
  void record(storage::LoginRecord r);
  // Fills in the record's place, when known.
  void locate(storage::LoginRecord& r) const;

 private:
  const core::Config& config_;
  core::StorageRunner& storage_;
  std::unique_ptr<GeoIp> geo_;
  RecorderHooks hooks_;
};

}  // namespace rampart::security::logins
