#include "rampart/security/authz.h"

#include <algorithm>

namespace rampart::security {

namespace {
using R = Role;
}  // namespace

std::string_view roleName(Role r) {
  switch (r) {
    case Role::kSysadmin:
      return "sysadmin";
    case Role::kSecadmin:
      return "secadmin";
    case Role::kAuditor:
      return "auditor";
    case Role::kReviewer:
      return "reviewer";
  }
  return "";
}

std::optional<Role> parseRole(std::string_view name) {
  for (Role r : kAllRoles) {
    if (roleName(r) == name) {
      return r;
    }
  }
  return std::nullopt;
}

// The one role -> permission table. The system administrator runs the service and the
// accounts; the security administrator owns policies, roles and forced logouts; the audit
// administrator reads the audit trail and changes nothing. Nobody holds all three. The content
// reviewer is no administrator: it reads and decides on held messages, nothing else.
const std::vector<PermissionInfo>& permissionTable() {
  static const std::vector<PermissionInfo> table = {
      {Permission::kServerStatus, "server.status", "health, connections, metrics",
       {R::kSysadmin, R::kSecadmin}},
      {Permission::kTenantRead, "tenant.read", "list the tenants (virtual hosts)",
       {R::kSysadmin, R::kSecadmin, R::kAuditor}},
      {Permission::kUserRead, "user.read", "search accounts, see their sessions",
       {R::kSysadmin, R::kSecadmin}},
      {Permission::kUserWrite, "user.write", "create and delete accounts, reset passwords",
       {R::kSysadmin}},
      {Permission::kSessionEnd, "session.end", "end an account's sessions (forced logout)",
       {R::kSecadmin}},
      {Permission::kAdminRead, "admin.read", "list administrators and their roles",
       {R::kSecadmin, R::kAuditor}},
      {Permission::kRoleWrite, "role.write", "grant and revoke administrator roles",
       {R::kSecadmin}},
      {Permission::kTokenOwn, "token.own", "create, list and revoke one's own API tokens",
       {R::kSysadmin, R::kSecadmin, R::kAuditor}},
      {Permission::kTokenManage, "token.manage", "list and revoke any administrator's tokens",
       {R::kSecadmin}},
      {Permission::kAuditRead, "audit.read",
       "read, filter and verify the audit log; checkpoints and proofs", {R::kAuditor}},
      {Permission::kAuditExport, "audit.export", "export the audit log (JSON Lines)",
       {R::kAuditor}},
      {Permission::kAlertRead, "alert.read", "list security alerts",
       {R::kSysadmin, R::kSecadmin, R::kAuditor}},
      {Permission::kAlertAcknowledge, "alert.acknowledge", "acknowledge security alerts",
       {R::kSecadmin}},
      {Permission::kAccountFreeze, "account.freeze", "freeze (lock or suspend) and unfreeze accounts",
       {R::kSecadmin}},
      {Permission::kDeviceRead, "device.read", "list an account's device credentials",
       {R::kSecadmin}},
      {Permission::kDeviceWrite, "device.write", "create and revoke an account's device credentials",
       {R::kSecadmin}},
      {Permission::kLoginRead, "login.read", "read login records",
       {R::kSecadmin, R::kAuditor}},
      {Permission::kLockRead, "lock.read", "see sign-in locks", {R::kSecadmin, R::kAuditor}},
      {Permission::kLockClear, "lock.clear", "clear sign-in locks", {R::kSecadmin}},
      {Permission::kQuarantineRead, "quarantine.read",
       "list messages held for review and read them (every read audited)", {R::kReviewer}},
      {Permission::kQuarantineDecide, "quarantine.decide", "approve or reject held messages",
       {R::kReviewer}},
      {Permission::kHoldRead, "hold.read", "see the legal holds on accounts and rooms",
       {R::kSecadmin, R::kAuditor}},
      {Permission::kHoldWrite, "hold.write",
       "set and clear legal holds (nothing of an account or room under hold is deleted)",
       {R::kSecadmin}},
      {Permission::kAddressRead, "address.read",
       "see client addresses in clear in sessions, sign-in records, locks, the audit log and "
       "alerts (other roles see them partly masked)",
       {R::kSecadmin, R::kAuditor}},
      {Permission::kPersonalReveal, "personal.reveal",
       "reveal personal data that views show masked (numbers, e-mail addresses); each use "
       "audited",
       {R::kSecadmin, R::kAuditor}},
  };
  return table;
}

const PermissionInfo& permissionInfo(Permission p) {
  const auto& t = permissionTable();
  auto it = std::find_if(t.begin(), t.end(), [p](const auto& i) { return i.permission == p; });
  return *it;  // every enumerator has a row (unit test)
}

Decision authorize(const Principal& who, Permission what, std::string_view tenant) {
  const auto& t = permissionTable();
  auto it = std::find_if(t.begin(), t.end(), [what](const auto& i) { return i.permission == what; });
  if (it == t.end() || std::find(it->roles.begin(), it->roles.end(), who.role) == it->roles.end()) {
    return Decision::kDenyRole;
  }
  if (!who.tenant.empty() && who.tenant != tenant) {
    return Decision::kDenyScope;
  }
  return Decision::kAllow;
}

std::string_view decisionReason(Decision d) {
  switch (d) {
    case Decision::kAllow:
      return "allowed";
    case Decision::kDenyRole:
      return "the role does not have this permission";
    case Decision::kDenyScope:
      return "outside the administrator's tenant";
  }
  return "denied";
}

std::string permissionMatrixMarkdown() {
  std::string out = "| Permission | What it allows |";
  for (Role r : kAllRoles) {
    out += " " + std::string(roleName(r)) + " |";
  }
  out += "\n|---|---|";
  for (std::size_t i = 0; i < std::size(kAllRoles); ++i) {
    out += ":---:|";
  }
  out += "\n";
  for (const auto& p : permissionTable()) {
    out += "| `" + std::string(p.name) + "` | " + std::string(p.description) + " |";
    for (Role r : kAllRoles) {
      out += std::find(p.roles.begin(), p.roles.end(), r) != p.roles.end() ? " yes |" : " |";
    }
    out += "\n";
  }
  return out;
}

}  // namespace rampart::security
