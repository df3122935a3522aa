#include "security/password/password_policy.h"

#include <gtest/gtest.h>

#include "security/secrets/secret_hash.h"

namespace rampart::security::password {
namespace {

core::Config configWith(std::optional<std::string> profile) {
  core::Config c;
  c.passwordBlocklist = "/usr/share/john/password.lst";
  c.accountSecurity.passwordProfile = std::move(profile);
  core::HostConfig nist;
  nist.name = "nist.example";
  nist.accountSecurity.passwordProfile = "nist";
  c.hosts.push_back(nist);
  return c;
}

std::string ruleOf(const PasswordPolicy& p, std::string_view host, std::string_view user,
                   std::string_view pw, bool mfa = false) {
  auto r = p.check(host, user, pw, mfa);
  return r ? r->rule : "ok";
}

TEST(PasswordPolicy, ProfilesHaveTheirDefaults) {
  auto mlps = rulesFor({});
  EXPECT_EQ(mlps.profile, "mlps");
  EXPECT_EQ(mlps.minLength, 8u);
  EXPECT_EQ(mlps.minClasses, 3u);
  EXPECT_EQ(mlps.maxAgeDays, 90u);
  EXPECT_EQ(mlps.history, 5u);
  core::AccountSecurityOptions o;
  o.passwordProfile = "nist";
  auto nist = rulesFor(o);
  EXPECT_EQ(nist.minLength, 15u);
  EXPECT_EQ(nist.minLengthWithMfa, 8u);
  EXPECT_EQ(nist.minClasses, 0u);
  EXPECT_EQ(nist.maxAgeDays, 0u);
  EXPECT_EQ(nist.history, 0u);
  o.passwordHistory = 2;
  EXPECT_EQ(rulesFor(o).history, 2u);
}

TEST(PasswordPolicy, TenantOverridesTheServerWideProfile) {
  auto c = configWith("mlps");
  PasswordPolicy p(c);
  EXPECT_EQ(p.rules("example.com").profile, "mlps");
  EXPECT_EQ(p.rules("nist.example").profile, "nist");
}

TEST(PasswordPolicy, MlpsRules) {
  auto c = configWith(std::nullopt);
  PasswordPolicy p(c);
  EXPECT_EQ(ruleOf(p, "example.com", "alice", "Ab1-xy"), "length");
  EXPECT_EQ(ruleOf(p, "example.com", "alice", "only-lower-case"), "classes");
  EXPECT_EQ(ruleOf(p, "example.com", "alice", "Alice-in-2026"), "account-name");
  EXPECT_EQ(ruleOf(p, "example.com", "bob", "My-Example-9x"), "domain");
  EXPECT_EQ(ruleOf(p, "example.com", "bob", "Front242"), "blocklist");
  EXPECT_EQ(ruleOf(p, "example.com", "bob", "Kx9-violet-Quartz"), "ok");
  // Characters, not bytes: eight Chinese characters and a digit and a letter are long enough.
  EXPECT_EQ(ruleOf(p, "example.com", "bob", "紫色石英河流山峰A9"), "ok");
}

TEST(PasswordPolicy, NistRules) {
  auto c = configWith("nist");
  PasswordPolicy p(c);
  EXPECT_EQ(ruleOf(p, "example.com", "bob", "Kx9-Quartz-7!"), "length");
  EXPECT_EQ(ruleOf(p, "example.com", "bob", "Kx9-Quartz-7!", true), "ok");
  EXPECT_EQ(ruleOf(p, "example.com", "bob", "violet quartz river"), "ok");
  EXPECT_EQ(ruleOf(p, "example.com", "bob", std::string(129, 'k') + "x"), "max-length");
}

TEST(PasswordPolicy, HistoryMatchesArgon2idEntries) {
  auto h = secrets::hashSecret("Kx9-first-Quartz");
  ASSERT_TRUE(h);
  EXPECT_TRUE(PasswordPolicy::reused("Kx9-first-Quartz", {*h}));
  EXPECT_FALSE(PasswordPolicy::reused("Kx9-other-Quartz", {*h}));
  EXPECT_NE(h->find("$argon2id$"), std::string::npos);
}

}  // namespace
}  // namespace rampart::security::password
