#include "core/sasl/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cassert>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

namespace rampart::core::sasl {
namespace {

// A SCRAM message of a well-behaved client is a few hundred bytes; the cap bounds the work
// and memory an unauthenticated peer can cause.
constexpr std::size_t kMaxScramMessage = 4096;
constexpr std::size_t kServerNonceBytes = 24;
constexpr std::size_t kPlainFieldMax = 255;  // RFC 4616 section 2

const EVP_MD* digestFor(ScramHash hash) {
  return hash == ScramHash::kSha1 ? EVP_sha1() : EVP_sha256();
}

std::size_t digestSize(ScramHash hash) { return hash == ScramHash::kSha1 ? 20 : 32; }

std::optional<std::string> hmac(ScramHash hash, std::string_view key, std::string_view data) {
  if (key.size() > INT_MAX) {
    return std::nullopt;
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int outLen = 0;
  if (HMAC(digestFor(hash), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
           &outLen) == nullptr) {
    return std::nullopt;
  }
  std::string result(reinterpret_cast<const char*>(out), outLen);
  OPENSSL_cleanse(out, sizeof(out));
  return result;
}

std::optional<std::string> digest(ScramHash hash, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int outLen = 0;
  if (EVP_Digest(data.data(), data.size(), out, &outLen, digestFor(hash), nullptr) != 1) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(out), outLen);
}

bool constantTimeEqual(std::string_view a, std::string_view b) {
  // The lengths are public (digest sizes, channel-binding lengths); only contents are secret.
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void cleanse(std::string& s) {
  if (!s.empty()) {
    OPENSSL_cleanse(s.data(), s.size());
  }
  s.clear();
}

// RFC 3629 section 4, which is also what RFC 5802's UTF8-2/3/4 productions reference: no
// overlong forms, no surrogates, nothing above U+10FFFF.
bool isValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t tail = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      tail = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      tail = 2;
      if (c == 0xE0) {
        lo = 0xA0;
      } else if (c == 0xED) {
        hi = 0x9F;
      }
    } else if (c >= 0xF0 && c <= 0xF4) {
      tail = 3;
      if (c == 0xF0) {
        lo = 0x90;
      } else if (c == 0xF4) {
        hi = 0x8F;
      }
    } else {
      return false;
    }
    if (s.size() - i - 1 < tail) {
      return false;
    }
    const auto first = static_cast<unsigned char>(s[i + 1]);
    if (first < lo || first > hi) {
      return false;
    }
    for (std::size_t k = 2; k <= tail; ++k) {
      const auto t = static_cast<unsigned char>(s[i + k]);
      if (t < 0x80 || t > 0xBF) {
        return false;
      }
    }
    i += tail + 1;
  }
  return true;
}

bool isAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// RFC 5802 "printable": ASCII 0x21-0x7E except ','. Nonces are made of these.
bool isPrintableNonce(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x21 && c <= 0x7E && c != ','; });
}

// RFC 5802 "cb-name": 1*(ALPHA / DIGIT / "." / "-").
bool isCbName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return isAlpha(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
  });
}

// RFC 5802 "value": 1*value-char, i.e. non-empty UTF-8 without NUL and ','. Callers have
// already split on ','.
bool isValue(std::string_view s) {
  return !s.empty() && s.find('\0') == std::string_view::npos && isValidUtf8(s);
}

// Decodes an RFC 5802 saslname. Only "=2C" and "=3D" are escapes; any other '=' is an error
// because accepting it would let two spellings name the same account.
std::optional<std::string> decodeSaslName(std::string_view s) {
  if (!isValue(s)) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '=') {
      out.push_back(s[i]);
      continue;
    }
    const std::string_view escape = s.substr(i + 1, 2);
    if (escape == "2C") {
      out.push_back(',');
    } else if (escape == "3D") {
      out.push_back('=');
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return out;
}

struct Attribute {
  char name;
  std::string_view value;
};

// Splits "x=...,y=..." into attributes. Fails unless every piece is ALPHA "=" *char; value
// syntax is checked by the caller because it differs per attribute.
std::optional<std::vector<Attribute>> splitAttributes(std::string_view s) {
  std::vector<Attribute> attrs;
  while (true) {
    const std::size_t comma = s.find(',');
    const std::string_view piece = s.substr(0, comma);
    if (piece.size() < 2 || !isAlpha(piece[0]) || piece[1] != '=') {
      return std::nullopt;
    }
    attrs.push_back({piece[0], piece.substr(2)});
    if (comma == std::string_view::npos) {
      return attrs;
    }
    s.remove_prefix(comma + 1);
  }
}

