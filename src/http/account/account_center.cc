// The account center's API. Each request: the operation is found, the body checked, the web
// session (cookie, CSRF token, stage) checked against the account's state in storage, then
// the handler runs. Operations on the account's records go through AdminOps as the account
// itself (Actor::self), so they are authorized and audited exactly as an administrator's.

#include "http/account/account_center.h"
#include "security/throttle/connection_limiter.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>
#include <variant>

#include "core/sasl/authenticator.h"
#include "http/admin/request.h"
#include "http/json_api.h"
#include "http/web_client.h"
#include "rampart/core/jid.h"
#include "rampart/core/random.h"
#include "security/admin/admin_ops.h"
#include "security/admin/ops_util.h"
#include "security/admin/sessions.h"
#include "security/alerts/alert_pipeline.h"
#include "security/audit/audit_log.h"
#include "security/logins/login_json.h"
#include "security/mfa/second_factor.h"
#include "security/mfa/totp.h"
#include "security/mfa/webauthn.h"
#include "security/privacy/rights.h"
#include "security/reset/answers.h"
#include "security/reset/sms_gateway.h"
#include "security/secrets/secret_hash.h"

namespace rampart::http::account {

namespace {

namespace json = boost::json;
using admin::Fields;
using security::AuditResult;
using security::admin::Actor;
using security::admin::AdminSession;
using security::admin::Stage;
using security::throttle::SignInThrottle;
namespace action = security::audit_action;
namespace mfa = security::mfa;

constexpr std::string_view kCookie = "__Host-rampart_account";
constexpr std::string_view kApi = "/account/api/v1";
constexpr std::size_t kMaxBody = 16 * 1024;
constexpr unsigned kMaxSecondFactorTries = 5;

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string sessionCookie(const std::string& id, std::int64_t maxAge) {
  return std::string(kCookie) + "=" + id +
         "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(maxAge);
}

Response noContent() {
  Response r;
  r.status = 204;
  return r;
}

json::value timeOrNull(std::int64_t ms) {
  return ms ? json::value(security::audit::formatUtcMillis(ms)) : json::value(nullptr);
}

std::string_view standingName(mfa::FactorStanding s) {
  switch (s) {
    case mfa::FactorStanding::kOptional:
      return "optional";
    case mfa::FactorStanding::kGrace:
      return "grace";
    case mfa::FactorStanding::kMissing:
      return "missing";
    case mfa::FactorStanding::kEnrolled:
      return "enrolled";
  }
  return "optional";
}


// What the sign-in throttle counts for a client address: the address, or its /64 for IPv6 (as
// for XMPP, so that the addresses an account signed in from match).
std::string throttleSource(const std::string& peer) {
  return security::throttle::ConnectionLimiter::addressKey(peer);
}

// The answer to a second-factor step: a code (TOTP or recovery) or a passkey assertion, never
// both; nullopt with `problem` set otherwise.
struct FactorAnswer {
  std::string code;
  const json::object* passkey = nullptr;  // points into the request body
};
std::optional<FactorAnswer> readFactorAnswer(const json::object& body, std::string& problem) {
  admin::Fields f{body};
  f.rejectUnknown({"code", "passkey"});
  FactorAnswer a;
  a.code = f.str("code", false, 64);
  const auto pk = body.find("passkey");
  if (f.problem.empty() && a.code.empty() == (pk == body.end())) {
    f.problem = "give either \"code\" or \"passkey\"";
  }
  if (f.problem.empty() && pk != body.end() && !pk->value().is_object()) {
    f.problem = "\"passkey\" must be an object";
  }
  if (!f.problem.empty()) {
    problem = f.problem;
    return std::nullopt;
  }
  if (pk != body.end()) a.passkey = &pk->value().as_object();
  return a;
}

}  // namespace

struct AccountCenter::Impl {
  struct Call {
    const Request& req;
    std::map<std::string, std::string> params;
    std::map<std::string, std::string> query;
    json::object body;
    std::string sessionId;
    std::optional<AdminSession> session;
    std::string host, user, jid;  // the signed-in account
    Actor actor;
    // When the answer may go out (sign-in pacing); the epoch: at once.
    std::chrono::steady_clock::time_point due{};
  };
  struct Operation {
    std::string method;
    std::string path;  // after /account/api/v1, may hold {name} segments
    bool open = false;
    std::vector<Stage> stages{Stage::kActive};
    Response (Impl::*handler)(Call&) = nullptr;
    bool beforeConsent = false;  // allowed while the privacy notice waits for an answer
  };

  AccountCenterDeps deps;
  storage::Storage* db;
  security::admin::AdminOps ops;
  security::admin::AdminSessions sessions;
  security::privacy::Notices noNotices;
  security::privacy::Rights rights;
  std::vector<Operation> operations;

  explicit Impl(AccountCenterDeps d)
      : deps(std::move(d)),
        db(deps.db),
        ops(*deps.db, deps.audit, deps.hosts, deps.config.scramIterations),
        sessions(deps.config.accountSessionIdle, deps.config.accountSessionMaxAge),
        rights(*deps.db, ops, deps.config, deps.notices ? *deps.notices : noNotices) {
    ops.setPasswordPolicy(deps.passwordPolicy);
    ops.setAccountChanged(deps.accountChanged);
    rights.setErased(deps.accountErased ? deps.accountErased : deps.accountChanged);
    rights.setFlush([&runner = deps.storage](storage::Storage& s) { runner.flushPending(s); });
    const std::vector<Stage> any{Stage::kSecondFactor, Stage::kPasswordChange,
                                 Stage::kTotpEnrolment, Stage::kActive};
    auto op = [this](std::string method, std::string path, Response (Impl::*fn)(Call&))
        -> Operation& {
      operations.push_back(Operation{std::move(method), std::move(path), false, {Stage::kActive}, fn});
      return operations.back();
    };
    op("POST", "/session", &Impl::signIn).open = true;
    op("GET", "/session", &Impl::sessionInfo).stages = any;
    op("DELETE", "/session", &Impl::signOut).stages = any;
    op("POST", "/session/second-factor", &Impl::secondFactor).stages = {Stage::kSecondFactor};
    op("POST", "/password", &Impl::changePassword).stages = {Stage::kPasswordChange,
                                                             Stage::kActive};
    op("POST", "/totp", &Impl::totpStart).stages = {Stage::kTotpEnrolment, Stage::kActive};
    op("POST", "/totp/confirm", &Impl::totpConfirm).stages = {Stage::kTotpEnrolment,
                                                              Stage::kActive};
    op("POST", "/recovery-codes", &Impl::recoveryCodes);
    op("POST", "/session/passkey/options", &Impl::assertionOptions).stages = {Stage::kSecondFactor};
    op("POST", "/passkeys/options", &Impl::creationOptions).stages = {Stage::kTotpEnrolment,
                                                                      Stage::kActive};
    op("POST", "/passkeys", &Impl::addPasskey).stages = {Stage::kTotpEnrolment, Stage::kActive};
    op("GET", "/passkeys", &Impl::listPasskeys);
    op("DELETE", "/passkeys/{id}", &Impl::removePasskey);
    op("GET", "/devices", &Impl::devices);
    op("POST", "/devices", &Impl::addDevice);
    op("DELETE", "/devices/{id}", &Impl::revokeDevice);
    op("GET", "/sessions", &Impl::accountSessions);
    op("POST", "/logout", &Impl::logout);
    op("GET", "/logins", &Impl::logins);
    op("GET", "/recovery", &Impl::recoveryInfo);
    op("POST", "/phone", &Impl::phoneStart);
    op("POST", "/phone/confirm", &Impl::phoneConfirm);
    op("DELETE", "/phone", &Impl::phoneRemove);
    op("PUT", "/security-questions", &Impl::setQuestions);
    op("POST", "/reset", &Impl::resetStart).open = true;
    op("POST", "/reset/{id}/code", &Impl::resetCode).open = true;
    op("POST", "/reset/{id}/resend", &Impl::resetResend).open = true;
    op("POST", "/reset/{id}/questions", &Impl::resetQuestions).open = true;
    op("POST", "/reset/{id}/second-factor", &Impl::resetSecondFactor).open = true;
    op("POST", "/reset/{id}/passkey-options", &Impl::resetPasskeyOptions).open = true;
    op("POST", "/reset/{id}/password", &Impl::resetPassword).open = true;
    // Privacy: the notice and its answer, the person's data, withdrawal (erasure).
    op("GET", "/privacy", &Impl::privacy).beforeConsent = true;
    op("POST", "/privacy/consent", &Impl::acceptNotice).beforeConsent = true;
    op("POST", "/privacy/withdraw", &Impl::withdrawConsent).beforeConsent = true;
    op("GET", "/export", &Impl::exportData).beforeConsent = true;
    for (auto& o : operations) {
      if (o.path == "/session") o.beforeConsent = true;
    }
  }

  void handle(Request req, Respond respond);
  Response run(Call& c);
  std::optional<Response> authenticate(Call& c, const Operation& op);
  json::object sessionJson(const AdminSession& s);
  Stage stageAfterFactor(const std::string& host, const std::string& user, std::int64_t now);
  void recordLogin(const Call& c, const std::string& user, bool ok, std::string credential,
                   std::string reason);
  Response signInFailed();

