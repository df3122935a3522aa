#include "rampart/security/authz.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

namespace rampart::security {
namespace {

TEST(Authz, EveryPermissionHasOneRowAndAName) {
  std::set<std::string_view> names;
  for (int p = 0; p <= static_cast<int>(kLastPermission); ++p) {
    const auto& info = permissionInfo(static_cast<Permission>(p));
    EXPECT_EQ(static_cast<int>(info.permission), p);
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
  }
  EXPECT_EQ(names.size(), permissionTable().size());
}

TEST(Authz, DeniesByRoleAndByScope) {
  Principal auditor{"a@example.com", Role::kAuditor, ""};
  Principal tenantSys{"s@example.com", Role::kSysadmin, "example.com"};
  EXPECT_EQ(authorize(auditor, Permission::kAuditRead, "example.com"), Decision::kAllow);
  EXPECT_EQ(authorize(auditor, Permission::kAuditRead, ""), Decision::kAllow);
  EXPECT_EQ(authorize(auditor, Permission::kUserWrite, "example.com"), Decision::kDenyRole);
  EXPECT_EQ(authorize(tenantSys, Permission::kUserWrite, "example.com"), Decision::kAllow);
  EXPECT_EQ(authorize(tenantSys, Permission::kUserWrite, "other.example"), Decision::kDenyScope);
  EXPECT_EQ(authorize(tenantSys, Permission::kUserWrite, ""), Decision::kDenyScope);
}

TEST(Authz, TheAuditorChangesNothingAndNoRoleHasEverything) {
  // The audit administrator's permissions are all reads (a reveal reads what a view masks).
  for (const auto& p : permissionTable()) {
    const bool auditor =
        std::find(p.roles.begin(), p.roles.end(), Role::kAuditor) != p.roles.end();
    if (auditor) {
      const std::string n(p.name);
      EXPECT_TRUE(n.ends_with(".read") || n == "audit.export" || n == "token.own" ||
                  n == "personal.reveal")
          << n;
    }
  }
  for (Role r : kAllRoles) {
    std::size_t held = 0;
    for (const auto& p : permissionTable()) {
      held += std::count(p.roles.begin(), p.roles.end(), r);
    }
    EXPECT_LT(held, permissionTable().size()) << roleName(r);
  }
  // Only the security administrator grants roles; only the auditor reads the audit log.
  EXPECT_EQ(permissionInfo(Permission::kRoleWrite).roles, std::vector<Role>{Role::kSecadmin});
  EXPECT_EQ(permissionInfo(Permission::kAuditRead).roles, std::vector<Role>{Role::kAuditor});
}

TEST(Authz, RoleNamesRoundTrip) {
  for (Role r : kAllRoles) {
    EXPECT_EQ(parseRole(roleName(r)), r);
  }
  EXPECT_FALSE(parseRole("root"));
  EXPECT_FALSE(parseRole(""));
}

TEST(Authz, DocumentedMatrixIsTheEnforcedOne) {
  std::ifstream f(std::string(RAMPART_SOURCE_DIR) + "/docs/security.md");
  std::stringstream docs;
  docs << f.rdbuf();
  EXPECT_NE(docs.str().find(permissionMatrixMarkdown()), std::string::npos)
      << "docs/security.md must hold this table exactly:\n"
      << permissionMatrixMarkdown();
}

}  // namespace
}  // namespace rampart::security
