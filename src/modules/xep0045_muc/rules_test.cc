#include <gtest/gtest.h>

#include "modules/xep0045_muc/muc.h"

namespace rampart::modules::muc {
namespace {
using A = Affiliation;
using R = Role;

TEST(MucRules, DefaultRoles) {
  EXPECT_EQ(defaultRole(A::kOwner, false), R::kModerator);
  EXPECT_EQ(defaultRole(A::kAdmin, true), R::kModerator);
  EXPECT_EQ(defaultRole(A::kMember, true), R::kParticipant);
  EXPECT_EQ(defaultRole(A::kNone, false), R::kParticipant);
  EXPECT_EQ(defaultRole(A::kNone, true), R::kVisitor);
  EXPECT_EQ(defaultRole(A::kOutcast, false), R::kNone);
}

TEST(MucRules, ModeratorsKickParticipantsButNotAdmins) {
  EXPECT_TRUE(mayChangeRole(A::kNone, R::kModerator, A::kNone, R::kNone));
  EXPECT_TRUE(mayChangeRole(A::kAdmin, R::kModerator, A::kMember, R::kVisitor));
  EXPECT_FALSE(mayChangeRole(A::kNone, R::kParticipant, A::kNone, R::kNone));
  EXPECT_FALSE(mayChangeRole(A::kAdmin, R::kModerator, A::kAdmin, R::kNone));
  EXPECT_FALSE(mayChangeRole(A::kAdmin, R::kModerator, A::kOwner, R::kNone));
  EXPECT_TRUE(mayChangeRole(A::kOwner, R::kModerator, A::kAdmin, R::kParticipant));
  EXPECT_FALSE(mayChangeRole(A::kMember, R::kModerator, A::kNone, R::kModerator));
  EXPECT_TRUE(mayChangeRole(A::kAdmin, R::kModerator, A::kNone, R::kModerator));
}

TEST(MucRules, AdminsManageMembersOwnersManageAll) {
  EXPECT_TRUE(mayChangeAffiliation(A::kAdmin, A::kNone, A::kMember));
  EXPECT_TRUE(mayChangeAffiliation(A::kAdmin, A::kMember, A::kOutcast));
  EXPECT_FALSE(mayChangeAffiliation(A::kAdmin, A::kNone, A::kAdmin));
  EXPECT_FALSE(mayChangeAffiliation(A::kAdmin, A::kOwner, A::kNone));
  EXPECT_TRUE(mayChangeAffiliation(A::kOwner, A::kAdmin, A::kOutcast));
  EXPECT_FALSE(mayChangeAffiliation(A::kMember, A::kNone, A::kMember));
}

TEST(MucRules, LackingPrivilegeIsForbiddenProtectedTargetNotAllowed) {
  EXPECT_EQ(roleChangeError(A::kNone, R::kParticipant, A::kNone, R::kNone), "forbidden");
  EXPECT_EQ(roleChangeError(A::kMember, R::kModerator, A::kNone, R::kModerator), "forbidden");
  EXPECT_EQ(roleChangeError(A::kMember, R::kModerator, A::kAdmin, R::kNone), "not-allowed");
  EXPECT_EQ(roleChangeError(A::kAdmin, R::kModerator, A::kAdmin, R::kVisitor), "not-allowed");
  EXPECT_EQ(roleChangeError(A::kOwner, R::kModerator, A::kNone, R::kNone), "");
  EXPECT_EQ(affiliationChangeError(A::kMember, A::kNone, A::kMember), "forbidden");
  EXPECT_EQ(affiliationChangeError(A::kNone, A::kNone, A::kOutcast), "forbidden");
  EXPECT_EQ(affiliationChangeError(A::kAdmin, A::kNone, A::kOwner), "forbidden");
  EXPECT_EQ(affiliationChangeError(A::kAdmin, A::kAdmin, A::kNone), "forbidden");
  EXPECT_EQ(affiliationChangeError(A::kAdmin, A::kOwner, A::kOutcast), "not-allowed");
  EXPECT_EQ(affiliationChangeError(A::kAdmin, A::kMember, A::kOutcast), "");
}

}  // namespace
}  // namespace rampart::modules::muc