  Response signIn(Call& c);
  Response privacy(Call& c);
  Response acceptNotice(Call& c);
  Response withdrawConsent(Call& c);
  Response exportData(Call& c);
  Response sessionInfo(Call& c);
  Response signOut(Call& c);
  Response secondFactor(Call& c);
  Response changePassword(Call& c);
  Response totpStart(Call& c);
  Response totpConfirm(Call& c);
  Response recoveryCodes(Call& c);
  Response devices(Call& c);
  Response addDevice(Call& c);
  Response revokeDevice(Call& c);
  Response accountSessions(Call& c);
  Response logout(Call& c);
  Response logins(Call& c);
  Response creationOptions(Call& c);
  Response addPasskey(Call& c);
  Response listPasskeys(Call& c);
  Response removePasskey(Call& c);
  Response assertionOptions(Call& c);
  // The relying party for this request: its id (the host name the page was loaded from, if it
  // is one of ours) and the origin browsers report; nullopt when the host is not ours.
  std::optional<mfa::webauthn::Expected> relyingParty(const Request& req, std::string type,
                                                      std::string challenge);
  // Checks a passkey assertion ({id, client_data_json, authenticator_data, signature}) against
  // the account's passkeys and the session's challenge; empty on success, else why not.
  std::string checkAssertion(Call& c, const json::object& assertion);
  // The same for any account and challenge (the session's, or a password reset's).
  std::string verifyPasskey(const Request& req, const std::string& host, const std::string& user,
                            const std::string& challenge, const json::object& assertion);
  // Assertion options for the account's passkeys; `challenge` receives the raw challenge to
  // keep. A problem when the page's host is not ours or the account has no passkey.
  std::variant<json::object, Response> passkeyOptions(const Request& req, const std::string& host,
                                                      const std::string& user,
                                                      std::string& challenge);

