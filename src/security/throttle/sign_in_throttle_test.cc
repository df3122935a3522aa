#include "security/throttle/sign_in_throttle.h"

#include <gtest/gtest.h>

namespace rampart::security::throttle {
namespace {

using namespace std::chrono_literals;
using TP = SignInThrottle::TimePoint;

struct FakeClock {
  TP now = TP(1000s);
  SignInThrottle::Now fn() {
    return [this] { return now; };
  }
};

using V = SignInThrottle::Verdict;

// One wrong guess that waits for its answer: false when the throttle refused it at once.
bool guessWrong(SignInThrottle& t, FakeClock& c, const std::string& address,
                const std::string& account = "") {
  if (!t.admits(address, account)) {
    return false;
  }
  auto at = t.checked(address, account, V::kWrong);
  if (!at) {
    return false;
  }
  c.now = std::max(c.now, *at);
  return true;
}

// A patient attacker guessing from `address` for `span`, trying again a second after each
// refusal; returns the guesses that got an answer.
std::size_t guessFor(SignInThrottle& t, FakeClock& c, const std::string& address,
                     std::chrono::seconds span) {
  std::size_t answered = 0;
  for (const auto start = c.now; c.now - start < span;) {
    if (guessWrong(t, c, address)) {
      ++answered;
    } else {
      c.now += 1s;  // refused at once: nothing learnt
    }
  }
  return answered;
}

TEST(SignInThrottle, NoFailuresAnswersAtOnce) {
  FakeClock c;
  SignInThrottle t({}, c.fn());
  for (int i = 0; i < 5; ++i) {
    auto at = t.checked("10.0.0.1", "u:alice@example.com", V::kRight);
    ASSERT_TRUE(at);
    EXPECT_EQ(*at, c.now);
  }
  EXPECT_EQ(t.size(), 0u);
}

TEST(SignInThrottle, AnOfficeBehindOneAddressIsNeverPacedWithoutFailures) {
  FakeClock c;
  SignInThrottle t({}, c.fn());
  // 500 colleagues reconnect through one NAT at the same instant (a server restart).
  for (int i = 0; i < 500; ++i) {
    const std::string acct = SignInThrottle::accountKey("example.com", "u" + std::to_string(i));
    ASSERT_TRUE(t.admits("10.9.9.9", acct));
    auto at = t.checked("10.9.9.9", acct, V::kRight);
    ASSERT_TRUE(at) << i;
    EXPECT_EQ(*at, c.now) << i;
  }
}

TEST(SignInThrottle, FailuresSpaceEveryLaterAnswerRightOrWrong) {
  FakeClock c;
  SignInThrottle t({}, c.fn());
  auto a1 = t.checked("10.0.0.1", "", V::kWrong);
  ASSERT_TRUE(a1);
  EXPECT_EQ(*a1, c.now);
  auto a2 = t.checked("10.0.0.1", "", V::kWrong);
  ASSERT_TRUE(a2);
  EXPECT_EQ(*a2, c.now + 250ms);
  c.now += 250ms;
  // A correct answer waits just as long as a wrong one would have: timing tells nothing.
  EXPECT_EQ(t.delayFor(SignInThrottle::addressKey("10.0.0.1")), 500ms);
  auto a3 = t.checked("10.0.0.1", "u:bob@example.com", V::kRight);
  ASSERT_TRUE(a3);
  EXPECT_EQ(*a3, c.now + 500ms);
  c.now += 500ms;
  // Success on an account does not reset the address.
  EXPECT_EQ(t.delayFor(SignInThrottle::addressKey("10.0.0.1")), 500ms);
}

TEST(SignInThrottle, ParallelAttemptsAreSerializedNotBurst) {
  FakeClock c;
  SignInThrottle t({}, c.fn());
  // An attacker's 16 connections have their guesses checked at the same instant; none has
  // been answered yet. Each already sees the failures checked before it.
  std::vector<SignInThrottle::TimePoint> answers;
  const auto start = c.now;
  for (int i = 0; i < 16; ++i) {
    auto at = t.checked("10.0.0.2", "", V::kWrong);
    if (at) {
      if (!answers.empty()) {
        EXPECT_GE(*at - answers.back(), 250ms) << i;
      }
      answers.push_back(*at);
    }
  }
  ASSERT_FALSE(answers.empty());
  EXPECT_EQ(answers.front(), c.now);
  EXPECT_LT(answers.size(), 16u) << "answers that would wait beyond 30 s are refused";
  c.now = answers.back();
  const std::size_t answered =
      answers.size() + guessFor(t, c, "10.0.0.2",
                                std::chrono::duration_cast<std::chrono::seconds>(60s - (c.now - start)));
  // The documented bound: at most 24 answers in the first minute from one address however
  // many connections, 7.5 a minute after.
  EXPECT_LE(answered, 24u);
  EXPECT_LE(guessFor(t, c, "10.0.0.2", 60s), 8u);
}

TEST(SignInThrottle, AdmitsRefusesBeforeTheCheckWhenTheWaitIsTooLong) {
  FakeClock c;
  SignInThrottle t({}, c.fn());
  for (int i = 0; i < 9; ++i) {
    (void)t.checked("10.0.0.3", "", V::kWrong);
  }
  EXPECT_FALSE(t.admits("10.0.0.3", ""));
  EXPECT_TRUE(t.admits("10.0.0.30", ""));
  c.now += 40s;
  EXPECT_TRUE(t.admits("10.0.0.3", ""));
}

TEST(SignInThrottle, AccountKeyPacesAcrossAddresses) {
  FakeClock c;
  SignInThrottle t({}, c.fn());
  const std::string acct = SignInThrottle::accountKey("example.com", "carol");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(guessWrong(t, c, "10.0.1." + std::to_string(i), acct));
  }
  auto at = t.checked("10.0.2.1", acct, V::kRight);
  ASSERT_TRUE(at);
  EXPECT_EQ(*at - c.now, 1000ms);
  EXPECT_EQ(t.delayFor(acct), 0ms) << "the right password forgets the account's failures";
}

TEST(SignInThrottle, FailuresAreForgottenAfterTheWindow) {
  FakeClock c;
  SignInThrottle t({}, c.fn());
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(guessWrong(t, c, "10.0.0.4"));
  }
  EXPECT_EQ(t.delayFor(SignInThrottle::addressKey("10.0.0.4")), 8000ms);
  c.now += 601s;
  EXPECT_EQ(t.delayFor(SignInThrottle::addressKey("10.0.0.4")), 0ms);
}

