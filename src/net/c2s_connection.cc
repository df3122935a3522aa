// Client-to-server streams. Negotiation runs as a coroutine that handles one element at a
// time (the parser pauses after each); once bound, stanzas are routed synchronously from the
// parser callback, which is the hot path.

#include "net/c2s_connection.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <array>
#include <unordered_set>

#include "core/credentials.h"
#include "core/log_value.h"
#include "rampart/core/datetime.h"
#include "rampart/core/random.h"
#include "rampart/core/stanza.h"

namespace rampart::net {

namespace asio = boost::asio;
using asio::awaitable;
using core::Element;

namespace {

constexpr std::string_view kNsTls = "urn:ietf:params:xml:ns:xmpp-tls";
constexpr std::string_view kNsSasl = "urn:ietf:params:xml:ns:xmpp-sasl";
constexpr std::string_view kNsBind = "urn:ietf:params:xml:ns:xmpp-bind";
constexpr std::string_view kNsSession = "urn:ietf:params:xml:ns:xmpp-session";
constexpr std::string_view kNsSaslCb = "urn:xmpp:sasl-cb:0";
using sasl::kNsBind2;
using sasl::kNsFast;
using sasl::kNsSasl2;
// How long a FAST token stays valid without use, and how many one account keeps.
constexpr std::int64_t kFastTokenMs = 14LL * 24 * 3600 * 1000;
constexpr std::size_t kMaxFastTokens = 10;
constexpr std::string_view kNsCsi = "urn:xmpp:csi:0";
constexpr std::string_view kNsSm = core::sm::kNs;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadBuffer = 16384;

int kindIndex(const std::string& name) {
  return name == "message" ? 0 : name == "presence" ? 1 : 2;
}

std::string randomId(std::size_t bytes) {
  std::string b64 = sasl::base64Encode(sasl::randomBytes(bytes));
  for (auto& c : b64) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!b64.empty() && b64.back() == '=') {
    b64.pop_back();
  }
  return b64;
}

}  // namespace

// The connections of this network thread, swept periodically to free idle parsers.
struct ThreadConnections {
  std::unordered_set<C2SConnection*> all;
  std::unique_ptr<asio::steady_timer> timer;
};
thread_local ThreadConnections tConnections;
constexpr auto kSweepInterval = std::chrono::seconds(5);
constexpr auto kLingerTimeout = std::chrono::seconds(3);

struct C2SConnection::Counters {
  explicit Counters(core::Metrics& m)
      : connections(m.gauge("rampart_c2s_connections", {}, "Open client connections")),
        in{&m.counter("rampart_stanzas_in_total", "kind=\"message\"", "Stanzas received from clients"),
           &m.counter("rampart_stanzas_in_total", "kind=\"presence\""),
           &m.counter("rampart_stanzas_in_total", "kind=\"iq\"")},
        out{&m.counter("rampart_stanzas_out_total", "kind=\"message\"", "Stanzas sent to clients"),
            &m.counter("rampart_stanzas_out_total", "kind=\"presence\""),
            &m.counter("rampart_stanzas_out_total", "kind=\"iq\"")},
        authOk(m.counter("rampart_auth_total", "result=\"success\"", "SASL authentications")),
        authFail(m.counter("rampart_auth_total", "result=\"failure\"")),
        outbound(m.gauge("rampart_c2s_outbound_queue_bytes", {}, "Bytes queued to clients")) {}
  std::atomic<std::int64_t>& connections;
  std::array<std::atomic<std::int64_t>*, 3> in;
  std::array<std::atomic<std::int64_t>*, 3> out;
  std::atomic<std::int64_t>& authOk;
  std::atomic<std::int64_t>& authFail;
  std::atomic<std::int64_t>& outbound;
};

void SmRegistry::add(const std::string& id, std::weak_ptr<C2SConnection> c) {
  std::lock_guard lock(mu_);
  byId_[id] = std::move(c);
}

std::shared_ptr<C2SConnection> SmRegistry::find(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = byId_.find(id);
  return it == byId_.end() ? nullptr : it->second.lock();
}

void SmRegistry::remove(const std::string& id, const C2SConnection* c) {
  std::lock_guard lock(mu_);
  auto it = byId_.find(id);
  if (it != byId_.end()) {
    auto cur = it->second.lock();
    if (!cur || cur.get() == c) {
      byId_.erase(it);
    }
  }
}

namespace {
// Whether a full JID is one of the account's resources.
bool ofAccount(const std::string& fullJid, std::string_view bareJid) {
  return fullJid.size() > bareJid.size() && fullJid.starts_with(bareJid) &&
         fullJid[bareJid.size()] == '/';
}
}  // namespace

void ConnectionSet::add(const std::shared_ptr<C2SConnection>& c) {
  std::lock_guard lock(mu_);
  all_.emplace(c.get(), c);
}

void ConnectionSet::remove(const C2SConnection* c) {
  std::lock_guard lock(mu_);
  all_.erase(c);
  sessions_.erase(c);
}

void ConnectionSet::bound(const C2SConnection* c, std::string fullJid, std::string peer) {
  const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  std::lock_guard lock(mu_);
  sessions_[c] = SessionInfo{std::move(fullJid), std::move(peer), since};
}

std::vector<SessionInfo> ConnectionSet::sessionsOf(std::string_view bareJid) const {
  std::vector<SessionInfo> out;
  std::lock_guard lock(mu_);
  for (const auto& [raw, info] : sessions_) {
    if (ofAccount(info.fullJid, bareJid)) {
      out.push_back(info);
    }
  }
  return out;
}