// Extensions may appear after the fixed attributes. "m" is reserved for mandatory extensions,
// none of which we implement, so RFC 5802 section 5.1 requires failing. An extension reusing
// a name the message already defines ("r" twice) is rejected too: two readers of the same
// message must not disagree about which value counts.
bool extensionsAcceptable(const std::vector<Attribute>& attrs, std::size_t first,
                          std::string_view reserved) {
  for (std::size_t i = first; i < attrs.size(); ++i) {
    if (attrs[i].name == 'm' || reserved.find(attrs[i].name) != std::string_view::npos ||
        !isValue(attrs[i].value)) {
      return false;
    }
  }
  return true;
}

constexpr signed char kNotBase64 = -1;

signed char base64Value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return static_cast<signed char>(c - 'A');
  }
  if (c >= 'a' && c <= 'z') {
    return static_cast<signed char>(c - 'a' + 26);
  }
  if (c >= '0' && c <= '9') {
    return static_cast<signed char>(c - '0' + 52);
  }
  if (c == '+') {
    return 62;
  }
  if (c == '/') {
    return 63;
  }
  return kNotBase64;
}

}  // namespace

std::string_view saslErrorName(SaslError e) {
  switch (e) {
    case SaslError::kNone:
      return "";
    case SaslError::kAborted:
      return "aborted";
    case SaslError::kAccountDisabled:
      return "account-disabled";
    case SaslError::kCredentialsExpired:
      return "credentials-expired";
    case SaslError::kEncryptionRequired:
      return "encryption-required";
    case SaslError::kIncorrectEncoding:
      return "incorrect-encoding";
    case SaslError::kInvalidAuthzid:
      return "invalid-authzid";
    case SaslError::kInvalidMechanism:
      return "invalid-mechanism";
    case SaslError::kMalformedRequest:
      return "malformed-request";
    case SaslError::kMechanismTooWeak:
      return "mechanism-too-weak";
    case SaslError::kNotAuthorized:
      return "not-authorized";
    case SaslError::kTemporaryAuthFailure:
      return "temporary-auth-failure";
  }
  // Unreachable for valid enumerators; a generic condition is the safe answer for the rest.
  return "not-authorized";
}

ScramCredential deriveScramCredential(ScramHash hash, std::string_view password,
                                      std::string_view salt, uint32_t iterations) {
  ScramCredential cred;
  cred.hash = hash;
  cred.salt = std::string(salt);
  cred.iterations = iterations;
  if (iterations == 0 || iterations > INT_MAX || password.size() > INT_MAX ||
      salt.size() > INT_MAX) {
    return cred;
  }
  const std::size_t len = digestSize(hash);
  std::string salted(len, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations),
                        digestFor(hash), static_cast<int>(len),
                        reinterpret_cast<unsigned char*>(salted.data())) != 1) {
    cleanse(salted);
    return cred;
  }
  std::optional<std::string> clientKey = hmac(hash, salted, "Client Key");
  std::optional<std::string> serverKey = hmac(hash, salted, "Server Key");
  cleanse(salted);
  std::optional<std::string> storedKey = clientKey ? digest(hash, *clientKey) : std::nullopt;
  if (clientKey) {
    cleanse(*clientKey);
  }
  if (storedKey && serverKey) {
    // Moving hands over the buffers, so no unwiped copy of ServerKey is left behind.
    cred.storedKey = std::move(*storedKey);
    cred.serverKey = std::move(*serverKey);
  } else if (serverKey) {
    cleanse(*serverKey);
  }
  return cred;
}

std::string randomBytes(std::size_t n) {
  std::string out(n, '\0');
  std::size_t done = 0;
  while (done < n) {
    const int chunk = static_cast<int>(std::min<std::size_t>(n - done, 1 << 20));
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data() + done), chunk) != 1) {
      // Predictable salts or nonces would silently weaken every credential and exchange;
      // stopping is the only fail-closed answer (BoringSSL makes the same choice).
      (void)std::fputs("rampart: RAND_bytes failed, aborting\n", stderr);
      std::abort();
    }
    done += static_cast<std::size_t>(chunk);
  }
  return out;
}

