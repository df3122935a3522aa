#pragma once
// The administrative operations shared by the admin API and rampartctl: each one checks
// authorization (the one check, security/authz), validates its input, records its audit event
// (fail closed: no event, no action) and then acts on storage. An Actor without a principal is
// rampartctl's break-glass user, allowed everything and audited by its local name.
// Not thread-safe: use one instance from the storage thread (rampartd) or from rampartctl.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rampart/security/audit_sink.h"
#include "rampart/security/authz.h"
#include "rampart/storage/stores.h"
#include "security/password/password_policy.h"

namespace rampart::security::admin {

struct Actor {
  std::string name;                    // the account's JID, or "local:NAME"
  std::optional<Principal> principal;  // nullopt: rampartctl on the server's own data
  std::string source;                  // client address, or "local"
  std::string client;                  // "rampartctl", a user agent, or "token:ID"
  std::string requestId;
  // The account itself (account center, XMPP): may only read and manage its own devices,
  // sessions and login records; never the break-glass operator, whatever `principal` says.
  bool self = false;
};

struct CreatedToken {
  std::string token;  // shown once
  storage::ApiToken record;
};

struct CreatedDevice {
  std::string password;  // the app password, shown once
  storage::DeviceCredential record;
};

struct Authenticated {
  Principal principal;
  std::string tokenId;
};

// One-time passwords of the accounts created at first start, to print once.
struct BootstrapAccount {
  std::string jid;
  Role role;
  std::string password;
};

class AdminOps {
 public:
  using Clock = std::function<std::int64_t()>;  // ms since the epoch
  // `hosts`: the tenants this server serves. `scramIterations` for new passwords.
  AdminOps(storage::Storage& storage, AuditSink& audit, std::vector<std::string> hosts,
           std::uint32_t scramIterations, Clock now = nullptr);

  // Records a denial (or any event) on the caller's behalf.
  core::Status record(const Actor& who, std::string_view action, std::string object,
                      std::string tenant, AuditResult result, std::string reason = {},
                      std::vector<std::pair<std::string, std::string>> details = {});

  // Allowed, or PermissionDenied after recording the denial as `action`.
  core::Status check(const Actor& who, Permission what, std::string_view tenant,
                     std::string_view action, const std::string& object);

  core::Result<storage::RoleGrant> grantRole(const Actor& who, const std::string& jid,
                                             const std::string& role, const std::string& tenant);
  core::Status revokeRole(const Actor& who, const std::string& jid, const std::string& role);
  // Tenant-scoped readers see their tenant's grants only.
  core::Result<std::vector<storage::RoleGrant>> listRoles(const Actor& who);

  // A token for `jid` (an administrator), bound to its role and tenant; ttl in seconds.
  core::Result<CreatedToken> createToken(const Actor& who, const std::string& jid,
                                         std::int64_t ttlSeconds, const std::string& label);
  core::Result<std::vector<storage::ApiToken>> listTokens(const Actor& who, bool all);
  core::Status revokeToken(const Actor& who, const std::string& id);
  // The principal a bearer token stands for; records its use. NotFound for unknown or
  // expired tokens (never says which).
  core::Result<Authenticated> authenticateToken(const std::string& token,
                                                const std::string& source);

  core::Status createUser(const Actor& who, const std::string& jid, const std::string& password);
  core::Status deleteUser(const Actor& who, const std::string& jid);
  core::Status setPassword(const Actor& who, const std::string& jid, const std::string& password);

  // Whether `password` is the account's (PBKDF2 against the stored SCRAM-SHA-256 keys, in
  // constant time; an unknown account costs the same and answers false).
  bool checkPassword(const std::string& jid, const std::string& password);
  // An administrator changes its own password: clears the must-change flag; audited.
  core::Status changeOwnPassword(const Actor& who, const std::string& password);

  // Break-glass for a lost authenticator: forgets an account's second factors (TOTP secret,
  // recovery codes and passkeys), so that it enrols again where a factor is required; the
  // person is told. rampartctl only (no principal).
  core::Status resetSecondFactor(const Actor& who, const std::string& jid);

  // Account security (account_ops.cc). Each takes effect on the running server through the
  // accountChanged hook (rampartd: at once; rampartctl: by signalling rampartd).
  // mode "lock" or "suspend"; untilMs 0: until unfrozen. The reason is required.
  core::Status freezeUser(const Actor& who, const std::string& jid, const std::string& mode,
                          std::int64_t untilMs, const std::string& reason);
  core::Status unfreezeUser(const Actor& who, const std::string& jid, const std::string& reason);
  // From now on the account needs a second factor (no grace period): its main password alone
  // opens no XMPP session, and the sessions it opened end (the "require-second-factor" action
  // of the sign-in anomaly rules).
  core::Status requireSecondFactor(const Actor& who, const std::string& jid,
                                   const std::string& reason);
  // Ends every session of the account (streams, resumable sessions, WebSocket and web
  // sessions); with revokeDevices also its device credentials and FAST tokens.
  core::Status logoutUser(const Actor& who, const std::string& jid, bool revokeDevices);
  // A new app password for one device, shown once.
  core::Result<CreatedDevice> addDevice(const Actor& who, const std::string& jid,
                                        const std::string& name);
  core::Result<std::vector<storage::DeviceCredential>> listDevices(const Actor& who,
                                                                   const std::string& jid);
  core::Status revokeDevice(const Actor& who, const std::string& jid, const std::string& id);
  // Newest first; `beforeId` 0 for the newest page. `jid`: an account (user@host), or a served
  // host for the whole tenant's records (auditors and security administrators).
  core::Result<std::vector<storage::LoginRecord>> loginLog(const Actor& who, const std::string& jid,
                                                           std::size_t limit,
                                                           std::int64_t beforeId = 0);
  core::Result<std::vector<storage::SignInLock>> listLocks(const Actor& who);
  core::Result<std::size_t> clearLocks(const Actor& who, const std::string& jid);

