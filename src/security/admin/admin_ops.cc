#include "security/admin/admin_ops.h"

#include <openssl/sha.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <openssl/crypto.h>

#include "core/credentials.h"
#include "security/admin/ops_util.h"
#include "core/sasl/scram.h"
#include "rampart/core/jid.h"
#include "rampart/core/random.h"

namespace rampart::security::admin {

using detail::parseAccount;
using detail::unavailable;

namespace {

std::int64_t systemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string sha256(std::string_view s) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), h);
  return std::string(reinterpret_cast<char*>(h), sizeof h);
}

// The password as stored (RFC 8265 OpaqueString), or the rule it breaks in `problem`.
std::optional<std::string> preparedPassword(const std::string& password, std::string& problem) {
  if (password.empty() || password.size() > 1023) {
    problem = "the password must be 1-1023 bytes";
    return std::nullopt;
  }
  auto prepared = core::preparePassword(password);
  if (!prepared) {
    problem = "the password holds characters not allowed in passwords (RFC 8265 OpaqueString)";
  }
  return prepared;
}

}  // namespace

namespace detail {

std::optional<Account> parseAccount(const std::string& text) {
  auto j = core::Jid::parse(text);
  if (!j || j->local().empty() || !j->isBare()) {
    return std::nullopt;
  }
  return Account{j->domain(), j->local(), j->bareStr()};
}

core::Status unavailable(const core::Status& auditFailure) {
  return core::Status::unavailable("the audit log cannot be written, so nothing was changed: " +
                                   auditFailure.message());
}

}  // namespace detail

std::string localActorName() {
  struct passwd pw{};
  struct passwd* found = nullptr;
  char buf[4096];
  if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &found) == 0 && found != nullptr) {
    return std::string("local:") + found->pw_name;
  }
  return "local:uid" + std::to_string(geteuid());
}

