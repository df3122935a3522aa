// The admin API's operations. Each runs on the storage thread after authentication and the
// role check (admin_api.cc); each write goes through AdminOps (authorize the tenant, audit
// first, act).

#include <boost/json.hpp>

#include <chrono>

#include "http/admin/admin_api_impl.h"
#include "rampart/core/jid.h"
#include "security/mfa/second_factor.h"
#include "security/mfa/totp.h"
#include "core/sasl/authenticator.h"
#include "security/throttle/connection_limiter.h"

namespace rampart::http::admin {

namespace {

std::int64_t unixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string sessionCookie(const std::string& id, std::int64_t maxAge) {
  return std::string(kCookie) + "=" + id + "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(maxAge);
}

json::object sessionJson(const Principal& p, Stage stage, const std::string& csrf) {
  json::object o;
  o["jid"] = p.jid;
  o["role"] = security::roleName(p.role);
  o["tenant"] = p.tenant.empty() ? json::value(nullptr) : json::value(p.tenant);
  o["stage"] = security::admin::stageName(stage);
  o["csrf_token"] = csrf;
  json::array perms;
  for (const auto& info : security::permissionTable()) {
    if (std::find(info.roles.begin(), info.roles.end(), p.role) != info.roles.end()) {
      perms.push_back(json::value(info.name));
    }
  }
  o["permissions"] = perms;
  return o;
}

// An RFC 9162 proof as the API serves it: base64 hashes in order.
json::array proofJson(const std::vector<security::audit::Hash>& proof) {
  json::array out;
  for (const auto& h : proof) {
    out.push_back(json::value(core::sasl::base64Encode(h)));
  }
  return out;
}


}  // namespace

void AdminApi::Impl::recordLogin(const Call& c, const std::string& host, const std::string& user,
                                 bool ok, std::string credential, std::string reason) {
  if (!deps.recordLogin) return;
  storage::LoginRecord r = httpLoginRecord(c.req, "admin");
  r.host = host;
  r.user = user;
  r.credential = std::move(credential);
  r.success = ok;
  r.reason = std::move(reason);
  deps.recordLogin(std::move(r));
}

Response AdminApi::Impl::signIn(Call& c) {
  using security::throttle::SignInThrottle;
  Fields f{c.body};
  f.rejectUnknown({"jid", "password", "code"});
  const std::string jidText = f.str("jid", true, 1023);
  const std::string password = f.str("password", true, 1023);
  const std::string code = f.str("code", false, 64);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  auto parsed = core::Jid::parse(jidText);
  const std::string jid = parsed && parsed->isBare() ? parsed->bareStr() : jidText;
  // The account as the login records and the throttle know it (a served host and a user).
  const bool served = parsed && parsed->isBare() && !parsed->local().empty() &&
                      std::find(deps.hosts.begin(), deps.hosts.end(), parsed->domain()) !=
                          deps.hosts.end();
  const std::string host = served ? parsed->domain() : std::string();
  const std::string user = served ? parsed->local() : jidText.substr(0, 64);
  const std::string accountKey = served ? SignInThrottle::accountKey(host, user) : std::string();
  Actor who{jid, std::nullopt, c.req.peer, c.req.userAgent, c.actor.requestId};
  auto* throttle = deps.throttle;
  // What the throttle counts: the address, or its /64 for IPv6 (as for XMPP).
  const std::string source = security::throttle::ConnectionLimiter::addressKey(c.req.peer);
  // Locked accounts and addresses are refused before any credential is looked at (smart
  // lockout: an address the account signed in from before has its own counter).
  if (const auto wait = throttle ? throttle->lockLeft(source, accountKey, &consoleLock)
                                 : std::chrono::seconds(0);
      wait.count() > 0) {
    ops->record(who, action::kAdminSignIn, jid, "", AuditResult::kDenied,
                "locked after repeated failures");
    recordLogin(c, host, user, false, "password", "locked");
    Response r = problemOf(429, "locked", "Too Many Requests",
                           "too many failed sign-ins for this account or address; try later");
    r.headers.emplace_back("Retry-After", std::to_string(wait.count()));
    return r;
  }
  if (throttle && !throttle->admits(source, accountKey, &consoleLock)) {
    ops->record(who, action::kAdminSignIn, jid, "", AuditResult::kDenied, "throttled");
    recordLogin(c, host, user, false, "password", "throttled");
    Response r = problemOf(429, "throttled", "Too Many Requests",
                           "too many sign-in attempts from this address or for this account; "
                           "try later");
    r.headers.emplace_back("Retry-After", "60");
    return r;
  }
  std::optional<storage::RoleGrant> grant;
  if (served) {
    auto g = db->admin().roleOf(parsed->domain(), parsed->local());
    if (g.isOk()) {
      grant = g.value();
    }
  }
  if (grant) {
    // Per-role allow-list and client certificate, before the password is checked.
    if (auto gate = roleGate(c.req, jid, grant->role, grant->tenant)) {
      recordLogin(c, host, user, false, "password", "refused-by-role-policy");
      return *gate;
    }
  }
  const bool passwordOk = ops->checkPassword(jid, password);
  std::optional<storage::AdminSecurity> sec;
  if (grant) {
    auto s = db->admin().adminSecurity(parsed->domain(), parsed->local());
    if (s.isOk()) {
      sec = s.value();
    }
  }
  std::string failure;
  std::string reason;  // for the login record
  auto used = security::mfa::FactorUsed::kNone;
  if (!passwordOk || !served) {
    failure = "wrong account or password";
    reason = "not-authorized";
  } else if (!grant) {
    failure = "not an administrator";
    reason = "not-an-administrator";
  } else if (sec && sec->totpEnrolled) {
    used = security::mfa::checkSecondFactor(*sec, code, unixSeconds());
    if (used == security::mfa::FactorUsed::kNone) {
      failure = code.empty() ? "second factor missing"
                : code.size() == 6 ? "wrong or reused TOTP code"
                                   : "wrong recovery code";
      reason = code.empty() ? "second-factor-missing" : "wrong-second-factor";
    }
  }
  const bool recoveryUsed = used == security::mfa::FactorUsed::kRecoveryCode;
  const std::string credential = recoveryUsed ? "password+recovery-code"
                                 : used == security::mfa::FactorUsed::kTotp ? "password+totp"
                                                                            : "password";
  // Every checked attempt goes through the one throttle: its answer may be paced, and a wrong
  // one counts for the account and the address (a wrong code counts like a wrong password).
  if (throttle) {
    const bool right = failure.empty() || reason == "not-an-administrator";
    const std::uint64_t attempt =
        right ? 0
              : core::sasl::secretFingerprint(deps.fingerprintKey, host + "/" + user,
                                              reason == "not-authorized" ? password : code);
    auto due = throttle->checked(source, accountKey,
                                 right ? SignInThrottle::Verdict::kRight
                                       : SignInThrottle::Verdict::kWrong,
                                 attempt, &consoleLock);
    if (!due) {
      ops->record(who, action::kAdminSignIn, jid, grant ? grant->tenant : "",
                  AuditResult::kDenied, "throttled");
      recordLogin(c, host, user, false, credential, "throttled");
      Response r = problemOf(429, "throttled", "Too Many Requests",
                             "too many sign-in attempts from this address or for this account; "
                             "try later");
      r.headers.emplace_back("Retry-After", "60");
      return r;
    }
    c.due = *due;
  }
  if (!failure.empty()) {
    ops->record(who, action::kAdminSignIn, jid, grant ? grant->tenant : "", AuditResult::kFailure,
                failure);
    recordLogin(c, host, user, false, credential, reason);
    if (throttle && throttle->lockLeft(source, accountKey, &consoleLock).count() > 0 &&
        deps.hooks.alert) {
      // This failure locked the account or the address for the console.
      deps.hooks.alert("admin-sign-in-failures", grant ? grant->tenant : "",
                       std::to_string(deps.config.adminMaxFailures) +
                           " failed administrator sign-ins for " + jid + " or from " +
                           c.req.peer);
    }
    // One answer for every failure: nothing tells which part was wrong.
    return problemOf(401, "sign-in-failed", "Unauthorized",
                     "wrong account, password or second factor");
  }
  auto state = db->accountSecurity().accountState(host, user);
  if (state.isOk() && state.value().lockedAt(nowMs())) {
    // A frozen (locked) account signs in nowhere; only the right password learns it.
    ops->record(who, action::kAdminSignIn, jid, grant->tenant, AuditResult::kDenied,
                "account locked");
    recordLogin(c, host, user, false, credential, "account-locked");
    return problemOf(403, "account-disabled", "Forbidden",
                     "this account is locked; ask your security administrator");
  }
  auto role = security::parseRole(grant->role);
  Principal p{jid, *role, grant->tenant};
  Stage stage = Stage::kActive;
  if (sec && sec->mustChangePassword) {
    stage = Stage::kPasswordChange;
  } else if (!sec || !sec->totpEnrolled) {
    stage = Stage::kTotpEnrolment;
  }
  Actor signedIn{jid, p, c.req.peer, c.req.userAgent, c.actor.requestId};
  std::vector<std::pair<std::string, std::string>> details{
      {"stage", std::string(security::admin::stageName(stage))}};
  if (recoveryUsed) {
    details.emplace_back("second_factor", "recovery code");
  } else if (used == security::mfa::FactorUsed::kTotp) {
    details.emplace_back("second_factor", "totp");
  }
  if (auto st = ops->record(signedIn, action::kAdminSignIn, jid, grant->tenant,
                            AuditResult::kSuccess, {}, details);
      !st.isOk()) {
    return fromStatus(core::Status::unavailable("the audit log cannot be written: " + st.message()));
  }
  recordLogin(c, host, user, true, credential, {});
  if (used != security::mfa::FactorUsed::kNone) {
    db->admin().putAdminSecurity(parsed->domain(), parsed->local(), *sec);
    if (recoveryUsed) {
      ops->record(signedIn, action::kAdminRecoveryCodeUse, jid, grant->tenant,
                  AuditResult::kSuccess, {},
                  {{"left", std::to_string(sec->recoveryCodeHashes.size())}});
    }
  }
  auto created = sessions.create(p, stage, c.req.peer);
  Response r = jsonResponse(sessionJson(p, stage, created.csrf), 201);
  r.headers.emplace_back("Set-Cookie", sessionCookie(created.id, deps.config.adminSessionMaxAge));
  return r;
}

Response AdminApi::Impl::sessionInfo(Call& c) {
  if (!c.session) {
    // A token: who it stands for.
    return jsonResponse(sessionJson(*c.principal, Stage::kActive, ""));
  }
  return jsonResponse(sessionJson(c.session->principal, c.session->stage, c.session->csrf));
}

Response AdminApi::Impl::signOut(Call& c) {
  if (c.sessionId.empty()) {
    return problemOf(400, "not-a-session", "Bad Request", "API tokens are revoked, not signed out");
  }
  sessions.end(c.sessionId);
  ops->record(c.actor, action::kAdminSignOut, c.actor.name, c.principal->tenant,
              AuditResult::kSuccess);
  Response r;
  r.status = 204;
  r.headers.emplace_back("Set-Cookie", sessionCookie("", 0));
  return r;
}

Response AdminApi::Impl::changePassword(Call& c) {
  if (!c.session) {
    return problemOf(400, "not-a-session", "Bad Request", "sign in to the console to do this");
  }
  Fields f{c.body};
  f.rejectUnknown({"current_password", "new_password"});
  const std::string current = f.str("current_password", c.session->stage == Stage::kActive, 1023);
  const std::string next = f.str("new_password", true, 1023);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  if (c.session->stage == Stage::kActive && !ops->checkPassword(c.actor.name, current)) {
    ops->record(c.actor, action::kAdminPasswordChange, c.actor.name, c.principal->tenant,
                AuditResult::kFailure, "wrong current password");
    return problemOf(422, "invalid-input", "Invalid input", "the current password is wrong");
  }
  if (auto st = ops->changeOwnPassword(c.actor, next); !st.isOk()) {
    return fromStatus(st);
  }
  auto parsed = core::Jid::parse(c.actor.name);
  auto sec = db->admin().adminSecurity(parsed->domain(), parsed->local());
  const bool enrolled = sec.isOk() && sec.value() && sec.value()->totpEnrolled;
  const Stage next_stage = enrolled ? Stage::kActive : Stage::kTotpEnrolment;
  if (c.session->stage != Stage::kActive) {
    sessions.update(c.sessionId, [&](security::admin::AdminSession& s) { s.stage = next_stage; });
  }
  return jsonResponse(sessionJson(c.session->principal,
                                  c.session->stage == Stage::kActive ? Stage::kActive : next_stage,
                                  c.session->csrf));
}

Response AdminApi::Impl::totpStart(Call& c) {
  const std::string secret = security::mfa::newTotpSecret();
  sessions.update(c.sessionId,
                  [&](security::admin::AdminSession& s) { s.pendingTotpSecret = secret; });
  const std::string issuer = "Rampart " + (deps.hosts.empty() ? std::string() : deps.hosts.front());
  const std::string uri = security::mfa::otpauthUri(issuer, c.actor.name, secret);
  json::object o;
  o["secret"] = security::mfa::base32(secret);
  o["otpauth_uri"] = uri;
  o["qr_svg"] = security::mfa::qrSvg(uri);
  o["period"] = security::mfa::kTotpStepSeconds;
  o["digits"] = security::mfa::kTotpDigits;
  o["algorithm"] = "SHA1";
  return jsonResponse(o);
}

Response AdminApi::Impl::totpConfirm(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"code"});
  const std::string code = f.str("code", true, 16);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  const std::string secret = c.session->pendingTotpSecret;
  if (secret.empty()) {
    return problemOf(409, "precondition", "Conflict", "start the enrolment first");
  }
  auto codes = ops->enrolTotp(c.actor, c.actor.name, secret, code, action::kAdminTotpEnrol);
  if (!codes.isOk()) {
    return fromStatus(codes.status());
  }
  sessions.update(c.sessionId, [](security::admin::AdminSession& s) {
    s.stage = Stage::kActive;
    s.pendingTotpSecret.clear();
  });
  json::object o = sessionJson(c.session->principal, Stage::kActive, c.session->csrf);
  json::array rc;
  for (const auto& code : codes.value()) {
    rc.push_back(json::value(code));
  }
  o["recovery_codes"] = rc;
  return jsonResponse(o);
}

