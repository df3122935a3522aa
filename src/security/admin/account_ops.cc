// AdminOps: account security operations (freeze, logout, device credentials, login records,
// sign-in locks). Same discipline as admin_ops.cc: authorize, validate, audit, then act.

#include <chrono>
#include <cstdio>

#include "core/credentials.h"
#include "core/sasl/scram.h"
#include "rampart/core/jid.h"
#include "rampart/core/random.h"
#include "security/admin/admin_ops.h"
#include "security/admin/ops_util.h"
#include "security/mfa/second_factor.h"
#include "security/mfa/totp.h"
#include "security/secrets/secret_hash.h"

namespace rampart::security::admin {

using detail::parseAccount;
using detail::unavailable;

namespace {

constexpr std::size_t kMaxReason = 500;
constexpr std::size_t kMaxDeviceName = 64;
constexpr std::size_t kMaxDevices = 50;  // per account

// An app password: 16 lowercase letters in four groups (75 bits), easy to type on a phone.
std::string newAppPassword() {
  const std::string raw = core::sasl::randomBytes(16);
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (i > 0 && i % 4 == 0) {
      out += '-';
    }
    // 256 % 26 leaves a bias below 0.5 %: irrelevant at 75 bits.
    out += static_cast<char>('a' + static_cast<unsigned char>(raw[i]) % 26);
  }
  return out;
}

bool printableText(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}

}  // namespace

void queueNotice(storage::Storage& storage, const std::string& host, const std::string& user,
                 const std::string& body, std::int64_t nowMs) {
  // Keys sort in time order, so notices go out in the order they were written.
  char key[32];
  std::snprintf(key, sizeof key, "%015lld-", static_cast<long long>(nowMs));
  storage.keyValue().put(host, "", kNoticeStore, std::string(key) + core::randomToken(6),
                         user + "\n" + body);
}

void AdminOps::notifyUser(const std::string& host, const std::string& user,
                          const std::string& body) {
  queueNotice(storage_, host, user, body, now_());
}

core::Result<std::pair<std::string, std::string>> AdminOps::existingAccount(
    const Actor& who, const std::string& jid, std::string_view action) {
  auto account = parseAccount(jid);
  if (!account) {
    record(who, action, jid, "", AuditResult::kFailure, "not an account JID");
    return core::Status::invalidArgument("not an account JID (user@host): " + jid);
  }
  if (!servedTenant(account->host)) {
    record(who, action, account->jid, account->host, AuditResult::kFailure, "host not served");
    return core::Status::notFound("this server does not serve " + account->host);
  }
  auto exists = storage_.accounts().exists(account->host, account->user);
  if (!exists.isOk()) {
    return exists.status();
  }
  if (!exists.value()) {
    record(who, action, account->jid, account->host, AuditResult::kFailure, "no such account");
    return core::Status::notFound("no such account");
  }
  return std::make_pair(account->host, account->user);
}

core::Status AdminOps::freezeUser(const Actor& who, const std::string& jid, const std::string& mode,
                                  std::int64_t untilMs, const std::string& reason) {
  const auto action = audit_action::kUserFreeze;
  auto parsed = parseAccount(jid);
  const std::string tenant = parsed ? parsed->host : std::string();
  if (auto st = check(who, Permission::kAccountFreeze, tenant, action, jid); !st.isOk()) {
    return st;
  }
  if (mode != "lock" && mode != "suspend") {
    record(who, action, jid, tenant, AuditResult::kFailure, "mode must be lock or suspend");
    return core::Status::invalidArgument("the mode must be lock or suspend");
  }
  if (reason.empty() || reason.size() > kMaxReason || !printableText(reason)) {
    record(who, action, jid, tenant, AuditResult::kFailure, "a reason is required");
    return core::Status::invalidArgument("a reason of 1-500 printable characters is required");
  }
  if (untilMs != 0 && untilMs <= now_()) {
    record(who, action, jid, tenant, AuditResult::kFailure, "the end time has passed");
    return core::Status::invalidArgument("the freeze's end time must be in the future");
  }
  auto acct = existingAccount(who, jid, action);
  if (!acct.isOk()) {
    return acct.status();
  }
  const auto& [host, user] = acct.value();
  if (parsed->jid == who.name) {
    record(who, action, parsed->jid, tenant, AuditResult::kDenied, "nobody freezes their own account");
    return core::Status::permissionDenied("nobody freezes their own account");
  }
  auto state = storage_.accountSecurity().accountState(host, user);
  if (!state.isOk()) {
    return state.status();
  }
  std::vector<std::pair<std::string, std::string>> details{{"mode", mode}};
  if (untilMs != 0) {
    details.emplace_back("until", std::to_string(untilMs));
  }
  if (auto st = record(who, action, parsed->jid, tenant, AuditResult::kSuccess, reason, details);
      !st.isOk()) {
    return unavailable(st);
  }
  auto s = std::move(state).value();
  s.freezeMode = mode;
  s.frozenUntilMs = untilMs;
  s.freezeReason = reason;
  s.frozenBy = who.name;
  if (auto st = storage_.accountSecurity().putAccountState(host, user, s); !st.isOk()) {
    record(who, action, parsed->jid, tenant, AuditResult::kFailure, st.message());
    return st;
  }
  // The sign-in anomaly rules act as "rampartd"; everyone else is an administrator.
  const std::string by = who.name == "rampartd" ? " automatically (sign-in anomaly rules)"
                                                : " by a security administrator";
  notifyUser(host, user,
             std::string(mode == "lock" ? "Your account has been locked"
                                        : "Your account has been suspended (you can read but "
                                          "not send messages)") +
                 by + ". Reason: " + reason +
                 (untilMs != 0 ? " (until " + std::to_string(untilMs / 1000) + " Unix time)" : ""));
  changed(host, user);
  return core::Status::ok();
}

