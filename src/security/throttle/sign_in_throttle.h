#pragma once
// Paces the answers to sign-in attempts per client address and per account, so that guessing
// passwords stays slow however many connections an attacker opens or however soon he gives up
// waiting. Thread-safe: any network thread may call any method.
//
// Every credential check is recorded the moment it is made (right or wrong), and its answer
// gets a time: a key with no recent failure answers at once; otherwise no sooner than
// delay(n) after the previous answer for that key, where n counts the key's failures recorded
// before this attempt, delay(n) = base * 2^(n-1) capped at maxDelay. The answer time depends
// only on what came before the attempt, never on whether it was right, so a client that gives
// up early learns nothing. Failures count when checked, not when answered, so parallel
// connections gain nothing: the second guess of a burst already sees the first one's failure,
// and answers for a key go out one by one, spaced by the current delay. Honest sign-ins with
// no failure before them (a whole office reconnecting through one NAT) are never paced. An
// answer that would wait longer than maxWait becomes a temporary failure (the guess still
// counts), and admits() lets the caller refuse before it spends anything on the check.
//
// An address where an account signed in successfully before (remembered in memory, a few per
// account) is familiar to that account: attempts from it are paced by the address alone, so
// an attacker guessing from elsewhere cannot lock the real user out.

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace rampart::security::throttle {

struct ThrottlePolicy {
  std::chrono::milliseconds baseDelay{250};
  std::chrono::milliseconds maxDelay{8000};
  std::chrono::milliseconds maxWait{30000};
  std::chrono::seconds forgetAfter{600};  // failures older than this no longer count
  std::size_t maxKeys = 100000;           // bounded memory under a distributed attack
  std::size_t familiarPerAccount = 8;     // addresses remembered per account
  std::size_t maxFamiliarAccounts = 100000;
};

class SignInThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;
  using Now = std::function<TimePoint()>;

  enum class Verdict { kWrong, kRight };

  explicit SignInThrottle(ThrottlePolicy policy = {}, Now now = nullptr);

  static std::string addressKey(const std::string& address) { return "a:" + address; }
  static std::string accountKey(const std::string& host, const std::string& user) {
    return "u:" + user + "@" + host;
  }

  // False when an attempt for `address` and `account` (empty: the user name was invalid) would
  // now wait beyond maxWait: answer with a temporary failure without checking anything.
  bool admits(const std::string& address, const std::string& account);

  // Records a checked attempt and returns when its answer may go out (now or later); nullopt:
  // beyond maxWait, answer with a temporary failure (a wrong guess still counted). A right one
  // forgets the account's failures (not the address's, or one valid account of his own would
  // let an attacker reset his address) and makes the address familiar to the account.
  std::optional<TimePoint> checked(const std::string& address, const std::string& account,
                                   Verdict verdict);

  // The spacing the key's next answer would get (for logs and tests).
  std::chrono::milliseconds delayFor(const std::string& key);
  std::size_t size();

 private:
  struct Entry {
    unsigned failures = 0;
    TimePoint lastFailure{};
    TimePoint lastSlot{};
  };
  std::chrono::milliseconds delayOf(unsigned n) const;
  Entry* live(const std::string& key, TimePoint now);  // requires mu_
  std::vector<std::string> keysOf(const std::string& address,
                                   const std::string& account) const;  // requires mu_
  TimePoint slotFor(const std::vector<std::string>& keys, TimePoint now);  // requires mu_
  bool familiar(const std::string& account, const std::string& address) const;  // requires mu_
  void remember(const std::string& account, const std::string& address);       // requires mu_

  const ThrottlePolicy policy_;
  const Now now_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
  // account key -> addresses it signed in from, most recent last. Guarded by mu_.
  std::unordered_map<std::string, std::vector<std::string>> familiar_;
};

}  // namespace rampart::security::throttle
