#pragma once
// The administration plane's records: role grants, API tokens (hashes only) and each
// administrator's sign-in security (must-change flag, TOTP secret, hashed recovery codes).
// Administrators are accounts, so deleting an account removes its grant, tokens and
// sign-in security. Called only from the storage thread (or rampartctl); may block.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rampart/core/status.h"

namespace rampart::storage {

using core::Result;
using core::Status;

struct LegalHold {
  std::string host;   // an account's domain, or a group chat service
  std::string owner;  // the account's localpart, or the room's name
  std::string kind;   // "account" or "room"
  std::string reason;
  std::string setBy;
  std::int64_t setMs = 0;
};

struct RoleGrant {
  std::string host;  // the account is user@host
  std::string user;
  std::string role;    // "sysadmin", "secadmin" or "auditor"
  std::string tenant;  // empty: the whole server
  std::int64_t grantedMs = 0;
  std::string grantedBy;
};

struct ApiToken {
  std::string id;    // public identifier (shown in lists and the audit log)
  std::string hash;  // SHA-256 of the secret token (the token itself is never stored)
  std::string host;
  std::string user;
  std::string role;
  std::string tenant;
  std::int64_t createdMs = 0;
  std::int64_t expiresMs = 0;
  std::int64_t lastUsedMs = 0;
  std::string label;
  std::string createdBy;
};

struct AdminSecurity {
  bool mustChangePassword = false;
  std::string totpSecret;        // raw bytes; empty until enrolment starts
  bool totpEnrolled = false;
  std::int64_t totpLastStep = 0;  // the last time step accepted (codes are single-use)
  std::vector<std::string> recoveryCodeHashes;  // Argon2id strings; used ones are removed
};

class AdminStore {
 public:
  virtual ~AdminStore() = default;
  // AlreadyExists when the account already holds a role (one role per account);
  // NotFound when the account does not exist.
  virtual Status grantRole(const RoleGrant& grant) = 0;
  // NotFound when the account holds no such role.
  virtual Status revokeRole(std::string_view host, std::string_view user, std::string_view role) = 0;
  virtual Result<std::optional<RoleGrant>> roleOf(std::string_view host, std::string_view user) = 0;
  virtual Result<std::vector<RoleGrant>> listRoles() = 0;

  virtual Status createToken(const ApiToken& token) = 0;
  virtual Result<std::optional<ApiToken>> tokenByHash(std::string_view hash) = 0;
  virtual Result<std::optional<ApiToken>> tokenById(std::string_view id) = 0;
  // All tokens, or one account's when `user` is given.
  virtual Result<std::vector<ApiToken>> listTokens(std::string_view host = {},
                                                   std::string_view user = {}) = 0;
  virtual Status revokeToken(std::string_view id) = 0;  // NotFound when absent
  virtual Status touchToken(std::string_view id, std::int64_t usedMs) = 0;

  virtual Result<std::optional<AdminSecurity>> adminSecurity(std::string_view host,
                                                             std::string_view user) = 0;
  virtual Status putAdminSecurity(std::string_view host, std::string_view user,
                                  const AdminSecurity& security) = 0;

  // Legal holds: while one is set on an account or a room, nothing of it is deleted (not by
  // retention, not by deleting or erasing the account).
  virtual Status putHold(const LegalHold& hold) = 0;
  // NotFound when there was none.
  virtual Status removeHold(std::string_view host, std::string_view owner) = 0;
  virtual Result<std::vector<LegalHold>> holds() = 0;
  virtual Result<std::optional<LegalHold>> holdOn(std::string_view host,
                                                  std::string_view owner) = 0;
};

}  // namespace rampart::storage