core::Status AdminOps::requireSecondFactor(const Actor& who, const std::string& jid,
                                           const std::string& reason) {
  const auto action = audit_action::kUserRequireSecondFactor;
  auto parsed = parseAccount(jid);
  const std::string tenant = parsed ? parsed->host : std::string();
  if (auto st = check(who, Permission::kAccountFreeze, tenant, action, jid); !st.isOk()) {
    return st;
  }
  auto acct = existingAccount(who, jid, action);
  if (!acct.isOk()) {
    return acct.status();
  }
  const auto& [host, user] = acct.value();
  auto state = storage_.accountSecurity().accountState(host, user);
  if (!state.isOk()) {
    return state.status();
  }
  if (state.value().secondFactorRequiredMs != 0) {
    return core::Status::ok();  // already required
  }
  if (auto st = record(who, action, parsed->jid, tenant, AuditResult::kSuccess, reason);
      !st.isOk()) {
    return unavailable(st);
  }
  auto s = std::move(state).value();
  s.secondFactorRequiredMs = now_();
  if (auto st = storage_.accountSecurity().putAccountState(host, user, s); !st.isOk()) {
    record(who, action, parsed->jid, tenant, AuditResult::kFailure, st.message());
    return st;
  }
  notifyUser(host, user,
             "A second factor is now required for your account (" + reason +
                 "): your password alone no longer signs in chat apps. Sign in to the account "
                 "center, set up a second factor and create an app password for each device.");
  changed(host, user);
  return core::Status::ok();
}

core::Status AdminOps::unfreezeUser(const Actor& who, const std::string& jid,
                                    const std::string& reason) {
  const auto action = audit_action::kUserUnfreeze;
  auto parsed = parseAccount(jid);
  const std::string tenant = parsed ? parsed->host : std::string();
  if (auto st = check(who, Permission::kAccountFreeze, tenant, action, jid); !st.isOk()) {
    return st;
  }
  if (reason.empty() || reason.size() > kMaxReason || !printableText(reason)) {
    record(who, action, jid, tenant, AuditResult::kFailure, "a reason is required");
    return core::Status::invalidArgument("a reason of 1-500 printable characters is required");
  }
  auto acct = existingAccount(who, jid, action);
  if (!acct.isOk()) {
    return acct.status();
  }
  const auto& [host, user] = acct.value();
  auto state = storage_.accountSecurity().accountState(host, user);
  if (!state.isOk()) {
    return state.status();
  }
  auto s = std::move(state).value();
  if (s.freezeMode.empty()) {
    record(who, action, parsed->jid, tenant, AuditResult::kFailure, "the account is not frozen");
    return core::Status::failedPrecondition("the account is not frozen");
  }
  if (auto st = record(who, action, parsed->jid, tenant, AuditResult::kSuccess, reason,
                       {{"was", s.freezeMode}});
      !st.isOk()) {
    return unavailable(st);
  }
  s.freezeMode.clear();
  s.frozenUntilMs = 0;
  s.freezeReason.clear();
  s.frozenBy.clear();
  if (auto st = storage_.accountSecurity().putAccountState(host, user, s); !st.isOk()) {
    record(who, action, parsed->jid, tenant, AuditResult::kFailure, st.message());
    return st;
  }
  notifyUser(host, user, "Your account has been unfrozen by a security administrator. Reason: " +
                             reason);
  changed(host, user);
  return core::Status::ok();
}

