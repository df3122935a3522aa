#pragma once
// Administrator roles and the one authorization check every administrative operation goes
// through (GB/T 22239-2019 8.1.4.2 d least privilege, 8.1.5 separation of the system,
// security and audit administrators). Deny by default: a permission is allowed only when the
// table in authz.cc lists the principal's role and the target lies inside its scope.
// Stateless and thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::security {

// kReviewer (content reviewer) is not an administrator: it sees only the review queue of
// held messages, and decides on them.
enum class Role { kSysadmin, kSecadmin, kAuditor, kReviewer };
inline constexpr Role kAllRoles[] = {Role::kSysadmin, Role::kSecadmin, Role::kAuditor,
                                     Role::kReviewer};
std::string_view roleName(Role r);
std::optional<Role> parseRole(std::string_view name);

// What an administrative operation needs. Named constants; their table (roles, meaning) is
// permissionTable(), from which docs/security.md's matrix and the OpenAPI document come.
enum class Permission {
  kServerStatus,    // health, connections, metrics
  kTenantRead,      // list the tenants (virtual hosts)
  kUserRead,        // search and list accounts and their sessions
  kUserWrite,       // create and delete accounts, reset their passwords
  kSessionEnd,      // end an account's sessions (forced logout)
  kAdminRead,       // list administrators and their roles
  kRoleWrite,       // grant and revoke administrator roles
  kTokenOwn,        // create, list and revoke one's own API tokens
  kTokenManage,     // list and revoke any administrator's API tokens
  kAuditRead,       // read, filter and verify the audit log; checkpoints and proofs
  kAuditExport,     // export the audit log
  kAlertRead,       // list alerts
  kAlertAcknowledge,
  kAccountFreeze,   // freeze and unfreeze accounts
  kDeviceRead,      // list an account's device credentials
  kDeviceWrite,     // create and revoke an account's device credentials
  kLoginRead,       // read login records
  kLockRead,        // see sign-in locks
  kLockClear,       // clear sign-in locks
  kQuarantineRead,  // list held messages and read them (each read audited)
  kQuarantineDecide,  // approve or reject held messages
  kHoldRead,        // see legal holds
  kHoldWrite,       // set and clear legal holds on accounts and rooms
  kAddressRead,     // client addresses in clear in views (others see them partly masked)
  kPersonalReveal,  // reveal masked personal data in views, each use audited (keep last)
};
inline constexpr Permission kLastPermission = Permission::kPersonalReveal;

struct PermissionInfo {
  Permission permission;
  std::string_view name;         // e.g. "user.write"
  std::string_view description;
  std::vector<Role> roles;
};
const std::vector<PermissionInfo>& permissionTable();
const PermissionInfo& permissionInfo(Permission p);

// An authenticated administrator: an account holding one role, for the whole server
// (tenant empty) or for one tenant.
struct Principal {
  std::string jid;
  Role role = Role::kAuditor;
  std::string tenant;
};

enum class Decision { kAllow, kDenyRole, kDenyScope };

// `tenant` is the tenant the operation touches; empty means the whole server (only
// server-scoped administrators may act there).
Decision authorize(const Principal& who, Permission what, std::string_view tenant);
std::string_view decisionReason(Decision d);

// The permission table as a Markdown table (docs/security.md holds this exact text).
std::string permissionMatrixMarkdown();

}  // namespace rampart::security