std::size_t ConnectionSet::closeSessionsOf(std::string_view bareJid, std::string_view condition) {
  std::vector<std::shared_ptr<C2SConnection>> victims;
  {
    std::lock_guard lock(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      const auto& info = it->second;
      if (ofAccount(info.fullJid, bareJid)) {
        if (auto c = all_.find(it->first); c != all_.end()) {
          if (auto conn = c->second.lock()) {
            victims.push_back(std::move(conn));
          }
        }
        // Listed no longer, though the stream closes a moment later on its own thread.
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : victims) {
    c->close(condition);
  }
  return victims.size();
}

std::size_t ConnectionSet::size() const {
  std::lock_guard lock(mu_);
  return all_.size();
}

std::vector<std::shared_ptr<C2SConnection>> ConnectionSet::live() const {
  std::vector<std::shared_ptr<C2SConnection>> out;
  std::lock_guard lock(mu_);
  for (const auto& [raw, weak] : all_) {
    if (auto c = weak.lock()) {
      out.push_back(std::move(c));
    }
  }
  return out;
}

void ConnectionSet::closeAll(std::string_view condition) {
  for (auto& c : live()) {
    c->close(condition);
  }
}

void ConnectionSet::recheck(std::string_view bareJid) {
  if (bareJid.empty()) {
    for (auto& c : live()) {
      c->recheckSecurity();
    }
    return;
  }
  // The bound sessions' JIDs as recorded here (a connection's own JID belongs to its thread).
  std::vector<std::shared_ptr<C2SConnection>> found;
  {
    std::lock_guard lock(mu_);
    for (const auto& [raw, info] : sessions_) {
      if (ofAccount(info.fullJid, bareJid)) {
        if (auto it = all_.find(raw); it != all_.end()) {
          if (auto c = it->second.lock()) found.push_back(std::move(c));
        }
      }
    }
  }
  for (auto& c : found) {
    c->recheckSecurity();
  }
}

void C2SConnection::recheckSecurity() {
  asio::post(stream_.executor(), [self = shared_from_this()] {
    if (!self->bound_ || self->state_ == State::kClosed) {
      return;
    }
    struct Verdict {
      const char* end = nullptr;  // stream error condition, or null: the session stays
      std::string text;
      bool suspended = false;
    };
    self->deps_.storage.run([self, host = self->jid_.domain(), user = self->jid_.local(),
                             at = self->authAtMs_, device = self->deviceId_](storage::Storage& s) {
      Verdict v;
      auto state = s.accountSecurity().accountState(host, user);
      const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      if (!state.isOk() && state.status().code() == core::Status::Code::kNotFound) {
        v.end = "not-authorized";
        v.text = "the account has been deleted";
      } else if (state.isOk()) {
        const auto& st = state.value();
        const bool active = st.frozenUntilMs == 0 || now < st.frozenUntilMs;
        if (st.lockedAt(now)) {
          v.end = "policy-violation";
          v.text = "this account has been locked";
        } else if (st.sessionsRevokedMs != 0 && at < st.sessionsRevokedMs) {
          v.end = "policy-violation";
          v.text = "this account has been signed out everywhere";
        } else if (device.empty() && st.secondFactorRequiredMs != 0 &&
                   at <= st.secondFactorRequiredMs) {
          // Signed in with the main password, which alone no longer opens a session.
          v.end = "policy-violation";
          v.text = "a second factor is now required for this account";
        }
        v.suspended = st.freezeMode == "suspend" && active;
      }
      if (!v.end && !device.empty()) {
        bool present = false;
        if (auto devs = s.accountSecurity().devices(host, user); devs.isOk()) {
          for (const auto& d : devs.value()) present = present || d.id == device;
        } else {
          present = true;  // unknown: leave the session alone
        }
        if (!present) {
          v.end = "policy-violation";
          v.text = "the credential this device signed in with has been revoked";
        }
      }
      asio::post(self->stream_.executor(), [self, v = std::move(v)] {
        self->suspended_.store(v.suspended, std::memory_order_relaxed);
        if (!v.end || self->state_ == State::kClosed) {
          return;
        }
        spdlog::info("event=session_ended_by_policy jid={} reason={}",
                     core::logQuoted(self->jid_.str()), core::logQuoted(v.text));
        self->cleanClose_ = true;  // no resumption
        if (self->hibernating_) {
          self->hibernating_ = false;
          self->detached_.store(false, std::memory_order_release);
          self->resumeTimer_->cancel();
          self->endSession();
          return;
        }
        self->streamError(v.end, v.text);
      });
    });
  });
}

C2SConnection::C2SConnection(asio::ip::tcp::socket socket, C2SDeps& deps, bool directTls)
    : stream_(std::move(socket)),
      deps_(deps),
      parser_(xml::ParserLimits{deps.config.maxStanzaBytes, 32, 64, 4096},
              xml::StreamParser::Callbacks{
                  [this](const auto& a, const std::string& ns) { onStreamOpen(a, ns); },
                  [this](Element&& e) { onStanza(std::move(e)); },
                  [this]() { onStreamEnd(); }}),
      state_(directTls ? State::kNeedAuth : State::kNeedTls),
      counters_(*new Counters(deps.metrics)) {
  tls_ = directTls;
  if (auto* ex = stream_.socket().get_executor().target<asio::io_context::executor_type>()) {
    ioc_ = &ex->context();
  }
  boost::system::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  peer_ = ec ? "unknown" : ep.address().to_string();
  peerPort_ = ec ? 0 : ep.port();
  peerKey_ = ec ? peer_ : security::throttle::ConnectionLimiter::addressKey(ep.address());
  parser_.setPauseAfterEachElement(true);
  counters_.connections.fetch_add(1, std::memory_order_relaxed);
}

C2SConnection::C2SConnection(std::unique_ptr<WsTransport> ws, C2SDeps& deps)
    : C2SConnection(asio::ip::tcp::socket(ws->executor()), deps, true) {
  peer_ = ws->peer();
  {
    boost::system::error_code pec;
    auto addr = asio::ip::make_address(peer_, pec);
    peerKey_ = pec ? peer_ : security::throttle::ConnectionLimiter::addressKey(addr);
  }
  ws_ = std::move(ws);
  // RFC 7395 messages are elements without an enclosing stream: an implicit stream header
  // puts them at the depth of stanzas, with jabber:client as the default namespace.
  parser_.feed("<stream:stream xmlns='jabber:client' "
               "xmlns:stream='http://etherx.jabber.org/streams'>");
}

void C2SConnection::onStreamEnd() {
  // The client closed its stream: close ours and let the socket drain. A cleanly closed
  // stream ends the session (XEP-0198 section 6).
  cleanClose_ = true;
  send(closeTag());
  closing_ = true;
  parser_.stop();
}

std::string C2SConnection::closeTag() const {
  return ws_ ? "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>" : "</stream:stream>";
}

SSL* C2SConnection::bindingSsl() {
  if (ws_) {
    return ws_->ssl();
  }
  return stream_.isTls() ? stream_.ssl() : nullptr;
}

void C2SConnection::closeTransport() {
  if (ws_) {
    ws_->close([self = shared_from_this()] {});
  } else {
    stream_.close();
  }
}

C2SConnection::~C2SConnection() {
  deps_.connections.remove(this);
  counters_.connections.fetch_sub(1, std::memory_order_relaxed);
  delete &counters_;
}

void C2SConnection::start() {
  using security::throttle::ConnectionLimiter;
  const auto verdict = deps_.limiter.admit(peerKey_, negotiating_);
  if (verdict != ConnectionLimiter::Verdict::kAdmitted) {
    // Refused before a byte is read: the cheapest answer to a flood is a closed socket.
    const bool total = verdict == ConnectionLimiter::Verdict::kTotalFull;
    deps_.refusals.refuse(total ? "negotiating-cap" : "negotiating-cap-address", peer_,
                          total ? "too many connections negotiating"
                                : "too many connections negotiating from this address");
    state_ = State::kClosed;
    closing_ = true;
    closeTransport();
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (tls_ && !ws_) {
    inHandshake_ = true;
    armDeadline(now + std::chrono::seconds(deps_.config.tlsHandshakeTimeout), "tls-handshake");
  } else {
    armDeadline(now + std::chrono::seconds(deps_.config.streamOpenTimeout), "stream-open");
  }
  deps_.connections.add(shared_from_this());
  // The coroutine's parameter keeps the connection alive until it ends.
  asio::co_spawn(stream_.executor(), run(shared_from_this()), asio::detached);
}

core::ElementPtr C2SConnection::lastPresence() const {
  std::lock_guard lock(presenceMu_);
  return lastPresence_;
}

awaitable<void> C2SConnection::run(std::shared_ptr<C2SConnection> /*self: keeps us alive*/) {
  if (tls_ && !ws_) {
    auto ec = co_await stream_.handshake(deps_.tls.defaultContext().native_handle());
    inHandshake_ = false;
    if (ec) {
      spdlog::debug("event=tls_failed peer={} reason=\"{}\"", peer_, ec.message());
      finish();
      co_return;
    }
    armDeadline(std::chrono::steady_clock::now() +
                    std::chrono::seconds(deps_.config.streamOpenTimeout),
                "stream-open");
  }
  tConnections.all.insert(this);
  if (!tConnections.timer) {
    tConnections.timer = std::make_unique<asio::steady_timer>(stream_.executor());
    scheduleSweep();
  }
  // One read buffer per thread: the parser copies what it keeps, so an idle connection
  // holds no buffer at all.
  thread_local std::array<char, kReadBuffer> buf;
  while (!closing_) {
    std::string_view chunk;
    if (ws_) {
      auto [ec, text] = co_await ws_->read();
      if (ec) {
        break;
      }
      chunk = text;
    } else {
      auto [ec, n] = co_await stream_.readSome(buf.data(), buf.size());
      if (ec || n == 0) {
        break;
      }
      chunk = std::string_view(buf.data(), n);
    }
    active_ = true;
    xml::ParseError err = parser_.feed(chunk);
    while (err == xml::ParseError::kNone && parser_.paused() && !closing_) {
      Element st = std::move(*pending_);
      pending_.reset();
      co_await negotiate(std::move(st));
      if (closing_) {
        break;
      }
      if (restart_ && ws_) {
        // RFC 7395 section 3.5: the restart is the client's next <open/>, not a new parser.
        restart_ = false;
        headerSent_ = false;
        err = parser_.resume();
      } else if (restart_) {
        restart_ = false;
        std::string rest = parser_.restart();
        headerSent_ = false;
        if (startTls_) {
          startTls_ = false;
          if (!rest.empty()) {
            // Bytes pipelined behind <starttls/> were sent in the clear: refuse them.
            streamError("policy-violation", "data after <starttls/> before the TLS handshake");
            break;
          }
          inHandshake_ = true;
          armDeadline(std::min(authDeadline_,
                               std::chrono::steady_clock::now() +
                                   std::chrono::seconds(deps_.config.tlsHandshakeTimeout)),
                      "tls-handshake");
          auto hec = co_await stream_.handshake(deps_.tls.defaultContext().native_handle());
          inHandshake_ = false;
          if (!hec) {
            armDeadline(authDeadline_, "authentication");
          }
          if (hec) {
            spdlog::debug("event=tls_failed peer={} reason=\"{}\"", peer_, hec.message());
            closing_ = true;
            break;
          }
          tls_ = true;
          state_ = State::kNeedAuth;
        }
        err = rest.empty() ? xml::ParseError::kNone : parser_.feed(rest);
      } else {
        if (state_ == State::kEstablished) {
          parser_.setPauseAfterEachElement(false);
        }
        err = parser_.resume();
      }
    }
    if (err != xml::ParseError::kNone) {
      streamError(xml::parseErrorCondition(err), parser_.errorDetail());
    } else if (ws_ && !closing_ && !parser_.paused() && parser_.midElement()) {
      // RFC 7395 section 3.2: every message is whole elements.
      streamError("not-well-formed", "a WebSocket message must hold complete elements");
    }
    if (state_ == State::kEstablished && !closing_ && !parser_.paused() && !ws_) {
      // Bound: reading goes on with plain callbacks, so that an idle session holds no
      // coroutine frames, only one pending readiness wait.
      readEstablished();
      co_return;
    }
  }
  finish();
}

void C2SConnection::readEstablished() {
  thread_local std::array<char, kReadBuffer> buf;
  // A bounded number of reads per turn keeps one busy client from starving the others.
  for (int turn = 0; turn < 8; ++turn) {
    if (closing_) {
      finish();
      return;
    }
    TlsStream::ReadResult r = stream_.readNow(buf.data(), buf.size());
    if (r.mustWait) {
      stream_.socket().async_wait(r.wait, [self = shared_from_this()](boost::system::error_code ec) {
        if (ec) {
          self->finish();
        } else {
          self->readEstablished();
        }
      });
      return;
    }
    if (r.ec || r.n == 0) {
      finish();
      return;
    }
    active_ = true;
    xml::ParseError err = parser_.feed(std::string_view(buf.data(), r.n));
    if (err != xml::ParseError::kNone) {
      streamError(xml::parseErrorCondition(err), parser_.errorDetail());
    }
  }
  asio::post(stream_.executor(), [self = shared_from_this()] { self->readEstablished(); });
}

void C2SConnection::onStreamOpen(const std::map<std::string, std::string>& attrs,
                                 const std::string& ns) {
  if (ws_ && !wsOpening_) {
    return;  // the implicit header fed at construction
  }
  auto to = attrs.find("to");
  std::optional<std::string> domain;
  if (to != attrs.end()) {
    domain = core::prepareDomainpart(to->second);
  }
  streamId_ = randomId(12);
  if (host_.empty() && domain && deps_.router.isLocalHost(*domain)) {
    host_ = *domain;
  }
  // Our header goes out first, even when we are about to send an error (RFC 6120 4.9.1.2).
  std::string header = ws_ ? "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='" +
                                 streamId_ + "'"
                           : "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                             "xmlns:stream='http://etherx.jabber.org/streams' id='" +
                                 streamId_ + "'";
  if (!host_.empty()) {
    header += " from='";
    core::appendEscapedAttr(header, host_);
    header += "'";
  }
  header += ws_ ? " version='1.0' xml:lang='en'/>" : " version='1.0' xml:lang='en'>";
  send(std::move(header));
  headerSent_ = true;
  if (state_ == State::kNeedTls || state_ == State::kNeedAuth) {
    if (authDeadline_ == std::chrono::steady_clock::time_point{}) {
      authDeadline_ = std::chrono::steady_clock::now() +
                      std::chrono::seconds(deps_.config.authTimeout);
      armDeadline(authDeadline_, "authentication");
    }
  }
  if (ns != core::kNsClient) {
    streamError("invalid-namespace", "the content namespace must be jabber:client");
    return;
  }
  if (!domain || !deps_.router.isLocalHost(*domain) || *domain != host_) {
    streamError("host-unknown", "this server does not serve that domain");
    return;
  }
  auto ver = attrs.find("version");
  if (ver == attrs.end() || ver->second.empty() || ver->second[0] != '1') {
    streamError("unsupported-version", "stream version 1.0 is required");
    return;
  }
  sendFeatures();
}

void C2SConnection::sendFeatures() {
  Element f("stream:features", std::string(core::kNsStream));
  if (state_ == State::kNeedTls) {
    f.addChild("starttls", std::string(kNsTls)).addChild("required", std::string(kNsTls));
  } else if (state_ == State::kNeedAuth) {
    Element& mechs = f.addChild("mechanisms", std::string(kNsSasl));
    SSL* bssl = bindingSsl();
    auto cb = bssl != nullptr ? channelBindings(bssl) : sasl::ChannelBindings{};
    for (const auto& m : authenticator().mechanisms(cb)) {
      mechs.addChild("mechanism", std::string(kNsSasl)).addText(m);
    }
    // XEP-0440: which channel-binding types this connection supports.
    Element& types = f.addChild("sasl-channel-binding", std::string(kNsSaslCb));
    for (const auto& [type, data] : cb) {
      types.addChild("channel-binding", std::string(kNsSaslCb)).setAttr("type", type);
    }
    // XEP-0388 SASL2: the same mechanisms, with Bind 2 and FAST inline.
    Element& sasl2 = f.addChild("authentication", std::string(kNsSasl2));
    for (const auto& m : authenticator().mechanisms(cb)) {
      sasl2.addChild("mechanism", std::string(kNsSasl2)).addText(m);
    }
    Element& inl = sasl2.addChild("inline", std::string(kNsSasl2));
    // Bind 2 can enable stream management with the binding (XEP-0198, Bind 2 integration).
    inl.addChild("bind", std::string(kNsBind2))
        .addChild("inline", std::string(kNsBind2))
        .addChild("feature", std::string(kNsBind2))
        .setAttr("var", std::string(kNsSm));
    inl.addChild("fast", std::string(kNsFast))
        .addChild("mechanism", std::string(kNsFast))
        .addText(std::string(sasl::kFastMechanism));
  } else if (state_ == State::kEstablished) {
    // After a SASL2 authentication that bound a resource inline (XEP-0388: features follow
    // <success/> without a stream restart); stream management unless enabled inline already.
    if (!sm_.enabled()) f.addChild("sm", std::string(kNsSm));
    f.addChild("csi", std::string(kNsCsi));
    f.addChild("ver", "urn:xmpp:features:rosterver");
  } else {
    f.addChild("bind", std::string(kNsBind));
    f.addChild("sm", std::string(kNsSm));                // XEP-0198
    f.addChild("csi", std::string(kNsCsi));              // XEP-0352
    f.addChild("ver", "urn:xmpp:features:rosterver");  // RFC 6121 section 2.6
    f.addChild("session", std::string(kNsSession)).addChild("optional", std::string(kNsSession));
  }
  // The prefixed element name keeps the stream prefix declared in our header; a WebSocket
  // message stands alone and declares it itself.
  if (ws_) {
    f.setAttr("xmlns:stream", core::kNsStream);
  }
  std::string out;
  f.serialize(out, core::kNsStream);
  send(std::move(out));
}

void C2SConnection::onStanza(Element&& stanza) {
  if (closing_) {
    return;
  }
  if (state_ != State::kEstablished) {
    pending_ = std::move(stanza);
    return;
  }
  handleEstablished(stanza);
}

awaitable<void> C2SConnection::negotiate(Element st) {
  if (ws_ && st.ns() == kNsFraming) {
    if (st.name() == "open" && !headerSent_) {
      std::map<std::string, std::string> attrs;
      for (const auto& a : st.attrs()) {
        attrs[a.name] = a.value;
      }
      wsOpening_ = true;
      onStreamOpen(attrs, std::string(core::kNsClient));
      wsOpening_ = false;
    } else if (st.name() == "close") {
      onStreamEnd();
    } else {
      streamError("unsupported-stanza-type", "unexpected framing element");
    }
    co_return;
  }
  if (ws_ && !headerSent_) {
    streamError("not-well-formed", "a WebSocket stream starts with <open/>");
    co_return;
  }
  if (state_ == State::kEstablished) {
    handleEstablished(st);
    co_return;
  }
  const bool isStanza = core::isStanza(st);
  if (state_ == State::kNeedTls) {
    if (st.is("starttls", kNsTls)) {
      send(Element("proceed", std::string(kNsTls)).str(core::kNsClient));
      // <proceed/> must reach the client before the handshake starts.
      while (writing_ || !out_.empty()) {
        flush();
        asio::steady_timer t(stream_.executor(), std::chrono::milliseconds(1));
        co_await t.async_wait(kUseTuple);
        if (closing_) {
          co_return;
        }
      }
      restart_ = true;
      startTls_ = true;
      co_return;
    }
    if (st.is("auth", kNsSasl)) {
      // RFC 6120 6.4.5 <encryption-required/> (no host is known yet to authenticate against).
      Element f("failure", std::string(kNsSasl));
      f.addChild("encryption-required", std::string(kNsSasl));
      send(f.str());
      co_return;
    }
    streamError(isStanza ? "not-authorized" : "policy-violation",
                "TLS is required: send <starttls/> first");
    co_return;
  }
  if (state_ == State::kNeedAuth) {
    if (sasl2_ && !st.is("response", kNsSasl2) && !st.is("abort", kNsSasl2)) {
      // XEP-0388 "During Authentication": nothing else may be sent.
      streamError("policy-violation", "only <response/> or <abort/> during SASL2");
      co_return;
    }
    if (st.is("authenticate", kNsSasl2)) {
      co_await handleAuthenticate(st);
    } else if (st.is("response", kNsSasl2)) {
      co_await handleResponse(st);
    } else if (st.is("abort", kNsSasl2)) {
      auto step = co_await authenticator().fail(sasl::SaslError::kAborted);
      saslAnswer(std::move(step));
    } else if (st.is("auth", kNsSasl)) {
      co_await handleAuth(st);
    } else if (st.is("response", kNsSasl)) {
      co_await handleResponse(st);
    } else if (st.is("abort", kNsSasl)) {
      auto step = co_await authenticator().fail(sasl::SaslError::kAborted);
      saslAnswer(std::move(step));
    } else if (st.is("starttls", kNsTls)) {
      send(Element("failure", std::string(kNsTls)).str());
      streamError("policy-violation", "TLS is already in place");
    } else {
      streamError(isStanza ? "not-authorized" : "unsupported-stanza-type",
                  "authenticate first");
    }
    co_return;
  }
  // kNeedBind
  if (st.is("resume", kNsSm)) {
    co_await handleResume(st);
  } else if (st.ns() == kNsSm) {
    // XEP-0198 section 3: enable only after binding a resource.
    smFailed("unexpected-request");
  } else if (st.is("iq", core::kNsClient) && st.attrOr("type") == "set" &&
      st.child("bind", kNsBind) != nullptr) {
    co_await handleBind(st);
  } else if (st.is("iq", core::kNsClient) && st.child("session", kNsSession) != nullptr) {
    send(core::makeIqResult(st));
  } else {
    streamError(isStanza ? "not-authorized" : "unsupported-stanza-type",
                "bind a resource first");
  }
}

sasl::Authenticator& C2SConnection::authenticator() {
  if (!auth_) {
    sasl::AuthPeer peer;
    peer.address = peer_;
    peer.key = peerKey_;
    peer.port = peerPort_;
    peer.protocol = ws_ ? "xmpp-websocket" : "xmpp";
    peer.tls = tls_;
    auth_ = std::make_unique<sasl::Authenticator>(deps_.auth, stream_.executor(), host_,
                                                  std::move(peer));
  }
  return *auth_;
}

awaitable<void> C2SConnection::handleAuth(const Element& auth) {
  authenticator().allowFast(false);  // FAST is a SASL2 mechanism only
  const std::string mech(auth.attrOr("mechanism"));
  const std::string text = auth.text();
  std::optional<std::string> initial;
  if (text == "=") {
    initial = std::string();
  } else if (!text.empty()) {
    initial = sasl::base64Decode(text);
    if (!initial) {
      auto step = co_await authenticator().fail(sasl::SaslError::kIncorrectEncoding);
      saslAnswer(std::move(step));
      co_return;
    }
  }
  SSL* bssl = bindingSsl();
  auto cb = bssl != nullptr ? channelBindings(bssl) : sasl::ChannelBindings{};
  auto step = co_await authenticator().start(mech, std::move(initial), cb);
  saslAnswer(std::move(step));
}

awaitable<void> C2SConnection::handleResponse(const Element& response) {
  auto data = sasl::base64Decode(response.text());
  if (!data) {
    auto step = co_await authenticator().fail(sasl::SaslError::kIncorrectEncoding);
    saslAnswer(std::move(step));
    co_return;
  }
  auto step = co_await authenticator().respond(std::move(*data));
  saslAnswer(std::move(step));
}

void C2SConnection::saslAnswer(sasl::AuthStep step) {
  if (closing_) {
    return;  // the stream ended while the answer waited: the attempt has counted
  }
  using Kind = sasl::AuthStep::Kind;
  const std::string ns(sasl2_ ? kNsSasl2 : kNsSasl);
  if (step.kind == Kind::kChallenge) {
    Element ch("challenge", ns);
    if (!step.data.empty()) {
      ch.addText(sasl::base64Encode(step.data));
    }
    send(ch.str());
    return;
  }
  if (step.kind == Kind::kSuccess) {
    const auto& result = auth_->result();
    authedUser_ = result.user;
    authAtMs_ = result.atMs;
    deviceId_ = result.deviceId;
    pendingLogin_ = result.record;
    suspended_.store(result.suspended, std::memory_order_relaxed);
    armDeadline(std::chrono::steady_clock::now() + std::chrono::seconds(deps_.config.bindTimeout),
                "bind");
    counters_.authOk.fetch_add(1, std::memory_order_relaxed);
    if (sasl2_) {
      sasl2Success(step.data);
      return;
    }
    Element ok("success", std::string(kNsSasl));
    if (!step.data.empty()) {
      ok.addText(sasl::base64Encode(step.data));
    }
    send(ok.str());
    state_ = State::kNeedBind;
    restart_ = true;
    return;
  }
  if (step.error != sasl::SaslError::kAborted && step.error != sasl::SaslError::kInvalidMechanism &&
      step.error != sasl::SaslError::kEncryptionRequired) {
    counters_.authFail.fetch_add(1, std::memory_order_relaxed);
  }
  Element f("failure", ns);
  f.addChild(std::string(sasl::saslErrorName(step.error)), std::string(kNsSasl));
  if (!step.text.empty()) {
    f.addChild("text", ns).setAttr("xml:lang", "en").addText(step.text);
  }
  send(f.str());
  sasl2_.reset();
  if (step.endStream) {
    streamError("policy-violation", "too many failed authentication attempts");
  }
}

awaitable<void> C2SConnection::handleBind(const Element& iq) {
  const Element* bind = iq.child("bind", kNsBind);
  std::string requested = bind->childText("resource", kNsBind);
  std::optional<std::string> resource;
  if (!requested.empty()) {
    resource = core::prepareResourcepart(requested);
    if (!resource) {
      send(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request",
                                "the resource is not a valid resourcepart"));
      co_return;
    }
  } else {
    resource = randomId(9);
  }
  if (auto error = bindResource(*resource); !error.empty()) {
    send(core::makeErrorReply(iq, error == "conflict" ? core::ErrorType::kCancel
                                                      : core::ErrorType::kModify,
                              error));
    co_return;
  }
  Element result = core::makeIqResult(iq);
  result.removeAttr("from");
  result.removeAttr("to");
  result.addChild("bind", std::string(kNsBind))
      .addChild("jid", std::string(kNsBind))
      .addText(jid_.str());
  send(result);
}

std::string C2SConnection::bindResource(const std::string& resource) {
  auto full = core::Jid::make(authedUser_, host_, resource);
  if (!full) {
    return "bad-request";
  }
  jid_ = *full;
  bool accepted = false;
  core::SessionPtr replaced = deps_.router.bind(shared_from_this(), accepted);
  if (!accepted) {
    jid_ = core::Jid();
    return "conflict";
  }
  if (replaced) {
    replaced->close("conflict");
  }
  bound_ = true;
  deps_.connections.bound(this, jid_.str(), peer_);
  if (pendingLogin_ && deps_.auth.recordLogin) {
    pendingLogin_->resource = jid_.resource();
    deps_.auth.recordLogin(std::move(*pendingLogin_));
    pendingLogin_.reset();
  }
  state_ = State::kEstablished;
  negotiationDone();
  spdlog::info("event=session_bound peer={} jid={}", peer_, core::logQuoted(jid_.str()));
  return {};
}

awaitable<void> C2SConnection::handleAuthenticate(const Element& a) {
  sasl::Sasl2Request req = sasl::readAuthenticate(a);
  std::string client = req.software;
  if (!req.device.empty()) {
    client += (client.empty() ? "" : " on ") + req.device;
  }
  authenticator().setClient(client);
  authenticator().allowFast(true);
  const bool bad = req.badInitial;
  const std::string mech = req.mechanism;
  std::optional<std::string> initial = req.initial;
  sasl2_ = std::move(req);
  if (bad) {
    auto step = co_await authenticator().fail(sasl::SaslError::kIncorrectEncoding);
    saslAnswer(std::move(step));
    co_return;
  }
  SSL* bssl = bindingSsl();
  auto cb = bssl != nullptr ? channelBindings(bssl) : sasl::ChannelBindings{};
  auto step = co_await authenticator().start(mech, std::move(initial), cb);
  saslAnswer(std::move(step));
}

void C2SConnection::sasl2Success(const std::string& additionalData) {
  const sasl::Sasl2Request req = *sasl2_;
  sasl2_.reset();
  const auto& result = auth_->result();
  Element ok("success", std::string(kNsSasl2));
  if (!additionalData.empty()) {
    ok.addChild("additional-data", std::string(kNsSasl2))
        .addText(sasl::base64Encode(additionalData));
  }
  state_ = State::kNeedBind;
  bool bound = false;
  if (req.bind) {
    // XEP-0386: the server picks the resource; the client's tag makes it recognisable.
    std::string tag;
    if (auto t = core::prepareResourcepart(req.tag)) tag = *t;
    bound = bindResource(tag.empty() ? randomId(9) : tag + "." + randomId(6)).empty();
  }
  ok.addChild("authorization-identifier", std::string(kNsSasl2))
      .addText(bound ? jid_.str() : authedUser_ + "@" + host_);
  if (bound) {
    Element& b = ok.addChild("bound", std::string(kNsBind2));
    if (req.smEnable) {
      b.addChild(enableSm(req.smResume));
    }
  }
  // XEP-0484: a new token for this device (rotating the one just used), or forget the one used.
  const bool usedFast = result.credential.starts_with("fast:");
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  if (req.requestToken && !(usedFast && req.invalidate)) {
    // The database keeps a seed; the token is derived from it with the server's FAST key.
    const std::string seed = core::randomToken(32);
    const std::string token = core::sasl::fastTokenFor(deps_.auth.fastKey, seed);
    const std::int64_t expires = now + kFastTokenMs;
    std::string name = req.software.empty() ? std::string("XMPP client") : req.software;
    if (!req.device.empty()) name += " on " + req.device;
    deps_.storage.run([host = host_, user = authedUser_, token = seed, expires, now,
                       name = name.substr(0, 64), software = req.software,
                       id = usedFast ? deviceId_ : std::string(),
                       used = result.fastToken](storage::Storage& s) {
      auto& store = s.accountSecurity();
      auto devs = store.devices(host, user);
      if (!devs.isOk()) return;
      if (!id.empty()) {
        for (auto d : devs.value()) {
          if (d.id != id) continue;
          // The token just used stays valid until the new one is used (a lost <success/>).
          d.previousHash = used;
          d.secretHash = token;
          d.expiresMs = expires;
          store.updateDevice(d);
          return;
        }
      }
      std::vector<storage::DeviceCredential> fast;
      for (const auto& d : devs.value()) {
        if (d.kind == "fast") fast.push_back(d);
      }
      if (fast.size() >= kMaxFastTokens) {
        // The least recently used gives way.
        auto oldest = std::min_element(fast.begin(), fast.end(), [](const auto& a, const auto& b) {
          return std::max(a.lastUsedMs, a.createdMs) < std::max(b.lastUsedMs, b.createdMs);
        });
        store.removeDevice(host, user, oldest->id);
      }
      storage::DeviceCredential d;
      d.id = core::randomToken(8);
      d.host = host;
      d.user = user;
      d.kind = "fast";
      d.name = name;
      d.client = software;
      d.createdMs = now;
      d.expiresMs = expires;
      d.secretHash = token;
      store.addDevice(d);
    });
    ok.addChild("token", std::string(kNsFast))
        .setAttr("expiry", core::formatDateTime(expires * 1000))
        .setAttr("token", token);
  } else if (usedFast && req.invalidate) {
    deps_.storage.run([host = host_, user = authedUser_, id = deviceId_](storage::Storage& s) {
      s.accountSecurity().removeDevice(host, user, id);
    });
  } else if (usedFast) {
    // The new token is in use: the one before it is no longer needed.
    deps_.storage.run([host = host_, user = authedUser_, id = deviceId_,
                       used = result.fastToken](storage::Storage& s) {
      auto devs = s.accountSecurity().devices(host, user);
      if (!devs.isOk()) return;
      for (auto d : devs.value()) {
        if (d.id == id && d.secretHash == used && !d.previousHash.empty()) {
          d.previousHash.clear();
          s.accountSecurity().updateDevice(d);
        }
      }
    });
  }
  send(ok.str());
  sendFeatures();
}

void C2SConnection::handleEstablished(Element& st) {
  if (!core::isStanza(st)) {
    if (ws_ && st.is("close", kNsFraming)) {
      onStreamEnd();
    } else if (st.ns() == kNsSm) {
      handleSmNonza(st);
    } else if (st.is("inactive", kNsCsi)) {
      csiInactive_ = true;
    } else if (st.is("active", kNsCsi)) {
      csiInactive_ = false;
      csiFlush();
    } else {
      streamError("unsupported-stanza-type", "only message, presence and iq are allowed");
    }
    return;
  }
  if (sm_.enabled()) {
    sm_.countInbound();
  }
  counters_.in[kindIndex(st.name())]->fetch_add(1, std::memory_order_relaxed);
  // RFC 6120 section 8.1.2.1: the server stamps 'from'; a different one is spoofing.
  if (auto from = st.attr("from")) {
    auto f = core::Jid::parse(*from);
    if (!f || (*f != jid_ && *f != jid_.bare())) {
      streamError("invalid-from", "'from' does not match the bound JID");
      return;
    }
  }
  st.setAttr("from", jid_.str());
  const std::string& kind = st.name();
  std::string_view type = st.attrOr("type");
  // A suspended account (security/account freeze "suspend") reads but does not send.
  if (kind == "message" && type != "error" && suspended_.load(std::memory_order_relaxed)) {
    send(core::makeErrorReply(st, core::ErrorType::kAuth, "forbidden",
                              "this account is suspended: it may read but not send messages"));
    return;
  }
  if (kind == "iq") {
    if (!st.attr("id") || (type != "get" && type != "set" && type != "result" && type != "error")) {
      send(core::makeErrorReply(st, core::ErrorType::kModify, "bad-request",
                                "an iq needs an id and a type of get, set, result or error"));
      return;
    }
    if ((type == "get" || type == "set") && st.childElements().size() != 1) {
      send(core::makeErrorReply(st, core::ErrorType::kModify, "bad-request",
                                "an iq request carries exactly one payload"));
      return;
    }
    if (st.child("session", kNsSession) != nullptr && !st.attr("to")) {
      send(core::makeIqResult(st));
      return;
    }
  }
  if (kind == "presence" && !st.attr("to")) {
    if (type.empty() || type == "unavailable") {
      // Broadcast presence: the presence module reads available() before we update it, so
      // it can tell initial presence from an update.
      deps_.router.routeFrom(st, this);
      bool nowAvailable = type.empty();
      int prio = 0;
      if (nowAvailable) {
        std::string p = st.childText("priority", core::kNsClient);
        prio = std::clamp(std::atoi(p.c_str()), -128, 127);
      }
      {
        std::lock_guard lock(presenceMu_);
        lastPresence_ = nowAvailable ? std::make_shared<const Element>(std::move(st)) : nullptr;
      }
      priority_.store(prio, std::memory_order_relaxed);
      available_.store(nowAvailable, std::memory_order_release);
      if (!nowAvailable) {
        for (const auto& to : directedTo_) {
          Element u("presence", std::string(core::kNsClient));
          u.setAttr("type", "unavailable").setAttr("from", jid_.str()).setAttr("to", to);
          deps_.router.routeFrom(std::move(u), this);
        }
        directedTo_.clear();
      }
      return;
    }
    return;  // other presence types need a 'to'
  }
  if (kind == "presence" && (type.empty() || type == "unavailable")) {
    // Directed presence (RFC 6121 section 4.6): remembered for unavailable on disconnect.
    // Kept normalized, so that "Bob@Example.com" and "bob@example.com" are one target.
    auto target = core::Jid::parse(st.attrOr("to"));
    if (target && type.empty()) {
      directedTo_.insert(target->str());
    } else if (target) {
      directedTo_.erase(target->str());
    }
  }
  deps_.router.routeFrom(std::move(st), this);
}

void C2SConnection::deliver(core::ElementPtr stanza) {
  post(core::sm::Outbound{std::move(stanza), false});
}

void C2SConnection::deliverStamped(core::ElementPtr stanza) {
  post(core::sm::Outbound{std::move(stanza), true});
}

void C2SConnection::post(core::sm::Outbound out) {
  if (ioc_ != nullptr && core::Workers::current() == ioc_) {
    writeStanza(std::move(out));  // same network thread: no hop needed
    return;
  }
  auto self = shared_from_this();
  asio::post(stream_.executor(),
             [self, out = std::move(out)]() mutable { self->writeStanza(std::move(out)); });
}

namespace {
// XEP-0352: what an inactive client must still get at once. Presence (other than
// subscription requests) and messages without content (chat states, receipts) can wait.
bool urgentForInactiveClient(const Element& st, int depth = 0) {
  if (st.name() == "iq") {
    return true;
  }
  if (st.name() == "presence") {
    std::string_view type = st.attrOr("type");
    return type == "subscribe" || type == "subscribed" || type == "unsubscribe" ||
           type == "unsubscribed" || type == "error";
  }
  if (st.attrOr("type") == "error" || depth > 4) {
    return true;
  }
  for (const Element* c : st.childElements()) {
    if (c->name() == "body" || c->name() == "subject" || c->name() == "encrypted" ||
        c->name() == "x" || urgentForInactiveClient(*c, depth + 1)) {
      return true;
    }
  }
  return false;
}
}  // namespace

void C2SConnection::writeStanza(core::sm::Outbound out) {
  if (takenOver_) {
    // Resumed elsewhere: whatever still arrives here belongs to the new connection.
    if (auto next = successor_.lock()) {
      next->post(std::move(out));
    }
    return;
  }
  if (hibernating_) {
    // Kept for the client's return (or for redelivery when it does not come back); beyond
    // the limit, messages go where they would go without this session (other resources or
    // offline storage) instead of being lost.
    if (sm_.unackedCount() < deps_.config.maxUnacked) {
      sm_.sent(std::move(out));
    } else {
      redeliver(out, this);
    }
    return;
  }
  if (resuming_) {
    heldDuringResume_.push_back(std::move(out));
    return;
  }
  if (closing_ || state_ != State::kEstablished) {
    if (sm_.enabled() && state_ != State::kClosed) {
      sm_.sent(std::move(out));  // never written: redelivered when the session ends
    }
    return;
  }
  if (csiInactive_ && !urgentForInactiveClient(*out.stanza)) {
    csiHold(std::move(out));
    return;
  }
  csiFlush();
  writeNow(std::move(out));
}

void C2SConnection::writeNow(core::sm::Outbound out) {
  const core::Element& stanza = *out.stanza;
  counters_.out[kindIndex(stanza.name())]->fetch_add(1, std::memory_order_relaxed);
  const std::size_t before = out_.size();
  // Straight into the outbound buffer.
  if (out.toSelf) {
    stanza.serializeAddressed(out_, outNs(), jid_.str());
  } else {
    stanza.serialize(out_, outNs());
  }
  if (sm_.enabled()) {
    sm_.sent(std::move(out));
    if (sm_.unackedCount() > deps_.config.maxUnacked) {
      appended(out_.size() - before);
      streamError("policy-violation", "too many stanzas left unacknowledged");
      return;
    }
  }
  appended(out_.size() - before);
}

void C2SConnection::csiHold(core::sm::Outbound out) {
  if (out.stanza->name() == "presence") {
    // Only the latest presence of each sender matters.
    std::string_view from = out.stanza->attrOr("from");
    std::erase_if(csiQueue_, [&](const core::sm::Outbound& held) {
      return held.stanza->name() == "presence" && held.stanza->attrOr("from") == from;
    });
  }
  csiQueue_.push_back(std::move(out));
  if (csiQueue_.size() > deps_.config.csiMaxQueue) {
    csiFlush();
  }
}

void C2SConnection::csiFlush() {
  if (csiQueue_.empty()) {
    return;
  }
  std::vector<core::sm::Outbound> held;
  held.swap(csiQueue_);
  for (auto& st : held) {
    writeNow(std::move(st));
  }
}

void C2SConnection::smFailed(std::string_view condition) {
  Element f("failed", std::string(kNsSm));
  f.addChild(std::string(condition), std::string(core::kNsStanzas));
  send(f.str());
}

Element C2SConnection::enableSm(bool resume) {
  Element ok("enabled", std::string(kNsSm));
  if (resume && deps_.config.resumeTimeoutSeconds > 0 && deps_.smRegistry != nullptr) {
    std::string id = randomId(18);
    deps_.smRegistry->add(id, weak_from_this());
    sm_.enable(id);
    ok.setAttr("id", id).setAttr("resume", "true");
    ok.setAttr("max", std::to_string(deps_.config.resumeTimeoutSeconds));
  } else {
    sm_.enable("");
  }
  return ok;
}

void C2SConnection::handleSmNonza(const Element& e) {
  if (e.name() == "enable") {
    if (sm_.enabled()) {
      smFailed("unexpected-request");
      return;
    }
    std::string_view resume = e.attrOr("resume");
    send(enableSm(resume == "true" || resume == "1").str());
    return;
  }
  if (!sm_.enabled()) {
    smFailed("unexpected-request");
    return;
  }
  if (e.name() == "r") {
    // "Handled" includes stored: the answer waits until the storage thread has run every job
    // queued so far (offline messages among them) and archives have committed what they
    // gathered, so an acknowledged stanza survives a crash.
    Element a("a", std::string(kNsSm));
    a.setAttr("h", std::to_string(sm_.inbound()));
    deps_.storage.sync([self = shared_from_this(), ack = a.str()] {
      asio::post(self->stream_.executor(), [self, ack] {
        if (self->state_ != State::kClosed) {
          self->send(ack);
        }
      });
    });
  } else if (e.name() == "a") {
    std::string_view hs = e.attrOr("h");
    auto h = core::sm::parseCount(hs);
    if (!h) {
      streamError("undefined-condition", "<a/> needs an 'h' between 0 and 2^32-1");
      return;
    }
    if (sm_.ack(*h) == core::sm::StreamManagement::AckResult::kTooHigh) {
      // XEP-0198 section 5: handled-count-too-high.
      Element tooHigh("handled-count-too-high", std::string(kNsSm));
      tooHigh.setAttr("h", std::string(hs)).setAttr("send-count", std::to_string(sm_.sentCount()));
      streamError("undefined-condition",
                  "h=" + std::string(hs) + " acknowledges more than the " +
                      std::to_string(sm_.sentCount()) + " stanzas sent",
                  &tooHigh);
    }
  } else {
    smFailed("unexpected-request");
  }
}

std::optional<C2SConnection::ResumeState> C2SConnection::detachForResume(
    const std::shared_ptr<C2SConnection>& successor) {
  if (takenOver_ || !bound_ || !sm_.resumable() || (state_ == State::kClosed && !hibernating_)) {
    return std::nullopt;
  }
  takenOver_ = true;
  successor_ = successor;
  // Held back for an inactive client: the new connection sends it.
  for (auto& held : csiQueue_) {
    sm_.sent(std::move(held));
  }
  csiQueue_.clear();
  ResumeState st;
  st.jid = jid_;
  st.available = available();
  st.priority = priority();
  st.interested = interested();
  st.lastPresence = lastPresence();
  st.directedTo = directedTo_;
  st.flags = flagBits();
  st.sm = std::move(sm_);
  sm_ = core::sm::StreamManagement();
  bound_ = false;  // the registry slot passes to the successor
  if (hibernating_) {
    hibernating_ = false;
    detached_.store(false, std::memory_order_release);
    resumeTimer_->cancel();
    state_ = State::kClosed;
  } else {
    // The client came back before we noticed its old connection had died.
    cleanClose_ = true;
    streamError("conflict", "the session was resumed on another connection");
  }
  return st;
}

awaitable<void> C2SConnection::handleResume(const Element& st) {
  std::string previd(st.attrOr("previd"));
  const auto parsedH = core::sm::parseCount(st.attrOr("h"));
  if (previd.empty() || !parsedH) {
    smFailed("bad-request");
    co_return;
  }
  const std::uint32_t h = *parsedH;
  auto old = deps_.smRegistry != nullptr ? deps_.smRegistry->find(previd) : nullptr;
  // Only the same account may resume (XEP-0198 section 7: no session hijacking).
  if (!old || old.get() == this || old->jid_.local() != authedUser_ ||
      old->jid_.domain() != host_) {
    smFailed("item-not-found");
    co_return;
  }
  resuming_ = true;
  auto result = std::make_shared<std::optional<ResumeState>>();
  auto ex = stream_.executor();
  auto done =
      std::make_shared<asio::steady_timer>(ex, std::chrono::steady_clock::time_point::max());
  asio::post(old->stream_.executor(), [old, self = shared_from_this(), result, done, ex] {
    *result = old->detachForResume(self);
    asio::post(ex, [done] { done->cancel(); });
  });
  co_await done->async_wait(kUseTuple);
  if (!*result || closing_) {
    resuming_ = false;
    if (!closing_) {
      smFailed("item-not-found");
    }
    co_return;
  }
  ResumeState& rs = **result;
  jid_ = rs.jid;
  priority_.store(rs.priority, std::memory_order_relaxed);
  interested_.store(rs.interested, std::memory_order_relaxed);
  {
    std::lock_guard lock(presenceMu_);
    lastPresence_ = rs.lastPresence;
  }
  available_.store(rs.available, std::memory_order_release);
  directedTo_ = std::move(rs.directedTo);
  setFlagBits(rs.flags);
  sm_ = std::move(rs.sm);
  bound_ = true;
  deps_.connections.bound(this, jid_.str(), peer_);
  state_ = State::kEstablished;
  negotiationDone();
  deps_.router.replace(*old, shared_from_this());
  deps_.smRegistry->add(previd, weak_from_this());
  Element resumed("resumed", std::string(kNsSm));
  resumed.setAttr("h", std::to_string(sm_.inbound())).setAttr("previd", previd);
  send(resumed.str());
  resuming_ = false;
  if (sm_.ack(h) == core::sm::StreamManagement::AckResult::kTooHigh) {
    streamError("undefined-condition", "h acknowledges more stanzas than were sent");
    co_return;
  }
  // Retransmit what the client did not get, then what arrived during the hand-over.
  auto pending = sm_.takeUnacked();
  sm_ = core::sm::StreamManagement::withCounts(sm_.inbound(), h);
  sm_.enable(previd);
  for (auto& p : pending) {
    writeStanza(std::move(p));
  }
  std::vector<core::sm::Outbound> held;
  held.swap(heldDuringResume_);
  for (auto& p : held) {
    writeStanza(std::move(p));
  }
  spdlog::info("event=session_resumed peer={} jid={} resent={}", peer_,
               core::logQuoted(jid_.str()), pending.size() + held.size());
}

void C2SConnection::close(std::string_view condition) {
  auto self = shared_from_this();
  asio::post(stream_.executor(), [self, c = std::string(condition)] {
    if (self->hibernating_) {
      // No connection to send the error on: the session simply ends.
      self->hibernating_ = false;
      self->detached_.store(false, std::memory_order_release);
      self->resumeTimer_->cancel();
      self->endSession();
      return;
    }
    if (c == "conflict") {
      // Replaced by a new session: that one owns the registry slot now.
      self->bound_ = false;
      self->replaced_ = true;
    }
    self->streamError(c, c == "conflict" ? "replaced by a new connection for this resource"
                                         : std::string_view{});
  });
}

void C2SConnection::send(const Element& e) {
  std::string s;
  e.serialize(s, outNs());
  send(std::move(s));
}

void C2SConnection::send(std::string data) {
  if (state_ == State::kClosed) {
    return;
  }
  out_ += data;
  appended(data.size());
}

void C2SConnection::appended(std::size_t bytes) {
  if (ws_) {
    frames_.push_back(out_.size());  // each append is one whole element: one message
  }
  if (out_.size() > deps_.config.maxOutboundBytes && !closing_) {
    // The client does not read: drop it rather than buffer without bound.
    counters_.outbound.fetch_sub(static_cast<std::int64_t>(out_.size() - bytes),
                                 std::memory_order_relaxed);
    out_.clear();
    frames_.clear();
    streamError("policy-violation", "the client is not reading its stream");
    return;
  }
  counters_.outbound.fetch_add(static_cast<std::int64_t>(bytes), std::memory_order_relaxed);
  // Writes are coalesced: everything queued while this thread runs its current handlers
  // goes out in one TLS write.
  if (writing_ || flushPosted_) {
    return;
  }
  flushPosted_ = true;
  auto self = shared_from_this();
  asio::post(stream_.executor(), [self] {
    self->flushPosted_ = false;
    self->flush();
  });
}

void C2SConnection::flush() {
  if (writing_ || out_.empty()) {
    return;
  }
  if (!closing_ && sm_.wantAckRequest()) {
    // XEP-0198: ask after each batch of stanzas.
    constexpr std::string_view kRequest = "<r xmlns='urn:xmpp:sm:3'/>";
    out_ += kRequest;
    counters_.outbound.fetch_add(static_cast<std::int64_t>(kRequest.size()),
                                 std::memory_order_relaxed);
    if (ws_) {
      frames_.push_back(out_.size());
    }
  }
  writing_ = true;
  inflight_.swap(out_);
  out_.clear();
  inflightFrames_.swap(frames_);
  frames_.clear();
  auto self = shared_from_this();
  auto done = [self](boost::system::error_code ec, std::size_t) {
    self->counters_.outbound.fetch_sub(static_cast<std::int64_t>(self->inflight_.size()),
                                       std::memory_order_relaxed);
    self->writing_ = false;
    self->inflight_.clear();
    self->inflightFrames_.clear();
    if (self->out_.empty()) {
      // Idle again: most connections are idle most of the time, so they keep no buffers.
      std::string().swap(self->inflight_);
      std::string().swap(self->out_);
    }
    if (ec) {
      self->closing_ = true;
      self->closeTransport();
      return;
    }
    if (!self->out_.empty()) {
      self->flush();
    } else if (self->closing_) {
      self->lingerClose();
    }
  };
  if (ws_) {
    ws_->write(inflight_, inflightFrames_, [done](boost::system::error_code ec) { done(ec, 0); });
  } else {
    stream_.asyncWriteAll(inflight_, [done](boost::system::error_code ec) { done(ec, 0); });
  }
}

void C2SConnection::streamError(std::string_view condition, std::string_view text,
                                const Element* appSpecific) {
  if (closing_) {
    return;
  }
  cleanClose_ = true;  // a stream the server ends is not resumable
  if (!headerSent_) {
    send(ws_ ? std::string("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' version='1.0'/>")
             : std::string("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                           "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"));
    headerSent_ = true;
  }
  std::string e = ws_ ? "<stream:error xmlns:stream='http://etherx.jabber.org/streams'>"
                      : "<stream:error>";
  Element cond{std::string(condition), std::string(core::kNsStreams)};
  cond.serialize(e, core::kNsClient);
  if (!text.empty()) {
    Element t("text", std::string(core::kNsStreams));
    t.setAttr("xml:lang", "en");
    t.addText(text);
    t.serialize(e, core::kNsClient);
  }
  if (appSpecific != nullptr) {
    appSpecific->serialize(e, core::kNsClient);
  }
  e += "</stream:error>";
  if (ws_) {
    send(std::move(e));  // RFC 7395 section 3.6: the error, then <close/>, one message each
    send(closeTag());
  } else {
    send(e + "</stream:stream>");
  }
  closing_ = true;
  parser_.stop();
  if (condition != "system-shutdown" && condition != "conflict") {
    deps_.refusals.refuse(condition, peer_, core::logQuoted(text));
  }
  // The queued error goes out first; the write's completion then closes (lingerClose), and
  // the peer's close, or the linger timeout, ends the pending read.
}

void C2SConnection::lingerClose() {
  if (ws_) {
    if (!lingering_) {
      lingering_ = true;
      ws_->close([self = shared_from_this()] {});  // the WebSocket closing handshake
    }
    return;
  }
  if (lingering_ || !stream_.isOpen()) {
    return;
  }
  lingering_ = true;
  // RFC 6120 section 4.4: having sent </stream:stream>, wait for the peer to close too.
  // Closing at once with unread bytes in the socket would reset the connection, and the
  // peer could lose the end of our stream.
  stream_.shutdownSend();
  lingerTimer_ = std::make_unique<asio::steady_timer>(stream_.executor(), kLingerTimeout);
  lingerTimer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) {
      self->stream_.close();
    }
  });
  drain();
}

void C2SConnection::drain() {
  thread_local std::array<char, 4096> sink;
  for (;;) {
    boost::system::error_code ec;
    std::size_t n = stream_.socket().read_some(asio::buffer(sink), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      stream_.socket().async_wait(asio::socket_base::wait_read,
                                  [self = shared_from_this()](boost::system::error_code wec) {
                                    if (!wec) {
                                      self->drain();
                                    }
                                  });
      return;
    }
    if (ec || n == 0) {
      stream_.close();
      lingerTimer_->cancel();
      return;
    }
  }
}

void C2SConnection::scheduleSweep() {
  tConnections.timer->expires_after(kSweepInterval);
  tConnections.timer->async_wait([](boost::system::error_code ec) {
    if (ec) {
      return;
    }
    // A connection silent for a whole interval gives its XML parser back; the next byte
    // re-creates it (see StreamParser::hibernate).
    std::size_t freed = 0;
    for (C2SConnection* c : tConnections.all) {
      if (!c->active_ && c->state_ == State::kEstablished && !c->closing_ && !c->ws_ &&
          c->parser_.canHibernate()) {
        c->parser_.hibernate();
        ++freed;
      }
      c->active_ = false;
    }
    if (freed > 0) {
      // Hand the freed pages back to the system, at most once per interval for the process.
      static std::atomic<std::int64_t> lastTrim{0};
      const std::int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
      std::int64_t prev = lastTrim.load(std::memory_order_relaxed);
      if (now - prev > std::chrono::nanoseconds(kSweepInterval).count() / 2 &&
          lastTrim.compare_exchange_strong(prev, now)) {
        malloc_trim(0);
      }
    }
    scheduleSweep();
  });
}

void C2SConnection::armDeadline(std::chrono::steady_clock::time_point at, const char* phase) {
  phase_ = phase;
  if (!deadline_) {
    deadline_ = std::make_unique<asio::steady_timer>(stream_.executor());
  }
  deadline_->expires_at(at);
  deadline_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->closing_ || self->state_ == State::kEstablished ||
        self->state_ == State::kClosed) {
      return;
    }
    const std::string detail = std::string("the ") + self->phase_ + " phase took too long";
    if (self->inHandshake_) {
      // No stream to carry an error mid-handshake: just close.
      self->deps_.refusals.refuse("negotiation-timeout", self->peer_, self->phase_);
      self->closing_ = true;
      self->closeTransport();
      return;
    }
    self->streamError("connection-timeout", detail);
  });
}

