#pragma once
// HTTPS listener (Boost.Beast over the server's TLS contexts), serving the routes registered
// in an http::Router on the network threads. One session per connection, HTTP/1.1 keep-alive.
#include <boost/asio/ip/tcp.hpp>

#include "core/workers.h"
#include "net/tls.h"
#include "rampart/http/router.h"

namespace rampart::http {

// Starts serving one accepted connection; the connection keeps itself alive.
void serveHttps(boost::asio::ip::tcp::socket socket, net::TlsContexts& tls, const Router& router);

}  // namespace rampart::http