  // The review queue of held messages (quarantine_ops.cc). A tenant-scoped reviewer sees its
  // tenant's only; `filter.tenant` empty means every tenant the caller may see. The list holds
  // no message text; viewItem() returns it and is audited (quarantine.view).
  core::Result<std::vector<storage::QuarantineItem>> listQuarantine(const Actor& who,
                                                                    storage::QuarantineFilter f);
  core::Result<storage::QuarantineCounts> quarantineCounts(const Actor& who,
                                                           const std::string& tenant);
  core::Result<storage::QuarantineItem> viewQuarantine(const Actor& who, std::int64_t id);
  // Approve (the message is delivered with its original time) or reject (kept as evidence;
  // `reason`, required, is told to the sender). FailedPrecondition when already decided.
  core::Status decideQuarantine(const Actor& who, std::int64_t id, bool approve,
                                const std::string& reason);
  // Called after a reviewer's decision: rampartd carries it out (rampartctl signals it).
  void setContentChanged(std::function<void()> hook) { contentChanged_ = std::move(hook); }

  // The tenants' password policy, applied wherever a password is set (nullptr: length and
  // characters only). Must outlive this object.
  void setPasswordPolicy(const password::PasswordPolicy* policy) { policy_ = policy; }
  // An account changes its own password (XEP-0077): the policy applies,
  // no role is needed; audited as user.password by the account itself.
  core::Status changeAccountPassword(const Actor& who, const std::string& password);
  // The account enrols TOTP: `code` must match `secret` (shown to it at the start). Stores the
  // secret and 10 new recovery codes (returned once); audited as `action` (the console's or the
  // account center's).
  core::Result<std::vector<std::string>> enrolTotp(const Actor& who, const std::string& jid,
                                                   const std::string& secret,
                                                   std::string_view code,
                                                   std::string_view action);
  // Replaces an enrolled account's recovery codes with 10 new ones (returned once); audited.
  core::Result<std::vector<std::string>> newRecoveryCodes(const Actor& who,
                                                          const std::string& jid);

  // Called after a change the running server must apply to live sessions: (host, user).
  void setAccountChanged(std::function<void(const std::string&, const std::string&)> hook) {
    accountChanged_ = std::move(hook);
  }

  // First start: when `host` has no account, one account per role with a one-time password
  // (must be changed, with a second factor enrolled, at the first sign-in).
  core::Result<std::vector<BootstrapAccount>> bootstrap(const std::string& host);

  static constexpr std::int64_t kDefaultTokenTtl = 30 * 24 * 3600;
  static constexpr std::int64_t kMaxTokenTtl = 366 * 24 * 3600;

 private:
  std::optional<std::string> servedTenant(const std::string& host) const;
  // The account named by `jid` if this server serves it and it exists; records a failure as
  // `action` otherwise.
  core::Result<std::pair<std::string, std::string>> existingAccount(const Actor& who,
                                                                     const std::string& jid,
                                                                     std::string_view action);
  // A message from the server to the account (delivered, or stored until it signs in); the
  // running server sends what is queued when it is told of the change.
  void notifyUser(const std::string& host, const std::string& user, const std::string& body);
  // The policy's refusal of `password` for the account, history included; nullopt if fine.
  std::optional<password::Refusal> refusal(const std::string& host, const std::string& user,
                                           const std::string& password);
  // Stores the new password's verifiers (keeping the account's salts) and its age and history.
  core::Status writePassword(const std::string& host, const std::string& user,
                             const std::string& prepared, bool create);
  // A one-time password was replaced by the account's own: the must-change flag goes.
  core::Status clearMustChange(const std::string& host, const std::string& user);
  void changed(const std::string& host, const std::string& user) {
    if (accountChanged_) accountChanged_(host, user);
  }
  core::Status guardAdministrator(const Actor& who, std::string_view action,
                                  const std::string& host, const std::string& user,
                                  const std::string& jid);
  storage::Storage& storage_;
  AuditSink& audit_;
  std::vector<std::string> hosts_;
  std::uint32_t scramIterations_;
  Clock now_;
  std::function<void(const std::string&, const std::string&)> accountChanged_;
  std::function<void()> contentChanged_;
  const password::PasswordPolicy* policy_ = nullptr;
};

// Where notices to users wait for the running server (KeyValueStore: host, owner "", this
// store; value "USER\nBODY").
inline constexpr std::string_view kNoticeStore = "server-notices";
// Queues a notice from the server to the account (sent by the running server when told).
void queueNotice(storage::Storage& storage, const std::string& host, const std::string& user,
                 const std::string& body, std::int64_t nowMs);

// "local:NAME" for the operating-system user running this process.
std::string localActorName();
// Generates a random password for one-time use.
std::string generatePassword();

}  // namespace rampart::security::admin