std::string generatePassword() {
  // 120 random bits; drawn again until it mixes lower, upper and digits, so that every
  // password profile (mlps: three classes) accepts it.
  for (;;) {
    std::string pw = core::randomToken(15);
    const bool lower = std::any_of(pw.begin(), pw.end(), [](char c) { return c >= 'a' && c <= 'z'; });
    const bool upper = std::any_of(pw.begin(), pw.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    const bool digit = std::any_of(pw.begin(), pw.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (lower && upper && digit) {
      return pw;
    }
  }
}

AdminOps::AdminOps(storage::Storage& storage, AuditSink& audit, std::vector<std::string> hosts,
                   std::uint32_t scramIterations, Clock now)
    : storage_(storage),
      audit_(audit),
      hosts_(std::move(hosts)),
      scramIterations_(scramIterations),
      now_(now ? std::move(now) : Clock(systemNowMs)) {}

std::optional<std::string> AdminOps::servedTenant(const std::string& host) const {
  if (hosts_.empty() || std::find(hosts_.begin(), hosts_.end(), host) != hosts_.end()) {
    return host;
  }
  return std::nullopt;
}

core::Status AdminOps::record(const Actor& who, std::string_view action, std::string object,
                              std::string tenant, AuditResult result, std::string reason,
                              std::vector<std::pair<std::string, std::string>> details) {
  AuditEvent e;
  e.action = action;
  e.actor = who.name;
  e.role = who.principal ? std::string(roleName(who.principal->role)) : std::string();
  e.source = who.source;
  e.client = who.client;
  e.tenant = std::move(tenant);
  e.object = std::move(object);
  e.result = result;
  e.reason = std::move(reason);
  e.requestId = who.requestId;
  e.details = std::move(details);
  return audit_.record(e);
}

core::Status AdminOps::check(const Actor& who, Permission what, std::string_view tenant,
                             std::string_view action, const std::string& object) {
  if (who.self) {
    // What an account may do to itself, and only to itself.
    const bool own = object == who.name;
    const bool allowed = what == Permission::kDeviceRead || what == Permission::kDeviceWrite ||
                         what == Permission::kLoginRead || what == Permission::kSessionEnd;
    if (own && allowed) {
      return core::Status::ok();
    }
    const std::string why = std::string("an account may manage only its own devices, sessions "
                                        "and sign-in records (") +
                            std::string(permissionInfo(what).name) + ")";
    record(who, action, object, std::string(tenant), AuditResult::kDenied, why);
    return core::Status::permissionDenied(why);
  }
  if (!who.principal) {
    return core::Status::ok();  // break-glass: the local operator
  }
  const Decision d = authorize(*who.principal, what, tenant);
  if (d == Decision::kAllow) {
    return core::Status::ok();
  }
  const std::string why = std::string(decisionReason(d)) + " (" +
                          std::string(permissionInfo(what).name) + ")";
  record(who, action, object, std::string(tenant), AuditResult::kDenied, why);
  return core::Status::permissionDenied(why);
}

core::Result<storage::RoleGrant> AdminOps::grantRole(const Actor& who, const std::string& jid,
                                                     const std::string& roleText,
                                                     const std::string& tenant) {
  const auto action = audit_action::kRoleGrant;
  const std::string object = jid + " " + roleText + (tenant.empty() ? "" : " @" + tenant);
  if (auto st = check(who, Permission::kRoleWrite, tenant, action, object); !st.isOk()) {
    return st;
  }
  auto account = parseAccount(jid);
  auto role = parseRole(roleText);
  std::string problem;
  if (!account) {
    problem = "not an account JID (user@host): " + jid;
  } else if (!role) {
    problem = "no such role: " + roleText + " (sysadmin, secadmin, auditor or reviewer)";
  } else if (!tenant.empty() && !servedTenant(tenant)) {
    problem = "no such tenant: " + tenant;
  } else if (!tenant.empty() && account->host != tenant) {
    problem = "a tenant's administrator must be an account of that tenant";
  } else if (!servedTenant(account->host)) {
    problem = "no such tenant: " + account->host;
  } else if (account->jid == who.name) {
    record(who, action, object, tenant, AuditResult::kDenied, "nobody grants a role to themselves");
    return core::Status::permissionDenied("nobody grants a role to themselves");
  }
  if (!problem.empty()) {
    record(who, action, object, tenant, AuditResult::kFailure, problem);
    return core::Status::invalidArgument(problem);
  }
  auto known = storage_.accounts().exists(account->host, account->user);
  if (!known.isOk()) {
    return known.status();
  }
  if (!known.value()) {
    record(who, action, object, tenant, AuditResult::kFailure, "no such account");
    return core::Status::notFound("no such account: " + account->jid);
  }
  auto existing = storage_.admin().roleOf(account->host, account->user);
  if (!existing.isOk()) {
    return existing.status();
  }
  if (existing.value()) {
    const std::string msg = account->jid + " already holds the role " +
                            existing.value()->role +
                            "; one account holds at most one administrator role (revoke it "
                            "first)";
    record(who, action, object, tenant, AuditResult::kFailure, msg);
    return core::Status::alreadyExists(msg);
  }
  storage::RoleGrant g{account->host, account->user, std::string(roleName(*role)), tenant,
                       now_(), who.name};
  if (auto st = record(who, action, object, tenant, AuditResult::kSuccess); !st.isOk()) {
    return unavailable(st);
  }
  if (auto st = storage_.admin().grantRole(g); !st.isOk()) {
    record(who, action, object, tenant, AuditResult::kFailure, st.message());
    return st;
  }
  return g;
}

core::Status AdminOps::revokeRole(const Actor& who, const std::string& jid,
                                  const std::string& roleText) {
  const auto action = audit_action::kRoleRevoke;
  auto account = parseAccount(jid);
  std::string tenant;
  std::optional<storage::RoleGrant> held;
  if (account) {
    auto existing = storage_.admin().roleOf(account->host, account->user);
    if (!existing.isOk()) {
      return existing.status();
    }
    held = existing.value();
    if (held) {
      tenant = held->tenant;
    }
  }
  const std::string object = jid + " " + roleText;
  if (auto st = check(who, Permission::kRoleWrite, tenant, action, object); !st.isOk()) {
    return st;
  }
  if (!account || !parseRole(roleText)) {
    const std::string msg = !account ? "not an account JID (user@host): " + jid
                                     : "no such role: " + roleText;
    record(who, action, object, tenant, AuditResult::kFailure, msg);
    return core::Status::invalidArgument(msg);
  }
  if (account->jid == who.name) {
    record(who, action, object, tenant, AuditResult::kDenied, "nobody revokes their own role");
    return core::Status::permissionDenied("nobody revokes their own role");
  }
  if (!held || held->role != roleText) {
    const std::string msg = account->jid + " does not hold the role " + roleText;
    record(who, action, object, tenant, AuditResult::kFailure, msg);
    return core::Status::notFound(msg);
  }
  if (auto st = record(who, action, object, tenant, AuditResult::kSuccess); !st.isOk()) {
    return unavailable(st);
  }
  auto st = storage_.admin().revokeRole(account->host, account->user, roleText);
  if (!st.isOk()) {
    record(who, action, object, tenant, AuditResult::kFailure, st.message());
  }
  return st;
}

core::Result<std::vector<storage::RoleGrant>> AdminOps::listRoles(const Actor& who) {
  const std::string tenant = who.principal ? who.principal->tenant : std::string();
  if (auto st = check(who, Permission::kAdminRead, tenant, audit_action::kRoleList, "roles");
      !st.isOk()) {
    return st;
  }
  auto all = storage_.admin().listRoles();
  if (!all.isOk() || tenant.empty()) {
    return all;
  }
  std::vector<storage::RoleGrant> mine;
  for (auto& g : all.value()) {
    if (g.tenant == tenant) {
      mine.push_back(std::move(g));
    }
  }
  return mine;
}

core::Result<CreatedToken> AdminOps::createToken(const Actor& who, const std::string& jid,
                                                 std::int64_t ttlSeconds,
                                                 const std::string& label) {
  const auto action = audit_action::kTokenCreate;
  auto account = parseAccount(jid);
  const std::string tenant = who.principal ? who.principal->tenant : std::string();
  if (who.principal && (!account || account->jid != who.name)) {
    // Through the API an administrator creates tokens for itself only.
    record(who, action, jid, tenant, AuditResult::kDenied, "tokens are created by their owner");
    return core::Status::permissionDenied("an administrator creates API tokens for itself only");
  }
  if (auto st = check(who, Permission::kTokenOwn, tenant, action, jid); !st.isOk()) {
    return st;
  }
  std::string problem;
  std::optional<storage::RoleGrant> grant;
  if (!account) {
    problem = "not an account JID (user@host): " + jid;
  } else if (ttlSeconds < 60 || ttlSeconds > kMaxTokenTtl) {
    problem = "the lifetime must be 60 to " + std::to_string(kMaxTokenTtl) + " seconds";
  } else if (label.size() > 100) {
    problem = "the label is longer than 100 bytes";
  } else {
    auto g = storage_.admin().roleOf(account->host, account->user);
    if (!g.isOk()) {
      return g.status();
    }
    grant = g.value();
    if (!grant) {
      problem = account->jid + " holds no administrator role";
    }
  }
  if (!problem.empty()) {
    record(who, action, jid, tenant, AuditResult::kFailure, problem);
    return core::Status::invalidArgument(problem);
  }
  CreatedToken out;
  auto& t = out.record;
  t.id = core::randomToken(9);
  out.token = "rpt_" + core::randomToken(33);
  t.hash = sha256(out.token);
  t.host = account->host;
  t.user = account->user;
  t.role = grant->role;
  t.tenant = grant->tenant;
  t.createdMs = now_();
  t.expiresMs = t.createdMs + ttlSeconds * 1000;
  t.label = label;
  t.createdBy = who.name;
  if (auto st = record(who, action, account->jid, grant->tenant, AuditResult::kSuccess, {},
                       {{"token_id", t.id}, {"expires_ms", std::to_string(t.expiresMs)}});
      !st.isOk()) {
    return unavailable(st);
  }
  if (auto st = storage_.admin().createToken(t); !st.isOk()) {
    record(who, action, account->jid, grant->tenant, AuditResult::kFailure, st.message());
    return st;
  }
  return out;
}

core::Result<std::vector<storage::ApiToken>> AdminOps::listTokens(const Actor& who, bool all) {
  if (!who.principal) {
    return storage_.admin().listTokens({}, {});
  }
  const std::string tenant = who.principal->tenant;
  if (all) {
    if (auto st = check(who, Permission::kTokenManage, tenant, audit_action::kTokenList,
                        "tokens");
        !st.isOk()) {
      return st;
    }
    auto list = storage_.admin().listTokens(tenant, {});
    if (!list.isOk() || tenant.empty()) {
      return list;
    }
    std::vector<storage::ApiToken> mine;
    for (auto& t : list.value()) {
      if (t.tenant == tenant) {
        mine.push_back(std::move(t));
      }
    }
    return mine;
  }
  auto account = parseAccount(who.name);
  if (!account) {
    return core::Status::invalidArgument("not an account");
  }
  return storage_.admin().listTokens(account->host, account->user);
}

core::Status AdminOps::revokeToken(const Actor& who, const std::string& id) {
  const auto action = audit_action::kTokenRevoke;
  auto token = storage_.admin().tokenById(id);
  if (!token.isOk()) {
    return token.status();
  }
  if (!token.value()) {
    record(who, action, "token " + id, who.principal ? who.principal->tenant : "",
           AuditResult::kFailure, "no such token");
    return core::Status::notFound("no such token");
  }
  const auto& t = *token.value();
  const bool own = t.user + "@" + t.host == who.name;
  if (auto st = check(who, own ? Permission::kTokenOwn : Permission::kTokenManage, t.tenant,
                      action, "token " + id);
      !st.isOk()) {
    return st;
  }
  if (auto st = record(who, action, "token " + id, t.tenant, AuditResult::kSuccess, {},
                       {{"owner", t.user + "@" + t.host}});
      !st.isOk()) {
    return unavailable(st);
  }
  return storage_.admin().revokeToken(id);
}

core::Result<Authenticated> AdminOps::authenticateToken(const std::string& token,
                                                        const std::string& source) {
  (void)source;
  if (!token.starts_with("rpt_") || token.size() > 100) {
    return core::Status::notFound("unknown token");
  }
  auto found = storage_.admin().tokenByHash(sha256(token));
  if (!found.isOk()) {
    return found.status();
  }
  const std::int64_t now = now_();
  if (!found.value() || found.value()->expiresMs <= now) {
    return core::Status::notFound("unknown or expired token");
  }
  const auto& t = *found.value();
  auto role = parseRole(t.role);
  if (!role) {
    return core::Status::notFound("unknown token");
  }
  storage_.admin().touchToken(t.id, now);
  return Authenticated{Principal{t.user + "@" + t.host, *role, t.tenant}, t.id};
}

core::Status AdminOps::createUser(const Actor& who, const std::string& jid,
                                  const std::string& password) {
  const auto action = audit_action::kUserCreate;
  auto account = parseAccount(jid);
  const std::string tenant = account ? account->host : std::string();
  if (auto st = check(who, Permission::kUserWrite, tenant, action, jid); !st.isOk()) {
    return st;
  }
  std::string problem;
  std::optional<std::string> prepared;
  if (!account) {
    problem = "not an account JID (user@host): " + jid;
  } else if (!servedTenant(account->host)) {
    problem = "no such tenant: " + account->host;
  } else if ((prepared = preparedPassword(password, problem))) {
    if (auto r = refusal(account->host, account->user, password)) {
      problem = r->message;
    }
  }
  if (!problem.empty()) {
    record(who, action, jid, tenant, AuditResult::kFailure, problem);
    return core::Status::invalidArgument(problem);
  }
  if (auto st = record(who, action, account->jid, tenant, AuditResult::kSuccess); !st.isOk()) {
    return unavailable(st);
  }
  auto st = writePassword(account->host, account->user, *prepared, true);
  if (!st.isOk()) {
    record(who, action, account->jid, tenant, AuditResult::kFailure, st.message());
  }
  return st;
}

// An administrator's account is not another administrator's to take over: its password and
// its existence change through its owner, role revocation, or the break-glass rampartctl.
core::Status AdminOps::guardAdministrator(const Actor& who, std::string_view action,
                                         const std::string& host, const std::string& user,
                                         const std::string& jid) {
  if (!who.principal) {
    return core::Status::ok();
  }
  auto grant = storage_.admin().roleOf(host, user);
  if (!grant.isOk()) {
    return grant.status();
  }
  if (grant.value()) {
    const std::string why = jid + " is an administrator (" + grant.value()->role +
                            "): revoke the role first, or use rampartctl";
    record(who, action, jid, host, AuditResult::kDenied, why);
    return core::Status::permissionDenied(why);
  }
  return core::Status::ok();
}

core::Status AdminOps::deleteUser(const Actor& who, const std::string& jid) {
  const auto action = audit_action::kUserDelete;
  auto account = parseAccount(jid);
  const std::string tenant = account ? account->host : std::string();
  if (auto st = check(who, Permission::kUserWrite, tenant, action, jid); !st.isOk()) {
    return st;
  }
  if (!account) {
    record(who, action, jid, tenant, AuditResult::kFailure, "not an account JID");
    return core::Status::invalidArgument("not an account JID (user@host): " + jid);
  }
  if (account->jid == who.name) {
    record(who, action, jid, tenant, AuditResult::kDenied, "nobody deletes their own account");
    return core::Status::permissionDenied("nobody deletes their own account here");
  }
  if (auto st = guardAdministrator(who, action, account->host, account->user, account->jid);
      !st.isOk()) {
    return st;
  }
  auto exists = storage_.accounts().exists(account->host, account->user);
  if (!exists.isOk()) {
    return exists.status();
  }
  if (!exists.value()) {
    record(who, action, account->jid, tenant, AuditResult::kFailure, "no such account");
    return core::Status::notFound("no such account");
  }
  if (auto st = record(who, action, account->jid, tenant, AuditResult::kSuccess); !st.isOk()) {
    return unavailable(st);
  }
  auto st = storage_.accounts().deleteAccount(account->host, account->user);
  if (!st.isOk()) {
    record(who, action, account->jid, tenant, AuditResult::kFailure, st.message());
  }
  return st;
}

core::Status AdminOps::setPassword(const Actor& who, const std::string& jid,
                                   const std::string& password) {
  const auto action = audit_action::kUserPassword;
  auto account = parseAccount(jid);
  const std::string tenant = account ? account->host : std::string();
  if (auto st = check(who, Permission::kUserWrite, tenant, action, jid); !st.isOk()) {
    return st;
  }
  std::string problem;
  std::optional<std::string> prepared;
  if (!account) {
    problem = "not an account JID (user@host): " + jid;
  } else if ((prepared = preparedPassword(password, problem))) {
    if (auto r = refusal(account->host, account->user, password)) {
      problem = r->message;
    }
  }
  if (!problem.empty()) {
    record(who, action, jid, tenant, AuditResult::kFailure, problem);
    return core::Status::invalidArgument(problem);
  }
  auto exists = storage_.accounts().exists(account->host, account->user);
  if (!exists.isOk()) {
    return exists.status();
  }
  if (!exists.value()) {
    record(who, action, account->jid, tenant, AuditResult::kFailure, "no such account");
    return core::Status::notFound("no such account");
  }
  if (auto st = guardAdministrator(who, action, account->host, account->user, account->jid);
      !st.isOk()) {
    return st;
  }
  if (auto st = record(who, action, account->jid, tenant, AuditResult::kSuccess); !st.isOk()) {
    return unavailable(st);
  }
  auto st = writePassword(account->host, account->user, *prepared, false);
  if (!st.isOk()) {
    record(who, action, account->jid, tenant, AuditResult::kFailure, st.message());
  }
  return st;
}

bool AdminOps::checkPassword(const std::string& jid, const std::string& password) {
  auto account = parseAccount(jid);
  auto prepared = core::preparePassword(password);
  storage::Credential stored;
  bool known = false;
  if (account) {
    auto creds = storage_.accounts().credentials(account->host, account->user);
    if (creds.isOk()) {
      for (const auto& c : creds.value()) {
        if (c.mechanism == "SCRAM-SHA-256") {
          stored = c;
          known = true;
        }
      }
    }
  }
  if (!known) {
    // The same work for an unknown account: timing does not tell accounts apart.
    stored.salt = core::sasl::randomBytes(16);
    stored.iterations = scramIterations_;
    stored.storedKey = core::sasl::randomBytes(32);
  }
  auto derived = core::sasl::deriveScramCredential(core::sasl::ScramHash::kSha256,
                                                   prepared.value_or(std::string()), stored.salt,
                                                   stored.iterations);
  const bool same = derived.storedKey.size() == stored.storedKey.size() &&
                    CRYPTO_memcmp(derived.storedKey.data(), stored.storedKey.data(),
                                  stored.storedKey.size()) == 0;
  return known && prepared && same;
}

core::Status AdminOps::changeOwnPassword(const Actor& who, const std::string& password) {
  const auto action = audit_action::kAdminPasswordChange;
  auto account = parseAccount(who.name);
  const std::string tenant = who.principal ? who.principal->tenant : std::string();
  std::optional<std::string> prepared;
  std::string problem;
  if (!account) {
    problem = "not an account";
  } else if (password.size() < 12 || password.size() > 1023) {
    problem = "the new password must be 12 to 1023 bytes long";
  } else if (!(prepared = core::preparePassword(password))) {
    problem = "the password holds characters not allowed in passwords (RFC 8265 OpaqueString)";
  } else if (checkPassword(who.name, password)) {
    problem = "the new password must differ from the current one";
  } else if (auto r = refusal(account->host, account->user, password)) {
    problem = r->message;
  }
  if (!problem.empty()) {
    record(who, action, who.name, tenant, AuditResult::kFailure, problem);
    return core::Status::invalidArgument(problem);
  }
  if (auto st = record(who, action, who.name, tenant, AuditResult::kSuccess); !st.isOk()) {
    return unavailable(st);
  }
  auto st = writePassword(account->host, account->user, *prepared, false);
  if (!st.isOk()) {
    record(who, action, who.name, tenant, AuditResult::kFailure, st.message());
    return st;
  }
  return clearMustChange(account->host, account->user);
}

core::Status AdminOps::clearMustChange(const std::string& host, const std::string& user) {
  auto sec = storage_.admin().adminSecurity(host, user);
  if (sec.isOk() && sec.value() && sec.value()->mustChangePassword) {
    auto updated = *sec.value();
    updated.mustChangePassword = false;
    return storage_.admin().putAdminSecurity(host, user, updated);
  }
  return sec.isOk() ? core::Status::ok() : sec.status();
}

core::Status AdminOps::resetSecondFactor(const Actor& who, const std::string& jid) {
  const auto action = audit_action::kAdminTotpReset;
  if (who.principal) {
    record(who, action, jid, who.principal->tenant, AuditResult::kDenied,
           "second factors are reset with rampartctl only");
    return core::Status::permissionDenied("second factors are reset with rampartctl only");
  }
  auto existing = existingAccount(who, jid, action);
  if (!existing.isOk()) {
    return existing.status();
  }
  auto account = parseAccount(jid);
  auto sec = storage_.admin().adminSecurity(account->host, account->user);
  if (!sec.isOk()) {
    return sec.status();
  }
  storage::AdminSecurity next = sec.value().value_or(storage::AdminSecurity{});
  next.totpSecret.clear();
  next.totpEnrolled = false;
  next.totpLastStep = 0;
  next.recoveryCodeHashes.clear();
  auto keys = storage_.accountSecurity().passkeys(account->host, account->user);
  if (!keys.isOk()) {
    return keys.status();
  }
  if (auto st = record(who, action, account->jid, account->host, AuditResult::kSuccess, {},
                       {{"passkeys", std::to_string(keys.value().size())}});
      !st.isOk()) {
    return unavailable(st);
  }
  if (auto st = storage_.admin().putAdminSecurity(account->host, account->user, next);
      !st.isOk()) {
    return st;
  }
  for (const auto& k : keys.value()) {
    if (auto st = storage_.accountSecurity().removePasskey(account->host, account->user, k.id);
        !st.isOk()) {
      return st;
    }
  }
  notifyUser(account->host, account->user,
             "Your second factors (authenticator app, recovery codes and passkeys) have been "
             "reset by an administrator. Set up a new one in the account center.");
  return core::Status::ok();
}

core::Result<std::vector<BootstrapAccount>> AdminOps::bootstrap(const std::string& host) {
  std::vector<BootstrapAccount> out;
  auto existing = storage_.accounts().listAccounts(host);
  if (!existing.isOk()) {
    return existing.status();
  }
  if (!existing.value().empty()) {
    return out;
  }
  const Actor system{"rampartd", std::nullopt, "local", "first start", {}};
  for (Role r : {Role::kSysadmin, Role::kSecadmin, Role::kAuditor}) {
    const std::string jid = std::string(roleName(r)) + "@" + host;
    // A random password can still look systematic to cracklib (runs like "bcd"): draw again
    // until the tenant's policy accepts it.
    std::string password = generatePassword();
    for (int tries = 0; tries < 100 && refusal(host, std::string(roleName(r)), password);
         ++tries) {
      password = generatePassword();
    }
    if (auto st = createUser(system, jid, password); !st.isOk()) {
      return st;
    }
    if (auto g = grantRole(system, jid, std::string(roleName(r)), ""); !g.isOk()) {
      return g.status();
    }
    storage::AdminSecurity sec;
    sec.mustChangePassword = true;
    if (auto st = storage_.admin().putAdminSecurity(host, std::string(roleName(r)), sec);
        !st.isOk()) {
      return st;
    }
    out.push_back(BootstrapAccount{jid, r, password});
  }
  return out;
}

}  // namespace rampart::security::admin