core::Status AdminOps::logoutUser(const Actor& who, const std::string& jid, bool revokeDevices) {
  const auto action = audit_action::kUserLogout;
  auto parsed = parseAccount(jid);
  const std::string tenant = parsed ? parsed->host : std::string();
  if (auto st = check(who, Permission::kSessionEnd, tenant, action, jid); !st.isOk()) {
    return st;
  }
  auto acct = existingAccount(who, jid, action);
  if (!acct.isOk()) {
    return acct.status();
  }
  const auto& [host, user] = acct.value();
  auto state = storage_.accountSecurity().accountState(host, user);
  if (!state.isOk()) {
    return state.status();
  }
  if (auto st = record(who, action, parsed->jid, tenant, AuditResult::kSuccess, {},
                       {{"devices", revokeDevices ? "revoked" : "kept"}});
      !st.isOk()) {
    return unavailable(st);
  }
  auto s = std::move(state).value();
  // Sessions signed in at or before this instant end; +1 so that one signed in in the same
  // millisecond is included.
  s.sessionsRevokedMs = now_() + 1;
  if (auto st = storage_.accountSecurity().putAccountState(host, user, s); !st.isOk()) {
    record(who, action, parsed->jid, tenant, AuditResult::kFailure, st.message());
    return st;
  }
  if (revokeDevices) {
    if (auto st = storage_.accountSecurity().removeDevices(host, user); !st.isOk()) {
      record(who, action, parsed->jid, tenant, AuditResult::kFailure, st.message());
      return st;
    }
    // Push registrations (XEP-0357) wake the devices: they go with the devices.
    storage_.keyValue().remove(host, "", storage::kPushRegistrationStore, user + "@" + host);
  }
  notifyUser(host, user,
             "You have been signed out on every device" +
                 std::string(revokeDevices ? " and your device credentials were revoked" : "") +
                 ". If you did not ask for this, change your password now.");
  changed(host, user);
  return core::Status::ok();
}

core::Result<CreatedDevice> AdminOps::addDevice(const Actor& who, const std::string& jid,
                                                const std::string& name) {
  const auto action = audit_action::kDeviceCreate;
  auto parsed = parseAccount(jid);
  const std::string tenant = parsed ? parsed->host : std::string();
  if (auto st = check(who, Permission::kDeviceWrite, tenant, action, jid); !st.isOk()) {
    return st;
  }
  if (name.empty() || name.size() > kMaxDeviceName || !printableText(name)) {
    record(who, action, jid, tenant, AuditResult::kFailure, "bad device name");
    return core::Status::invalidArgument("the device name must be 1-64 printable characters");
  }
  auto acct = existingAccount(who, jid, action);
  if (!acct.isOk()) {
    return acct.status();
  }
  const auto& [host, user] = acct.value();
  auto creds = storage_.accounts().credentials(host, user);
  if (!creds.isOk()) {
    return creds.status();
  }
  auto existing = storage_.accountSecurity().devices(host, user);
  if (!existing.isOk()) {
    return existing.status();
  }
  if (existing.value().size() >= kMaxDevices) {
    record(who, action, parsed->jid, tenant, AuditResult::kFailure, "too many devices");
    return core::Status::failedPrecondition("the account already has 50 device credentials");
  }
  const storage::Credential* c256 = nullptr;
  const storage::Credential* c1 = nullptr;
  for (const auto& c : creds.value()) {
    if (c.mechanism == "SCRAM-SHA-256") c256 = &c;
    if (c.mechanism == "SCRAM-SHA-1") c1 = &c;
  }
  if (c256 == nullptr) {
    record(who, action, parsed->jid, tenant, AuditResult::kFailure, "account has no password");
    return core::Status::failedPrecondition("the account has no password to derive from");
  }
  CreatedDevice out;
  out.password = newAppPassword();
  auto& d = out.record;
  d.id = core::randomToken(8);
  d.host = host;
  d.user = user;
  d.kind = "app-password";
  d.name = name;
  d.createdMs = now_();
  // The account's salt and iteration count: one SCRAM exchange checks every credential.
  d.salt = c256->salt;
  d.iterations = c256->iterations;
  auto k256 = core::sasl::deriveScramCredential(core::sasl::ScramHash::kSha256, out.password,
                                                d.salt, d.iterations);
  d.storedKey256 = k256.storedKey;
  d.serverKey256 = k256.serverKey;
  if (c1 != nullptr && c1->iterations == c256->iterations) {
    d.salt1 = c1->salt;
    auto k1 = core::sasl::deriveScramCredential(core::sasl::ScramHash::kSha1, out.password,
                                                d.salt1, d.iterations);
    d.storedKey1 = k1.storedKey;
    d.serverKey1 = k1.serverKey;
  }
  if (d.storedKey256.empty()) {
    return core::Status::ioError("deriving the credential failed");
  }
  if (auto st = record(who, action, parsed->jid, tenant, AuditResult::kSuccess, {},
                       {{"device", d.id}, {"name", name}});
      !st.isOk()) {
    return unavailable(st);
  }
  if (auto st = storage_.accountSecurity().addDevice(d); !st.isOk()) {
    record(who, action, parsed->jid, tenant, AuditResult::kFailure, st.message());
    return st;
  }
  return out;
}