  // Recovery settings (reset.cc part of this file).
  Response recoveryInfo(Call& c);
  Response phoneStart(Call& c);
  Response phoneConfirm(Call& c);
  Response phoneRemove(Call& c);
  Response setQuestions(Call& c);
  // Password reset: a code by text message to a phone confirmed at least 7 days ago, then the
  // security questions (when the tenant uses them and the account has set them), then the
  // account's second factor (when it has one), then a new password under the policy.
  enum class ResetStep { kCode, kQuestions, kSecondFactor, kPassword };
  struct Reset {
    std::string host, user;  // empty for names that are no account (answered alike)
    std::string codeHash;    // Argon2id of the current code
    std::int64_t createdMs = 0, codeSentMs = 0, expiresMs = 0;
    unsigned attempts = 0, resends = 0;
    ResetStep step = ResetStep::kCode;
    std::string source;
    std::string challenge;  // a passkey assertion's, while one is asked for
  };
  std::map<std::string, Reset> resets;                 // by id; storage thread only
  std::map<std::string, std::vector<std::int64_t>> resetSends;  // account -> send times
  Response resetStart(Call& c);
  Response resetCode(Call& c);
  Response resetResend(Call& c);
  Response resetQuestions(Call& c);
  Response resetSecondFactor(Call& c);
  Response resetPasskeyOptions(Call& c);
  Response resetPassword(Call& c);
  // The live reset named in the path, or the problem to answer.
  std::variant<Reset*, Response> liveReset(Call& c, ResetStep want);
  Response resetNext(const std::string& id, Reset& r);
  // Sends a new code for `r` (when it names an account with a usable phone); the same work
  // either way.
  void sendResetCode(Reset& r);
};

AccountCenter::AccountCenter(AccountCenterDeps deps)
    : impl_(std::make_unique<Impl>(std::move(deps))) {}

AccountCenter::~AccountCenter() = default;

void AccountCenter::registerRoutes(Router& router, const std::string& pageRoot) {
  for (const char* m : {"GET", "POST", "PUT", "DELETE"}) {
    router.addPrefix(m, std::string(kApi) + "/", kMaxBody, [this](Request req, Respond respond) {
      impl_->handle(std::move(req), std::move(respond));
    });
  }
  addWebApp(router, "/account/", pageRoot, "account center");
}

void AccountCenter::Impl::handle(Request req, Respond respond) {
  deps.storage.run([this, req = std::move(req), respond = std::move(respond)](storage::Storage&) {
    Call c{req, {}, {}, {}, {}, std::nullopt, {}, {}, {}, {}, {}};
    Response r;
    try {
      r = run(c);
    } catch (const std::exception& e) {
      spdlog::error("event=account_api_error path={} error={}", req.path, e.what());
      r = problemOf(500, "internal", "Internal Server Error");
    }
    r.headers.emplace_back("Cache-Control", "no-store");
    if (c.due > std::chrono::steady_clock::now()) {
      // The throttle's pacing: the answer waits, the storage thread does not.
      auto timer = std::make_shared<boost::asio::steady_timer>(deps.executor, c.due);
      timer->async_wait([timer, respond, r = std::move(r)](boost::system::error_code) mutable {
        respond(std::move(r));
      });
      return;
    }
    respond(std::move(r));
  });
}

Response AccountCenter::Impl::run(Call& c) {
  const Request& req = c.req;
  c.actor = Actor{"anonymous", std::nullopt, req.peer, req.userAgent, core::randomToken(9)};
  c.actor.self = true;
  std::string_view path = req.path;
  path.remove_prefix(kApi.size());
  const Operation* found = nullptr;
  std::string allowed;
  for (const auto& o : operations) {
    std::map<std::string, std::string> p;
    if (!admin::matchTemplate(o.path, path, p)) continue;
    const std::string method = req.method == "HEAD" ? "GET" : req.method;
    if (o.method == method) {
      found = &o;
      c.params = std::move(p);
      break;
    }
    allowed += (allowed.empty() ? "" : ", ") + o.method;
  }
  if (found == nullptr) {
    if (!allowed.empty()) {
      Response r = problemOf(405, "method-not-allowed", "Method Not Allowed");
      r.headers.emplace_back("Allow", allowed);
      return r;
    }
    return problemOf(404, "not-found", "Not Found", "no such account center resource");
  }
  c.query = admin::parseQuery(req.query);
  if (!req.body.empty()) {
    if (req.contentType.find("application/json") == std::string::npos) {
      return problemOf(415, "unsupported-media-type", "Unsupported Media Type",
                       "send application/json");
    }
    auto body = admin::parseBody(req.body);
    if (!body) {
      return problemOf(400, "malformed-json", "Bad Request", "the body must be one JSON object");
    }
    c.body = std::move(*body);
  }
  if (!found->open) {
    if (auto denied = authenticate(c, *found)) {
      return *denied;
    }
  }
  return (this->*(found->handler))(c);
}

std::optional<Response> AccountCenter::Impl::authenticate(Call& c, const Operation& op) {
  const Request& req = c.req;
  const std::string id = admin::cookieValue(req.cookie, kCookie);
  if (id.empty()) {
    return problemOf(401, "unauthenticated", "Unauthorized", "sign in first");
  }
  std::string ended;
  auto s = sessions.find(id, &ended);
  if (!s) {
    return problemOf(401, "session-ended", "Unauthorized", ended);
  }
  auto account = security::admin::detail::parseAccount(s->principal.jid);
  // The account may have been deleted, locked or signed out everywhere since (by an
  // administrator, rampartctl, or the person elsewhere): every request checks again.
  auto state = account ? db->accountSecurity().accountState(account->host, account->user)
                       : core::Result<storage::AccountState>(core::Status::notFound("no account"));
  const auto now = nowMs();
  std::string why;
  if (!state.isOk()) {
    why = "the account no longer exists";
  } else if (state.value().lockedAt(now)) {
    why = "the account is locked; ask your security administrator";
  } else if (state.value().sessionsRevokedMs != 0 &&
             s->createdMs < state.value().sessionsRevokedMs) {
    why = "this session was signed out";
  }
  if (!why.empty()) {
    sessions.end(id);
    Response r = problemOf(401, "session-ended", "Unauthorized", why);
    r.headers.emplace_back("Set-Cookie", sessionCookie("", 0));
    return r;
  }
  c.session = s;
  c.sessionId = id;
  c.host = account->host;
  c.user = account->user;
  c.jid = account->jid;
  c.actor.name = c.jid;
  c.actor.client = req.userAgent.empty() ? "account center" : req.userAgent;
  if (req.method != "GET" && req.method != "HEAD" && !constantEquals(req.csrfToken, s->csrf)) {
    ops.record(c.actor, "account.csrf", req.path, c.host, AuditResult::kDenied,
               "missing or wrong CSRF token");
    return problemOf(403, "csrf", "Forbidden", "missing or wrong X-CSRF-Token");
  }
  if (std::find(op.stages.begin(), op.stages.end(), s->stage) == op.stages.end()) {
    std::string need = "finish signing in first";
    if (s->stage == Stage::kSecondFactor) need = "enter your second factor first";
    if (s->stage == Stage::kPasswordChange) need = "change your expired password first";
    if (s->stage == Stage::kTotpEnrolment) need = "enrol a second factor first";
    return problemOf(403, "stage", "Forbidden", need);
  }
  if (s->stage == Stage::kActive && !op.beforeConsent && rights.consentNeeded(c.host, c.user)) {
    return problemOf(403, "consent-required", "Forbidden",
                     "accept the privacy notice first (GET /privacy)");
  }
  return std::nullopt;
}

// Where a sign-in goes once the password (and the second factor, if any) is right.
Stage AccountCenter::Impl::stageAfterFactor(const std::string& host, const std::string& user,
                                            std::int64_t now) {
  auto state = db->accountSecurity().accountState(host, user);
  auto sec = db->admin().adminSecurity(host, user);
  if (sec.isOk() && sec.value() && sec.value()->mustChangePassword) {
    return Stage::kPasswordChange;
  }
  if (state.isOk() && deps.passwordPolicy != nullptr && state.value().passwordChangedMs > 0) {
    const auto days = deps.passwordPolicy->rules(host).maxAgeDays;
    if (days > 0 && now - state.value().passwordChangedMs > std::int64_t{days} * 86400000) {
      return Stage::kPasswordChange;
    }
  }
  std::string role;
  if (auto g = db->admin().roleOf(host, user); g.isOk() && g.value()) {
    role = g.value()->role;
  }
  const bool enrolled = mfa::hasSecondFactor(*db, host, user);
  const auto policy =
      mfa::secondFactorPolicy(deps.config, host, role, state.isOk() ? &state.value() : nullptr);
  auto graceStart = state.isOk() ? state.value().mfaGraceStartMs : 0;
  const auto standing = mfa::standing(policy, enrolled, graceStart, now);
  if (standing == mfa::FactorStanding::kGrace && graceStart == 0 && state.isOk()) {
    // Told now: the grace period starts (the page shows its end).
    auto updated = state.value();
    updated.mfaGraceStartMs = now;
    db->accountSecurity().putAccountState(host, user, updated);
  }
  return standing == mfa::FactorStanding::kMissing ? Stage::kTotpEnrolment : Stage::kActive;
}

json::object AccountCenter::Impl::sessionJson(const AdminSession& s) {
  json::object o;
  auto account = security::admin::detail::parseAccount(s.principal.jid);
  o["jid"] = s.principal.jid;
  o["stage"] = security::admin::stageName(s.stage);
  o["csrf_token"] = s.csrf;
  if (!account) {
    return o;
  }
  const auto now = nowMs();
  std::string display = account->host;
  for (const auto& h : deps.config.hosts) {
    if (h.name == account->host && !h.displayName.empty()) display = h.displayName;
  }
  o["tenant"] = display;
  if (s.stage == Stage::kSecondFactor) {
    return o;  // nothing more until the second factor is given
  }
  auto state = db->accountSecurity().accountState(account->host, account->user);
  auto sec = db->admin().adminSecurity(account->host, account->user);
  std::string role;
  if (auto g = db->admin().roleOf(account->host, account->user); g.isOk() && g.value()) {
    role = g.value()->role;
  }
  const bool totp = sec.isOk() && sec.value() && sec.value()->totpEnrolled;
  auto keys = db->accountSecurity().passkeys(account->host, account->user);
  const std::size_t passkeys = keys.isOk() ? keys.value().size() : 0;
  const bool enrolled = totp || passkeys > 0;
  const auto policy = mfa::secondFactorPolicy(deps.config, account->host, role,
                                              state.isOk() ? &state.value() : nullptr);
  const std::int64_t graceStart = state.isOk() ? state.value().mfaGraceStartMs : 0;
  const auto standing = mfa::standing(policy, enrolled, graceStart, now);
  json::object factor;
  factor["totp"] = totp;
  factor["passkeys"] = passkeys;
  factor["recovery_codes_left"] = totp ? sec.value()->recoveryCodeHashes.size() : 0;
  factor["required"] = policy.required;
  factor["standing"] = standingName(standing);
  factor["grace_until"] = standing == mfa::FactorStanding::kGrace && graceStart != 0
                              ? timeOrNull(graceStart + policy.graceMs)
                              : json::value(nullptr);
  o["second_factor"] = factor;
  json::object pw;
  if (deps.passwordPolicy != nullptr) {
    const auto rules = deps.passwordPolicy->rules(account->host);
    pw["profile"] = rules.profile;
    pw["min_length"] = enrolled ? rules.minLengthWithMfa : rules.minLength;
    const std::int64_t changed = state.isOk() ? state.value().passwordChangedMs : 0;
    pw["changed"] = timeOrNull(changed);
    pw["expires"] = rules.maxAgeDays > 0 && changed > 0
                        ? timeOrNull(changed + std::int64_t{rules.maxAgeDays} * 86400000)
                        : json::value(nullptr);
  }
  o["password"] = pw;
  o["consent_required"] = s.stage == Stage::kActive && rights.consentNeeded(account->host, account->user);
  o["frozen"] = state.isOk() && !state.value().freezeMode.empty() &&
                        (state.value().frozenUntilMs == 0 || now < state.value().frozenUntilMs)
                    ? json::value(state.value().freezeMode)
                    : json::value(nullptr);
  return o;
}

void AccountCenter::Impl::recordLogin(const Call& c, const std::string& user, bool ok,
                                      std::string credential, std::string reason) {
  if (!deps.recordLogin) return;
  storage::LoginRecord r = admin::httpLoginRecord(c.req, "web");
  r.host = c.host;
  r.user = user;
  r.credential = std::move(credential);
  r.success = ok;
  r.reason = std::move(reason);
  deps.recordLogin(std::move(r));
}

Response AccountCenter::Impl::signInFailed() {
  // One answer for every failure: nothing tells an unknown account from a wrong password.
  return problemOf(401, "sign-in-failed", "Unauthorized", "wrong account or password");
}

Response AccountCenter::Impl::signIn(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"jid", "password"});
  const std::string jidText = f.str("jid", true, 1023);
  const std::string password = f.str("password", true, 1023);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  auto account = security::admin::detail::parseAccount(jidText);
  const bool served =
      account && std::find(deps.hosts.begin(), deps.hosts.end(), account->host) != deps.hosts.end();
  c.host = served ? account->host : std::string();
  const std::string user = served ? account->user : std::string();
  const std::string accountKey = served ? SignInThrottle::accountKey(c.host, user) : std::string();
  const std::string address = c.req.peer;
  if (!deps.throttle.admits(throttleSource(address), accountKey)) {
    Response r = problemOf(429, "throttled", "Too Many Requests",
                           "too many sign-in attempts from this address or for this account; "
                           "try later");
    r.headers.emplace_back("Retry-After", "60");
    return r;
  }
  // The same cost for unknown accounts (checkPassword derives a key either way).
  const bool right = ops.checkPassword(served ? account->jid : std::string("nobody@invalid"),
                                       password) &&
                     served;
  const std::uint64_t attempt =
      right ? 0
            : core::sasl::secretFingerprint(deps.fingerprintKey, c.host + "/" + user, password);
  auto due = deps.throttle.checked(throttleSource(address), accountKey,
                                   right ? SignInThrottle::Verdict::kRight
                                         : SignInThrottle::Verdict::kWrong,
                                   attempt);
  if (!due) {
    recordLogin(c, user.empty() ? jidText.substr(0, 64) : user, false, "password", "throttled");
    Response r = problemOf(429, "throttled", "Too Many Requests",
                           "too many sign-in attempts from this address or for this account; "
                           "try later");
    r.headers.emplace_back("Retry-After", "60");
    return r;
  }
  c.due = *due;
  if (!right) {
    recordLogin(c, user.empty() ? jidText.substr(0, 64) : user, false, "password",
                "not-authorized");
    ops.record(Actor{served ? account->jid : jidText.substr(0, 100), std::nullopt, address,
                     c.req.userAgent, c.actor.requestId, true},
               action::kAccountSignIn, served ? account->jid : "", c.host, AuditResult::kFailure,
               "wrong account or password");
    return signInFailed();
  }
  const auto now = nowMs();
  auto state = db->accountSecurity().accountState(c.host, user);
  if (state.isOk() && state.value().lockedAt(now)) {
    // Only the right password learns that the account is locked.
    recordLogin(c, user, false, "password", "account-locked");
    return problemOf(403, "account-disabled", "Forbidden",
                     "this account is locked; ask your security administrator");
  }
  const bool enrolled = mfa::hasSecondFactor(*db, c.host, user);
  const Stage stage = enrolled ? Stage::kSecondFactor : stageAfterFactor(c.host, user, now);
  security::Principal p{account->jid, security::Role::kAuditor, c.host};
  auto created = sessions.create(p, stage, address, c.req.userAgent);
  if (!enrolled) {
    recordLogin(c, user, true, "password", {});
    ops.record(Actor{account->jid, std::nullopt, address, c.req.userAgent, c.actor.requestId, true},
               action::kAccountSignIn, account->jid, c.host, AuditResult::kSuccess, {},
               {{"stage", std::string(security::admin::stageName(stage))}});
  }
  auto s = sessions.find(created.id);
  Response r = jsonResponse(sessionJson(*s), 201);
  r.headers.emplace_back("Set-Cookie",
                         sessionCookie(created.id, deps.config.accountSessionMaxAge));
  return r;
}

