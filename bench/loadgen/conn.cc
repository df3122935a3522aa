#include "conn.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <array>
#include <cstring>

namespace loadgen {
namespace {

// One scratch buffer for every read: the loop is single-threaded and each read is parsed
// before the next await.
std::array<char, 64 * 1024> gReadBuf;

std::string openSslError(const char* what) {
  unsigned long e = ERR_get_error();
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return std::string(what) + ": " + buf;
}

std::string conditionOf(const Element& e) {
  for (const auto& c : e.children) {
    if (c.name != "text") {
      return c.name;
    }
  }
  return "unknown";
}

}  // namespace

SSL_CTX* makeClientContext() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

Conn::Conn(asio::io_context& io, SSL_CTX* ctx) : sock_(io), ctx_(ctx) {}

Conn::~Conn() {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
  }
}

void Conn::abort() {
  aborted_ = true;
  boost::system::error_code ec;
  sock_.cancel(ec);
}

std::string Conn::peerCertSha256() const {
  if (ssl_ == nullptr) {
    return {};
  }
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) {
    return {};
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert, EVP_sha256(), md, &len);
  X509_free(cert);
  std::string out;
  char hex[4];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(hex, sizeof hex, i ? ":%02X" : "%02X", md[i]);
    out += hex;
  }
  return out;
}

awaitable<std::size_t> Conn::readSome() {
  for (;;) {
    if (aborted_) {
      throw boost::system::system_error(asio::error::operation_aborted);
    }
    if (ssl_ != nullptr) {
      ERR_clear_error();
      int n = SSL_read(ssl_, gReadBuf.data(), static_cast<int>(gReadBuf.size()));
      if (n > 0) {
        co_return static_cast<std::size_t>(n);
      }
      int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_WANT_READ) {
        co_await sock_.async_wait(asio::socket_base::wait_read, asio::use_awaitable);
      } else if (err == SSL_ERROR_WANT_WRITE) {
        co_await sock_.async_wait(asio::socket_base::wait_write, asio::use_awaitable);
      } else if (err == SSL_ERROR_ZERO_RETURN) {
        co_return 0;
      } else if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        co_return 0;  // peer closed without close_notify
      } else {
        throw LoginError(openSslError("TLS read"));
      }
    } else {
      boost::system::error_code ec;
      std::size_t n = sock_.read_some(asio::buffer(gReadBuf), ec);
      if (!ec) {
        co_return n;
      }
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        co_await sock_.async_wait(asio::socket_base::wait_read, asio::use_awaitable);
      } else if (ec == asio::error::eof) {
        co_return 0;
      } else {
        throw boost::system::system_error(ec);
      }
    }
  }
}

awaitable<Element> Conn::next() {
  while (!xml_.hasStanza()) {
    if (xml_.closed()) {
      throw LoginError("server closed the stream");
    }
    std::size_t n = co_await readSome();
    if (n == 0) {
      throw LoginError("connection closed by server");
    }
    if (!xml_.feed(gReadBuf.data(), n)) {
      throw LoginError("XML error from server: " + xml_.error());
    }
  }
  Element e = xml_.pop();
  if (e.is(kNsStream, "error")) {
    throw LoginError("stream error: " + conditionOf(e));
  }
  co_return e;
}

awaitable<void> Conn::writePlain(std::string data) {
  co_await asio::async_write(sock_, asio::buffer(data), asio::use_awaitable);
}

bool Conn::queue(std::string_view data, std::size_t maxQueued) {
  if (!alive_ || queued() > maxQueued) {
    return false;
  }
  out_.append(data);
  return true;
}

bool Conn::send(std::string_view data, std::size_t maxQueued) {
  if (!queue(data, maxQueued)) {
    return false;
  }
  flushNow();
  return true;
}

