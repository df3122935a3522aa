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
  if (e.pending == 0 && e.failures > 0 && now - e.lastFailure > policy_.forgetAfter) {
    entries_.erase(it);
    return nullptr;
  }
  return &e;
}

std::optional<SignInThrottle::Reservation> SignInThrottle::reserve(const std::string& address,
                                                                   const std::string& account) {
  // keys[0] is the address; keys[1], when present, the account.
  std::vector<std::string> keys{addressKey(address)};
  std::lock_guard lock(mu_);
  if (!account.empty() && !familiar(account, address)) {
    keys.push_back(account);
  }
  const TimePoint now = now_();
  TimePoint slot = now;
  for (const auto& k : keys) {
    if (Entry* e = live(k, now)) {
      // Attempts still waiting count as one more failure (whatever their number, so that a
      // crowd of honest users behind one address after a typo waits in line but is not
      // refused): a burst of parallel guesses is spaced before any of them is answered.
      const unsigned n = e->failures + (e->pending > 0 ? 1 : 0);
      if (n > 0) {
        slot = std::max(slot, std::max(now, e->lastSlot) + delayOf(n));
      }
    }
  }
  if (slot - now > policy_.maxWait) {
    return std::nullopt;
  }
  if (entries_.size() + keys.size() > policy_.maxKeys) {
    // Forget the idle entries; those with attempts in flight stay.
    std::erase_if(entries_, [](const auto& kv) { return kv.second.pending == 0; });
  }
  for (const auto& k : keys) {
    Entry& e = entries_[k];
    ++e.pending;
    e.lastSlot = std::max(e.lastSlot, slot);
  }
  Reservation r;
  r.owner_ = this;
  r.keys_ = std::move(keys);
  r.address_ = address;
  r.account_ = account;
  r.answerAt_ = slot;
  return r;
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

void SignInThrottle::resolve(Reservation& r, int outcome) {
  std::lock_guard lock(mu_);
  const TimePoint now = now_();
  for (std::size_t i = 0; i < r.keys_.size(); ++i) {
    auto it = entries_.find(r.keys_[i]);
    if (it == entries_.end()) {
      continue;
    }
    Entry& e = it->second;
    if (e.pending > 0) {
      --e.pending;
    }
    if (outcome == 0) {
      ++e.failures;
      e.lastFailure = now;
    } else if (outcome == 1 && i > 0) {  // the account's key
      e.failures = 0;
    }
    if (e.pending == 0 && e.failures == 0) {
      entries_.erase(it);
    }
  }
  if (outcome == 1 && !r.account_.empty()) {
    remember(r.account_, r.address_);
  }
  r.owner_ = nullptr;
}

std::chrono::milliseconds SignInThrottle::delayFor(const std::string& key) {
  std::lock_guard lock(mu_);
  Entry* e = live(key, now_());
  return e ? delayOf(e->failures + (e->pending > 0 ? 1 : 0)) : std::chrono::milliseconds(0);
}

std::size_t SignInThrottle::size() {
  std::lock_guard lock(mu_);
  return entries_.size();
}

SignInThrottle::Reservation::Reservation(Reservation&& o) noexcept
    : owner_(o.owner_),
      keys_(std::move(o.keys_)),
      address_(std::move(o.address_)),
      account_(std::move(o.account_)),
      answerAt_(o.answerAt_) {
  o.owner_ = nullptr;
}

SignInThrottle::Reservation& SignInThrottle::Reservation::operator=(Reservation&& o) noexcept {
  if (this != &o) {
    if (owner_ != nullptr) {
      owner_->resolve(*this, -1);
    }
    owner_ = o.owner_;
    keys_ = std::move(o.keys_);
    address_ = std::move(o.address_);
    account_ = std::move(o.account_);
    answerAt_ = o.answerAt_;
    o.owner_ = nullptr;
  }
  return *this;
}

SignInThrottle::Reservation::~Reservation() {
  if (owner_ != nullptr) {
    owner_->resolve(*this, -1);
  }
}

void SignInThrottle::Reservation::failed() {
  if (owner_ != nullptr) {
    owner_->resolve(*this, 0);
  }
}

void SignInThrottle::Reservation::succeeded() {
  if (owner_ != nullptr) {
    owner_->resolve(*this, 1);
  }
}

}  // namespace rampart::security::throttle