TEST(SignInThrottle, FamiliarAddressIsNotLockedOutByGuessesFromElsewhere) {
  FakeClock c;
  SignInThrottle t({}, c.fn());
  const std::string acct = SignInThrottle::accountKey("example.com", "dave");
  ASSERT_TRUE(t.checked("192.0.2.1", acct, V::kRight));
  // An attacker guesses at the account from other addresses...
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(guessWrong(t, c, "198.51.100." + std::to_string(i), acct));
  }
  // ...which locks it for unfamiliar places (ten failures), while the familiar address still
  // answers at once.
  EXPECT_FALSE(t.admits("203.0.113.9", acct));
  EXPECT_FALSE(t.checked("203.0.113.9", acct, V::kWrong));
  auto again = t.checked("192.0.2.1", acct, V::kRight);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, c.now);
}

TEST(SignInThrottle, LocksGrowAndAreReported) {
  FakeClock c;
  SignInThrottle t({}, c.fn());
  t.setTenantPolicy([](const std::string&) { return TenantLockout{3, 60s, 100, 600s}; });
  std::vector<LockEvent> seen;
  t.setLockListener([&](const LockEvent& e) { seen.push_back(e); });
  const std::string acct = SignInThrottle::accountKey("example.com", "erin");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(guessWrong(t, c, "198.51.100." + std::to_string(i), acct));
  }
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, "account");
  EXPECT_EQ(seen[0].user, "erin");
  EXPECT_EQ(seen[0].host, "example.com");
  EXPECT_TRUE(t.locked(acct));
  EXPECT_FALSE(t.admits("203.0.113.1", acct));
  c.now += 61s;
  EXPECT_FALSE(t.locked(acct));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(guessWrong(t, c, "198.51.100." + std::to_string(i), acct));
  }
  // The second lock lasts twice as long.
  c.now += 61s;
  EXPECT_TRUE(t.locked(acct));
  c.now += 60s;
  EXPECT_FALSE(t.locked(acct));
}