void Conn::flushNow() {
  if (writing_ || !alive_) {
    return;
  }
  while (outPos_ < out_.size()) {
    ERR_clear_error();
    std::size_t len = std::min<std::size_t>(out_.size() - outPos_, 256 * 1024);
    int n = SSL_write(ssl_, out_.data() + outPos_, static_cast<int>(len));
    if (n > 0) {
      outPos_ += static_cast<std::size_t>(n);
      continue;
    }
    int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
      // The socket is full: finish in a coroutine that waits for it.
      writing_ = true;
      asio::co_spawn(sock_.get_executor(),
                     [self = shared_from_this()]() { return self->flush(); }, asio::detached);
      return;
    }
    alive_ = false;
    return;
  }
  out_.clear();  // keeps its capacity for the next batch
  outPos_ = 0;
}

awaitable<void> Conn::flush() {
  try {
    while (outPos_ < out_.size()) {
      if (aborted_) {
        break;
      }
      ERR_clear_error();
      std::size_t len = std::min<std::size_t>(out_.size() - outPos_, 256 * 1024);
      int n = SSL_write(ssl_, out_.data() + outPos_, static_cast<int>(len));
      if (n > 0) {
        outPos_ += static_cast<std::size_t>(n);
        if (outPos_ == out_.size()) {
          out_.clear();
          outPos_ = 0;
        } else if (outPos_ > 1024 * 1024) {
          // ACCEPT_MOVING_WRITE_BUFFER lets the pending data move; keep the buffer bounded.
          out_.erase(0, outPos_);
          outPos_ = 0;
        }
        continue;
      }
      int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_WANT_WRITE) {
        co_await sock_.async_wait(asio::socket_base::wait_write, asio::use_awaitable);
      } else if (err == SSL_ERROR_WANT_READ) {
        co_await sock_.async_wait(asio::socket_base::wait_read, asio::use_awaitable);
      } else {
        alive_ = false;
        break;
      }
    }
  } catch (const std::exception&) {
    alive_ = false;
  }
  if (outPos_ >= out_.size()) {
    out_.clear();
    out_.shrink_to_fit();
    outPos_ = 0;
  }
  writing_ = false;
}

awaitable<void> Conn::handshake() {
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, sock_.native_handle());
  SSL_set_tlsext_host_name(ssl_, "localhost");
  for (;;) {
    if (aborted_) {
      throw boost::system::system_error(asio::error::operation_aborted);
    }
    ERR_clear_error();
    int r = SSL_connect(ssl_);
    if (r == 1) {
      co_return;
    }
    int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ) {
      co_await sock_.async_wait(asio::socket_base::wait_read, asio::use_awaitable);
    } else if (err == SSL_ERROR_WANT_WRITE) {
      co_await sock_.async_wait(asio::socket_base::wait_write, asio::use_awaitable);
    } else {
      throw LoginError(openSslError("TLS handshake"));
    }
  }
}

void Conn::openStream() {
  xml_.reset();
}

namespace {
std::string streamHeader(const std::string& domain) {
  return "<?xml version='1.0'?><stream:stream to='" + domain +
         "' version='1.0' xml:lang='en' xmlns='jabber:client' "
         "xmlns:stream='http://etherx.jabber.org/streams'>";
}
}  // namespace

