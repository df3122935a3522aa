#include "security/throttle/sign_in_throttle.h"

#include <algorithm>

namespace rampart::security::throttle {

SignInThrottle::SignInThrottle(ThrottlePolicy policy, Now now)
    : policy_(policy), now_(now ? std::move(now) : Now([] { return Clock::now(); })) {}

std::chrono::milliseconds SignInThrottle::delayOf(unsigned n) const {
  if (n == 0) {
    return std::chrono::milliseconds(0);
  }
  auto d = policy_.baseDelay;
  for (unsigned i = 1; i < n && d < policy_.maxDelay; ++i) {
    d *= 2;
  }
  return std::min(d, policy_.maxDelay);
}

namespace {
constexpr auto kForgetLocksAfter = std::chrono::hours(24);
constexpr auto kMaxLock = std::chrono::hours(24);
constexpr std::size_t kRecentSecrets = 4;
}  // namespace

// The tenant of an account key ("u:user@host") or a tenant key ("t:host").
TenantLockout SignInThrottle::tenantOf(const std::string& key) const {
  if (!tenantPolicy_) {
    return TenantLockout{};
  }
  if (key.starts_with("t:")) {
    return tenantPolicy_(key.substr(2));
  }
  const auto at = key.rfind('@');
  return at == std::string::npos ? TenantLockout{} : tenantPolicy_(key.substr(at + 1));
}

SignInThrottle::Entry* SignInThrottle::live(const std::string& key, TimePoint now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    return nullptr;
  }
  Entry& e = it->second;
  const auto forget = key.starts_with("t:") ? std::chrono::duration_cast<std::chrono::seconds>(
                                                  tenantOf(key).sprayWindow)
                                            : policy_.forgetAfter;
  if (now - e.lastFailure > forget) {
    e.failures = 0;
    e.recent.clear();
  }
  if (e.failures == 0 && e.lockedUntil <= now &&
      (e.locks == 0 || now - e.lastFailure > kForgetLocksAfter)) {
    entries_.erase(it);
    return nullptr;
  }
  return &e;
}

std::vector<SignInThrottle::Key> SignInThrottle::keysFor(const std::string& address,
                                                         const std::string& account,
                                                         const Privileged* strict) const {
  std::vector<Key> keys{{addressKey(address), Key::Kind::kAddress}};
  if (strict != nullptr) {
    keys.push_back({"p:" + strict->scope + "|" + address, Key::Kind::kScopedAddress});
  }
  if (account.empty()) {
    return keys;  // an invalid user name counts against the address only
  }
  if (familiar(account, address)) {
    keys.push_back({"s:" + account.substr(2) + "|" + address, Key::Kind::kAccountSource});
  } else {
    keys.push_back({account, Key::Kind::kAccount});
    keys.push_back({"t:" + account.substr(account.rfind('@') + 1), Key::Kind::kTenant});
  }
  return keys;
}

std::chrono::milliseconds SignInThrottle::keyDelay(const Key& k, const Entry& e) const {
  if (k.kind == Key::Kind::kTenant) {
    const auto threshold = tenantOf(k.name).sprayThreshold;
    return e.failures < threshold ? std::chrono::milliseconds(0)
                                  : delayOf(e.failures - threshold + 1);
  }
  return delayOf(e.failures);
}

bool SignInThrottle::lockedNow(const std::string& key, TimePoint now) {
  Entry* e = live(key, now);
  return e != nullptr && e->lockedUntil > now;
}

SignInThrottle::TimePoint SignInThrottle::slotFor(const std::vector<Key>& keys, TimePoint now) {
  TimePoint slot = now;
  for (const auto& k : keys) {
    if (Entry* e = live(k.name, now)) {
      slot = std::max(slot, std::max(now, e->lastSlot) + keyDelay(k, *e));
    }
  }
  return slot;
}

bool SignInThrottle::admits(const std::string& address, const std::string& account,
                            const Privileged* strict) {
  std::lock_guard lock(mu_);
  const TimePoint now = now_();
  const auto keys = keysFor(address, account, strict);
  for (const auto& k : keys) {
    if (lockedNow(k.name, now)) {
      return false;
    }
  }
  return slotFor(keys, now) - now <= policy_.maxWait;
}