Response AdminApi::Impl::status(Call&) {
  std::string body = deps.hooks.statusJson ? deps.hooks.statusJson() : std::string("{}");
  Response r;
  r.body = std::move(body);
  return r;
}

Response AdminApi::Impl::tenants(Call& c) {
  json::array items;
  for (const auto& h : deps.hosts) {
    if (!c.principal->tenant.empty() && c.principal->tenant != h) {
      continue;  // a tenant's administrator sees its own tenant only
    }
    json::object o;
    o["name"] = h;
    for (const auto& hc : deps.config.hosts) {
      if (hc.name == h) {
        o["display_name"] = hc.displayName.empty() ? h : hc.displayName;
      }
    }
    auto users = db->accounts().listAccounts(h);
    o["accounts"] = users.isOk() ? users.value().size() : 0;
    items.push_back(o);
  }
  return jsonResponse(json::object{{"items", items}, {"next_cursor", nullptr}});
}

Response AdminApi::Impl::users(Call& c) {
  std::string tenant = queryOr(c.query, "tenant");
  if (tenant.empty()) {
    tenant = c.principal->tenant.empty() ? deps.hosts.front() : c.principal->tenant;
  }
  if (std::find(deps.hosts.begin(), deps.hosts.end(), tenant) == deps.hosts.end()) {
    return problemOf(422, "invalid-input", "Invalid input", "no such tenant: " + tenant);
  }
  if (auto denied = scope(c, Permission::kUserRead, tenant, "user.list", tenant)) {
    return *denied;
  }
  const std::string q = queryOr(c.query, "q");
  const std::string cursor = queryOr(c.query, "cursor");
  const auto pageSize = pageLimit(c.query, 50);
  if (!pageSize) {
    return badLimit();
  }
  const std::size_t limit = *pageSize;
  auto all = db->accounts().listAccounts(tenant);
  if (!all.isOk()) {
    return fromStatus(all.status());
  }
  json::array items;
  std::string next;
  for (const auto& u : all.value()) {
    if (!cursor.empty() && u <= cursor) continue;
    if (!q.empty() && u.find(q) == std::string::npos) continue;
    if (items.size() == limit) {
      next = items.back().as_object().at("user").as_string().c_str();
      break;
    }
    json::object o;
    o["jid"] = u + "@" + tenant;
    o["user"] = u;
    auto g = db->admin().roleOf(tenant, u);
    o["role"] = g.isOk() && g.value() ? json::value(g.value()->role) : json::value(nullptr);
    o["sessions"] = deps.hooks.sessionsOf ? deps.hooks.sessionsOf(u + "@" + tenant).size() : 0;
    // A freeze in force: {mode, until (null: until unfrozen), reason}; null when none.
    json::value frozen = nullptr;
    if (auto st = db->accountSecurity().accountState(tenant, u);
        st.isOk() && !st.value().freezeMode.empty() &&
        (st.value().frozenUntilMs == 0 || nowMs() < st.value().frozenUntilMs)) {
      frozen = json::object{
          {"mode", st.value().freezeMode},
          {"until", st.value().frozenUntilMs == 0
                        ? json::value(nullptr)
                        : json::value(security::audit::formatUtcMillis(st.value().frozenUntilMs))},
          {"reason", st.value().freezeReason}};
    }
    o["frozen"] = frozen;
    items.push_back(o);
  }
  return jsonResponse(json::object{{"items", items},
                                   {"next_cursor", next.empty() ? json::value(nullptr)
                                                                : json::value(next)}});
}

