#pragma once
// Account security records: freeze state and password age and history, per-device
// credentials, the login record, and sign-in locks. Deleting an account deletes its records
// (login records stay: they belong to the tenant's audit trail). Called only from the storage
// thread (or rampartctl); may block.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rampart/core/status.h"

namespace rampart::storage {

using core::Result;
using core::Status;

struct Credential;

// The security state of one account.
struct AccountState {
  std::string freezeMode;        // "", "lock" or "suspend"
  std::int64_t frozenUntilMs = 0;  // 0: until unfrozen
  std::string freezeReason;
  std::string frozenBy;
  std::int64_t passwordChangedMs = 0;     // 0: unknown (set before password ages were kept)
  std::vector<std::string> passwordHistory;  // Argon2id strings of earlier passwords, newest first
  std::int64_t sessionsRevokedMs = 0;  // sessions signed in before this have been logged out
  // When the account was first told it must enrol a second factor (its grace period starts);
  // 0: not yet.
  std::int64_t mfaGraceStartMs = 0;
  // Password reset: a confirmed phone number (E.164) and when it was confirmed (a number
  // confirmed in the last 7 days cannot be used), and security questions with the Argon2id
  // strings of their normalised answers.
  std::string phone;
  std::int64_t phoneAddedMs = 0;
  std::vector<std::pair<std::string, std::string>> securityQuestions;  // (question, hash)
  // When a sign-in anomaly rule with the action "require-second-factor" made a second factor
  // mandatory for this account (no grace period); 0: never.
  std::int64_t secondFactorRequiredMs = 0;

  // Whether a "lock" freeze is in force at `nowMs` (sessions end, sign-in refused).
  bool lockedAt(std::int64_t nowMs) const {
    return freezeMode == "lock" && (frozenUntilMs == 0 || nowMs < frozenUntilMs);
  }
};

// A credential for one device or client: an app password (SCRAM keys sharing the account's
// salt and iteration count) or a XEP-0484 FAST token (SHA-256 of the token).
struct DeviceCredential {
  std::string id;
  std::string host;
  std::string user;
  std::string kind;  // "app-password" or "fast"
  std::string name;
  std::string client;  // the client software that last used it, as it named itself
  std::int64_t createdMs = 0;
  std::int64_t lastUsedMs = 0;
  std::string lastAddress;
  std::int64_t expiresMs = 0;  // 0: does not expire
  std::string secretHash;      // fast: the seed of the current token (the token is derived
                               // from it with the server's FAST key)
  std::string previousHash;    // fast: the seed before the last rotation (accepted until the
                               // new token is used)
  std::string salt;            // app-password: the account's SCRAM-SHA-256 salt at creation
  std::uint32_t iterations = 0;
  std::string storedKey256, serverKey256;  // SCRAM-SHA-256
  std::string storedKey1, serverKey1;      // SCRAM-SHA-1 (with the account's SHA-1 salt)
  std::string salt1;
};

// A passkey (WebAuthn credential) registered as the account's second factor.
struct Passkey {
  std::string id;  // the credential id, base64url
  std::string host;
  std::string user;
  std::string name;
  int alg = 0;            // COSE algorithm: -7 ES256, -8 EdDSA
  std::string publicKey;  // DER SubjectPublicKeyInfo
  std::uint32_t signCount = 0;
  std::int64_t createdMs = 0;
  std::int64_t lastUsedMs = 0;
};

// One sign-in attempt.
struct LoginRecord {
  std::int64_t id = 0;
  std::int64_t timeMs = 0;
  std::string host;
  std::string user;      // as prepared; may name no account
  std::string protocol;  // "xmpp", "xmpp-sasl2", "web", "admin"
  std::string source;    // client address
  int port = 0;
  std::string client;    // client software or user agent
  std::string resource;  // XMPP resource (known after binding) or empty
  std::string credential;  // "password", "app-password:ID", "fast:ID", "totp", "passkey"
  std::string country;     // ISO 3166-1 alpha-2, empty when unknown
  std::string city;
  double latitude = 0;
  double longitude = 0;
  bool located = false;
  bool success = false;
  std::string reason;  // why it failed; empty on success
};

// A sign-in lock as administrators see it.
struct SignInLock {
  std::string key;    // the counter's key (what the lock applies to)
  std::string kind;   // "account", "account-source", "source" or "tenant"
  std::string host;
  std::string user;
  std::string source;
  std::uint32_t failures = 0;
  std::int64_t lockedUntilMs = 0;
  std::int64_t updatedMs = 0;
};

class AccountSecurityStore {
 public:
  virtual ~AccountSecurityStore() = default;
  // A default (empty) state for an account with none recorded; NotFound for no account.
  virtual Result<AccountState> accountState(std::string_view host, std::string_view user) = 0;
  virtual Status putAccountState(std::string_view host, std::string_view user,
                                 const AccountState& state) = 0;
  // Accounts with a freeze recorded (for the server's in-memory view at start).
  virtual Result<std::vector<std::pair<std::string, AccountState>>> frozenAccounts() = 0;

  virtual Status addDevice(const DeviceCredential& device) = 0;
  virtual Result<std::vector<DeviceCredential>> devices(std::string_view host,
                                                        std::string_view user) = 0;
  // NotFound when the account has no such credential.
  virtual Status removeDevice(std::string_view host, std::string_view user,
                              std::string_view id) = 0;
  virtual Status removeDevices(std::string_view host, std::string_view user) = 0;
  virtual Status touchDevice(std::string_view id, std::int64_t usedMs, std::string_view address,
                             std::string_view client) = 0;
  virtual Status updateDevice(const DeviceCredential& device) = 0;

  virtual Status appendLogin(const LoginRecord& record) = 0;
  // Newest first; `user` empty: the whole tenant; `beforeId` 0: from the newest.
  virtual Result<std::vector<LoginRecord>> logins(std::string_view host, std::string_view user,
                                                  std::int64_t beforeId, std::size_t limit) = 0;
  // The newest successful sign-in of an account (for impossible travel), if any.
  virtual Result<std::optional<LoginRecord>> lastSuccess(std::string_view host,
                                                         std::string_view user) = 0;
  // Retention: deletes `host`'s sign-in records older than `beforeMs` but those of accounts
  // under legal hold; returns how many.
  virtual Result<std::size_t> pruneLogins(std::string_view host, std::int64_t beforeMs) = 0;
  // Deletes one account's sign-in records (erasure); returns how many.
  virtual Result<std::size_t> removeLogins(std::string_view host, std::string_view user) = 0;
  // Successful sign-ins since `sinceMs`, newest first, at most `limit` (start-up: familiar
  // addresses).
  virtual Result<std::vector<LoginRecord>> recentSuccesses(std::int64_t sinceMs,
                                                           std::size_t limit) = 0;

  // AlreadyExists when the credential id is registered already.
  virtual Status addPasskey(const Passkey& passkey) = 0;
  virtual Result<std::vector<Passkey>> passkeys(std::string_view host, std::string_view user) = 0;
  // NotFound when the account has no such passkey.
  virtual Status removePasskey(std::string_view host, std::string_view user,
                               std::string_view id) = 0;
  virtual Status touchPasskey(std::string_view id, std::uint32_t signCount,
                              std::int64_t usedMs) = 0;

  virtual Status putLock(const SignInLock& lock) = 0;
  virtual Result<std::vector<SignInLock>> locks() = 0;
  // Removes the locks naming the account (every kind) and returns how many.
  virtual Result<std::size_t> clearLocks(std::string_view host, std::string_view user) = 0;
  virtual Status removeLock(std::string_view key) = 0;
};

}  // namespace rampart::storage