Response AccountCenter::Impl::secondFactor(Call& c) {
  std::string problem;
  const auto answer = readFactorAnswer(c.body, problem);
  if (!answer) {
    return problemOf(422, "invalid-input", "Invalid input", problem);
  }
  const std::string& code = answer->code;
  auto sec = db->admin().adminSecurity(c.host, c.user);
  if (!sec.isOk()) {
    return fromStatus(sec.status());
  }
  auto updated = sec.value().value_or(storage::AdminSecurity{});
  auto used = mfa::FactorUsed::kNone;
  std::string passkeyProblem;
  if (answer->passkey != nullptr) {
    passkeyProblem = checkAssertion(c, *answer->passkey);
    used = passkeyProblem.empty() ? mfa::FactorUsed::kPasskey : mfa::FactorUsed::kNone;
  } else {
    used = mfa::checkSecondFactor(updated, code, nowMs() / 1000);
  }
  const std::string accountKey = SignInThrottle::accountKey(c.host, c.user);
  if (used == mfa::FactorUsed::kNone) {
    // A wrong code counts as a wrong guess for the account, like a wrong password.
    auto due = deps.throttle.checked(
        throttleSource(c.req.peer), accountKey, SignInThrottle::Verdict::kWrong,
        core::sasl::secretFingerprint(deps.fingerprintKey, c.jid, code));
    if (due) c.due = *due;
    unsigned tries = 0;
    sessions.update(c.sessionId, [&](AdminSession& s) { tries = ++s.secondFactorFailures; });
    recordLogin(c, c.user, false, "password+second-factor", "wrong-second-factor");
    ops.record(c.actor, action::kAccountSignIn, c.jid, c.host, AuditResult::kFailure,
               "wrong second factor");
    if (tries >= kMaxSecondFactorTries) {
      sessions.end(c.sessionId);
      Response r = problemOf(401, "session-ended", "Unauthorized",
                             "too many wrong codes; sign in again");
      r.headers.emplace_back("Set-Cookie", sessionCookie("", 0));
      return r;
    }
    return problemOf(422, "wrong-code", "Invalid input",
                     passkeyProblem.empty() ? "wrong or already used code"
                                            : "the passkey was not accepted: " + passkeyProblem);
  }
  if (used != mfa::FactorUsed::kPasskey) {
    db->admin().putAdminSecurity(c.host, c.user, updated);
  }
  const auto now = nowMs();
  const Stage next = stageAfterFactor(c.host, c.user, now);
  const std::string credential = used == mfa::FactorUsed::kTotp      ? "password+totp"
                                 : used == mfa::FactorUsed::kPasskey ? "password+passkey"
                                                                     : "password+recovery-code";
  recordLogin(c, c.user, true, credential, {});
  ops.record(c.actor, action::kAccountSignIn, c.jid, c.host, AuditResult::kSuccess, {},
             {{"stage", std::string(security::admin::stageName(next))},
              {"second_factor", used == mfa::FactorUsed::kTotp      ? "totp"
                                : used == mfa::FactorUsed::kPasskey ? "passkey"
                                                                    : "recovery code"}});
  if (used == mfa::FactorUsed::kRecoveryCode) {
    ops.record(c.actor, action::kAccountRecoveryCodeUse, c.jid, c.host, AuditResult::kSuccess, {},
               {{"left", std::to_string(updated.recoveryCodeHashes.size())}});
  }
  sessions.update(c.sessionId, [&](AdminSession& s) {
    s.stage = next;
    s.pendingChallenge.clear();
  });
  // Signed in now: a new session identifier (session fixation).
  auto renewed = sessions.rotate(c.sessionId);
  if (!renewed) {
    return problemOf(401, "session-ended", "Unauthorized", "the session ended; sign in again");
  }
  auto s = sessions.find(renewed->id);
  Response r = jsonResponse(sessionJson(*s));
  r.headers.emplace_back("Set-Cookie",
                         sessionCookie(renewed->id, deps.config.accountSessionMaxAge));
  return r;
}

Response AccountCenter::Impl::sessionInfo(Call& c) { return jsonResponse(sessionJson(*c.session)); }

Response AccountCenter::Impl::signOut(Call& c) {
  sessions.end(c.sessionId);
  ops.record(c.actor, action::kAccountSignOut, c.jid, c.host, AuditResult::kSuccess);
  Response r = noContent();
  r.headers.emplace_back("Set-Cookie", sessionCookie("", 0));
  return r;
}

// The tenant's privacy notice and the account's answers to it; the legal hold on the account
// when the tenant shows holds to the people they concern.
Response AccountCenter::Impl::privacy(Call& c) {
  const auto lang = c.query.count("lang") ? c.query.at("lang") : std::string("en");
  auto consent = rights.consent(c.host, c.user, lang);
  if (!consent.isOk()) return fromStatus(consent.status());
  json::object o{{"notice", std::move(consent).value()}};
  if (deps.config.privacyFor(c.host).showLegalHold.value_or(false)) {
    auto hold = rights.holdNotice(c.host, c.user);
    if (!hold.isOk()) return fromStatus(hold.status());
    o["legal_hold"] = std::move(hold).value();
  }
  return jsonResponse(o);
}

Response AccountCenter::Impl::acceptNotice(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"version"});
  const std::string version = f.str("version", true, 64);
  if (!f.problem.empty()) return problemOf(422, "invalid-input", "Invalid input", f.problem);
  if (auto st = rights.accept(c.actor, c.host, c.user, version, "account-center"); !st.isOk()) {
    return fromStatus(st);
  }
  return privacy(c);
}

// Withdrawing consent erases the account: the password again, and the account's name typed
// out, so that it cannot happen by accident.
Response AccountCenter::Impl::withdrawConsent(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"password", "confirm"});
  const std::string password = f.str("password", true, 1023);
  const std::string confirm = f.str("confirm", true, 3071);
  if (!f.problem.empty()) return problemOf(422, "invalid-input", "Invalid input", f.problem);
  if (confirm != c.jid) {
    return problemOf(422, "invalid-input", "Invalid input",
                     "type the account's address to confirm the erasure");
  }
  if (!ops.checkPassword(c.jid, password)) {
    ops.record(c.actor, action::kConsentWithdraw, c.jid, c.host, AuditResult::kFailure,
               "wrong password");
    return problemOf(422, "invalid-input", "Invalid input", "the password is wrong");
  }
  auto report = rights.withdraw(c.actor, c.host, c.user);
  if (!report.isOk()) return fromStatus(report.status());
  sessions.end(c.sessionId);
  Response r = jsonResponse(report.value());
  r.headers.emplace_back("Set-Cookie", sessionCookie("", 0));
  return r;
}

// Everything the server keeps about the account, as a ZIP archive (PIPL art. 45, GDPR art. 20).
Response AccountCenter::Impl::exportData(Call& c) {
  auto download = rights.exportForDownload(c.actor, c.jid);
  if (!download.isOk()) return fromStatus(download.status());
  Response r;
  r.contentType = "application/zip";
  r.source = std::move(download.value().body);
  const std::string day = security::audit::formatUtcMillis(nowMs()).substr(0, 10);
  r.headers.emplace_back("Content-Disposition",
                         "attachment; filename=\"rampart-export-" + day + ".zip\"");
  return r;
}

Response AccountCenter::Impl::changePassword(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"current_password", "new_password"});
  const bool forced = c.session->stage == Stage::kPasswordChange;
  const std::string current = f.str("current_password", !forced, 1023);
  const std::string next = f.str("new_password", true, 1023);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  if (!forced && !ops.checkPassword(c.jid, current)) {
    ops.record(c.actor, action::kUserPassword, c.jid, c.host, AuditResult::kFailure,
               "wrong current password", {{"by", "self"}});
    return problemOf(422, "invalid-input", "Invalid input", "the current password is wrong");
  }
  if (ops.checkPassword(c.jid, next)) {
    return problemOf(422, "invalid-input", "Invalid input",
                     "the new password must differ from the current one");
  }
  if (auto st = ops.changeAccountPassword(c.actor, next); !st.isOk()) {
    return fromStatus(st);
  }
  if (deps.accountChanged) deps.accountChanged(c.host, c.user);
  if (forced) {
    const Stage after = stageAfterFactor(c.host, c.user, nowMs());
    sessions.update(c.sessionId, [&](AdminSession& s) { s.stage = after; });
  }
  auto s = sessions.find(c.sessionId);
  return jsonResponse(sessionJson(*s));
}

Response AccountCenter::Impl::totpStart(Call& c) {
  const std::string secret = mfa::newTotpSecret();
  sessions.update(c.sessionId, [&](AdminSession& s) { s.pendingTotpSecret = secret; });
  std::string issuer = c.host;
  for (const auto& h : deps.config.hosts) {
    if (h.name == c.host && !h.displayName.empty()) issuer = h.displayName;
  }
  const std::string uri = mfa::otpauthUri(issuer, c.jid, secret);
  json::object o;
  o["secret"] = mfa::base32(secret);
  o["otpauth_uri"] = uri;
  o["qr_svg"] = mfa::qrSvg(uri);
  o["period"] = mfa::kTotpStepSeconds;
  o["digits"] = mfa::kTotpDigits;
  o["algorithm"] = "SHA1";
  return jsonResponse(o);
}

Response AccountCenter::Impl::totpConfirm(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"code"});
  const std::string code = f.str("code", true, 16);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  if (c.session->pendingTotpSecret.empty()) {
    return problemOf(409, "precondition", "Conflict", "start the enrolment first");
  }
  auto codes = ops.enrolTotp(c.actor, c.jid, c.session->pendingTotpSecret, code,
                             action::kAccountTotpEnrol);
  if (!codes.isOk()) {
    return fromStatus(codes.status());
  }
  const Stage after = c.session->stage == Stage::kTotpEnrolment
                          ? stageAfterFactor(c.host, c.user, nowMs())
                          : c.session->stage;
  sessions.update(c.sessionId, [&](AdminSession& s) {
    s.pendingTotpSecret.clear();
    s.stage = after;
  });
  auto s = sessions.find(c.sessionId);
  json::object o = sessionJson(*s);
  json::array rc;
  for (const auto& code : codes.value()) rc.push_back(json::value(code));
  o["recovery_codes"] = rc;
  return jsonResponse(o);
}

Response AccountCenter::Impl::recoveryCodes(Call& c) {
  if (!c.body.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", "no body expected");
  }
  auto codes = ops.newRecoveryCodes(c.actor, c.jid);
  if (!codes.isOk()) {
    return fromStatus(codes.status());
  }
  json::array rc;
  for (const auto& code : codes.value()) rc.push_back(json::value(code));
  return jsonResponse(json::object{{"recovery_codes", rc}});
}

