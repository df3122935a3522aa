#pragma once
// The account center: a person's own security page, served by rampartd over HTTPS on the
// client listener (/account/ for the page, /account/api/v1/ for its JSON API). Sign-in with
// the account's password and its second factor; TOTP enrolment and recovery codes; device
// credentials (app passwords); the account's sessions with remote logout ("this wasn't me");
// the login history; password change, forced when the password has expired; the tenant's
// privacy notice (accepted before anything else), the person's data export and the withdrawal
// of consent, which erases the account (security/privacy).
//
// Built on the administration plane: the same operations (AdminOps, acting as the account
// itself, so only on its own records), the one audit sink, the one alert pipeline, the same
// sign-in throttle and login records as XMPP, the web-session class of the console with its
// own cookie. Handlers run on the storage thread; answers to sign-in attempts go out when the
// throttle says they are due. Errors are RFC 9457 problem details.

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/workers.h"
#include "rampart/http/router.h"
#include "rampart/security/audit_sink.h"
#include "security/password/password_policy.h"
#include "security/throttle/sign_in_throttle.h"

namespace rampart::security::reset {
class SmsGateway;
}
namespace rampart::security::privacy {
class Notices;
}

namespace rampart::http::account {

struct AccountCenterDeps {
  const core::Config& config;
  core::StorageRunner& storage;
  storage::Storage* db;  // the storage thread's; used only from there
  security::AuditSink& audit;
  std::vector<std::string> hosts;
  security::throttle::SignInThrottle& throttle;
  const security::password::PasswordPolicy* passwordPolicy = nullptr;
  boost::asio::any_io_executor executor;  // for answers that must wait (throttle)
  std::string fingerprintKey;             // keys the digests of wrong passwords
  security::reset::SmsGateway* sms = nullptr;  // codes by text message; null: no SMS reset
  // The tenants' privacy notices (asked for after sign-in); must outlive the account center.
  const security::privacy::Notices* notices = nullptr;
  // Hooks into the running server (all thread-safe; may be empty).
  struct XmppSession {
    std::string fullJid;
    std::string peer;
    std::int64_t sinceMs = 0;
  };
  std::function<std::vector<XmppSession>(const std::string& bareJid)> sessionsOf;
  std::function<void(const std::string& host, const std::string& user)> accountChanged;
  // After an erasure (withdrawn consent): as accountChanged, and in-memory copies refreshed.
  std::function<void(const std::string& host, const std::string& user)> accountErased;
  std::function<void(storage::LoginRecord)> recordLogin;
  std::function<void(std::string_view rule, const std::string& tenant, const std::string& summary)>
      alert;
};

class AccountCenter {
 public:
  explicit AccountCenter(AccountCenterDeps deps);
  ~AccountCenter();
  AccountCenter(const AccountCenter&) = delete;
  AccountCenter& operator=(const AccountCenter&) = delete;

  // /account/api/v1/ on the client listener's router; `pageRoot` is the built page
  // (web/account/dist), served at /account/.
  void registerRoutes(Router& router, const std::string& pageRoot);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart::http::account
