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
// account) is familiar to that account: attempts from it count against that account-and-address
// pair instead of the account, so an attacker guessing from elsewhere cannot lock the real
// user out (what Entra ID calls smart lockout).
//
// Soft locks on top of the pacing (MLPS 8.1.4.1 b): when a key's failures reach its tenant's
// threshold (the account from unfamiliar places, the account from one familiar address, or an
// address), the key is locked for lockSeconds, doubling with every further lock of that key
// (up to a day); a locked key's attempts get a temporary failure without any check. The
// tenant key counts failures from unfamiliar places on all its accounts (password spraying:
// many accounts, few tries each); past its threshold every unfamiliar attempt on the tenant is
// paced by it. A wrong password repeated (when the mechanism lets the server see it: PLAIN,
// HTTPS) is not counted again. Locks are reported to a listener (persisted, alerted) and can
// be cleared.

#include <chrono>
#include <cstdint>
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
  std::uint32_t addressLockThreshold = 50;  // failures from one address, then a lock
};

// The lockout settings of one tenant (account_security.lockout_* and spray_*).
struct TenantLockout {
  std::uint32_t threshold = 10;     // failures of an account (or account and address)
  std::chrono::seconds lockFor{300};  // the first lock; doubled for each further one
  std::uint32_t sprayThreshold = 30;  // failures from unfamiliar places on the tenant
  std::chrono::seconds sprayWindow{600};
};

// Stricter rules for one kind of sign-in (the admin console: `admin.max_failures` and
// `admin.lockout_seconds`): the account's keys lock after `threshold` failures (or the
// tenant's, if lower) for `lockFor`, and the address gets a key of its own for this kind of
// sign-in only, with the same threshold, so guessing administrator passwords locks the address
// out of the console without locking a shared office address out of chat. On that address key
// every failure counts, the same wrong password repeated too.
struct Privileged {
  std::string scope;  // names the address key and the lock kind ("admin": "admin-source")
  std::uint32_t threshold = 5;
  std::chrono::seconds lockFor{900};
};

// A lock as it starts.
struct LockEvent {
  std::string key;
  std::string kind;   // "account", "account-source", "source", SCOPE "-source" or "tenant"
  std::string scope;  // the Privileged scope of the sign-in that caused it; empty: any
  std::string host, user, source;
  std::uint32_t failures = 0;
  std::chrono::system_clock::time_point until;
};

class SignInThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;
  using Now = std::function<TimePoint()>;

  enum class Verdict { kWrong, kRight };

  explicit SignInThrottle(ThrottlePolicy policy = {}, Now now = nullptr);
  // Start-up only: the lockout settings per tenant (default: TenantLockout{}), and who is told
  // of each new lock and of a tenant crossing its spraying threshold (called without the
  // throttle's lock held, on the thread that recorded the failure).
  void setTenantPolicy(std::function<TenantLockout(const std::string& host)> policy) {
    tenantPolicy_ = std::move(policy);
  }
  void setLockListener(std::function<void(const LockEvent&)> listener) {
    lockListener_ = std::move(listener);
  }

  static std::string addressKey(const std::string& address) { return "a:" + address; }
  static std::string accountKey(const std::string& host, const std::string& user) {
    return "u:" + user + "@" + host;
  }

  // False when an attempt for `address` and `account` (empty: the user name was invalid) would
  // now wait beyond maxWait: answer with a temporary failure without checking anything.
  bool admits(const std::string& address, const std::string& account,
              const Privileged* strict = nullptr);
  // How long the keys of such an attempt stay locked (0: none is).
  std::chrono::seconds lockLeft(const std::string& address, const std::string& account,
                                const Privileged* strict = nullptr);

  // Records a checked attempt and returns when its answer may go out (now or later); nullopt:
  // beyond maxWait, answer with a temporary failure (a wrong guess still counted). A right one
  // forgets the account's failures (not the address's, or one valid account of his own would
  // let an attacker reset his address) and makes the address familiar to the account.
  // `attempt`: a fingerprint of the wrong secret when the server saw it (0: unknown); the same
  // wrong secret again is paced but not counted again.
  std::optional<TimePoint> checked(const std::string& address, const std::string& account,
                                   Verdict verdict, std::uint64_t attempt = 0,
                                   const Privileged* strict = nullptr);

  // Ends every lock and failure count of one account ("u:user@host"), wherever it came from.
  void clearAccount(const std::string& account);
  // Keeps only the locks whose keys are in `kept` (the persisted ones: an administrator
  // cleared the others); returns how many were cleared.
  std::size_t keepLocks(const std::vector<std::string>& kept);
  // Start-up: an address where the account signed in successfully before (from the login
  // records), so that the owner stays familiar across restarts.
  void rememberFamiliar(const std::string& account, const std::string& address) {
    std::lock_guard lock(mu_);
    remember(account, address);
  }
  // Start-up: a persisted lock still in force for `left`.
  void restoreLock(const std::string& key, std::chrono::milliseconds left);
  // Whether the key is locked now (tests, and the admin view).
  bool locked(const std::string& key);

  // The spacing the key's next answer would get (for logs and tests).
  std::chrono::milliseconds delayFor(const std::string& key);
  std::size_t size();

 private:
  struct Entry {
    unsigned failures = 0;
    TimePoint lastFailure{};
    TimePoint lastSlot{};
    unsigned locks = 0;          // locks so far (each doubles the next)
    TimePoint lockedUntil{};
    std::vector<std::uint64_t> recent;  // fingerprints of recent wrong secrets
  };
  struct Key {
    std::string name;
    enum class Kind { kAddress, kAccount, kAccountSource, kTenant, kScopedAddress } kind;
  };
  std::vector<Key> keysFor(const std::string& address, const std::string& account,
                           const Privileged* strict) const;
  TenantLockout tenantOf(const std::string& account) const;
  std::chrono::milliseconds keyDelay(const Key& k, const Entry& e) const;
  bool lockedNow(const std::string& key, TimePoint now);  // requires mu_
  std::chrono::milliseconds delayOf(unsigned n) const;
  Entry* live(const std::string& key, TimePoint now);  // requires mu_
  TimePoint slotFor(const std::vector<Key>& keys, TimePoint now);  // requires mu_
  bool familiar(const std::string& account, const std::string& address) const;  // requires mu_
  void remember(const std::string& account, const std::string& address);       // requires mu_

  const ThrottlePolicy policy_;
  const Now now_;
  std::function<TenantLockout(const std::string&)> tenantPolicy_;
  std::function<void(const LockEvent&)> lockListener_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
  // account key -> addresses it signed in from, most recent last. Guarded by mu_.
  std::unordered_map<std::string, std::vector<std::string>> familiar_;
};

}  // namespace rampart::security::throttle