Response AccountCenter::Impl::devices(Call& c) {
  auto list = ops.listDevices(c.actor, c.jid);
  if (!list.isOk()) {
    return fromStatus(list.status());
  }
  json::array items;
  for (const auto& d : list.value()) {
    items.push_back(security::logins::deviceJson(d));
  }
  return jsonResponse(json::object{{"items", items}});
}

Response AccountCenter::Impl::addDevice(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"name"});
  const std::string name = f.str("name", true, 64);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  auto d = ops.addDevice(c.actor, c.jid, name);
  if (!d.isOk()) {
    return fromStatus(d.status());
  }
  json::object o = security::logins::deviceJson(d.value().record);
  o["password"] = d.value().password;
  return jsonResponse(o, 201);
}

Response AccountCenter::Impl::revokeDevice(Call& c) {
  if (auto st = ops.revokeDevice(c.actor, c.jid, c.params["id"]); !st.isOk()) {
    return fromStatus(st);
  }
  return noContent();
}

Response AccountCenter::Impl::accountSessions(Call& c) {
  json::array xmpp;
  if (deps.sessionsOf) {
    for (const auto& s : deps.sessionsOf(c.jid)) {
      const auto slash = s.fullJid.find('/');
      xmpp.push_back(json::object{
          {"resource", slash == std::string::npos ? "" : s.fullJid.substr(slash + 1)},
          {"address", s.peer},
          {"since", security::audit::formatUtcMillis(s.sinceMs)}});
    }
  }
  json::array web;
  for (const auto& s : sessions.listOf(c.jid)) {
    web.push_back(json::object{{"id", s.handle},
                               {"address", s.source},
                               {"client", s.userAgent},
                               {"since", security::audit::formatUtcMillis(s.createdMs)},
                               {"last_seen", security::audit::formatUtcMillis(s.lastSeenMs)},
                               {"current", s.handle == c.session->handle}});
  }
  return jsonResponse(json::object{{"xmpp", xmpp}, {"web", web}});
}

Response AccountCenter::Impl::logout(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"revoke_devices", "not_me"});
  const bool revoke = f.boolean("revoke_devices", false);
  const bool notMe = f.boolean("not_me", false);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  if (auto st = ops.logoutUser(c.actor, c.jid, revoke); !st.isOk()) {
    return fromStatus(st);
  }
  // The web sessions end too, this one included.
  sessions.endAllOf(c.jid);
  if (notMe && deps.alert) {
    deps.alert(security::alerts::rule::kUserReportedSignIn, c.host,
               c.jid + " reported a sign-in that was not theirs and signed out everywhere"
                       " (from " + c.req.peer + ")");
  }
  Response r = noContent();
  r.headers.emplace_back("Set-Cookie", sessionCookie("", 0));
  return r;
}

Response AccountCenter::Impl::logins(Call& c) {
  const auto pageSize = admin::pageLimit(c.query, 50);
  if (!pageSize) {
    return admin::badLimit();
  }
  const auto cursor = admin::numericCursor(c.query);
  if (!cursor) {
    return problemOf(422, "invalid-input", "Invalid input", "cursor must be a number");
  }
  const std::size_t limit = *pageSize;
  const auto before = static_cast<std::int64_t>(*cursor);
  auto list = ops.loginLog(c.actor, c.jid, limit + 1, before);
  if (!list.isOk()) {
    return fromStatus(list.status());
  }
  auto& records = list.value();
  json::array items;
  for (std::size_t i = 0; i < records.size() && i < limit; ++i) {
    items.push_back(security::logins::loginJson(records[i]));
  }
  json::value next = records.size() > limit ? json::value(std::to_string(records[limit - 1].id))
                                            : json::value(nullptr);
  return jsonResponse(json::object{{"items", items}, {"next_cursor", next}});
}

std::optional<mfa::webauthn::Expected> AccountCenter::Impl::relyingParty(const Request& req,
                                                                         std::string type,
                                                                         std::string challenge) {
  // The host name of the page: Host without its port (IPv6 literals cannot be relying parties).
  std::string name = req.host;
  if (name.empty() || name.front() == '[') return std::nullopt;
  if (auto colon = name.rfind(':'); colon != std::string::npos) name.resize(colon);
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  bool ours = name == "localhost" ||
              std::find(deps.hosts.begin(), deps.hosts.end(), name) != deps.hosts.end();
  if (std::string_view u = deps.config.httpsPublicUrl; !ours && u.starts_with("https://")) {
    u.remove_prefix(8);
    ours = u.substr(0, u.find_first_of(":/")) == name;
  }
  if (!ours) return std::nullopt;
  return mfa::webauthn::Expected{std::move(type), std::move(challenge), "https://" + req.host,
                                 name};
}

Response AccountCenter::Impl::creationOptions(Call& c) {
  auto rp = relyingParty(c.req, "webauthn.create", core::sasl::randomBytes(32));
  if (!rp) {
    return problemOf(422, "invalid-input", "Invalid input",
                     "passkeys work only on this server's own host names");
  }
  sessions.update(c.sessionId, [&](AdminSession& s) { s.pendingChallenge = rp->challenge; });
  std::string tenant = c.host;
  for (const auto& h : deps.config.hosts) {
    if (h.name == c.host && !h.displayName.empty()) tenant = h.displayName;
  }
  json::array exclude;
  if (auto keys = db->accountSecurity().passkeys(c.host, c.user); keys.isOk()) {
    for (const auto& k : keys.value()) {
      exclude.push_back(json::object{{"type", "public-key"}, {"id", k.id}});
    }
  }
  json::object o;
  o["challenge"] = mfa::webauthn::base64url(rp->challenge);
  o["rp"] = json::object{{"id", rp->rpId}, {"name", tenant}};
  // A random handle, not the address: authenticators may show or sync it.
  o["user"] = json::object{{"id", mfa::webauthn::base64url(core::sasl::randomBytes(16))},
                           {"name", c.jid},
                           {"displayName", c.jid}};
  o["pubKeyCredParams"] = json::array{
      json::object{{"type", "public-key"}, {"alg", mfa::webauthn::kEs256}},
      json::object{{"type", "public-key"}, {"alg", mfa::webauthn::kEdDsa}}};
  o["timeout"] = 120000;
  o["attestation"] = "none";
  o["authenticatorSelection"] =
      json::object{{"residentKey", "discouraged"}, {"userVerification", "preferred"}};
  o["excludeCredentials"] = exclude;
  return jsonResponse(o);
}

Response AccountCenter::Impl::addPasskey(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"name", "id", "client_data_json", "attestation_object"});
  const std::string name = f.str("name", true, 64);
  const std::string id = f.str("id", true, 1400);
  const std::string clientData = f.str("client_data_json", true, 8192);
  const std::string attestation = f.str("attestation_object", true, 64 * 1024);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  if (name.empty() || std::any_of(name.begin(), name.end(),
                                  [](unsigned char ch) { return ch < 0x20 || ch == 0x7f; })) {
    return problemOf(422, "invalid-input", "Invalid input",
                     "the name must be 1-64 printable characters");
  }
  const std::string challenge = c.session->pendingChallenge;
  // A challenge is used once, whatever the outcome.
  sessions.update(c.sessionId, [](AdminSession& s) { s.pendingChallenge.clear(); });
  if (challenge.empty()) {
    return problemOf(409, "precondition", "Conflict", "ask for the options first");
  }
  auto rp = relyingParty(c.req, "webauthn.create", challenge);
  auto cd = mfa::webauthn::base64urlDecode(clientData);
  auto att = mfa::webauthn::base64urlDecode(attestation);
  if (!rp || !cd || !att) {
    return problemOf(422, "invalid-input", "Invalid input",
                     "client_data_json and attestation_object must be base64url");
  }
  auto reg = mfa::webauthn::verifyRegistration(*cd, *att, *rp);
  if (auto* failed = std::get_if<mfa::webauthn::Failure>(&reg)) {
    ops.record(c.actor, action::kAccountPasskeyAdd, c.jid, c.host, AuditResult::kFailure,
               failed->why);
    return problemOf(422, "passkey-refused", "Invalid input",
                     "the passkey was not accepted: " + failed->why);
  }
  const auto& r = std::get<mfa::webauthn::Registration>(reg);
  storage::Passkey k;
  k.id = mfa::webauthn::base64url(r.credentialId);
  if (k.id != id) {
    return problemOf(422, "invalid-input", "Invalid input",
                     "the id does not match the attested credential");
  }
  k.host = c.host;
  k.user = c.user;
  k.name = name;
  k.alg = r.key.alg;
  k.publicKey = r.key.spki;
  k.signCount = r.signCount;
  k.createdMs = nowMs();
  if (auto st = ops.record(c.actor, action::kAccountPasskeyAdd, c.jid, c.host,
                           AuditResult::kSuccess, {},
                           {{"passkey", k.id.substr(0, 16)}, {"name", name},
                            {"alg", r.key.alg == mfa::webauthn::kEs256 ? "ES256" : "EdDSA"}});
      !st.isOk()) {
    return fromStatus(core::Status::unavailable("the audit log cannot be written"));
  }
  if (auto st = db->accountSecurity().addPasskey(k); !st.isOk()) {
    return fromStatus(st);
  }
  if (c.session->stage == Stage::kTotpEnrolment) {
    const Stage after = stageAfterFactor(c.host, c.user, nowMs());
    sessions.update(c.sessionId, [&](AdminSession& s) { s.stage = after; });
  }
  auto s = sessions.find(c.sessionId);
  json::object o = sessionJson(*s);
  o["passkey"] = json::object{{"id", k.id}, {"name", k.name},
                              {"created", security::audit::formatUtcMillis(k.createdMs)}};
  return jsonResponse(o, 201);
}