std::string base64Encode(std::string_view raw) {
  // EVP_EncodeBlock takes an int length, so feed it whole 3-byte groups in bounded chunks.
  constexpr std::size_t kChunk = std::size_t{3} * 4096;
  std::string out;
  out.reserve((raw.size() + 2) / 3 * 4);
  unsigned char buf[kChunk / 3 * 4 + 1];
  while (!raw.empty()) {
    const std::size_t take = std::min(raw.size(), kChunk);
    const int n = EVP_EncodeBlock(buf, reinterpret_cast<const unsigned char*>(raw.data()),
                                  static_cast<int>(take));
    out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
    raw.remove_prefix(take);
  }
  return out;
}

std::optional<std::string> base64Decode(std::string_view text) {
  // EVP_DecodeBlock is lenient (skips whitespace, accepts '=' anywhere in the last group, keeps
  // non-zero pad bits), so validate the canonical RFC 4648 form first and only then decode.
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  if (text.empty()) {
    return std::string();
  }
  std::size_t pad = 0;
  if (text.back() == '=') {
    pad = text[text.size() - 2] == '=' ? 2 : 1;
  }
  const std::size_t dataChars = text.size() - pad;
  for (std::size_t i = 0; i < dataChars; ++i) {
    if (base64Value(text[i]) == kNotBase64) {
      return std::nullopt;
    }
  }
  // RFC 4648 section 3.5: unused bits must be zero, otherwise many texts decode to one value.
  const auto last = static_cast<unsigned char>(base64Value(text[dataChars - 1]));
  if ((pad == 1 && (last & 0x03) != 0) || (pad == 2 && (last & 0x0F) != 0)) {
    return std::nullopt;
  }

  constexpr std::size_t kChunk = std::size_t{4} * 4096;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  unsigned char buf[kChunk / 4 * 3];
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::size_t take = std::min(rest.size(), kChunk);
    const int n = EVP_DecodeBlock(buf, reinterpret_cast<const unsigned char*>(rest.data()),
                                  static_cast<int>(take));
    if (n < 0) {
      return std::nullopt;
    }
    out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
    rest.remove_prefix(take);
  }
  // EVP_DecodeBlock emits three bytes per group, padding included.
  out.resize(out.size() - pad);
  return out;
}

ScramServer::ScramServer(ScramHash hash, bool plus, bool serverOffersPlus, ChannelBindings bindings,
                         std::string serverNonceForTests)
    : hash_(hash),
      plus_(plus),
      serverOffersPlus_(serverOffersPlus),
      bindings_(std::move(bindings)),
      serverNonce_(std::move(serverNonceForTests)) {
  assert(serverNonce_.empty() || isPrintableNonce(serverNonce_));
}