std::chrono::seconds SignInThrottle::lockLeft(const std::string& address,
                                              const std::string& account,
                                              const Privileged* strict) {
  std::lock_guard lock(mu_);
  const TimePoint now = now_();
  Clock::duration left{0};
  for (const auto& k : keysFor(address, account, strict)) {
    if (Entry* e = live(k.name, now); e != nullptr && e->lockedUntil > now) {
      left = std::max(left, e->lockedUntil - now);
    }
  }
  // Rounded up: a lock with 300 ms left is still a lock.
  return std::chrono::ceil<std::chrono::seconds>(left);
}

std::optional<SignInThrottle::TimePoint> SignInThrottle::checked(const std::string& address,
                                                                 const std::string& account,
                                                                 Verdict verdict,
                                                                 std::uint64_t attempt,
                                                                 const Privileged* strict) {
  std::vector<LockEvent> events;
  std::optional<TimePoint> answer;
  {
    std::lock_guard lock(mu_);
    const TimePoint now = now_();
    const auto keys = keysFor(address, account, strict);
    bool locked = false;
    for (const auto& k : keys) {
      locked = locked || lockedNow(k.name, now);
    }
    const TimePoint slot = slotFor(keys, now);
    const bool inTime = !locked && slot - now <= policy_.maxWait;
    const TenantLockout tenant = tenantOf(account);
    if (verdict == Verdict::kWrong && !locked) {
      if (entries_.size() + keys.size() > policy_.maxKeys) {
        // Forget the entries no answer is waiting on and no lock holds.
        std::erase_if(entries_, [now](const auto& kv) {
          return kv.second.lastSlot <= now && kv.second.lockedUntil <= now;
        });
      }
      for (const auto& k : keys) {
        live(k.name, now);  // expire old failures first
        Entry& e = entries_[k.name];
        // A repeated wrong secret (a client with an old password) does not count again for the
        // account; an address failing a privileged sign-in counts every time.
        const bool repeated = attempt != 0 && k.kind != Key::Kind::kScopedAddress &&
                              std::find(e.recent.begin(), e.recent.end(), attempt) != e.recent.end();
        if (!repeated) {
          ++e.failures;
          if (attempt != 0) {
            e.recent.push_back(attempt);
            if (e.recent.size() > kRecentSecrets) e.recent.erase(e.recent.begin());
          }
        }
        e.lastFailure = now;
        if (inTime) {
          e.lastSlot = std::max(e.lastSlot, slot);
        }
        LockEvent ev;
        ev.key = k.name;
        // The tenant's spraying count is everyone's: its alert is never left to the console.
        ev.scope = strict != nullptr && k.kind != Key::Kind::kTenant ? strict->scope : std::string();
        ev.source = k.kind == Key::Kind::kAccount || k.kind == Key::Kind::kTenant ? "" : address;
        if (k.kind != Key::Kind::kAddress && k.kind != Key::Kind::kScopedAddress) {
          const std::string jid = account.substr(2);
          const auto at = jid.rfind('@');
          ev.host = jid.substr(at + 1);
          ev.user = k.kind == Key::Kind::kTenant ? "" : jid.substr(0, at);
        }
        if (k.kind == Key::Kind::kTenant) {
          if (!repeated && e.failures == tenant.sprayThreshold) {
            ev.kind = "tenant";
            ev.failures = e.failures;
            ev.until = std::chrono::system_clock::now() + tenant.sprayWindow;
            events.push_back(std::move(ev));
          }
          continue;
        }
        std::uint32_t threshold =
            k.kind == Key::Kind::kAddress ? policy_.addressLockThreshold : tenant.threshold;
        auto lockFor = tenant.lockFor;
        if (strict != nullptr && k.kind != Key::Kind::kAddress) {
          threshold = k.kind == Key::Kind::kScopedAddress ? strict->threshold
                                                          : std::min(threshold, strict->threshold);
          lockFor = k.kind == Key::Kind::kScopedAddress ? strict->lockFor
                                                        : std::max(tenant.lockFor, strict->lockFor);
        }
        if (e.failures < threshold) {
          continue;
        }
        auto duration = std::chrono::duration_cast<Clock::duration>(lockFor);
        for (unsigned i = 0; i < e.locks && duration < kMaxLock; ++i) duration *= 2;
        duration = std::min<Clock::duration>(duration, kMaxLock);
        e.lockedUntil = now + duration;
        ++e.locks;
        ev.kind = k.kind == Key::Kind::kAddress          ? "source"
                  : k.kind == Key::Kind::kScopedAddress ? strict->scope + "-source"
                  : k.kind == Key::Kind::kAccount       ? "account"
                                                        : "account-source";
        ev.failures = e.failures;
        ev.until = std::chrono::system_clock::now() +
                   std::chrono::duration_cast<std::chrono::system_clock::duration>(duration);
        e.failures = 0;
        e.recent.clear();
        events.push_back(std::move(ev));
      }
    } else if (verdict == Verdict::kRight && !locked) {
      for (const auto& k : keys) {
        auto it = entries_.find(k.name);
        if (it == entries_.end()) {
          continue;
        }
        if (k.kind == Key::Kind::kAccount || k.kind == Key::Kind::kAccountSource) {
          entries_.erase(it);  // the account's failures are forgotten
        } else if (inTime && k.kind == Key::Kind::kAddress) {
          it->second.lastSlot = std::max(it->second.lastSlot, slot);
        }
      }
      if (!account.empty()) {
        remember(account, address);
      }
    }
    if (inTime) {
      answer = slot;
    }
  }
  if (lockListener_) {
    for (const auto& ev : events) lockListener_(ev);
  }
  return answer;
}