core::Result<std::vector<storage::DeviceCredential>> AdminOps::listDevices(const Actor& who,
                                                                           const std::string& jid) {
  const auto action = audit_action::kDeviceCreate;  // denials only; listing is a read
  auto parsed = parseAccount(jid);
  const std::string tenant = parsed ? parsed->host : std::string();
  if (auto st = check(who, Permission::kDeviceRead, tenant, action, jid); !st.isOk()) {
    return st;
  }
  auto acct = existingAccount(who, jid, action);
  if (!acct.isOk()) {
    return acct.status();
  }
  return storage_.accountSecurity().devices(acct.value().first, acct.value().second);
}

core::Status AdminOps::revokeDevice(const Actor& who, const std::string& jid,
                                    const std::string& id) {
  const auto action = audit_action::kDeviceRevoke;
  auto parsed = parseAccount(jid);
  const std::string tenant = parsed ? parsed->host : std::string();
  if (auto st = check(who, Permission::kDeviceWrite, tenant, action, jid); !st.isOk()) {
    return st;
  }
  auto acct = existingAccount(who, jid, action);
  if (!acct.isOk()) {
    return acct.status();
  }
  const auto& [host, user] = acct.value();
  auto devices = storage_.accountSecurity().devices(host, user);
  if (!devices.isOk()) {
    return devices.status();
  }
  bool found = false;
  for (const auto& d : devices.value()) {
    found = found || d.id == id;
  }
  if (!found) {
    record(who, action, parsed->jid, tenant, AuditResult::kFailure, "no such device credential");
    return core::Status::notFound("the account has no device credential " + id);
  }
  if (auto st = record(who, action, parsed->jid, tenant, AuditResult::kSuccess, {},
                       {{"device", id}});
      !st.isOk()) {
    return unavailable(st);
  }
  if (auto st = storage_.accountSecurity().removeDevice(host, user, id); !st.isOk()) {
    record(who, action, parsed->jid, tenant, AuditResult::kFailure, st.message());
    return st;
  }
  changed(host, user);
  return core::Status::ok();
}

core::Result<std::vector<storage::LoginRecord>> AdminOps::loginLog(const Actor& who,
                                                                   const std::string& jid,
                                                                   std::size_t limit,
                                                                   std::int64_t beforeId) {
  const auto action = audit_action::kLoginRead;
  auto parsed = parseAccount(jid);
  if (!parsed && jid.find('@') == std::string::npos) {
    // A whole tenant.
    auto host = core::prepareDomainpart(jid);
    const bool served =
        host && std::find(hosts_.begin(), hosts_.end(), *host) != hosts_.end();
    if (auto st = check(who, Permission::kLoginRead, served ? *host : jid, action, jid);
        !st.isOk()) {
      return st;
    }
    if (!served) {
      record(who, action, jid, "", AuditResult::kFailure, "not a served host");
      return core::Status::notFound("no such tenant: " + jid);
    }
    if (auto st = record(who, action, *host, *host, AuditResult::kSuccess, {},
                         {{"limit", std::to_string(limit)}});
        !st.isOk()) {
      return unavailable(st);
    }
    return storage_.accountSecurity().logins(*host, "", beforeId, limit);
  }
  const std::string tenant = parsed ? parsed->host : std::string();
  if (auto st = check(who, Permission::kLoginRead, tenant, action, jid); !st.isOk()) {
    return st;
  }
  if (!parsed) {
    record(who, action, jid, "", AuditResult::kFailure, "not an account JID");
    return core::Status::invalidArgument("not an account JID (user@host): " + jid);
  }
  // Login records outlive deleted accounts: reading them needs no account.
  if (auto st = record(who, action, parsed->jid, tenant, AuditResult::kSuccess, {},
                       {{"limit", std::to_string(limit)}});
      !st.isOk()) {
    return unavailable(st);
  }
  return storage_.accountSecurity().logins(parsed->host, parsed->user, beforeId, limit);
}

