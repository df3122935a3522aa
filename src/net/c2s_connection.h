#pragma once
// One client-to-server connection: TLS (STARTTLS or direct), stream negotiation (RFC 6120
// sections 4-7), then the bound session. Lives on one network thread; deliver() and close()
// may be called from any thread and post to it.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "core/config.h"
#include "core/refusal_log.h"
#include "core/router_impl.h"
#include "core/sm/stream_management.h"
#include "core/sasl/authenticator.h"
#include "core/sasl/sasl2.h"
#include "core/sasl/scram.h"
#include "core/workers.h"
#include "net/tls.h"
#include "net/tls_stream.h"
#include "net/ws_transport.h"
#include "rampart/core/session.h"
#include "security/throttle/connection_limiter.h"
#include "security/throttle/sign_in_throttle.h"
#include "xml/stream_parser.h"

namespace rampart::net {
namespace sasl = core::sasl;

class C2SConnection;

// Every open client connection, authenticated or not, so that shutdown can end each stream
// with <system-shutdown/>. Touched only on connect, disconnect and shutdown. Thread-safe.
// A signed-in session as administrators see it.
struct SessionInfo {
  std::string fullJid;
  std::string peer;
  std::int64_t sinceMs = 0;
};

class ConnectionSet {
 public:
  void add(const std::shared_ptr<C2SConnection>& c);
  void remove(const C2SConnection* c);
  // A connection bound its resource (called from its own thread).
  void bound(const C2SConnection* c, std::string fullJid, std::string peer);
  std::vector<SessionInfo> sessionsOf(std::string_view bareJid) const;
  // Ends an account's sessions with a stream error; returns how many.
  std::size_t closeSessionsOf(std::string_view bareJid, std::string_view condition);
  void closeAll(std::string_view condition);
  // Every session (or those of one account, "user@host") checks its account again: deleted,
  // locked, logged out, its device credential revoked, or suspended (after rampartctl or an
  // administrator changed it).
  void recheck(std::string_view bareJid = {});
  std::size_t size() const;

