#include "net/tls_stream.h"

#include <openssl/err.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace rampart::net {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

error_code sslError(int code) {
  if (code == SSL_ERROR_ZERO_RETURN) {
    return asio::error::eof;
  }
  ERR_clear_error();
  return asio::error::connection_reset;
}
}  // namespace

TlsStream::TlsStream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
  error_code ec;
  socket_.non_blocking(true, ec);
}

TlsStream::~TlsStream() {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
  }
}

asio::awaitable<error_code> TlsStream::handshake(SSL_CTX* ctx) {
  ssl_ = SSL_new(ctx);
  if (ssl_ == nullptr) {
    co_return asio::error::no_memory;
  }
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                         SSL_MODE_RELEASE_BUFFERS);
  SSL_set_fd(ssl_, socket_.native_handle());
  SSL_set_accept_state(ssl_);
  for (;;) {
    ERR_clear_error();
    int r = SSL_do_handshake(ssl_);
    if (r == 1) {
      handshaken_ = true;
      co_return error_code();
    }
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      auto [ec] = co_await socket_.async_wait(
          e == SSL_ERROR_WANT_READ ? asio::socket_base::wait_read : asio::socket_base::wait_write,
          kUseTuple);
      if (ec) {
        co_return ec;
      }
      continue;
    }
    co_return sslError(e);
  }
}

asio::awaitable<std::pair<error_code, std::size_t>> TlsStream::readSome(char* buf,
                                                                        std::size_t len) {
  for (;;) {
    if (ssl_ != nullptr && handshaken_) {
      ERR_clear_error();
      int r = SSL_read(ssl_, buf, static_cast<int>(len));
      if (r > 0) {
        co_return std::pair{error_code(), static_cast<std::size_t>(r)};
      }
      int e = SSL_get_error(ssl_, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        co_return std::pair{sslError(e), std::size_t{0}};
      }
      auto [ec] = co_await socket_.async_wait(
          e == SSL_ERROR_WANT_READ ? asio::socket_base::wait_read : asio::socket_base::wait_write,
          kUseTuple);
      if (ec) {
        co_return std::pair{ec, std::size_t{0}};
      }
      continue;
    }
    error_code ec;
    std::size_t n = socket_.read_some(asio::buffer(buf, len), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      auto [wec] = co_await socket_.async_wait(asio::socket_base::wait_read, kUseTuple);
      if (wec) {
        co_return std::pair{wec, std::size_t{0}};
      }
      continue;
    }
    co_return std::pair{ec, n};
  }
}

TlsStream::ReadResult TlsStream::readNow(char* buf, std::size_t len) {
  ReadResult r;
  if (ssl_ != nullptr && handshaken_) {
    ERR_clear_error();
    int got = SSL_read(ssl_, buf, static_cast<int>(len));
    if (got > 0) {
      r.n = static_cast<std::size_t>(got);
      return r;
    }
    int e = SSL_get_error(ssl_, got);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      r.mustWait = true;
      r.wait = e == SSL_ERROR_WANT_READ ? asio::socket_base::wait_read
                                        : asio::socket_base::wait_write;
      return r;
    }
    r.ec = sslError(e);
    return r;
  }
  r.n = socket_.read_some(asio::buffer(buf, len), r.ec);
  if (r.ec == asio::error::would_block || r.ec == asio::error::try_again) {
    r.ec = {};
    r.mustWait = true;
  }
  return r;
}

void TlsStream::asyncWriteAll(const std::string& data,
                              std::function<void(error_code)> done) {
  writeStep(data, 0, std::move(done));
}

void TlsStream::writeStep(const std::string& data, std::size_t offset,
                          std::function<void(error_code)> done) {
  while (offset < data.size()) {
    const char* p = data.data() + offset;
    const std::size_t left = data.size() - offset;
    asio::socket_base::wait_type wait = asio::socket_base::wait_write;
    if (ssl_ != nullptr && handshaken_) {
      ERR_clear_error();
      int r = SSL_write(ssl_, p, static_cast<int>(std::min<std::size_t>(left, 1 << 30)));
      if (r > 0) {
        offset += static_cast<std::size_t>(r);
        continue;
      }
      int e = SSL_get_error(ssl_, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        done(sslError(e));
        return;
      }
      if (e == SSL_ERROR_WANT_READ) {
        wait = asio::socket_base::wait_read;
      }
    } else {
      error_code ec;
      std::size_t n = socket_.write_some(asio::buffer(p, left), ec);
      if (!ec) {
        offset += n;
        continue;
      }
      if (ec != asio::error::would_block && ec != asio::error::try_again) {
        done(ec);
        return;
      }
    }
    socket_.async_wait(wait, [this, &data, offset, done = std::move(done)](error_code ec) mutable {
      if (ec) {
        done(ec);
        return;
      }
      writeStep(data, offset, std::move(done));
    });
    return;
  }
  done(error_code());
}

void TlsStream::shutdownSend() {
  if (shutdownSent_) {
    return;
  }
  shutdownSent_ = true;
  if (ssl_ != nullptr && handshaken_) {
    SSL_shutdown(ssl_);  // close_notify; the socket is non-blocking, so this never waits
    ERR_clear_error();
  }
  error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}

void TlsStream::close() {
  if (!socket_.is_open()) {
    return;
  }
  shutdownSend();
  error_code ec;
  socket_.close(ec);
}

}  // namespace rampart::net
