#include "security/throttle/connection_limiter.h"

namespace rampart::security::throttle {

std::string ConnectionLimiter::addressKey(const boost::asio::ip::address& a) {
  if (a.is_v6() && !a.to_v6().is_v4_mapped()) {
    auto bytes = a.to_v6().to_bytes();
    for (std::size_t i = 8; i < bytes.size(); ++i) {
      bytes[i] = 0;
    }
    return boost::asio::ip::address_v6(bytes).to_string() + "/64";
  }
  if (a.is_v6()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

std::string ConnectionLimiter::addressKey(const std::string& text) {
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(text, ec);
  return ec ? text : addressKey(a);
}

ConnectionLimiter::Verdict ConnectionLimiter::admit(const std::string& key, Ticket& ticket) {
  std::lock_guard lock(mu_);
  if (count_.load(std::memory_order_relaxed) >= total_) {
    return Verdict::kTotalFull;
  }
  std::size_t& n = byAddress_[key];
  if (n >= perAddress_) {
    return Verdict::kAddressFull;
  }
  ++n;
  count_.fetch_add(1, std::memory_order_relaxed);
  ticket.release();
  ticket.owner_ = this;
  ticket.key_ = key;
  return Verdict::kAdmitted;
}

void ConnectionLimiter::release(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = byAddress_.find(key);
  if (it != byAddress_.end() && --it->second == 0) {
    byAddress_.erase(it);
  }
  count_.fetch_sub(1, std::memory_order_relaxed);
}

ConnectionLimiter::Ticket& ConnectionLimiter::Ticket::operator=(Ticket&& o) noexcept {
  if (this != &o) {
    release();
    owner_ = o.owner_;
    key_ = std::move(o.key_);
    o.owner_ = nullptr;
  }
  return *this;
}

void ConnectionLimiter::Ticket::release() {
  if (owner_ != nullptr) {
    owner_->release(key_);
    owner_ = nullptr;
  }
}

}  // namespace rampart::security::throttle