Response AdminApi::Impl::createUser(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"jid", "password"});
  const std::string jid = f.str("jid", true, 1023);
  const std::string password = f.str("password", true, 1023);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  if (auto st = ops->createUser(c.actor, jid, password); !st.isOk()) {
    return fromStatus(st);
  }
  auto parsed = core::Jid::parse(jid);
  return jsonResponse(json::object{{"jid", parsed->bareStr()}}, 201);
}

Response AdminApi::Impl::deleteUser(Call& c) {
  const std::string jid = c.params["jid"];
  if (auto st = ops->deleteUser(c.actor, jid); !st.isOk()) {
    return fromStatus(st);
  }
  if (deps.hooks.endSessionsOf) {
    deps.hooks.endSessionsOf(core::Jid::parse(jid)->bareStr());
  }
  Response r;
  r.status = 204;
  return r;
}

Response AdminApi::Impl::setPassword(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"password"});
  const std::string password = f.str("password", true, 1023);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  if (auto st = ops->setPassword(c.actor, c.params["jid"], password); !st.isOk()) {
    return fromStatus(st);
  }
  Response r;
  r.status = 204;
  return r;
}

Response AdminApi::Impl::userSessions(Call& c) {
  auto parsed = core::Jid::parse(c.params["jid"]);
  if (!parsed || parsed->local().empty() || !parsed->isBare()) {
    return problemOf(422, "invalid-input", "Invalid input", "not an account JID");
  }
  if (auto denied = scope(c, Permission::kUserRead, parsed->domain(), "session.list",
                          parsed->bareStr())) {
    return *denied;
  }
  json::array items;
  if (deps.hooks.sessionsOf) {
    for (const auto& s : deps.hooks.sessionsOf(parsed->bareStr())) {
      items.push_back({{"jid", s.fullJid},
                       {"address", s.peer},
                       {"since", security::audit::formatUtcMillis(s.sinceMs)}});
    }
  }
  return jsonResponse(json::object{{"items", items}, {"next_cursor", nullptr}});
}

