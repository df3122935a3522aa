#pragma once
// A TCP socket that can switch to TLS (STARTTLS) and lets OpenSSL read and write the socket
// directly in non-blocking mode, waiting with the reactor when OpenSSL asks to. Unlike
// boost::asio::ssl::stream it keeps no per-connection record buffers (asio's costs ~70 KiB),
// and with SSL_MODE_RELEASE_BUFFERS an idle connection holds almost nothing.
// Not thread-safe: used from the connection's own network thread only.

#include <openssl/ssl.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <string>

namespace rampart::net {

class TlsStream {
 public:
  explicit TlsStream(boost::asio::ip::tcp::socket socket);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  boost::asio::ip::tcp::socket& socket() { return socket_; }
  boost::asio::any_io_executor executor() { return socket_.get_executor(); }
  SSL* ssl() const { return ssl_; }
  bool isTls() const { return ssl_ != nullptr && handshaken_; }

  // Server-side TLS handshake on the socket (after <proceed/> or at once for direct TLS).
  boost::asio::awaitable<boost::system::error_code> handshake(SSL_CTX* ctx);

  // Waits until bytes arrive and reads up to len of them (plaintext or decrypted). No buffer
  // is held while waiting. Returns 0 bytes with an error at end of stream.
  boost::asio::awaitable<std::pair<boost::system::error_code, std::size_t>> readSome(
      char* buf, std::size_t len);

  // Non-blocking read for callback-driven loops: n > 0 bytes, or `wait` set to the readiness
  // OpenSSL needs before trying again, or an error (end of stream included).
  struct ReadResult {
    boost::system::error_code ec;
    std::size_t n = 0;
    bool mustWait = false;
    boost::asio::socket_base::wait_type wait = boost::asio::socket_base::wait_read;
  };
  ReadResult readNow(char* buf, std::size_t len);

  // Writes all of data (which must stay unchanged until done runs) and then calls done.
  void asyncWriteAll(const std::string& data, std::function<void(boost::system::error_code)> done);

  // Sends close_notify (once, best effort) and a TCP FIN; reading stays possible.
  void shutdownSend();
  // Closes the socket (idempotent); pending operations end with errors.
  void close();
  bool isOpen() const { return socket_.is_open(); }

 private:
  void writeStep(const std::string& data, std::size_t offset,
                 std::function<void(boost::system::error_code)> done);

  boost::asio::ip::tcp::socket socket_;
  SSL* ssl_ = nullptr;
  bool handshaken_ = false;
  bool shutdownSent_ = false;
};

}  // namespace rampart::net
