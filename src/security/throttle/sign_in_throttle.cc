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

SignInThrottle::Entry* SignInThrottle::live(const std::string& key, TimePoint now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    return nullptr;
  }
  Entry& e = it->second;
  if (e.failures == 0 || now - e.lastFailure > policy_.forgetAfter) {
    entries_.erase(it);
    return nullptr;
  }
  return &e;
}

std::vector<std::string> SignInThrottle::keysOf(const std::string& address,
                                                const std::string& account) const {
  // keys[0] is the address; keys[1], when present, the account.
  std::vector<std::string> keys{addressKey(address)};
  if (!account.empty() && !familiar(account, address)) {
    keys.push_back(account);
  }
  return keys;
}

SignInThrottle::TimePoint SignInThrottle::slotFor(const std::vector<std::string>& keys,
                                                  TimePoint now) {
  TimePoint slot = now;
  for (const auto& k : keys) {
    if (Entry* e = live(k, now)) {
      slot = std::max(slot, std::max(now, e->lastSlot) + delayOf(e->failures));
    }
  }
  return slot;
}

bool SignInThrottle::admits(const std::string& address, const std::string& account) {
  std::lock_guard lock(mu_);
  const TimePoint now = now_();
  return slotFor(keysOf(address, account), now) - now <= policy_.maxWait;
}

std::optional<SignInThrottle::TimePoint> SignInThrottle::checked(const std::string& address,
                                                                 const std::string& account,
                                                                 Verdict verdict) {
  std::lock_guard lock(mu_);
  const TimePoint now = now_();
  const auto keys = keysOf(address, account);
  const TimePoint slot = slotFor(keys, now);
  const bool inTime = slot - now <= policy_.maxWait;
  if (verdict == Verdict::kWrong) {
    if (entries_.size() + keys.size() > policy_.maxKeys) {
      // Forget the entries no answer is waiting on.
      std::erase_if(entries_, [now](const auto& kv) { return kv.second.lastSlot <= now; });
    }
    for (const auto& k : keys) {
      Entry& e = entries_[k];
      ++e.failures;
      e.lastFailure = now;
      if (inTime) {
        e.lastSlot = std::max(e.lastSlot, slot);
      }
    }
  } else {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      auto it = entries_.find(keys[i]);
      if (it == entries_.end()) {
        continue;
      }
      if (i > 0) {
        entries_.erase(it);  // the account's failures are forgotten
      } else if (inTime) {
        it->second.lastSlot = std::max(it->second.lastSlot, slot);
      }
    }
    if (!account.empty()) {
      remember(account, address);
    }
  }
  if (!inTime) {
    return std::nullopt;
  }
  return slot;
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
  return e ? delayOf(e->failures) : std::chrono::milliseconds(0);
}

std::size_t SignInThrottle::size() {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace rampart::security::throttle