Response AdminApi::Impl::endUserSessions(Call& c) {
  auto parsed = core::Jid::parse(c.params["jid"]);
  if (!parsed || parsed->local().empty() || !parsed->isBare()) {
    return problemOf(422, "invalid-input", "Invalid input", "not an account JID");
  }
  if (auto denied = scope(c, Permission::kSessionEnd, parsed->domain(), action::kSessionEnd,
                          parsed->bareStr())) {
    return *denied;
  }
  if (auto st = ops->record(c.actor, action::kSessionEnd, parsed->bareStr(), parsed->domain(),
                            AuditResult::kSuccess);
      !st.isOk()) {
    return fromStatus(core::Status::unavailable("the audit log cannot be written: " + st.message()));
  }
  const std::size_t ended = deps.hooks.endSessionsOf ? deps.hooks.endSessionsOf(parsed->bareStr()) : 0;
  return jsonResponse(json::object{{"ended", ended}});
}

Response AdminApi::Impl::roles(Call& c) {
  auto list = ops->listRoles(c.actor);
  if (!list.isOk()) {
    return fromStatus(list.status());
  }
  json::array items;
  for (const auto& g : list.value()) {
    items.push_back(grantJson(g));
  }
  return jsonResponse(json::object{{"items", items}, {"next_cursor", nullptr}});
}

