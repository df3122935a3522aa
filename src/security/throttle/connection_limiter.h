#pragma once
// Caps the client connections that have not finished negotiating (TLS, stream, SASL, bind):
// per client address (IPv6 by /64, since one host usually holds a whole /64) and in total, so
// that one host cannot hold every file descriptor with connections that never sign in.
// Thread-safe: admit() on any thread; a Ticket is released on whichever thread drops it.

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

namespace rampart::security::throttle {

class ConnectionLimiter {
 public:
  enum class Verdict { kAdmitted, kAddressFull, kTotalFull };

  // A connection's place among the negotiating ones. Move-only; released on destruction.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& o) noexcept : owner_(o.owner_), key_(std::move(o.key_)) { o.owner_ = nullptr; }
    Ticket& operator=(Ticket&& o) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { release(); }
    void release();
    bool held() const { return owner_ != nullptr; }

   private:
    friend class ConnectionLimiter;
    ConnectionLimiter* owner_ = nullptr;
    std::string key_;
  };

  ConnectionLimiter(std::size_t perAddress, std::size_t total)
      : perAddress_(perAddress), total_(total) {}

  // The key connections are counted under: the address itself, or its /64 for IPv6.
  static std::string addressKey(const boost::asio::ip::address& a);
  // The same for an address in text (HTTP peers); text that is no address is its own key.
  static std::string addressKey(const std::string& text);

  // On kAdmitted the ticket is held; otherwise it is empty.
  Verdict admit(const std::string& key, Ticket& ticket);
  std::size_t negotiating() const { return count_.load(std::memory_order_relaxed); }

 private:
  void release(const std::string& key);
  const std::size_t perAddress_;
  const std::size_t total_;
  std::atomic<std::size_t> count_{0};
  std::mutex mu_;
  std::unordered_map<std::string, std::size_t> byAddress_;  // guarded by mu_
};

}  // namespace rampart::security::throttle