core::Result<std::vector<storage::SignInLock>> AdminOps::listLocks(const Actor& who) {
  if (auto st = check(who, Permission::kLockRead, who.principal ? who.principal->tenant : "",
                      audit_action::kLockClear, "sign-in locks");
      !st.isOk()) {
    return st;
  }
  auto all = storage_.accountSecurity().locks();
  if (!all.isOk()) {
    return all;
  }
  // Locks in force only; a tenant-scoped administrator sees its tenant's.
  const auto now = now_();
  const std::string scope = who.principal ? who.principal->tenant : std::string();
  std::vector<storage::SignInLock> out;
  for (auto& l : all.value()) {
    if (l.lockedUntilMs > now && (scope.empty() || l.host == scope)) {
      out.push_back(std::move(l));
    }
  }
  return out;
}

core::Result<std::size_t> AdminOps::clearLocks(const Actor& who, const std::string& jid) {
  const auto action = audit_action::kLockClear;
  auto parsed = parseAccount(jid);
  const std::string tenant = parsed ? parsed->host : std::string();
  if (auto st = check(who, Permission::kLockClear, tenant, action, jid); !st.isOk()) {
    return st;
  }
  if (!parsed) {
    record(who, action, jid, "", AuditResult::kFailure, "not an account JID");
    return core::Status::invalidArgument("not an account JID (user@host): " + jid);
  }
  if (auto st = record(who, action, parsed->jid, tenant, AuditResult::kSuccess); !st.isOk()) {
    return unavailable(st);
  }
  auto n = storage_.accountSecurity().clearLocks(parsed->host, parsed->user);
  if (n.isOk()) {
    changed(parsed->host, parsed->user);
  }
  return n;
}

}  // namespace rampart::security::admin

namespace rampart::security::admin {

std::optional<password::Refusal> AdminOps::refusal(const std::string& host,
                                                   const std::string& user,
                                                   const std::string& pw) {
  if (policy_ == nullptr) {
    return std::nullopt;
  }
  const bool secondFactor = mfa::hasSecondFactor(storage_, host, user);
  if (auto r = policy_->check(host, user, pw, secondFactor)) {
    return r;
  }
  const auto rules = policy_->rules(host);
  if (rules.history == 0) {
    return std::nullopt;
  }
  auto state = storage_.accountSecurity().accountState(host, user);
  if (!state.isOk()) {
    return std::nullopt;  // a new account has no history
  }
  auto history = state.value().passwordHistory;
  if (history.size() > rules.history) {
    history.resize(rules.history);
  }
  const auto prepared = core::preparePassword(pw).value_or(pw);
  if (password::PasswordPolicy::reused(prepared, history)) {
    return password::Refusal{"reused", "the password must differ from the last " +
                                           std::to_string(rules.history) + " passwords (" +
                                           rules.profile + " policy)"};
  }
  return std::nullopt;
}

core::Status AdminOps::writePassword(const std::string& host, const std::string& user,
                                     const std::string& prepared, bool create) {
  std::vector<storage::Credential> current;
  if (!create) {
    auto creds = storage_.accounts().credentials(host, user);
    if (!creds.isOk()) {
      return creds.status();
    }
    current = std::move(creds).value();
  }
  auto verifiers = core::makeCredentials(prepared, scramIterations_, current);
  auto st = create ? storage_.accounts().createAccount(host, user, verifiers)
                   : storage_.accounts().setCredentials(host, user, verifiers);
  if (!st.isOk()) {
    return st;
  }
  auto state = storage_.accountSecurity().accountState(host, user);
  if (!state.isOk()) {
    return state.status();
  }
  auto s = std::move(state).value();
  s.passwordChangedMs = now_();
  const std::uint32_t keep = policy_ != nullptr ? policy_->rules(host).history : 0;
  if (keep > 0) {
    if (auto h = secrets::hashSecret(prepared)) {
      s.passwordHistory.insert(s.passwordHistory.begin(), std::move(*h));
    }
  }
  if (s.passwordHistory.size() > keep) {
    s.passwordHistory.resize(keep);
  }
  return storage_.accountSecurity().putAccountState(host, user, s);
}

core::Status AdminOps::changeAccountPassword(const Actor& who, const std::string& pw) {
  const auto action = audit_action::kUserPassword;
  auto account = parseAccount(who.name);
  if (!account) {
    return core::Status::invalidArgument("not an account");
  }
  std::string problem;
  std::optional<std::string> prepared;
  if (pw.empty() || pw.size() > 1023) {
    problem = "the password must be 1-1023 bytes";
  } else if (!(prepared = core::preparePassword(pw))) {
    problem = "the password holds characters not allowed in passwords (RFC 8265 OpaqueString)";
  } else if (auto r = refusal(account->host, account->user, pw)) {
    problem = r->message;
  }
  if (!problem.empty()) {
    record(who, action, account->jid, account->host, AuditResult::kFailure, problem,
           {{"by", "self"}});
    return core::Status::invalidArgument(problem);
  }
  if (auto st = record(who, action, account->jid, account->host, AuditResult::kSuccess, {},
                       {{"by", "self"}});
      !st.isOk()) {
    return unavailable(st);
  }
  auto st = writePassword(account->host, account->user, *prepared, false);
  if (!st.isOk()) {
    record(who, action, account->jid, account->host, AuditResult::kFailure, st.message());
    return st;
  }
  return clearMustChange(account->host, account->user);
}

}  // namespace rampart::security::admin

