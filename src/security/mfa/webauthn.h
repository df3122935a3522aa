#pragma once
// Passkeys: the relying-party side of W3C Web Authentication (Level 2) for a second factor.
// Registration takes attestation "none" (the attestation statement, if an authenticator sends
// one, is not verified: the server learns a public key, not a device model) and accepts ES256
// (ECDSA P-256 with SHA-256, COSE -7) and EdDSA (Ed25519, COSE -8) keys. Assertions are verified
// with OpenSSL over authenticatorData || SHA-256(clientDataJSON). CBOR (attestation object,
// COSE keys) is parsed with libcbor, JSON (client data) with Boost.JSON.
//
// Everything here is untrusted input from a browser: every parser returns an error text
// instead of throwing, and is fuzzed (tests/fuzz/webauthn_fuzz.cc). Stateless; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace rampart::security::mfa::webauthn {

inline constexpr int kEs256 = -7;
inline constexpr int kEdDsa = -8;

// Why input was refused.
struct Failure {
  std::string why;
};
template <class T>
using Parsed = std::variant<T, Failure>;

// RFC 4648 section 5, no padding (what WebAuthn uses for binary values in JSON).
std::string base64url(std::string_view raw);
std::optional<std::string> base64urlDecode(std::string_view text);

// What a ceremony expects of the client data and authenticator data.
struct Expected {
  std::string type;       // "webauthn.create" or "webauthn.get"
  std::string challenge;  // raw bytes the server issued
  std::string origin;     // "https://host[:port]" the page was served from
  std::string rpId;       // the relying party id (a host name)
};

// Checks clientDataJSON (type, challenge, origin; no cross-origin use); an error text or empty.
std::string checkClientData(std::string_view clientDataJson, const Expected& expected);

struct AuthenticatorData {
  std::string rpIdHash;  // 32 bytes
  std::uint8_t flags = 0;
  std::uint32_t signCount = 0;
  // Present when the AT flag is set (registration).
  std::string credentialId;
  std::string coseKey;  // the credential public key, CBOR as sent
  bool userPresent() const { return (flags & 0x01) != 0; }
  bool userVerified() const { return (flags & 0x04) != 0; }
  bool attested() const { return (flags & 0x40) != 0; }
};
// Parses authenticator data (WebAuthn section 6.1); error text on failure.
Parsed<AuthenticatorData> parseAuthenticatorData(std::string_view data);

// The attestation object's authenticator data (fmt and attStmt are read, not verified).
Parsed<std::string> authDataOfAttestation(std::string_view attestationObject);

// A credential public key from a COSE_Key: the algorithm and the key as DER
// SubjectPublicKeyInfo (what is stored); error text on failure.
struct PublicKey {
  int alg = 0;
  std::string spki;  // DER
};
Parsed<PublicKey> publicKeyFromCose(std::string_view coseKey);

// A verified registration: what to store.
struct Registration {
  std::string credentialId;
  PublicKey key;
  std::uint32_t signCount = 0;
};
Parsed<Registration> verifyRegistration(std::string_view clientDataJson,
                                        std::string_view attestationObject,
                                        const Expected& expected);

// A verified assertion: the authenticator's new signature counter.
Parsed<std::uint32_t> verifyAssertion(std::string_view clientDataJson,
                                      std::string_view authenticatorData,
                                      std::string_view signature, const PublicKey& key,
                                      std::uint32_t storedSignCount, const Expected& expected);

}  // namespace rampart::security::mfa::webauthn