awaitable<void> Conn::login(const Target& t, unsigned n, ScramCache& cache) {
  const std::string user = t.userPrefix + std::to_string(n);
  const std::string pass = t.passPrefix + std::to_string(n);
  stage_ = "connect";
  co_await sock_.async_connect(t.endpoint, asio::use_awaitable);
  stage_ = "stream";
  sock_.set_option(asio::ip::tcp::no_delay(true));
  sock_.non_blocking(true);

  // Plaintext stream: only STARTTLS is allowed here.
  co_await writePlain(streamHeader(t.domain));
  Element features = co_await next();
  if (!features.is(kNsStream, "features") || features.child("starttls") == nullptr) {
    throw LoginError("no STARTTLS offered");
  }
  stage_ = "starttls";
  co_await writePlain("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  Element proceed = co_await next();
  if (!proceed.is(kNsTls, "proceed")) {
    throw LoginError("STARTTLS refused");
  }
  stage_ = "tls-handshake";
  co_await handshake();
  alive_ = true;
  stage_ = "tls-stream";

  openStream();
  send(streamHeader(t.domain));
  features = co_await next();
  const Element* mechs = features.child("mechanisms");
  bool haveScram = false;
  if (mechs != nullptr) {
    for (const auto& m : mechs->children) {
      haveScram = haveScram || m.text == "SCRAM-SHA-1";
    }
  }
  if (!haveScram) {
    throw LoginError("SCRAM-SHA-1 not offered after STARTTLS");
  }
  stage_ = "sasl";
  ScramSha1Client scram(user, pass);
  send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>" +
       base64Encode(scram.first()) + "</auth>");
  Element challenge = co_await next();
  if (!challenge.is(kNsSasl, "challenge")) {
    throw LoginError("SASL " + challenge.name + ": " + conditionOf(challenge));
  }
  auto serverFirst = base64Decode(challenge.text);
  if (!serverFirst) {
    throw LoginError("bad base64 in SASL challenge");
  }
  auto clientFinal = scram.final(*serverFirst, cache);
  if (!clientFinal) {
    throw LoginError("unusable SCRAM server-first-message");
  }
  iterations_ = scram.iterations();
  send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + base64Encode(*clientFinal) +
       "</response>");
  Element outcome = co_await next();
  if (outcome.is(kNsSasl, "challenge")) {
    // Older servers carry the server-final-message in a challenge and want an empty response.
    auto sf = base64Decode(outcome.text);
    if (!sf || !scram.verifyServer(*sf)) {
      throw LoginError("server signature mismatch");
    }
    send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    outcome = co_await next();
  } else if (outcome.is(kNsSasl, "success")) {
    auto sf = base64Decode(outcome.text);
    if (!sf || !scram.verifyServer(*sf)) {
      throw LoginError("server signature mismatch");
    }
  }
  if (!outcome.is(kNsSasl, "success")) {
    throw LoginError("SASL " + outcome.name + ": " + conditionOf(outcome));
  }

  stage_ = "restart";
  openStream();
  send(streamHeader(t.domain));
  features = co_await next();
  stage_ = "bind";
  if (features.child("bind") == nullptr) {
    throw LoginError("no resource binding offered");
  }
  const Element* session = features.child("session");
  bool needSession = t.forceSession ||
                     (session != nullptr && session->child("optional") == nullptr);
  send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" +
       t.resource + "</resource></bind></iq>");
  Element bound = co_await next();
  const Element* bind = bound.child("bind");
  const Element* jid = bind != nullptr ? bind->child("jid") : nullptr;
  if (bound.attr("type") != "result" || jid == nullptr) {
    throw LoginError("bind failed: " + conditionOf(bound));
  }
  jid_ = jid->text;
  if (needSession) {
    stage_ = "session";
    send("<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
    for (;;) {
      Element r = co_await next();
      if (r.name == "iq" && r.attr("id") == "s1") {
        if (r.attr("type") != "result") {
          throw LoginError("session failed");
        }
        break;
      }
    }
  }
  stage_ = "presence";
  send("<presence/>");
  if (t.waitPresenceEcho) {
    for (;;) {
      Element p = co_await next();
      if (p.name == "presence" && p.attr("from") == jid_) {
        break;
      }
    }
  }
  stage_ = "online";
}

awaitable<void> Conn::pump(std::function<void(Element&)> handler) {
  for (;;) {
    while (xml_.hasStanza()) {
      Element e = xml_.pop();
      if (e.is(kNsStream, "error")) {
        alive_ = false;
        throw LoginError("stream error: " + conditionOf(e));
      }
      if (handler) {
        handler(e);
      }
    }
    if (xml_.closed()) {
      alive_ = false;
      co_return;
    }
    std::size_t n = co_await readSome();
    if (n == 0) {
      alive_ = false;
      co_return;
    }
    if (!xml_.feed(gReadBuf.data(), n)) {
      alive_ = false;
      throw LoginError("XML error from server: " + xml_.error());
    }
  }
}

void Conn::closeStream() {
  if (alive_) {
    send("</stream:stream>");
  }
}

}  // namespace loadgen