Response AccountCenter::Impl::listPasskeys(Call& c) {
  auto keys = db->accountSecurity().passkeys(c.host, c.user);
  if (!keys.isOk()) {
    return fromStatus(keys.status());
  }
  json::array items;
  for (const auto& k : keys.value()) {
    items.push_back(json::object{
        {"id", k.id},
        {"name", k.name},
        {"algorithm", k.alg == mfa::webauthn::kEs256 ? "ES256" : "EdDSA"},
        {"created", security::audit::formatUtcMillis(k.createdMs)},
        {"last_used", timeOrNull(k.lastUsedMs)}});
  }
  return jsonResponse(json::object{{"items", items}});
}

Response AccountCenter::Impl::removePasskey(Call& c) {
  const std::string id = c.params["id"];
  auto keys = db->accountSecurity().passkeys(c.host, c.user);
  if (!keys.isOk()) {
    return fromStatus(keys.status());
  }
  const bool found = std::any_of(keys.value().begin(), keys.value().end(),
                                 [&](const storage::Passkey& k) { return k.id == id; });
  if (!found) {
    return problemOf(404, "not-found", "Not Found", "no such passkey");
  }
  // The last second factor of an account that must have one stays.
  std::string role;
  if (auto g = db->admin().roleOf(c.host, c.user); g.isOk() && g.value()) role = g.value()->role;
  auto sec = db->admin().adminSecurity(c.host, c.user);
  const bool totp = sec.isOk() && sec.value() && sec.value()->totpEnrolled;
  auto state = db->accountSecurity().accountState(c.host, c.user);
  if (keys.value().size() == 1 && !totp &&
      mfa::secondFactorPolicy(deps.config, c.host, role, state.isOk() ? &state.value() : nullptr)
          .required) {
    return problemOf(409, "precondition", "Conflict",
                     "your organisation requires a second factor: add another before removing "
                     "this one");
  }
  if (auto st = ops.record(c.actor, action::kAccountPasskeyRemove, c.jid, c.host,
                           AuditResult::kSuccess, {}, {{"passkey", id.substr(0, 16)}});
      !st.isOk()) {
    return fromStatus(core::Status::unavailable("the audit log cannot be written"));
  }
  if (auto st = db->accountSecurity().removePasskey(c.host, c.user, id); !st.isOk()) {
    return fromStatus(st);
  }
  return noContent();
}

std::variant<json::object, Response> AccountCenter::Impl::passkeyOptions(
    const Request& req, const std::string& host, const std::string& user,
    std::string& challenge) {
  auto rp = relyingParty(req, "webauthn.get", core::sasl::randomBytes(32));
  if (!rp) {
    return problemOf(422, "invalid-input", "Invalid input",
                     "passkeys work only on this server's own host names");
  }
  auto keys = db->accountSecurity().passkeys(host, user);
  if (!keys.isOk()) {
    return fromStatus(keys.status());
  }
  if (keys.value().empty()) {
    return problemOf(409, "precondition", "Conflict", "this account has no passkey");
  }
  challenge = rp->challenge;
  json::array allow;
  for (const auto& k : keys.value()) {
    allow.push_back(json::object{{"type", "public-key"}, {"id", k.id}});
  }
  return json::object{{"challenge", mfa::webauthn::base64url(rp->challenge)},
                      {"rpId", rp->rpId},
                      {"allowCredentials", allow},
                      {"userVerification", "preferred"},
                      {"timeout", 120000}};
}

Response AccountCenter::Impl::assertionOptions(Call& c) {
  std::string challenge;
  auto options = passkeyOptions(c.req, c.host, c.user, challenge);
  if (auto* problem = std::get_if<Response>(&options)) return *problem;
  sessions.update(c.sessionId, [&](AdminSession& s) { s.pendingChallenge = challenge; });
  return jsonResponse(std::get<json::object>(options));
}

std::string AccountCenter::Impl::checkAssertion(Call& c, const json::object& a) {
  const std::string challenge = c.session->pendingChallenge;
  sessions.update(c.sessionId, [](AdminSession& s) { s.pendingChallenge.clear(); });
  return verifyPasskey(c.req, c.host, c.user, challenge, a);
}

std::string AccountCenter::Impl::verifyPasskey(const Request& req, const std::string& host,
                                               const std::string& user,
                                               const std::string& challenge,
                                               const json::object& a) {
  Fields f{a};
  f.rejectUnknown({"id", "client_data_json", "authenticator_data", "signature"});
  const std::string id = f.str("id", true, 1400);
  const std::string clientData = f.str("client_data_json", true, 8192);
  const std::string authData = f.str("authenticator_data", true, 8192);
  const std::string signature = f.str("signature", true, 1024);
  if (!f.problem.empty()) return f.problem;
  if (challenge.empty()) return "ask for the options first";
  auto rp = relyingParty(req, "webauthn.get", challenge);
  auto cd = mfa::webauthn::base64urlDecode(clientData);
  auto ad = mfa::webauthn::base64urlDecode(authData);
  auto sig = mfa::webauthn::base64urlDecode(signature);
  if (!rp || !cd || !ad || !sig) return "the fields must be base64url";
  auto keys = db->accountSecurity().passkeys(host, user);
  if (!keys.isOk()) return "storage error";
  for (const auto& k : keys.value()) {
    if (k.id != id) continue;
    auto verified = mfa::webauthn::verifyAssertion(*cd, *ad, *sig,
                                                   mfa::webauthn::PublicKey{k.alg, k.publicKey},
                                                   k.signCount, *rp);
    if (auto* failed = std::get_if<mfa::webauthn::Failure>(&verified)) return failed->why;
    db->accountSecurity().touchPasskey(k.id, std::get<std::uint32_t>(verified), nowMs());
    return {};
  }
  return "not a passkey of this account";
}

namespace {

constexpr std::int64_t kCodeTtlMs = 5 * 60 * 1000;
constexpr std::int64_t kPhoneWaitMs = 7LL * 24 * 3600 * 1000;
constexpr std::int64_t kResendGapMs = 60 * 1000;
constexpr unsigned kCodeAttempts = 5;
constexpr unsigned kMaxResends = 3;
constexpr std::size_t kMaxSendsPerHour = 5;
constexpr std::size_t kMaxResets = 10000;
constexpr std::size_t kQuestions = 3;

std::string sixDigits() {
  const std::string raw = core::sasl::randomBytes(8);
  std::uint64_t n = 0;
  for (unsigned char b : raw) n = (n << 8) | b;
  std::string code = std::to_string(n % 1000000);
  return std::string(6 - code.size(), '0') + code;
}

std::string_view stepName(int step) {
  static constexpr std::string_view kNames[] = {"code", "questions", "second_factor", "password"};
  return kNames[step];
}

}  // namespace

Response AccountCenter::Impl::recoveryInfo(Call& c) {
  auto state = db->accountSecurity().accountState(c.host, c.user);
  if (!state.isOk()) {
    return fromStatus(state.status());
  }
  const auto& st = state.value();
  const bool questionsOn = deps.config.accountSecurityFor(c.host).resetQuestions.value_or(false);
  json::array questions;
  for (const auto& [q, hash] : st.securityQuestions) questions.push_back(json::value(q));
  return jsonResponse(json::object{
      {"sms", deps.sms != nullptr},
      {"phone", st.phone.empty() ? json::value(nullptr) : json::value(security::reset::maskPhone(st.phone))},
      {"phone_added", timeOrNull(st.phoneAddedMs)},
      {"phone_usable_from", st.phone.empty() ? json::value(nullptr)
                                             : timeOrNull(st.phoneAddedMs + kPhoneWaitMs)},
      {"questions_enabled", questionsOn},
      {"questions", questions}});
}

Response AccountCenter::Impl::phoneStart(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"number"});
  const std::string number = f.str("number", true, 32);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  if (deps.sms == nullptr) {
    return problemOf(409, "precondition", "Conflict", "text messages are not available here");
  }
  auto phone = security::reset::normalizePhone(number);
  if (!phone) {
    return problemOf(422, "invalid-input", "Invalid input",
                     "give the number in international form (+CC...) or as an 11-digit "
                     "mainland mobile number");
  }
  auto& sends = resetSends[c.host + "/" + c.user];
  const auto now = nowMs();
  std::erase_if(sends, [&](std::int64_t t) { return now - t > 3600 * 1000; });
  if (sends.size() >= kMaxSendsPerHour) {
    Response r = problemOf(429, "throttled", "Too Many Requests",
                           "too many codes sent for this account; try again in an hour");
    r.headers.emplace_back("Retry-After", "3600");
    return r;
  }
  sends.push_back(now);
  const std::string code = sixDigits();
  auto hash = security::secrets::hashSecret(code);
  if (!hash) {
    return problemOf(503, "unavailable", "Service Unavailable", "try again");
  }
  // The pending number waits in the session with its code, until confirmed.
  sessions.update(c.sessionId, [&](AdminSession& s) {
    s.pendingPhone = *phone;
    s.pendingPhoneCodeHash = *hash;
    s.pendingPhoneUntilMs = now + kCodeTtlMs;
    s.secondFactorFailures = 0;
  });
  deps.sms->send(c.host, *phone,
                 "Rampart: " + code + " confirms this phone number for " + c.jid +
                     ". It expires in 5 minutes.");
  return jsonResponse(json::object{{"phone", security::reset::maskPhone(*phone)},
                                   {"expires", timeOrNull(now + kCodeTtlMs)}},
                      202);
}