Response AdminApi::Impl::grant(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"jid", "role", "tenant"});
  const std::string jid = f.str("jid", true, 1023);
  const std::string role = f.str("role", true, 16);
  const std::string tenant = f.str("tenant", false, 1023);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  auto g = ops->grantRole(c.actor, jid, role, tenant);
  if (!g.isOk()) {
    return fromStatus(g.status());
  }
  return jsonResponse(grantJson(g.value()), 201);
}

Response AdminApi::Impl::revoke(Call& c) {
  const std::string jid = c.params["jid"];
  if (auto st = ops->revokeRole(c.actor, jid, c.params["role"]); !st.isOk()) {
    return fromStatus(st);
  }
  sessions.endAllOf(core::Jid::parse(jid)->bareStr());
  Response r;
  r.status = 204;
  return r;
}

Response AdminApi::Impl::tokens(Call& c) {
  auto list = ops->listTokens(c.actor, queryOr(c.query, "all") == "true");
  if (!list.isOk()) {
    return fromStatus(list.status());
  }
  json::array items;
  for (const auto& t : list.value()) {
    items.push_back(tokenJson(t));
  }
  return jsonResponse(json::object{{"items", items}, {"next_cursor", nullptr}});
}

Response AdminApi::Impl::createToken(Call& c) {
  Fields f{c.body};
  f.rejectUnknown({"ttl", "label"});
  const std::int64_t ttl = f.integer("ttl", security::admin::AdminOps::kDefaultTokenTtl, 60,
                                     security::admin::AdminOps::kMaxTokenTtl);
  const std::string label = f.str("label", false, 100);
  if (!f.problem.empty()) {
    return problemOf(422, "invalid-input", "Invalid input", f.problem);
  }
  auto t = ops->createToken(c.actor, c.actor.name, ttl, label);
  if (!t.isOk()) {
    return fromStatus(t.status());
  }
  json::object o = tokenJson(t.value().record);
  o["token"] = t.value().token;
  return jsonResponse(o, 201);
}

