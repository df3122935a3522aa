#pragma once
// Accepts TCP connections and hands each to a network thread (round robin), where it stays.
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "core/workers.h"

namespace rampart::net {

class Listener {
 public:
  using OnAccept = std::function<void(boost::asio::ip::tcp::socket)>;
  // Binds every address on port (0 picks one); throws ConfigError when binding fails.
  Listener(core::Workers& workers, const std::vector<std::string>& addresses, std::uint16_t port,
           OnAccept onAccept);
  void start();
  void stop();
  std::uint16_t port() const { return port_; }

 private:
  void acceptNext(std::size_t i);
  core::Workers& workers_;
  OnAccept onAccept_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::uint16_t port_ = 0;
  std::chrono::steady_clock::time_point lastWarning_{};  // touched on workers_.at(0) only
};

}  // namespace rampart::net
