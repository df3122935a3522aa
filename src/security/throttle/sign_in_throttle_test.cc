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

// One wrong guess that waits for its answer: false when the throttle refused it at once.
bool guessWrong(SignInThrottle& t, FakeClock& c, const std::string& address,
                const std::string& account = "") {
  auto r = t.reserve(address, account);
  if (!r) {
    return false;
  }
  c.now = std::max(c.now, r->answerAt());
  r->failed();
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
    auto r = t.reserve("10.0.0.1", "u:alice@example.com");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->answerAt(), c.now);
    r->succeeded();
  }
  EXPECT_EQ(t.size(), 0u);
}

TEST(SignInThrottle, FailuresSpaceEveryLaterAnswerRightOrWrong) {
  FakeClock c;
  SignInThrottle t({}, c.fn());
  auto r1 = t.reserve("10.0.0.1", "");
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->answerAt(), c.now);
  r1->failed();
  auto r2 = t.reserve("10.0.0.1", "");
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->answerAt(), c.now + 250ms);
  c.now += 250ms;
  r2->failed();
  // A correct answer waits just the same: timing tells nothing.
  auto r3 = t.reserve("10.0.0.1", "u:bob@example.com");
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->answerAt(), c.now + 500ms);
  c.now += 500ms;
  r3->succeeded();
  // Success on an account does not reset the address.
  EXPECT_EQ(t.delayFor(SignInThrottle::addressKey("10.0.0.1")), 500ms);
}

TEST(SignInThrottle, ParallelAttemptsAreSerializedNotBurst) {
  FakeClock c;
  SignInThrottle t({}, c.fn());
  // An attacker opens 16 connections at once; none has been answered yet.
  std::vector<SignInThrottle::Reservation> held;
  for (int i = 0; i < 16; ++i) {
    auto r = t.reserve("10.0.0.2", "");
    ASSERT_TRUE(r);
    if (!held.empty()) {
      EXPECT_GE(r->answerAt() - held.back().answerAt(), 250ms) << i;
    }
    held.push_back(std::move(*r));
  }
  EXPECT_EQ(held.front().answerAt(), c.now);
  // Answered in turn, each failure lengthens the spacing of the next reservation.
  const auto start = c.now;
  for (auto& r : held) {
    c.now = std::max(c.now, r.answerAt());
    r.failed();
  }
  const std::size_t answered =
      held.size() + guessFor(t, c, "10.0.0.2",
                             std::chrono::duration_cast<std::chrono::seconds>(60s - (c.now - start)));
  // The documented bound: at most 24 answers in the first minute from one address however
  // many connections (16 of them reserved before the first answer), 7.5 a minute after.
  EXPECT_LE(answered, 24u);
  EXPECT_LE(guessFor(t, c, "10.0.0.2", 60s), 8u);
}

TEST(SignInThrottle, AbandonedAttemptsDoNotCountAsFailures) {
  FakeClock c;
  SignInThrottle t({}, c.fn());
  {
    auto r = t.reserve("10.0.0.3", "");
    ASSERT_TRUE(r);
  }
  EXPECT_EQ(t.delayFor(SignInThrottle::addressKey("10.0.0.3")), 0ms);
}

TEST(SignInThrottle, AccountKeyPacesAcrossAddresses) {
  FakeClock c;
  SignInThrottle t({}, c.fn());
  const std::string acct = SignInThrottle::accountKey("example.com", "carol");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(guessWrong(t, c, "10.0.1." + std::to_string(i), acct));
  }
  auto r = t.reserve("10.0.2.1", acct);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->answerAt() - c.now, 1000ms);
  r->succeeded();
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
  auto home = t.reserve("192.0.2.1", acct);
  ASSERT_TRUE(home);
  home->succeeded();
  // An attacker guesses at the account from other addresses...
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(guessWrong(t, c, "198.51.100." + std::to_string(i), acct));
  }
  // ...an unfamiliar address waits the account's delay, the familiar one answers at once.
  auto stranger = t.reserve("203.0.113.9", acct);
  ASSERT_TRUE(stranger);
  EXPECT_GE(stranger->answerAt() - c.now, 8s);
  auto again = t.reserve("192.0.2.1", acct);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->answerAt(), c.now);
}

}  // namespace
}  // namespace rampart::security::throttle