SaslError ScramServer::receiveClientFirst(std::string_view message) {
  if (state_ != State::kAwaitingFirst) {
    state_ = State::kFailed;
    return SaslError::kMalformedRequest;
  }
  // Pessimistic: every early return below is a failure.
  state_ = State::kFailed;
  if (message.empty() || message.size() > kMaxScramMessage) {
    return SaslError::kMalformedRequest;
  }

  // gs2-header = gs2-cbind-flag "," [ authzid ] ","
  const std::size_t flagEnd = message.find(',');
  if (flagEnd == std::string_view::npos) {
    return SaslError::kMalformedRequest;
  }
  const std::size_t authzEnd = message.find(',', flagEnd + 1);
  if (authzEnd == std::string_view::npos) {
    return SaslError::kMalformedRequest;
  }
  const std::string_view flag = message.substr(0, flagEnd);
  const std::string_view authz = message.substr(flagEnd + 1, authzEnd - flagEnd - 1);
  const std::string_view bare = message.substr(authzEnd + 1);

  std::string cbType;
  if (flag == "n" || flag == "y") {
    // A client that picked -PLUS must bind; anything else contradicts its own choice.
    if (plus_) {
      return SaslError::kMalformedRequest;
    }
    // "y" means "I could bind but believe you cannot". We advertised -PLUS, so somebody
    // stripped it on the way: RFC 5802 section 6 requires failing. We fail here rather than
    // after the proof because nothing learned later could change the outcome.
    if (flag == "y" && serverOffersPlus_) {
      return SaslError::kNotAuthorized;
    }
  } else if (flag.size() > 2 && flag.substr(0, 2) == "p=" && isCbName(flag.substr(2))) {
    if (!plus_) {
      return SaslError::kMalformedRequest;
    }
    cbType = std::string(flag.substr(2));
    // An unknown type is malformed-request, not not-authorized: we advertise the types we
    // support (XEP-0440), so the client broke the negotiation, and not-authorized would make
    // clients report a wrong password. The request never reaches credential checking.
    if (bindings_.find(cbType) == bindings_.end()) {
      return SaslError::kMalformedRequest;
    }
  } else {
    return SaslError::kMalformedRequest;
  }

  std::string authzid;
  if (!authz.empty()) {
    if (authz.size() < 2 || authz.substr(0, 2) != "a=") {
      return SaslError::kMalformedRequest;
    }
    std::optional<std::string> decoded = decodeSaslName(authz.substr(2));
    if (!decoded) {
      return SaslError::kMalformedRequest;
    }
    authzid = std::move(*decoded);
  }

  // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
  std::optional<std::vector<Attribute>> attrs = splitAttributes(bare);
  if (!attrs || attrs->size() < 2 || (*attrs)[0].name != 'n' || (*attrs)[1].name != 'r') {
    // This includes a leading "m=": mandatory extensions are unsupported (section 5.1).
    return SaslError::kMalformedRequest;
  }
  std::optional<std::string> username = decodeSaslName((*attrs)[0].value);
  if (!username || !isPrintableNonce((*attrs)[1].value) || !extensionsAcceptable(*attrs, 2, "nr")) {
    return SaslError::kMalformedRequest;
  }

  if (serverNonce_.empty()) {
    serverNonce_ = base64Encode(randomBytes(kServerNonceBytes));
  }
  gs2Header_ = std::string(message.substr(0, authzEnd + 1));
  cbType_ = std::move(cbType);
  username_ = std::move(*username);
  authzid_ = std::move(authzid);
  clientFirstBare_ = std::string(bare);
  nonce_ = std::string((*attrs)[1].value) + serverNonce_;
  state_ = State::kAwaitingServerFirst;
  return SaslError::kNone;
}

std::string ScramServer::serverFirst(const ScramCredential& credential) {
  assert(state_ == State::kAwaitingServerFirst);
  if (state_ != State::kAwaitingServerFirst) {
    state_ = State::kFailed;
    return {};
  }
  const std::size_t len = digestSize(hash_);
  credentialUsable_ = credential.hash == hash_ && credential.iterations > 0 &&
                      credential.storedKey.size() == len && credential.serverKey.size() == len;
  // Not asserted: a credential row can be damaged in storage, and the outcome (a temporary
  // failure after the client's proof) is handled. Continuing keeps the exchange looking the
  // same to the client as one for a healthy account.
  credential_ = credential;
  serverFirst_ = "r=" + nonce_ + ",s=" + base64Encode(credential.salt) +
                 ",i=" + std::to_string(credential.iterations);
  state_ = State::kAwaitingFinal;
  return serverFirst_;
}

void ScramServer::addAlternative(std::string storedKey, std::string serverKey) {
  const std::size_t len = digestSize(hash_);
  if (storedKey.size() == len && serverKey.size() == len) {
    alternatives_.emplace_back(std::move(storedKey), std::move(serverKey));
  }
}