void C2SConnection::negotiationDone() {
  negotiating_.release();
  if (deadline_) {
    deadline_->cancel();
  }
}

void C2SConnection::finish() {
  tConnections.all.erase(this);
  // Signed in but never bound a resource: the sign-in is still recorded (here, on the network
  // thread while the server runs; never from the destructor, which may run after shutdown).
  if (pendingLogin_ && deps_.auth.recordLogin) {
    deps_.auth.recordLogin(std::move(*pendingLogin_));
    pendingLogin_.reset();
  }
  negotiationDone();
  if (state_ == State::kClosed || hibernating_) {
    return;
  }
  if (takenOver_) {
    closing_ = true;
    flush();
    if (!writing_) {
      lingerClose();
    }
    state_ = State::kClosed;
    return;
  }
  if (bound_ && sm_.resumable() && !cleanClose_ && deps_.config.resumeTimeoutSeconds > 0) {
    hibernate();
    return;
  }
  endSession();
}

void C2SConnection::hibernate() {
  hibernating_ = true;
  detached_.store(true, std::memory_order_release);
  closing_ = true;
  // Whatever was queued may never have arrived: the unacknowledged queue holds all of it.
  for (auto& held : csiQueue_) {
    sm_.sent(std::move(held));
  }
  csiQueue_.clear();
  counters_.outbound.fetch_sub(static_cast<std::int64_t>(out_.size()), std::memory_order_relaxed);
  std::string().swap(out_);
  frames_.clear();
  closeTransport();
  resumeTimer_ = std::make_unique<asio::steady_timer>(
      stream_.executor(), std::chrono::seconds(deps_.config.resumeTimeoutSeconds));
  resumeTimer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec && self->hibernating_) {
      self->hibernating_ = false;
      self->detached_.store(false, std::memory_order_release);
      spdlog::info("event=session_resume_timeout jid={}", core::logQuoted(self->jid_.str()));
      self->endSession();
    }
  });
  spdlog::info("event=session_hibernating peer={} jid={} unacked={}", peer_,
               core::logQuoted(jid_.str()), sm_.unackedCount());
}

