#include "net/listener.h"

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <memory>

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
          acceptNext(i);
          return;
        }
        // Out of descriptors (EMFILE, ENFILE) or memory: the pending connection stays in the
        // backlog and accept would fail again at once. Pause briefly, then accept again, so
        // the listener recovers as soon as descriptors are freed and never spins.
        const auto now = std::chrono::steady_clock::now();
        if (now - lastWarning_ > std::chrono::seconds(10)) {
          lastWarning_ = now;
          spdlog::warn("event=accept_failed port={} reason=\"{}\" retry_ms=100", port_,
                       ec.message());
        }
        auto timer = std::make_shared<asio::steady_timer>(acceptors_[i]->get_executor(),
                                                          std::chrono::milliseconds(100));
        timer->async_wait([this, i, timer](boost::system::error_code tec) {
          if (!tec && acceptors_[i]->is_open()) {
            acceptNext(i);
          }
        });
      });
}

}  // namespace rampart::net
