#pragma once
// The untrusted parts of XEP-0388 SASL2 and XEP-0484 FAST: what an <authenticate/> element
// asks for besides authentication (user agent, XEP-0386 Bind 2, a FAST token), and the FAST
// HT-SHA-256-NONE initial response (user name, NUL, 32-byte HMAC) with the proofs both sides
// compute (draft-schmaltz-hashed-token-sasl). Pure functions; thread-safe. Fuzzed by
// tests/fuzz/sasl2_fuzz.cc.

#include <optional>
#include <string>
#include <string_view>

#include "rampart/core/element.h"

namespace rampart::core::sasl {

inline constexpr std::string_view kNsSasl2 = "urn:xmpp:sasl:2";   // XEP-0388
inline constexpr std::string_view kNsBind2 = "urn:xmpp:bind:0";   // XEP-0386
inline constexpr std::string_view kNsFast = "urn:xmpp:fast:0";    // XEP-0484

struct Sasl2Request {
  std::string mechanism;
  std::optional<std::string> initial;  // decoded <initial-response/>
  bool badInitial = false;             // <initial-response/> was not base64
  bool bind = false;                   // Bind 2
  std::string tag;                     // the client's tag for the resource (at most 64 bytes)
  bool smEnable = false;               // XEP-0198 <enable/> inside Bind 2
  bool smResume = false;               // ... asking for resumption
  bool requestToken = false;           // a new FAST token (HT-SHA-256-NONE)
  bool invalidate = false;             // forget the FAST token used
  std::string software;                // <user-agent/>, at most 100 bytes each
  std::string device;
};
Sasl2Request readAuthenticate(const Element& authenticate);

struct FastInitial {
  std::string user;
  std::string proof;  // 32 bytes
};
std::optional<FastInitial> parseFastInitial(std::string_view initial);
// HMAC-SHA-256 keyed with the token over `label` ("Initiator" or "Responder").
// The FAST token a device holds, derived from the seed the database keeps and the server's
// FAST key (a file beside the database): a copy of the database alone opens no session.
// HMAC-SHA-256(key, seed), as 64 hex digits.
std::string fastTokenFor(std::string_view key, std::string_view seed);

std::string fastProof(std::string_view token, std::string_view label);

}  // namespace rampart::core::sasl
