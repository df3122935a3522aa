#pragma once
// RFC 7395 transport: XMPP over a WebSocket (Boost.Beast) on the HTTPS listener's TLS. One
// XML element per text message. Used by one C2SConnection on its network thread only.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::net {

inline constexpr std::string_view kNsFraming = "urn:ietf:params:xml:ns:xmpp-framing";

class WsTransport {
 public:
  using Stream =
      boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

  WsTransport(std::unique_ptr<Stream> ws, std::string peer);
  WsTransport(const WsTransport&) = delete;
  WsTransport& operator=(const WsTransport&) = delete;

  boost::asio::any_io_executor executor() { return ws_->get_executor(); }
  SSL* ssl() { return ws_->next_layer().native_handle(); }
  const std::string& peer() const { return peer_; }
  bool isOpen() const { return open_; }

  // The next message's text; valid until the next read. Binary messages are an error.
  boost::asio::awaitable<std::pair<boost::system::error_code, std::string_view>> read();

  // Sends data[frames[i-1], frames[i]) as one text message each, in order, then calls done.
  // `data` and `frames` must stay unchanged until then.
  void write(const std::string& data, const std::vector<std::size_t>& frames,
             std::function<void(boost::system::error_code)> done);

  // WebSocket close handshake, then the TCP connection is closed; `done` runs after that
  // (it should keep the owner alive). Idempotent: a second call only runs `done`.
  void close(std::function<void()> done);

 private:
  void writeFrom(const std::string& data, const std::vector<std::size_t>& frames, std::size_t i,
                 std::function<void(boost::system::error_code)> done);

  std::unique_ptr<Stream> ws_;
  std::string peer_;
  boost::beast::flat_buffer buffer_;
  bool open_ = true;
  bool closing_ = false;
};

}  // namespace rampart::net