Response AdminApi::Impl::revokeToken(Call& c) {
  if (auto st = ops->revokeToken(c.actor, c.params["id"]); !st.isOk()) {
    return fromStatus(st);
  }
  Response r;
  r.status = 204;
  return r;
}

Response AdminApi::Impl::auditEvents(Call& c) {
  storage::AuditFilter f;
  f.actor = queryOr(c.query, "actor");
  f.action = queryOr(c.query, "action");
  f.result = queryOr(c.query, "result");
  f.tenant = queryOr(c.query, "tenant");
  // A tenant's auditor reads its tenant's records only.
  if (!c.principal->tenant.empty()) {
    if (!f.tenant.empty() && f.tenant != c.principal->tenant) {
      return fromStatus(ops->check(c.actor, Permission::kAuditRead, f.tenant, action::kAuditRead,
                                   "audit log"));
    }
    f.tenant = c.principal->tenant;
  }
  for (const char* bound : {"from", "to"}) {
    const std::string v = queryOr(c.query, bound);
    if (v.empty()) continue;
    auto t = core::parseDateTime(v);
    if (!t) {
      return problemOf(422, "invalid-input", "Invalid input",
                       std::string(bound) + " must be an XEP-0082 date-time (e.g. "
                                            "2026-12-01T00:00:00Z)");
    }
    (std::string_view(bound) == "from" ? f.fromMs : f.toMs) = *t / 1000;
  }
  const auto pageSize = pageLimit(c.query, 100);
  if (!pageSize) {
    return badLimit();
  }
  const std::size_t limit = *pageSize;
  f.limit = limit;
  const auto cursor = numericCursor(c.query);
  if (!cursor) {
    return problemOf(422, "invalid-input", "Invalid input", "bad cursor");
  }
  if (!queryOr(c.query, "cursor").empty()) {
    f.beforeSeq = *cursor;
  }
  // Reading the audit log is itself audited, before anything is shown (fail closed).
  if (auto st = ops->record(c.actor, action::kAuditRead, "audit log", f.tenant,
                            AuditResult::kSuccess);
      !st.isOk()) {
    return fromStatus(core::Status::unavailable("the audit log cannot be written: " + st.message()));
  }
  auto rows = deps.audit.query(f);
  if (!rows.isOk()) {
    return fromStatus(rows.status());
  }
  json::array items;
  for (const auto& r : rows.value()) {
    // Every record is listed: one that does not parse as JSON is shown as its raw text.
    if (auto v = security::masking::parseForMasking(r.body)) {
      items.push_back(std::move(*v));
    } else {
      items.push_back(json::object{{"seq", r.seq}, {"unparsed", r.body}});
    }
  }
  const bool more = rows.value().size() == limit;
  return jsonResponse(json::object{
      {"items", items},
      {"next_cursor", more ? json::value(std::to_string(rows.value().back().seq))
                           : json::value(nullptr)}});
}

