#include "net/listener.h"

#include <spdlog/spdlog.h>

#include "core/config.h"

namespace rampart::net {
namespace asio = boost::asio;

Listener::Listener(core::Workers& workers, const std::vector<std::string>& addresses,
                   std::uint16_t port, OnAccept onAccept)
    : workers_(workers), onAccept_(std::move(onAccept)), port_(port) {
  for (const auto& a : addresses) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(a, ec);
    if (ec) {
      throw core::ConfigError("listen address \"" + a + "\" is not an IP address");
    }
    auto acc = std::make_unique<asio::ip::tcp::acceptor>(workers_.at(0));
    asio::ip::tcp::endpoint ep(addr, port_);
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw core::ConfigError("cannot listen on " + a + ":" + std::to_string(port_) + ": " +
                              ec.message());
    }
    port_ = acc->local_endpoint().port();  // later addresses share the port picked for 0
    acceptors_.push_back(std::move(acc));
  }
}

void Listener::start() {
  for (std::size_t i = 0; i < acceptors_.size(); ++i) {
    acceptNext(i);
  }
}

void Listener::stop() {
  for (auto& a : acceptors_) {
    boost::system::error_code ec;
    a->close(ec);
  }
}

void Listener::acceptNext(std::size_t i) {
  acceptors_[i]->async_accept(
      workers_.next(), [this, i](boost::system::error_code ec, asio::ip::tcp::socket s) {
        if (ec == asio::error::operation_aborted || !acceptors_[i]->is_open()) {
          return;
        }
        if (!ec) {
          boost::system::error_code ignored;
          s.set_option(asio::ip::tcp::no_delay(true), ignored);
          onAccept_(std::move(s));
        } else {
          spdlog::warn("event=accept_failed reason=\"{}\"", ec.message());
        }
        acceptNext(i);
      });
}

}  // namespace rampart::net