void C2SConnection::redeliver(const core::sm::Outbound& out, const core::Session* except) {
  if (out.stanza->name() != "message") {
    return;  // only messages are stored or passed on
  }
  Element m(*out.stanza);
  if (out.toSelf) {
    m.setAttr("to", jid_.str());
  }
  deps_.router.redeliver(std::move(m), except);
}

void C2SConnection::endSession() {
  const bool wasAvailable = available();
  const bool hadSession = bound_ || replaced_;
  if (bound_) {
    deps_.router.unbind(*this);
    bound_ = false;
  }
  if (hadSession) {
    // RFC 6121 section 4.5.2: a session that ends for any reason (replaced by a new one
    // included) sends unavailable to contacts and to directed-presence targets (4.6.3; those
    // too when no broadcast presence was ever sent).
    Element u("presence", std::string(core::kNsClient));
    u.setAttr("type", "unavailable").setAttr("from", jid_.str());
    if (wasAvailable) {
      Element copy = u;
      deps_.router.routeFrom(std::move(copy), this);
      available_.store(false, std::memory_order_release);
    }
    for (const auto& to : directedTo_) {
      Element d = u;
      d.setAttr("to", to);
      deps_.router.routeFrom(std::move(d), this);
    }
    directedTo_.clear();
    spdlog::info("event=session_closed jid={}", core::logQuoted(jid_.str()));
  }
  if (sm_.enabled()) {
    // XEP-0198 section 4: unacknowledged messages are treated as undelivered.
    if (sm_.resumable() && deps_.smRegistry != nullptr) {
      deps_.smRegistry->remove(sm_.id(), this);
    }
    for (auto& out : sm_.takeUnacked()) {
      redeliver(out, nullptr);
    }
  }
  closing_ = true;
  flush();  // whatever is queued (e.g. our </stream:stream>) still goes out
  if (!writing_) {
    lingerClose();
  }
  state_ = State::kClosed;
}

}  // namespace rampart::net