Response AdminApi::Impl::auditExport(Call& c) {
  storage::AuditFilter f;
  f.tenant = c.principal->tenant;
  f.limit = 1000000;
  if (auto st = ops->record(c.actor, action::kAuditExport, "audit log", f.tenant,
                            AuditResult::kSuccess);
      !st.isOk()) {
    return fromStatus(core::Status::unavailable("the audit log cannot be written: " + st.message()));
  }
  auto rows = deps.audit.query(f);
  if (!rows.isOk()) {
    return fromStatus(rows.status());
  }
  Response r;
  r.contentType = "application/jsonl";
  for (auto it = rows.value().rbegin(); it != rows.value().rend(); ++it) {
    r.body += it->body;
    r.body += '\n';
  }
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"audit.jsonl\"");
  return r;
}

Response AdminApi::Impl::auditVerification(Call& c) {
  auto v = deps.audit.verify();
  ops->record(c.actor, action::kAuditVerify, "audit log", c.principal->tenant,
              v.ok ? AuditResult::kSuccess : AuditResult::kFailure, v.problem);
  if (!v.ok && deps.hooks.alert) {
    deps.hooks.alert("audit-verification", "", "audit log verification failed: " + v.problem);
  }
  json::object o;
  o["intact"] = v.ok;
  o["records_checked"] = v.records;
  o["tree_size"] = v.size;
  o["root"] = core::hexEncode(v.root);
  o["problem"] = v.ok ? json::value(nullptr) : json::value(v.problem);
  o["first_bad_record"] = v.badSeq ? json::value(v.badSeq) : json::value(nullptr);
  return jsonResponse(o);
}

Response AdminApi::Impl::auditCheckpoint(Call& c) {
  std::uint64_t size = 0;
  if (!queryOr(c.query, "size").empty()) {
    auto n = number(c.query, "size");
    if (!n || *n == 0) {
      return problemOf(422, "invalid-input", "Invalid input", "size must be a positive integer");
    }
    size = *n;
  }
  auto cp = deps.audit.checkpointAt(size);
  if (!cp.isOk()) {
    return fromStatus(cp.status());
  }
  Response r;
  r.contentType = "text/plain; charset=utf-8";
  r.body = cp.value();
  return r;
}

Response AdminApi::Impl::auditKey(Call&) {
  Response r;
  r.contentType = "text/plain; charset=utf-8";
  r.body = deps.audit.signer().verifierKey() + "\n";
  return r;
}

