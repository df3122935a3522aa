#pragma once
// One XMPP client connection: TCP, STARTTLS, SCRAM-SHA-1, bind, optional session, presence.
// TLS is OpenSSL directly on the non-blocking socket (SSL_set_fd) with Asio used only for
// readiness, so that an idle connection costs little memory (no Asio SSL stream buffers;
// SSL_MODE_RELEASE_BUFFERS). Single-threaded: every Conn lives on the one io_context.
#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "scram.h"
#include "xml_stream.h"

namespace loadgen {

namespace asio = boost::asio;
using asio::awaitable;
using Clock = std::chrono::steady_clock;

struct Target {
  asio::ip::tcp::endpoint endpoint;
  std::string domain = "localhost";
  std::string userPrefix = "user";
  std::string passPrefix = "Rb7-load-";
  std::string resource = "lg";
  bool forceSession = false;
  // After sending initial presence, wait for the server to echo it to this resource
  // (RFC 6121 4.2.2) so a login counts only once the server has processed the presence.
  bool waitPresenceEcho = true;
};

// Thrown for protocol-level failures (stream error, SASL failure, unexpected stanza).
struct LoginError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Conn : public std::enable_shared_from_this<Conn> {
 public:
  Conn(asio::io_context& io, SSL_CTX* ctx);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Full login of userN; throws on failure. After it returns the connection is ready.
  awaitable<void> login(const Target& t, unsigned n, ScramCache& cache);
  // Reads stanzas until the stream ends, handing each to the handler (may be empty: discard).
  // Returns normally when the peer closes; throws on errors.
  awaitable<void> pump(std::function<void(Element&)> handler);
  // Queues bytes for sending; a flush coroutine writes them. Returns false (and drops the data)
  // when more than maxQueued bytes are already waiting.
  bool send(std::string_view data, std::size_t maxQueued = SIZE_MAX);
  // Like send() but without writing yet: a batch goes out with one flushNow().
  bool queue(std::string_view data, std::size_t maxQueued = SIZE_MAX);
  // Writes what is queued as far as the socket takes it; the rest in the background.
  void flushNow();
  std::size_t queued() const { return out_.size() - outPos_; }
  // Closes the stream politely (</stream:stream>) without waiting.
  void closeStream();
  // Cancels pending operations; the owning coroutine fails with operation_aborted.
  void abort();
  // Frees the XML parser: for connections that will only idle.
  void releaseParser() { xml_.release(); }
  bool alive() const { return alive_; }
  const std::string& jid() const { return jid_; }
  unsigned iterations() const { return iterations_; }
  // Which login step the connection is in (for error reports): "connect", "starttls", ...
  const char* stage() const { return stage_; }
  std::string peerCertSha256() const;

  Clock::time_point deadline{Clock::time_point::max()};

 private:
  awaitable<std::size_t> readSome();
  awaitable<Element> next();
  awaitable<void> writePlain(std::string data);
  awaitable<void> handshake();
  awaitable<void> flush();
  void openStream();

  asio::ip::tcp::socket sock_;
  SSL_CTX* ctx_;
  SSL* ssl_ = nullptr;
  XmlStream xml_;
  std::string out_;
  std::size_t outPos_ = 0;
  bool writing_ = false;
  bool aborted_ = false;
  bool alive_ = false;
  std::string jid_;
  unsigned iterations_ = 0;
  const char* stage_ = "connect";
};

// SSL_CTX for clients: TLS 1.2+, no certificate verification (self-signed bench certificate;
// its fingerprint is reported instead), no session resumption, buffers released when idle.
SSL_CTX* makeClientContext();

}  // namespace loadgen