namespace rampart::security::admin {

core::Result<std::vector<std::string>> AdminOps::enrolTotp(const Actor& who,
                                                           const std::string& jid,
                                                           const std::string& secret,
                                                           std::string_view code,
                                                           std::string_view action) {
  auto parsed = parseAccount(jid);
  if (!parsed || secret.empty()) {
    return core::Status::failedPrecondition("start the enrolment first");
  }
  const std::int64_t unixNow = now_() / 1000;
  auto step = mfa::verifyTotp(secret, code, unixNow, 0);
  if (!step) {
    record(who, action, parsed->jid, parsed->host, AuditResult::kFailure, "wrong code");
    return core::Status::invalidArgument(
        "that code does not match; check the authenticator's clock");
  }
  auto codes = mfa::newRecoveryCodes();
  if (codes.codes.size() != 10) {
    return core::Status::ioError("could not make recovery codes");
  }
  if (auto st = record(who, action, parsed->jid, parsed->host, AuditResult::kSuccess); !st.isOk()) {
    return unavailable(st);
  }
  auto existing = storage_.admin().adminSecurity(parsed->host, parsed->user);
  if (!existing.isOk()) {
    return existing.status();
  }
  storage::AdminSecurity sec = existing.value().value_or(storage::AdminSecurity{});
  sec.totpSecret = secret;
  sec.totpEnrolled = true;
  sec.totpLastStep = *step;
  sec.recoveryCodeHashes = std::move(codes.hashes);
  if (auto st = storage_.admin().putAdminSecurity(parsed->host, parsed->user, sec); !st.isOk()) {
    return st;
  }
  return std::move(codes.codes);
}

core::Result<std::vector<std::string>> AdminOps::newRecoveryCodes(const Actor& who,
                                                                  const std::string& jid) {
  const auto action = audit_action::kAccountRecoveryCodes;
  auto parsed = parseAccount(jid);
  if (!parsed) {
    return core::Status::invalidArgument("not an account JID (user@host): " + jid);
  }
  auto existing = storage_.admin().adminSecurity(parsed->host, parsed->user);
  if (!existing.isOk()) {
    return existing.status();
  }
  if (!existing.value() || !existing.value()->totpEnrolled) {
    return core::Status::failedPrecondition("enrol a second factor first");
  }
  auto codes = mfa::newRecoveryCodes();
  if (codes.codes.size() != 10) {
    return core::Status::ioError("could not make recovery codes");
  }
  if (auto st = record(who, action, parsed->jid, parsed->host, AuditResult::kSuccess); !st.isOk()) {
    return unavailable(st);
  }
  storage::AdminSecurity sec = *existing.value();
  sec.recoveryCodeHashes = std::move(codes.hashes);
  if (auto st = storage_.admin().putAdminSecurity(parsed->host, parsed->user, sec); !st.isOk()) {
    return st;
  }
  return std::move(codes.codes);
}

}  // namespace rampart::security::admin
