#pragma once
// One client's authentication on one connection: the SASL mechanisms (SCRAM with and without
// channel binding, PLAIN when configured), credential lookup (the account's password and its
// per-device app passwords), sign-in pacing and locks, the account's security state (freeze,
// one-time and expired passwords) and the login record of every checked attempt. Transport
// neutral: XMPP SASL (RFC 6120 section 6) and SASL2 (XEP-0388) wrap the same steps.
// Lives on its connection's thread; not thread-safe. The connection must outlive every
// coroutine it starts here.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/refusal_log.h"
#include "core/sasl/scram.h"
#include "core/workers.h"
#include "rampart/storage/stores.h"
#include "security/password/password_policy.h"
#include "security/throttle/sign_in_throttle.h"

namespace rampart::core {
struct HostServices;
}

namespace rampart::core::sasl {

struct AuthDeps {
  const Config& config;
  StorageRunner& storage;
  security::throttle::SignInThrottle& throttle;
  RefusalLog& refusals;
  std::string fakeSaltKey;  // keys fake SCRAM salts for unknown users
  // Receives each checked attempt's login record (may be empty: records are not kept).
  std::function<void(storage::LoginRecord)> recordLogin;
  // The tenants' password rules (maximum age); null: passwords do not expire.
  const security::password::PasswordPolicy* passwords = nullptr;
  // Where the HTTPS listener is reached (the account center's address in notices); may be null.
  const HostServices* services = nullptr;
  // Notices were queued for accounts (security::admin::queueNotice): send them. May be empty.
  std::function<void()> noticesQueued;
  // Derives FAST tokens from the seeds the database keeps (DATA_DIR/fast-token.key).
  std::string fastKey;
};

// Where the attempt comes from.
struct AuthPeer {
  std::string address;
  std::string key;  // what pacing counts: the address, or its /64 for IPv6
  int port = 0;
  std::string protocol = "xmpp";  // login record's protocol
  bool tls = false;
};

// One answer to send: a challenge, success (with server-final data for SCRAM) or failure.
struct AuthStep {
  enum class Kind { kChallenge, kSuccess, kFailure };
  Kind kind = Kind::kFailure;
  std::string data;  // raw bytes: challenge or additional data with success
  SaslError error = SaslError::kNone;
  std::string text;  // human-readable failure text (English), may be empty
  bool endStream = false;  // too many failures on this connection: end it (policy-violation)
};

// XEP-0484 FAST: the token mechanism offered inside SASL2 (tokens without channel binding).
inline constexpr std::string_view kFastMechanism = "HT-SHA-256-NONE";

// Who signed in, once a step has returned kSuccess.
struct AuthResult {
  std::string user;         // prepared localpart
  std::string credential;   // "password", "app-password:ID" or "fast:ID"
  std::string deviceId;     // the device credential's id, or empty
  std::string fastToken;    // the seed of the FAST token that signed in (to rotate), or empty
  bool suspended = false;   // frozen in "suspend" mode: may read, may not send
  std::int64_t atMs = 0;    // when (sessions revoked after this end)
  storage::LoginRecord record;  // to complete (resource) and hand to recordLogin once bound
};

// A keyed digest of a wrong secret (never the secret itself), non-zero: the same wrong
// password repeated is recognised without being kept.
std::uint64_t secretFingerprint(const std::string& key, const std::string& account,
                                const std::string& secret);

class Authenticator {
 public:
  Authenticator(AuthDeps& deps, boost::asio::any_io_executor ex, std::string host, AuthPeer peer);

  // The mechanisms to offer on this connection, strongest first.
  std::vector<std::string> mechanisms(const ChannelBindings& cb) const;
  // Starts an exchange. `initial`: the decoded initial response, if the client sent one.
  boost::asio::awaitable<AuthStep> start(const std::string& mechanism,
                                         std::optional<std::string> initial,
                                         const ChannelBindings& cb);
  // The client's next response (decoded).
  boost::asio::awaitable<AuthStep> respond(std::string data);
  // A failure for something the connection detected itself (bad base64, abort, no TLS).
  boost::asio::awaitable<AuthStep> fail(SaslError error);
  bool inProgress() const { return scram_ != nullptr; }
  const AuthResult& result() const { return result_; }
  // The client software, when the client names it (SASL2 user-agent); for login records.
  void setClient(std::string client) { client_ = std::move(client); }
  // SASL2 only: the FAST mechanism may be used.
  void allowFast(bool on) { fastAllowed_ = on; }

 private:
  struct Lookup;
  boost::asio::awaitable<std::shared_ptr<Lookup>> lookup(const std::string& user, ScramHash hash);
  boost::asio::awaitable<AuthStep> plain(const std::optional<std::string>& initial);
  boost::asio::awaitable<AuthStep> fast(const std::optional<std::string>& initial);
  boost::asio::awaitable<AuthStep> succeeded(const std::string& user, std::size_t matched,
                                             std::string data);
  // `attempt`: a fingerprint of the wrong secret when the mechanism shows it (PLAIN), so that
  // the same wrong password repeated counts once.
  boost::asio::awaitable<AuthStep> failure(SaslError error, std::string text = {},
                                           std::uint64_t attempt = 0);
  // Records a checked attempt and waits until its answer is due; false when the throttle
  // refuses (answer temporary-auth-failure).
  boost::asio::awaitable<bool> answerWhenDue(const std::string& account, bool right,
                                             std::uint64_t attempt = 0);
  std::string accountKeyFor(const std::string& rawUser) const;
  storage::LoginRecord newRecord(const std::string& user) const;
  std::string accountCenterUrl() const;
  // Starts the account's grace period for enrolling a second factor and tells the account.
  void startGrace(const std::string& user, std::int64_t deadlineMs, const std::string& center);
  void record(storage::LoginRecord r);

  AuthDeps& deps_;
  boost::asio::any_io_executor ex_;
  std::string host_;
  AuthPeer peer_;
  std::string client_;
  bool fastAllowed_ = false;
  std::unique_ptr<ScramServer> scram_;
  ScramHash scramHash_ = ScramHash::kSha256;
  bool scramGotFirst_ = false;
  bool cbTypeMismatch_ = false;
  std::string saslUser_;
  std::shared_ptr<Lookup> account_;  // what the exchange in progress found
  unsigned failures_ = 0;
  AuthResult result_;
};

}  // namespace rampart::core::sasl