TEST(SignInThrottle, SprayingManyAccountsPacesTheTenant) {
  FakeClock c;
  SignInThrottle t({}, c.fn());
  t.setTenantPolicy([](const std::string&) { return TenantLockout{10, 60s, 5, 600s}; });
  std::vector<LockEvent> seen;
  t.setLockListener([&](const LockEvent& e) { seen.push_back(e); });
  // One guess per account, each from its own address: below the spraying threshold nothing
  // waits, past it every unfamiliar attempt on the tenant does.
  for (int i = 0; i < 5; ++i) {
    auto at = t.checked("198.51.100." + std::to_string(i),
                        SignInThrottle::accountKey("example.com", "u" + std::to_string(i)),
                        V::kWrong);
    ASSERT_TRUE(at);
    EXPECT_EQ(*at, c.now);
  }
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, "tenant");
  auto paced = t.checked("198.51.100.77", SignInThrottle::accountKey("example.com", "u77"),
                         V::kWrong);
  ASSERT_TRUE(paced);
  EXPECT_GE(*paced - c.now, 250ms);
  // Another tenant is not affected.
  auto other = t.checked("198.51.100.78", SignInThrottle::accountKey("other.org", "u1"),
                         V::kWrong);
  ASSERT_TRUE(other);
  EXPECT_EQ(*other, c.now);
}

TEST(SignInThrottle, TheSameWrongSecretCountsOnce) {
  FakeClock c;
  SignInThrottle t({}, c.fn());
  t.setTenantPolicy([](const std::string&) { return TenantLockout{3, 60s, 100, 600s}; });
  const std::string acct = SignInThrottle::accountKey("example.com", "fred");
  // A phone retrying a stale saved password does not lock the account...
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(t.checked("192.0.2.9", acct, V::kWrong, 0xABCDEF));
    c.now += 10s;
  }
  EXPECT_FALSE(t.locked(acct));
  // ...different wrong secrets do.
  for (std::uint64_t g = 1; g <= 3; ++g) {
    t.checked("192.0.2.9", acct, V::kWrong, g);
    c.now += 10s;
  }
  EXPECT_TRUE(t.locked(acct));
}

TEST(SignInThrottle, AdministratorsClearLocks) {
  FakeClock c;
  SignInThrottle t({}, c.fn());
  t.setTenantPolicy([](const std::string&) { return TenantLockout{2, 600s, 100, 600s}; });
  const std::string a = SignInThrottle::accountKey("example.com", "gina");
  const std::string b = SignInThrottle::accountKey("example.com", "hank");
  for (const auto& acct : {a, b}) {
    guessWrong(t, c, "198.51.100.1", acct);
    guessWrong(t, c, "198.51.100.2", acct);
  }
  ASSERT_TRUE(t.locked(a));
  ASSERT_TRUE(t.locked(b));
  // The store still holds b's lock only: a's was cleared there.
  EXPECT_EQ(t.keepLocks({b}), 1u);
  EXPECT_FALSE(t.locked(a));
  EXPECT_TRUE(t.locked(b));
  t.clearAccount(b);
  EXPECT_FALSE(t.locked(b));
  EXPECT_TRUE(t.admits("198.51.100.3", b));
}

}  // namespace
}  // namespace rampart::security::throttle