Response AccountCenter::Impl::phoneConfirm(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"code"});
  const std::string code = f.str("code", true, 16);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  const std::string phone = c.session->pendingPhone;
  const std::string hash = c.session->pendingPhoneCodeHash;
  if (phone.empty()) {
    return problemOf(409, "precondition", "Conflict", "ask for a code first");
  }
  auto forget = [](AdminSession& s) {
    s.pendingPhone.clear();
    s.pendingPhoneCodeHash.clear();
    s.pendingPhoneUntilMs = 0;
  };
  if (nowMs() > c.session->pendingPhoneUntilMs) {
    sessions.update(c.sessionId, forget);
    return problemOf(422, "wrong-code", "Invalid input", "the code expired; ask for a new one");
  }
  if (!security::secrets::verifySecret(hash, code)) {
    unsigned tries = 0;
    sessions.update(c.sessionId, [&](AdminSession& s) {
      tries = ++s.secondFactorFailures;
      if (tries >= kCodeAttempts) forget(s);
    });
    return problemOf(422, "wrong-code", "Invalid input", "wrong code");
  }
  sessions.update(c.sessionId, [&](AdminSession& s) {
    forget(s);
    s.secondFactorFailures = 0;
  });
  auto state = db->accountSecurity().accountState(c.host, c.user);
  if (!state.isOk()) {
    return fromStatus(state.status());
  }
  if (auto st = ops.record(c.actor, action::kAccountPhone, c.jid, c.host, AuditResult::kSuccess,
                           {}, {{"phone", security::reset::maskPhone(phone)}});
      !st.isOk()) {
    return fromStatus(core::Status::unavailable("the audit log cannot be written"));
  }
  auto updated = state.value();
  updated.phone = phone;
  updated.phoneAddedMs = nowMs();
  if (auto st = db->accountSecurity().putAccountState(c.host, c.user, updated); !st.isOk()) {
    return fromStatus(st);
  }
  security::admin::queueNotice(*db, c.host, c.user,
                               "The phone number for password resets on your account was set to " +
                                   security::reset::maskPhone(phone) + " from " + c.req.peer +
                                   ". If this wasn't you, open the account center now.",
                               nowMs());
  if (deps.accountChanged) deps.accountChanged(c.host, c.user);
  return recoveryInfo(c);
}

Response AccountCenter::Impl::phoneRemove(Call& c) {
  auto state = db->accountSecurity().accountState(c.host, c.user);
  if (!state.isOk()) {
    return fromStatus(state.status());
  }
  if (auto st = ops.record(c.actor, action::kAccountPhone, c.jid, c.host, AuditResult::kSuccess,
                           {}, {{"phone", "removed"}});
      !st.isOk()) {
    return fromStatus(core::Status::unavailable("the audit log cannot be written"));
  }
  auto updated = state.value();
  updated.phone.clear();
  updated.phoneAddedMs = 0;
  if (auto st = db->accountSecurity().putAccountState(c.host, c.user, updated); !st.isOk()) {
    return fromStatus(st);
  }
  security::admin::queueNotice(*db, c.host, c.user,
                               "The phone number for password resets was removed from your "
                               "account from " + c.req.peer +
                                   ". If this wasn't you, open the account center now.",
                               nowMs());
  if (deps.accountChanged) deps.accountChanged(c.host, c.user);
  return noContent();
}

Response AccountCenter::Impl::setQuestions(Call& c) {
  if (!deps.config.accountSecurityFor(c.host).resetQuestions.value_or(false)) {
    return problemOf(409, "precondition", "Conflict",
                     "this organisation does not use security questions");
  }
  auto items = c.body.find("items");
  if (c.body.size() != 1 || items == c.body.end() || !items->value().is_array() ||
      items->value().as_array().size() != kQuestions) {
    return problemOf(422, "invalid-input", "Invalid input",
                     "send {\"items\": [3 objects with \"question\" and \"answer\"]}");
  }
  std::vector<std::pair<std::string, std::string>> stored;
  for (const auto& item : items->value().as_array()) {
    if (!item.is_object()) {
      return problemOf(422, "invalid-input", "Invalid input", "each item is an object");
    }
    Fields f{item.as_object()};
    f.rejectUnknown({"question", "answer"});
    const std::string question = f.str("question", true, 200);
    const std::string answer = f.str("answer", true, 200);
    if (!f.problem.empty()) {
      return problemOf(422, "invalid-input", "Invalid input", f.problem);
    }
    const bool printable = std::none_of(question.begin(), question.end(), [](unsigned char ch) {
      return ch < 0x20 || ch == 0x7f;
    });
    auto normalized = security::reset::normalizeAnswer(answer);
    if (question.size() < 5 || !printable || !normalized || normalized->size() < 2) {
      return problemOf(422, "invalid-input", "Invalid input",
                       "each question needs at least 5 printable characters and each answer at "
                       "least 2");
    }
    for (const auto& [q, h] : stored) {
      if (q == question) {
        return problemOf(422, "invalid-input", "Invalid input", "the three questions must differ");
      }
    }
    auto hash = security::secrets::hashSecret(*normalized);
    if (!hash) {
      return problemOf(503, "unavailable", "Service Unavailable", "try again");
    }
    stored.emplace_back(question, *hash);
  }
  auto state = db->accountSecurity().accountState(c.host, c.user);
  if (!state.isOk()) {
    return fromStatus(state.status());
  }
  if (auto st = ops.record(c.actor, action::kAccountQuestions, c.jid, c.host,
                           AuditResult::kSuccess);
      !st.isOk()) {
    return fromStatus(core::Status::unavailable("the audit log cannot be written"));
  }
  auto updated = state.value();
  updated.securityQuestions = std::move(stored);
  if (auto st = db->accountSecurity().putAccountState(c.host, c.user, updated); !st.isOk()) {
    return fromStatus(st);
  }
  return recoveryInfo(c);
}

void AccountCenter::Impl::sendResetCode(Reset& r) {
  const std::string code = sixDigits();
  // Hashed whether or not a message goes out: the same work for every name.
  r.codeHash = security::secrets::hashSecret(code).value_or(std::string());
  r.codeSentMs = nowMs();
  r.expiresMs = r.codeSentMs + kCodeTtlMs;
  r.attempts = 0;
  if (r.user.empty() || deps.sms == nullptr) {
    r.codeHash.clear();  // no code can match
    return;
  }
  auto state = db->accountSecurity().accountState(r.host, r.user);
  if (!state.isOk() || state.value().phone.empty() ||
      nowMs() - state.value().phoneAddedMs < kPhoneWaitMs) {
    r.codeHash.clear();
    return;
  }
  auto& sends = resetSends[r.host + "/" + r.user];
  std::erase_if(sends, [&](std::int64_t t) { return r.codeSentMs - t > 3600 * 1000; });
  if (sends.size() >= kMaxSendsPerHour) {
    r.codeHash.clear();
    return;
  }
  sends.push_back(r.codeSentMs);
  deps.sms->send(r.host, state.value().phone,
                 "Rampart: your password reset code is " + code +
                     ". It expires in 5 minutes. If you did not ask for it, ignore this message.");
}

Response AccountCenter::Impl::resetStart(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"jid"});
  const std::string jidText = f.str("jid", true, 1023);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  auto account = security::admin::detail::parseAccount(jidText);
  const bool served =
      account && std::find(deps.hosts.begin(), deps.hosts.end(), account->host) != deps.hosts.end();
  const std::string accountKey =
      served ? SignInThrottle::accountKey(account->host, account->user) : std::string();
  if (!deps.throttle.admits(throttleSource(c.req.peer), accountKey)) {
    Response r = problemOf(429, "throttled", "Too Many Requests", "too many attempts; try later");
    r.headers.emplace_back("Retry-After", "60");
    return r;
  }
  const auto now = nowMs();
  std::erase_if(resets, [&](const auto& kv) { return now > kv.second.createdMs + 3600 * 1000; });
  if (resets.size() >= kMaxResets) {
    Response r = problemOf(429, "throttled", "Too Many Requests", "try again later");
    r.headers.emplace_back("Retry-After", "60");
    return r;
  }
  Reset r;
  if (served) {
    auto exists = db->accounts().exists(account->host, account->user);
    if (exists.isOk() && exists.value()) {
      r.host = account->host;
      r.user = account->user;
    }
  }
  r.createdMs = now;
  r.source = c.req.peer;
  sendResetCode(r);
  const std::string id = core::randomToken(18);
  resets[id] = std::move(r);
  if (!resets[id].user.empty()) {
    ops.record(Actor{account->jid, std::nullopt, c.req.peer, c.req.userAgent, c.actor.requestId,
                     true},
               action::kAccountPasswordReset, account->jid, account->host, AuditResult::kSuccess,
               {}, {{"step", "requested"}});
  }
  // The same answer whether or not the name is an account, has a phone, or got a message.
  return jsonResponse(json::object{{"reset_id", id}, {"next", "code"}}, 202);
}

std::variant<AccountCenter::Impl::Reset*, Response> AccountCenter::Impl::liveReset(
    Call& c, ResetStep want) {
  auto it = resets.find(c.params["id"]);
  if (it == resets.end() || nowMs() > it->second.createdMs + 3600 * 1000) {
    if (it != resets.end()) resets.erase(it);
    return problemOf(404, "not-found", "Not Found", "no such password reset (it may have expired)");
  }
  if (it->second.step != want) {
    return problemOf(409, "precondition", "Conflict",
                     "this reset is at the step \"" +
                         std::string(stepName(static_cast<int>(it->second.step))) + "\"");
  }
  return &it->second;
}