void SignInThrottle::clearAccount(const std::string& account) {
  std::lock_guard lock(mu_);
  entries_.erase(account);
  const std::string prefix = "s:" + account.substr(2) + "|";
  std::erase_if(entries_, [&](const auto& kv) { return kv.first.starts_with(prefix); });
}

std::size_t SignInThrottle::keepLocks(const std::vector<std::string>& kept) {
  std::lock_guard lock(mu_);
  const TimePoint now = now_();
  std::size_t cleared = 0;
  for (auto& [key, e] : entries_) {
    if (e.lockedUntil > now && std::find(kept.begin(), kept.end(), key) == kept.end()) {
      e = Entry{};
      ++cleared;
    }
  }
  std::erase_if(entries_, [](const auto& kv) {
    return kv.second.failures == 0 && kv.second.locks == 0 &&
           kv.second.lockedUntil == TimePoint{};
  });
  return cleared;
}

void SignInThrottle::restoreLock(const std::string& key, std::chrono::milliseconds left) {
  std::lock_guard lock(mu_);
  const TimePoint now = now_();
  Entry& e = entries_[key];
  e.lockedUntil = now + left;
  e.lastFailure = now;
  e.locks = std::max(e.locks, 1u);
}

bool SignInThrottle::locked(const std::string& key) {
  std::lock_guard lock(mu_);
  return lockedNow(key, now_());
}

bool SignInThrottle::familiar(const std::string& account, const std::string& address) const {
  auto it = familiar_.find(account);
  return it != familiar_.end() &&
         std::find(it->second.begin(), it->second.end(), address) != it->second.end();
}

void SignInThrottle::remember(const std::string& account, const std::string& address) {
  if (familiar_.size() >= policy_.maxFamiliarAccounts && familiar_.count(account) == 0) {
    familiar_.clear();  // bounded; the accounts learn their addresses again
  }
  auto& list = familiar_[account];
  std::erase(list, address);
  list.push_back(address);
  if (list.size() > policy_.familiarPerAccount) {
    list.erase(list.begin());
  }
}

std::chrono::milliseconds SignInThrottle::delayFor(const std::string& key) {
  std::lock_guard lock(mu_);
  Entry* e = live(key, now_());
  if (e == nullptr) {
    return std::chrono::milliseconds(0);
  }
  const Key::Kind kind = key.starts_with("t:") ? Key::Kind::kTenant : Key::Kind::kAccount;
  return keyDelay(Key{key, kind}, *e);
}

std::size_t SignInThrottle::size() {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace rampart::security::throttle
