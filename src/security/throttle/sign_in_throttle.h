#pragma once
// Paces the answers to sign-in attempts per client address and per account, so that guessing
// passwords stays slow however many connections an attacker opens or however soon he gives up
// waiting. Thread-safe: any network thread may call any method.
//
// Every attempt that is about to be answered (success or failure alike) first reserves an
// answer time for each of its keys. A key with no recent failure and no attempt in flight
// answers at once; otherwise, with n recent failures (plus one if attempts are waiting), no
// sooner than delay(n) after the previous answer for that key, delay(n) = base * 2^(n-1)
// capped at maxDelay. Parallel connections therefore gain nothing: answers for a key go out
// one by one, spaced by the current delay. An answer that would wait longer than maxWait is
// refused at once without looking at the credentials (temporary-auth-failure), so waiting
// connections stay bounded.
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

  // One attempt's claim on its keys' answer schedule. Move-only; an attempt that ends without
  // being resolved (its connection died) gives its claim back without counting as a failure.
  class Reservation {
   public:
    Reservation() = default;
    Reservation(Reservation&& o) noexcept;
    Reservation& operator=(Reservation&& o) noexcept;
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;
    ~Reservation();

    // When the answer may be sent (may be now or in the past).
    TimePoint answerAt() const { return answerAt_; }
    // The credentials were wrong (or the request malformed): every key counts one failure.
    void failed();
    // The credentials were right: the account's failures are forgotten (the address's are
    // not, or one valid account of his own would let an attacker reset his address's count).
    void succeeded();

   private:
    friend class SignInThrottle;
    SignInThrottle* owner_ = nullptr;
    std::vector<std::string> keys_;  // the address's key, then the account's (if paced by it)
    std::string address_;
    std::string account_;
    TimePoint answerAt_{};
  };

  explicit SignInThrottle(ThrottlePolicy policy = {}, Now now = nullptr);

  static std::string addressKey(const std::string& address) { return "a:" + address; }
  static std::string accountKey(const std::string& host, const std::string& user) {
    return "u:" + user + "@" + host;
  }

  // Reserves the answer time for an attempt identified by `address` and, when the user name
  // was valid, `account` (empty otherwise). nullopt: the wait would exceed maxWait; answer
  // with a temporary failure and do not check the credentials.
  std::optional<Reservation> reserve(const std::string& address, const std::string& account);

  // The spacing the key's next answer would get (for logs and tests).
  std::chrono::milliseconds delayFor(const std::string& key);
  std::size_t size();

 private:
  struct Entry {
    unsigned failures = 0;
    unsigned pending = 0;  // reserved, not yet resolved
    TimePoint lastFailure{};
    TimePoint lastSlot{};
  };
  std::chrono::milliseconds delayOf(unsigned n) const;
  Entry* live(const std::string& key, TimePoint now);  // requires mu_
  void resolve(Reservation& r, int outcome);            // -1 abandoned, 0 failure, 1 success
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
