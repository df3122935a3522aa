#pragma once
// HTTPS listener (Boost.Beast over the server's TLS contexts), serving the routes registered
// in an http::Router on the network threads. One session per connection, HTTP/1.1 keep-alive.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/refusal_log.h"
#include "core/workers.h"
#include "net/tls.h"
#include "rampart/http/router.h"

namespace rampart::http {

using WebSocketStream = boost::beast::websocket::stream<
    boost::beast::ssl_stream<boost::beast::tcp_stream>>;

// A path where GET with "Upgrade: websocket" and the given subprotocol becomes a WebSocket;
// the handler takes over the accepted stream (handshake done). Fixed at start-up.
struct WebSocketRoute {
  std::string path;
  std::string subprotocol;
  std::size_t maxMessageBytes = 0;
  std::function<void(std::unique_ptr<WebSocketStream>, std::string peer)> handler;
};

// Deadlines that keep slow clients from holding connections: the TLS handshake and each
// request's header must arrive within `headerTimeout`; a body within `bodyGrace` plus its
// length at `minBodyRate` bytes per second.
struct HttpsOptions {
  std::chrono::seconds headerTimeout{30};
  std::size_t minBodyRate = 8192;
  std::chrono::seconds bodyGrace{10};
  core::RefusalLog* refusals = nullptr;  // may be null (tests)
};

// Starts serving one accepted connection; the connection keeps itself alive. `websockets`
// and `options` must outlive every connection.
void serveHttps(boost::asio::ip::tcp::socket socket, net::TlsContexts& tls, const Router& router,
                const std::vector<WebSocketRoute>& websockets, const HttpsOptions& options);

}  // namespace rampart::http
