#pragma once
// Web sessions, kept in memory: a random identifier in an HttpOnly cookie (only its hash is
// kept), a CSRF token, an idle and an absolute deadline, and a stage the sign-in has reached
// (second factor, a password that must change, a second factor to enrol, then active). The
// admin console and the account center each keep one set (their cookies differ); in the
// account center's, `principal` names the account only (jid and tenant; the role is unused).
// Plus the console's lock on repeated sign-in failures per account and per address.
// Thread-safe.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rampart/security/authz.h"

namespace rampart::security::admin {

enum class Stage { kSecondFactor, kPasswordChange, kTotpEnrolment, kActive };
std::string_view stageName(Stage s);

struct AdminSession {
  Principal principal;
  Stage stage = Stage::kActive;
  std::string csrf;
  std::int64_t createdMs = 0;
  std::int64_t lastSeenMs = 0;
  std::string source;
  std::string pendingTotpSecret;  // during enrolment
  std::string userAgent;
  unsigned secondFactorFailures = 0;  // in kSecondFactor
  std::string pendingChallenge;       // a WebAuthn ceremony in progress (raw bytes)
  // A phone number waiting for its confirmation code (E.164, Argon2id of the code, deadline).
  std::string pendingPhone;
  std::string pendingPhoneCodeHash;
  std::int64_t pendingPhoneUntilMs = 0;
  std::string handle;  // a public name for the session (lists; never the cookie)
};

class AdminSessions {
 public:
  using Clock = std::function<std::int64_t()>;  // ms
  AdminSessions(std::int64_t idleSeconds, std::int64_t maxAgeSeconds, Clock now = nullptr);

  struct Created {
    std::string id;  // the cookie value
    std::string csrf;
  };
  Created create(const Principal& p, Stage stage, const std::string& source,
                 const std::string& userAgent = {});
  // The live session for a cookie value, touched; nullopt (and `ended` says why) when unknown,
  // idle too long or too old (then it is removed).
  std::optional<AdminSession> find(const std::string& id, std::string* ended = nullptr);
  bool update(const std::string& id, const std::function<void(AdminSession&)>& change);
  void end(const std::string& id);
  // A new identifier (and CSRF token) for a live session, the old one ending: when a sign-in
  // gains privilege (the second factor given), so that an identifier planted earlier is
  // worthless. nullopt when the session is gone.
  std::optional<Created> rotate(const std::string& id);
  // Ends every session of an administrator (role revoked, password changed elsewhere).
  void endAllOf(const std::string& jid);
  // The live sessions of an account, oldest first.
  std::vector<AdminSession> listOf(const std::string& jid);
  std::size_t size();

 private:
  std::mutex mu_;
  std::map<std::string, AdminSession> sessions_;  // by SHA-256 of the id; guarded by mu_
  std::int64_t idleMs_;
  std::int64_t maxAgeMs_;
  Clock now_;
};

}  // namespace rampart::security::admin