Response AdminApi::Impl::inclusionProof(Call& c) {
  auto index = number(c.query, "index");
  auto size = number(c.query, "size");
  if (!index || !size) {
    return problemOf(422, "invalid-input", "Invalid input", "index and size are required integers");
  }
  auto proof = deps.audit.inclusion(*index, *size);
  if (!proof.isOk()) {
    return fromStatus(proof.status());
  }
  return jsonResponse(json::object{{"index", *index}, {"size", *size}, {"proof", proofJson(proof.value())}});
}

Response AdminApi::Impl::consistencyProof(Call& c) {
  auto first = number(c.query, "first");
  auto second = number(c.query, "second");
  if (!first || !second) {
    return problemOf(422, "invalid-input", "Invalid input",
                     "first and second are required integers");
  }
  auto proof = deps.audit.consistency(*first, *second);
  if (!proof.isOk()) {
    return fromStatus(proof.status());
  }
  return jsonResponse(json::object{{"first", *first}, {"second", *second}, {"proof", proofJson(proof.value())}});
}

Response AdminApi::Impl::alertList(Call& c) {
  const auto pageSize = pageLimit(c.query, 100);
  if (!pageSize) {
    return badLimit();
  }
  const std::size_t limit = *pageSize;
  const auto before = numericCursor(c.query);
  if (!before) {
    return problemOf(422, "invalid-input", "Invalid input", "bad cursor");
  }
  auto list = db->alerts().listAlerts(c.principal->tenant, queryOr(c.query, "open") == "true",
                                      static_cast<std::int64_t>(*before), limit);
  if (!list.isOk()) {
    return fromStatus(list.status());
  }
  json::array items;
  for (const auto& a : list.value()) {
    json::object o;
    o["id"] = a.id;
    o["rule"] = a.rule;
    o["severity"] = a.severity;
    o["tenant"] = a.tenant.empty() ? json::value(nullptr) : json::value(a.tenant);
    o["summary"] = a.summary;
    o["created"] = security::audit::formatUtcMillis(a.createdMs);
    o["acknowledged_by"] = a.acknowledgedBy.empty() ? json::value(nullptr)
                                                    : json::value(a.acknowledgedBy);
    o["acknowledged_at"] = a.acknowledgedMs ? json::value(security::audit::formatUtcMillis(
                                                  a.acknowledgedMs))
                                            : json::value(nullptr);
    items.push_back(o);
  }
  const bool more = list.value().size() == limit;
  return jsonResponse(json::object{
      {"items", items},
      {"next_cursor", more ? json::value(std::to_string(list.value().back().id))
                           : json::value(nullptr)}});
}

Response AdminApi::Impl::alertAcknowledge(Call& c) {
  std::int64_t id = 0;
  for (char ch : c.params["id"]) {
    if (ch < '0' || ch > '9' || id > (INT64_MAX - 9) / 10) {
      return problemOf(404, "not-found", "Not Found", "no such alert");
    }
    id = id * 10 + (ch - '0');
  }
  auto a = db->alerts().alertById(id);
  if (!a.isOk()) {
    return fromStatus(a.status());
  }
  if (!a.value()) {
    return problemOf(404, "not-found", "Not Found", "no such alert");
  }
  const std::string object = "alert " + std::to_string(id);
  if (auto denied = scope(c, Permission::kAlertAcknowledge, a.value()->tenant,
                          action::kAlertAcknowledge, object)) {
    return *denied;
  }
  if (a.value()->acknowledgedMs != 0) {
    return problemOf(409, "precondition", "Conflict", "the alert is already acknowledged");
  }
  if (auto st = ops->record(c.actor, action::kAlertAcknowledge, object, a.value()->tenant,
                            AuditResult::kSuccess, {}, {{"rule", a.value()->rule}});
      !st.isOk()) {
    return fromStatus(core::Status::unavailable("the audit log cannot be written: " + st.message()));
  }
  if (auto st = db->alerts().acknowledgeAlert(id, c.actor.name, nowMs()); !st.isOk()) {
    return fromStatus(st);
  }
  Response r;
  r.status = 204;
  return r;
}

}  // namespace rampart::http::admin