Response AccountCenter::Impl::resetNext(const std::string& id, Reset& r) {
  const auto now = nowMs();
  if (r.step == ResetStep::kCode) {
    auto state = db->accountSecurity().accountState(r.host, r.user);
    const bool questionsOn = deps.config.accountSecurityFor(r.host).resetQuestions.value_or(false);
    r.step = questionsOn && state.isOk() && !state.value().securityQuestions.empty()
                 ? ResetStep::kQuestions
                 : ResetStep::kSecondFactor;
  } else if (r.step == ResetStep::kQuestions) {
    r.step = ResetStep::kSecondFactor;
  } else if (r.step == ResetStep::kSecondFactor) {
    r.step = ResetStep::kPassword;
  }
  if (r.step == ResetStep::kSecondFactor && !mfa::hasSecondFactor(*db, r.host, r.user)) {
    r.step = ResetStep::kPassword;
  }
  r.attempts = 0;
  r.expiresMs = now + 10 * 60 * 1000;  // each further step within 10 minutes
  json::object o{{"reset_id", id}, {"next", stepName(static_cast<int>(r.step))}};
  if (r.step == ResetStep::kQuestions) {
    json::array qs;
    if (auto state = db->accountSecurity().accountState(r.host, r.user); state.isOk()) {
      for (const auto& [q, h] : state.value().securityQuestions) qs.push_back(json::value(q));
    }
    o["questions"] = qs;
  }
  if (r.step == ResetStep::kSecondFactor) {
    // Which of the account's factors the page may ask for (the phone code was right).
    json::array factors;
    auto sec = db->admin().adminSecurity(r.host, r.user);
    if (sec.isOk() && sec.value() && sec.value()->totpEnrolled) factors.push_back("totp");
    auto keys = db->accountSecurity().passkeys(r.host, r.user);
    if (keys.isOk() && !keys.value().empty()) factors.push_back("passkey");
    o["factors"] = factors;
  }
  return jsonResponse(o);
}

Response AccountCenter::Impl::resetCode(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"code"});
  const std::string code = f.str("code", true, 16);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  auto found = liveReset(c, ResetStep::kCode);
  if (auto* problem = std::get_if<Response>(&found)) return *problem;
  Reset& r = *std::get<Reset*>(found);
  // Spent after 5 tries, for every name alike: no more hashing work for a flood of guesses.
  if (r.attempts >= kCodeAttempts ||
      !deps.throttle.admits(throttleSource(c.req.peer), std::string())) {
    return problemOf(422, "wrong-code", "Invalid input",
                     "wrong or expired code (ask for a new one after 5 tries or 5 minutes)");
  }
  // The same Argon2id work for every reset, with or without a code that could match.
  static const std::string kDummy = security::secrets::hashSecret("000000").value_or("");
  const bool live = !r.codeHash.empty() && nowMs() <= r.expiresMs;
  const bool right = security::secrets::verifySecret(live ? r.codeHash : kDummy, code) && live;
  if (!right) {
    ++r.attempts;
    if (!r.user.empty()) {
      deps.throttle.checked(throttleSource(c.req.peer), SignInThrottle::accountKey(r.host, r.user),
                            SignInThrottle::Verdict::kWrong);
    }
    return problemOf(422, "wrong-code", "Invalid input",
                     "wrong or expired code (ask for a new one after 5 tries or 5 minutes)");
  }
  return resetNext(c.params["id"], r);
}

Response AccountCenter::Impl::resetResend(Call& c) {
  if (!c.body.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", "no body expected");
  }
  auto found = liveReset(c, ResetStep::kCode);
  if (auto* problem = std::get_if<Response>(&found)) return *problem;
  Reset& r = *std::get<Reset*>(found);
  if (r.resends >= kMaxResends || nowMs() - r.codeSentMs < kResendGapMs) {
    Response p = problemOf(429, "throttled", "Too Many Requests",
                           "a new code can be sent once a minute, three times per reset");
    p.headers.emplace_back("Retry-After", "60");
    return p;
  }
  ++r.resends;
  sendResetCode(r);
  return jsonResponse(json::object{{"reset_id", c.params["id"]}, {"next", "code"}}, 202);
}

Response AccountCenter::Impl::resetQuestions(Call& c) {
  auto found = liveReset(c, ResetStep::kQuestions);
  if (auto* problem = std::get_if<Response>(&found)) return *problem;
  Reset& r = *std::get<Reset*>(found);
  auto answers = c.body.find("answers");
  if (c.body.size() != 1 || answers == c.body.end() || !answers->value().is_array()) {
    return problemOf(422, "invalid-input", "Invalid input", "send {\"answers\": [...]}");
  }
  auto state = db->accountSecurity().accountState(r.host, r.user);
  if (!state.isOk() || r.attempts >= 3) {
    return problemOf(409, "precondition", "Conflict", "too many wrong answers; start again");
  }
  const auto& qs = state.value().securityQuestions;
  const auto& given = answers->value().as_array();
  bool right = given.size() == qs.size();
  for (std::size_t i = 0; i < qs.size(); ++i) {
    std::string text = i < given.size() && given[i].is_string() && given[i].as_string().size() <= 200
                           ? std::string(given[i].as_string())
                           : std::string();
    auto normalized = security::reset::normalizeAnswer(text);
    // Every answer is checked (the same work whichever is wrong).
    const bool ok = security::secrets::verifySecret(qs[i].second, normalized.value_or(""));
    right = right && normalized && ok;
  }
  if (!right) {
    ++r.attempts;
    ops.record(Actor{r.user + "@" + r.host, std::nullopt, c.req.peer, c.req.userAgent,
                     c.actor.requestId, true},
               action::kAccountPasswordReset, r.user + "@" + r.host, r.host,
               AuditResult::kFailure, "wrong security answers");
    return problemOf(422, "wrong-answers", "Invalid input", "one or more answers are wrong");
  }
  return resetNext(c.params["id"], r);
}

Response AccountCenter::Impl::resetSecondFactor(Call& c) {
  std::string problem;
  const auto answer = readFactorAnswer(c.body, problem);
  if (!answer) {
    return problemOf(422, "invalid-input", "Invalid input", problem);
  }
  const std::string& code = answer->code;
  auto found = liveReset(c, ResetStep::kSecondFactor);
  if (auto* problem = std::get_if<Response>(&found)) return *problem;
  Reset& r = *std::get<Reset*>(found);
  if (r.attempts >= kCodeAttempts) {
    return problemOf(409, "precondition", "Conflict",
                     "too many wrong answers: start again, or ask your administrator");
  }
  bool right = false;
  std::string why = "wrong or already used code";
  if (answer->passkey != nullptr) {
    const std::string challenge = std::exchange(r.challenge, std::string());
    why = verifyPasskey(c.req, r.host, r.user, challenge, *answer->passkey);
    right = why.empty();
    if (!right) why = "the passkey was not accepted: " + why;
  } else {
    auto sec = db->admin().adminSecurity(r.host, r.user);
    if (!sec.isOk() || !sec.value() || !sec.value()->totpEnrolled) {
      return problemOf(409, "precondition", "Conflict",
                       "this account's second factor is a passkey: use it");
    }
    auto updated = *sec.value();
    right = mfa::checkSecondFactor(updated, code, nowMs() / 1000) != mfa::FactorUsed::kNone;
    if (right) db->admin().putAdminSecurity(r.host, r.user, updated);
  }
  if (!right) {
    ++r.attempts;
    deps.throttle.checked(throttleSource(c.req.peer), SignInThrottle::accountKey(r.host, r.user),
                          SignInThrottle::Verdict::kWrong);
    return problemOf(422, "wrong-code", "Invalid input", why);
  }
  return resetNext(c.params["id"], r);
}

Response AccountCenter::Impl::resetPasskeyOptions(Call& c) {
  if (!c.body.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", "no body expected");
  }
  auto found = liveReset(c, ResetStep::kSecondFactor);
  if (auto* problem = std::get_if<Response>(&found)) return *problem;
  Reset& r = *std::get<Reset*>(found);
  auto options = passkeyOptions(c.req, r.host, r.user, r.challenge);
  if (auto* problem = std::get_if<Response>(&options)) return *problem;
  return jsonResponse(std::get<json::object>(options));
}

Response AccountCenter::Impl::resetPassword(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"new_password", "keep_sessions"});
  const std::string next = f.str("new_password", true, 1023);
  const bool keep = f.boolean("keep_sessions", false);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  auto found = liveReset(c, ResetStep::kPassword);
  if (auto* problem = std::get_if<Response>(&found)) return *problem;
  Reset& r = *std::get<Reset*>(found);
  if (nowMs() > r.expiresMs) {
    resets.erase(c.params["id"]);
    return problemOf(404, "not-found", "Not Found", "the reset expired; start again");
  }
  const std::string jid = r.user + "@" + r.host;
  Actor self{jid, std::nullopt, c.req.peer, c.req.userAgent, c.actor.requestId, true};
  if (auto st = ops.changeAccountPassword(self, next); !st.isOk()) {
    return fromStatus(st);
  }
  ops.record(self, action::kAccountPasswordReset, jid, r.host, AuditResult::kSuccess, {},
             {{"step", "done"}, {"sessions", keep ? "kept" : "ended"}});
  if (!keep) {
    ops.logoutUser(self, jid, true);
  }
  security::admin::queueNotice(*db, r.host, r.user,
                               "Your password was reset in the account center from " +
                                   c.req.peer +
                                   (keep ? "." : "; every session and device credential ended.") +
                                   " If this wasn't you, tell your security administrator now.",
                               nowMs());
  if (deps.accountChanged) deps.accountChanged(r.host, r.user);
  deps.throttle.clearAccount(SignInThrottle::accountKey(r.host, r.user));
  resets.erase(c.params["id"]);
  return noContent();
}

}  // namespace rampart::http::account