SaslError ScramServer::receiveClientFinal(std::string_view message) {
  serverFinal_.clear();
  if (state_ != State::kAwaitingFinal) {
    state_ = State::kFailed;
    return SaslError::kMalformedRequest;
  }
  state_ = State::kFailed;
  // Whatever happens below, this exchange is over; the keys are not needed any more.
  struct Wipe {
    ScramCredential& c;
    std::vector<std::pair<std::string, std::string>>& alt;
    ~Wipe() {
      cleanse(c.storedKey);
      cleanse(c.serverKey);
      for (auto& [stored, server] : alt) {
        cleanse(stored);
        cleanse(server);
      }
    }
  } wipe{credential_, alternatives_};

  if (message.empty() || message.size() > kMaxScramMessage) {
    return SaslError::kMalformedRequest;
  }
  // client-final-message = channel-binding "," nonce ["," extensions] "," proof
  // The proof is always last, and AuthMessage covers everything before it.
  const std::size_t proofComma = message.rfind(',');
  if (proofComma == std::string_view::npos) {
    return SaslError::kMalformedRequest;
  }
  const std::string_view withoutProof = message.substr(0, proofComma);
  const std::string_view proofAttr = message.substr(proofComma + 1);
  std::optional<std::vector<Attribute>> attrs = splitAttributes(withoutProof);
  if (!attrs || attrs->size() < 2 || (*attrs)[0].name != 'c' || (*attrs)[1].name != 'r' ||
      !isPrintableNonce((*attrs)[1].value) || !extensionsAcceptable(*attrs, 2, "crp") ||
      proofAttr.size() <= 2 || proofAttr.substr(0, 2) != "p=") {
    return SaslError::kMalformedRequest;
  }

  std::optional<std::string> cbindInput = base64Decode((*attrs)[0].value);
  std::optional<std::string> proof = base64Decode(proofAttr.substr(2));
  if (!cbindInput || !proof) {
    return SaslError::kIncorrectEncoding;
  }
  if (!credentialUsable_) {
    return SaslError::kTemporaryAuthFailure;
  }

  // c= must repeat our gs2-header byte for byte (so a rewritten flag or authzid is caught) plus,
  // for -PLUS, this connection's binding data (so a relayed exchange is caught).
  std::string expected = gs2Header_;
  if (!cbType_.empty()) {
    const auto it = bindings_.find(cbType_);
    if (it == bindings_.end()) {
      return SaslError::kNotAuthorized;
    }
    expected += it->second;
  }
  if (!constantTimeEqual(*cbindInput, expected) || (*attrs)[1].value != nonce_ ||
      proof->size() != digestSize(hash_)) {
    return SaslError::kNotAuthorized;
  }

  std::string authMessage = clientFirstBare_;
  authMessage.append(",").append(serverFirst_).append(",").append(withoutProof);
  // Each candidate key in turn (the account's password first, then its device credentials):
  // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage) must hash to that StoredKey.
  const std::size_t candidates = 1 + alternatives_.size();
  for (std::size_t i = 0; i < candidates; ++i) {
    const std::string& stored = i == 0 ? credential_.storedKey : alternatives_[i - 1].first;
    const std::string& server = i == 0 ? credential_.serverKey : alternatives_[i - 1].second;
    std::optional<std::string> clientSignature = hmac(hash_, stored, authMessage);
    if (!clientSignature) {
      return SaslError::kTemporaryAuthFailure;
    }
    // The ClientKey is as good as the password for logging in, so it is wiped as soon as it
    // has been hashed.
    std::string clientKey = *proof;
    for (std::size_t k = 0; k < clientKey.size(); ++k) {
      clientKey[k] = static_cast<char>(clientKey[k] ^ (*clientSignature)[k]);
    }
    std::optional<std::string> storedKey = digest(hash_, clientKey);
    cleanse(clientKey);
    if (!storedKey) {
      return SaslError::kTemporaryAuthFailure;
    }
    if (!constantTimeEqual(*storedKey, stored)) {
      continue;
    }
    std::optional<std::string> serverSignature = hmac(hash_, server, authMessage);
    if (!serverSignature) {
      return SaslError::kTemporaryAuthFailure;
    }
    serverFinal_ = "v=" + base64Encode(*serverSignature);
    matched_ = i;
    state_ = State::kDone;
    cleanse(*proof);
    return SaslError::kNone;
  }
  cleanse(*proof);
  return SaslError::kNotAuthorized;
}

std::optional<PlainMessage> parsePlain(std::string_view message) {
  if (message.size() > 3 * kPlainFieldMax + 2) {
    return std::nullopt;
  }
  const std::size_t first = message.find('\0');
  if (first == std::string_view::npos) {
    return std::nullopt;
  }
  const std::size_t second = message.find('\0', first + 1);
  if (second == std::string_view::npos || message.find('\0', second + 1) != std::string::npos) {
    return std::nullopt;
  }
  const std::string_view authzid = message.substr(0, first);
  const std::string_view authcid = message.substr(first + 1, second - first - 1);
  const std::string_view password = message.substr(second + 1);
  const auto fieldOk = [](std::string_view f) {
    return f.size() <= kPlainFieldMax && isValidUtf8(f);
  };
  if (authcid.empty() || password.empty() || !fieldOk(authzid) || !fieldOk(authcid) ||
      !fieldOk(password)) {
    return std::nullopt;
  }
  return PlainMessage{std::string(authzid), std::string(authcid), std::string(password)};
}

}  // namespace rampart::core::sasl