 private:
  std::vector<std::shared_ptr<C2SConnection>> live() const;
  mutable std::mutex mu_;
  std::unordered_map<const C2SConnection*, std::weak_ptr<C2SConnection>> all_;
  std::unordered_map<const C2SConnection*, SessionInfo> sessions_;  // bound ones
};

// Resumable XEP-0198 sessions by SM-ID, live or waiting for their client. Thread-safe.
class SmRegistry {
 public:
  void add(const std::string& id, std::weak_ptr<C2SConnection> c);
  std::shared_ptr<C2SConnection> find(const std::string& id);
  void remove(const std::string& id, const C2SConnection* c);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::weak_ptr<C2SConnection>> byId_;
};

struct C2SDeps {
  const core::Config& config;
  core::RouterImpl& router;
  core::StorageRunner& storage;
  core::Metrics& metrics;
  TlsContexts& tls;
  core::sasl::AuthDeps& auth;
  security::throttle::ConnectionLimiter& limiter;
  core::RefusalLog& refusals;
  ConnectionSet& connections;
  SmRegistry* smRegistry = nullptr;
};

class C2SConnection final : public core::Session,
                            public std::enable_shared_from_this<C2SConnection> {
 public:
  C2SConnection(boost::asio::ip::tcp::socket socket, C2SDeps& deps, bool directTls);
  // RFC 7395: a client on the HTTPS listener's WebSocket (already encrypted).
  C2SConnection(std::unique_ptr<WsTransport> ws, C2SDeps& deps);
  ~C2SConnection() override;

  void start();
  // Reads the account's security state and ends or restricts the session accordingly.
  void recheckSecurity();

  // core::Session
  const core::Jid& jid() const override { return jid_; }
  void deliver(core::ElementPtr stanza) override;
  void deliverStamped(core::ElementPtr stanza) override;
  bool available() const override { return available_.load(std::memory_order_acquire); }
  int priority() const override { return priority_.load(std::memory_order_relaxed); }
  bool interested() const override { return interested_.load(std::memory_order_relaxed); }
  core::ElementPtr lastPresence() const override;
  bool detached() const override { return detached_.load(std::memory_order_acquire); }
  bool deviceCredential() const override { return !deviceId_.empty(); }
  std::string deviceId() const override { return deviceId_; }
  void close(std::string_view condition) override;
  void markInterested() override { interested_.store(true, std::memory_order_relaxed); }

 private:
  enum class State { kNeedTls, kNeedAuth, kNeedBind, kEstablished, kClosed };

  // What a resumed session carries from its old connection to the new one (XEP-0198).
  struct ResumeState {
    core::Jid jid;
    bool available = false;
    int priority = 0;
    bool interested = false;
    core::ElementPtr lastPresence;
    std::set<std::string> directedTo;
    std::uint32_t flags = 0;
    core::sm::StreamManagement sm;
  };

  boost::asio::awaitable<void> run(std::shared_ptr<C2SConnection> self);
  boost::asio::awaitable<void> negotiate(core::Element stanza);
  boost::asio::awaitable<void> handleAuth(const core::Element& auth);
  boost::asio::awaitable<void> handleResponse(const core::Element& response);
  // XEP-0388 SASL2 <authenticate/>, with XEP-0386 Bind 2 and XEP-0484 FAST inside.
  boost::asio::awaitable<void> handleAuthenticate(const core::Element& authenticate);
  // The SASL2 <success/>: inline binding, a FAST token, then the new stream features.
  void sasl2Success(const std::string& additionalData);
  // Binds `resource` (already prepared); an error condition, or empty on success.
  std::string bindResource(const std::string& resource);
  // Sends an authentication step's answer (nothing if the stream ended while it waited).
  void saslAnswer(sasl::AuthStep step);
  sasl::Authenticator& authenticator();
  // Negotiation deadlines: each phase (TLS handshake, stream open, authentication, binding)
  // must finish in time or the connection ends (RFC 6120 4.9.3.4 <connection-timeout/>).
  void armDeadline(std::chrono::steady_clock::time_point at, const char* phase);
  void negotiationDone();
  boost::asio::awaitable<void> handleBind(const core::Element& iq);
  boost::asio::awaitable<void> handleResume(const core::Element& resume);
  // On the old connection's thread: hands the session over to `successor`, or nullopt when
  // it is already gone or taken.
  std::optional<ResumeState> detachForResume(const std::shared_ptr<C2SConnection>& successor);
  void handleSmNonza(const core::Element& e);
  // Enables stream management (with resumption when asked and configured); the <enabled/>
  // answer to send, alone or inside Bind 2's <bound/>.
  core::Element enableSm(bool resume);
  void smFailed(std::string_view condition);
  void hibernate();
  // A message this session took but cannot hand over: to the account's other resources
  // (except `except`) or offline storage.
  void redeliver(const core::sm::Outbound& out, const core::Session* except);
  void endSession();
  void post(core::sm::Outbound out);
  void writeNow(core::sm::Outbound out);
  void csiHold(core::sm::Outbound out);
  void csiFlush();
  void onStreamOpen(const std::map<std::string, std::string>& attrs, const std::string& ns);
  void onStreamEnd();
  // The content namespace for serializing: WebSocket frames stand alone and declare it.
  std::string_view outNs() const { return ws_ ? std::string_view() : core::kNsClient; }
  std::string closeTag() const;
  SSL* bindingSsl();
  void closeTransport();
  void onStanza(core::Element&& stanza);
  void handleEstablished(core::Element& stanza);
  void sendFeatures();
  void send(std::string data);
  void send(const core::Element& e);
  void flush();
  void appended(std::size_t bytes);
  void writeStanza(core::sm::Outbound out);
  // `appSpecific`: an application-specific condition element (RFC 6120 4.9.4), if any.
  void streamError(std::string_view condition, std::string_view text = {},
                   const core::Element* appSpecific = nullptr);
  void readEstablished();
  void lingerClose();
  void drain();
  void finish();  // connection gone: unbind and broadcast unavailable
  static void scheduleSweep();

  TlsStream stream_;
  std::unique_ptr<WsTransport> ws_;  // set for WebSocket clients; stream_ is then unused
  bool wsOpening_ = false;           // handling the client's <open/>
  std::vector<std::size_t> frames_;          // WebSocket: end offset of each message in out_
  std::vector<std::size_t> inflightFrames_;  // ... and in inflight_
  C2SDeps& deps_;
  xml::StreamParser parser_;
  State state_;
  bool tls_ = false;
  bool headerSent_ = false;
  bool writing_ = false;
  bool lingering_ = false;
  std::unique_ptr<boost::asio::steady_timer> lingerTimer_;
  bool active_ = true;  // read something since the last idle sweep
  bool flushPosted_ = false;
  boost::asio::io_context* ioc_ = nullptr;
  bool closing_ = false;
  bool restart_ = false;
  bool startTls_ = false;
  bool bound_ = false;
  bool replaced_ = false;  // a new session took this full JID (its presence still ends here)
  std::string peer_;
  std::string peerKey_;  // what throttles and caps count: the address, or its /64 for IPv6
  int peerPort_ = 0;
  security::throttle::ConnectionLimiter::Ticket negotiating_;
  std::unique_ptr<boost::asio::steady_timer> deadline_;
  const char* phase_ = "";
  bool inHandshake_ = false;
  std::chrono::steady_clock::time_point authDeadline_{};
  std::string host_;
  std::string streamId_;
  std::string out_;
  std::string inflight_;
  std::optional<core::Element> pending_;
  std::unique_ptr<sasl::Authenticator> auth_;
  std::string authedUser_;
  std::int64_t authAtMs_ = 0;  // when it signed in (logouts end sessions signed in before)
  std::string deviceId_;      // the device credential it signed in with, if any
  // What a SASL2 <authenticate/> asked for besides authentication; set while it runs.
  std::optional<sasl::Sasl2Request> sasl2_;
  // The sign-in's login record, written once the resource is known (or in finish(), when the
  // connection ends without binding one).
  std::optional<storage::LoginRecord> pendingLogin_;
  // Frozen in "suspend" mode: the session may read but not send (set at sign-in and when a
  // security administrator freezes or unfreezes the account).
  std::atomic<bool> suspended_{false};
  core::Jid jid_;
  std::atomic<bool> available_{false};
  std::atomic<int> priority_{0};
  std::atomic<bool> interested_{false};
  mutable std::mutex presenceMu_;
  core::ElementPtr lastPresence_;
  std::set<std::string> directedTo_;  // full JIDs that received directed presence
  // XEP-0198
  core::sm::StreamManagement sm_;
  bool cleanClose_ = false;  // the session ends with this stream: no resumption
  bool hibernating_ = false;  // connection gone, session waiting to be resumed
  std::atomic<bool> detached_{false};  // hibernating_, readable from other threads
  bool takenOver_ = false;    // resumed on another connection
  bool resuming_ = false;
  std::vector<core::sm::Outbound> heldDuringResume_;
  std::weak_ptr<C2SConnection> successor_;
  std::unique_ptr<boost::asio::steady_timer> resumeTimer_;
  // XEP-0352
  bool csiInactive_ = false;
  std::vector<core::sm::Outbound> csiQueue_;
  struct Counters;
  Counters& counters_;
};

}  // namespace rampart::net
