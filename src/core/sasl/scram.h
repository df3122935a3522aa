#pragma once
// Server side of SCRAM (RFC 5802, RFC 7677) with channel binding (RFC 5929, RFC 9266),
// and the PLAIN message parser (RFC 4616). One ScramServer per authentication exchange;
// not thread-safe, owned by the connection that runs the exchange.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::core::sasl {

enum class ScramHash { kSha1, kSha256 };

// RFC 6120 section 6.5 failure conditions used by SASL mechanisms.
enum class SaslError {
  kNone,
  kAborted,
  kAccountDisabled,
  kCredentialsExpired,
  kEncryptionRequired,
  kIncorrectEncoding,
  kInvalidAuthzid,
  kInvalidMechanism,
  kMalformedRequest,
  kMechanismTooWeak,
  kNotAuthorized,
  kTemporaryAuthFailure,
};
// Element name of the condition, e.g. "not-authorized".
std::string_view saslErrorName(SaslError e);

// What the server stores instead of a password (RFC 5802 section 3). Keys are raw bytes.
struct ScramCredential {
  ScramHash hash = ScramHash::kSha256;
  std::string salt;  // raw bytes
  uint32_t iterations = 0;
  std::string storedKey;  // H(ClientKey)
  std::string serverKey;  // HMAC(SaltedPassword, "Server Key")
};

// PBKDF2 via OpenSSL. The password must already be SASLprep/OpaqueString-prepared.
// On failure (OpenSSL error, iterations 0 or above INT_MAX) storedKey and serverKey are empty;
// an exchange given such a credential fails with kTemporaryAuthFailure.
ScramCredential deriveScramCredential(ScramHash hash, std::string_view password,
                                      std::string_view salt, uint32_t iterations);

// Cryptographically random bytes (OpenSSL RAND_bytes). Aborts if the generator fails: there is
// no safe fallback for salts and nonces.
std::string randomBytes(std::size_t n);
std::string base64Encode(std::string_view raw);
std::optional<std::string> base64Decode(std::string_view text);  // strict RFC 4648

// Channel-binding data the connection can offer, keyed by type name
// ("tls-exporter", "tls-server-end-point"). Empty when the transport is not TLS.
using ChannelBindings = std::map<std::string, std::string, std::less<>>;

class ScramServer {
 public:
  // plus: the client selected the -PLUS variant. serverOffersPlus: the -PLUS variant was
  // advertised in <mechanisms/> (needed to detect the "y" downgrade, RFC 5802 section 6).
  ScramServer(ScramHash hash, bool plus, bool serverOffersPlus, ChannelBindings bindings,
              std::string serverNonceForTests = {});

  // Parses client-first-message. On success username() is the decoded SASLname (not yet
  // prepared) and authzid() the requested authorization identity (may be empty).
  // Fails with kNotAuthorized for the "y" downgrade and kMalformedRequest for anything else,
  // including a channel-binding type missing from bindings.
  SaslError receiveClientFirst(std::string_view message);
  const std::string& username() const { return username_; }
  const std::string& authzid() const { return authzid_; }

  // Builds server-first-message from the user's stored credential. For an unknown user pass
  // a deterministic fake credential so the exchange does not reveal whether the user exists.
  std::string serverFirst(const ScramCredential& credential);
  // Further keys the proof may match, derived with the same salt and iteration count (an
  // account's per-device app passwords). Call after serverFirst; each is tried in turn.
  void addAlternative(std::string storedKey, std::string serverKey);

  // Verifies client-final-message. On success returns kNone and serverFinal() holds
  // "v=..."; on failure the condition to send: kMalformedRequest (syntax, or called out of
  // order), kIncorrectEncoding (bad base64 in c= or p=), kNotAuthorized (wrong proof, nonce or
  // channel binding), kTemporaryAuthFailure (unusable credential passed to serverFirst).
  SaslError receiveClientFinal(std::string_view message);
  const std::string& serverFinal() const { return serverFinal_; }
  // After success: 0 for the credential given to serverFirst, i for the i-th alternative.
  std::size_t matched() const { return matched_; }

 private:
  ScramHash hash_;
  bool plus_;
  bool serverOffersPlus_;
  ChannelBindings bindings_;
  std::string serverNonce_;
  std::string gs2Header_;
  std::string cbType_;
  std::string username_;
  std::string authzid_;
  std::string clientFirstBare_;
  std::string serverFirst_;
  std::string nonce_;  // client nonce + server nonce
  ScramCredential credential_;
  std::vector<std::pair<std::string, std::string>> alternatives_;  // storedKey, serverKey
  std::size_t matched_ = 0;
  std::string serverFinal_;

  // Each exchange runs forward once; any failure is final so a client cannot retry a guess
  // inside the same exchange.
  enum class State { kAwaitingFirst, kAwaitingServerFirst, kAwaitingFinal, kDone, kFailed };
  State state_ = State::kAwaitingFirst;
  bool credentialUsable_ = false;  // checked in serverFirst, acted on in receiveClientFinal
};

struct PlainMessage {
  std::string authzid;
  std::string authcid;
  std::string password;
};
// RFC 4616: [authzid] NUL authcid NUL passwd, each UTF-8 without NUL, authcid and passwd
// non-empty, at most 255 octets each.
std::optional<PlainMessage> parsePlain(std::string_view message);

}  // namespace rampart::core::sasl
