#include "security/mfa/webauthn.h"

#include <cbor.h>
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace rampart::security::mfa::webauthn {
namespace {

// Every test builds its own authenticator: a fresh key pair (OpenSSL), the COSE key and the
// attestation object (libcbor), the authenticator data bytes and the client data JSON, laid out
// as WebAuthn Level 2 sections 5.8.1, 6.1, 6.5 and RFC 9053 (COSE) describe them.

constexpr char kRpId[] = "example.com";
constexpr char kOrigin[] = "https://example.com";
constexpr char kCreate[] = "webauthn.create";
constexpr char kGet[] = "webauthn.get";
// Binary challenges, so that base64url's '-' and '_' and a short last group are exercised.
const std::string kCreateChallenge = "\xfb\xff registration challenge \x01";
const std::string kGetChallenge = "\xfe\xfe sign-in challenge \x7f\x80";
const std::string kCredentialId = "credential \x01\x02\x03";

constexpr std::uint8_t kUp = 0x01;  // user present
constexpr std::uint8_t kUv = 0x04;  // user verified
constexpr std::uint8_t kAt = 0x40;  // attested credential data included
constexpr std::uint8_t kEd = 0x80;  // extension data included

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

template <class T>
std::string why(const Parsed<T>& parsed) {
  const Failure* f = std::get_if<Failure>(&parsed);
  return f != nullptr ? f->why : std::string("accepted");
}

template <class T>
bool refused(const Parsed<T>& parsed) {
  return std::holds_alternative<Failure>(parsed);
}

std::string sha256(std::string_view data) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), h);
  return std::string(reinterpret_cast<const char*>(h), sizeof h);
}

// --- keys (OpenSSL) ---

Pkey generateKey(int alg) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, alg == kEs256 ? "EC" : "ED25519",
                                                 nullptr);
  EVP_PKEY* key = nullptr;
  if (ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1 &&
      (alg != kEs256 || EVP_PKEY_CTX_set_group_name(ctx, "P-256") == 1)) {
    if (EVP_PKEY_generate(ctx, &key) != 1) {
      EVP_PKEY_free(key);
      key = nullptr;
    }
  }
  EVP_PKEY_CTX_free(ctx);
  return Pkey(key);
}

// A P-256 affine coordinate (OSSL_PKEY_PARAM_EC_PUB_X or _Y), 32 bytes big-endian.
std::string coordinate(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  std::string out;
  if (EVP_PKEY_get_bn_param(key, name, &bn) == 1) {
    out.resize(32);
    if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), 32) != 32) {
      out.clear();
    }
  }
  BN_free(bn);
  return out;
}

std::string ed25519Public(EVP_PKEY* key) {
  std::string out(32, '\0');
  std::size_t length = out.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(out.data()), &length) !=
          1 ||
      length != 32) {
    return {};
  }
  return out;
}

// ES256: a DER ECDSA signature over SHA-256; EdDSA: pure Ed25519 (no digest).
std::string sign(EVP_PKEY* key, int alg, std::string_view message) {
  std::string signature;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t length = 0;
  const auto* msg = reinterpret_cast<const unsigned char*>(message.data());
  if (ctx != nullptr &&
      EVP_DigestSignInit(ctx, nullptr, alg == kEs256 ? EVP_sha256() : nullptr, nullptr, key) ==
          1 &&
      EVP_DigestSign(ctx, nullptr, &length, msg, message.size()) == 1) {
    signature.resize(length);
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length, msg,
                       message.size()) == 1) {
      signature.resize(length);
    } else {
      signature.clear();
    }
  }
  EVP_MD_CTX_free(ctx);
  return signature;
}

// Whether a stored DER SubjectPublicKeyInfo holds the same public key as `key`.
bool sameKey(const std::string& spki, EVP_PKEY* key) {
  const auto* p = reinterpret_cast<const unsigned char*>(spki.data());
  Pkey stored(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
  return stored != nullptr && EVP_PKEY_eq(stored.get(), key) == 1;
}

// --- CBOR (libcbor) ---

// Smallest encoding, as authenticators send it.
cbor_item_t* cborInt(std::int64_t v) {
  if (v >= 0) {
    const auto u = static_cast<std::uint64_t>(v);
    if (u <= 0xff) {
      return cbor_build_uint8(static_cast<std::uint8_t>(u));
    }
    if (u <= 0xffff) {
      return cbor_build_uint16(static_cast<std::uint16_t>(u));
    }
    return cbor_build_uint64(u);
  }
  const auto u = static_cast<std::uint64_t>(-1 - v);
  if (u <= 0xff) {
    return cbor_build_negint8(static_cast<std::uint8_t>(u));
  }
  if (u <= 0xffff) {
    return cbor_build_negint16(static_cast<std::uint16_t>(u));
  }
  return cbor_build_negint64(u);
}

cbor_item_t* cborBytes(std::string_view bytes) {
  return cbor_build_bytestring(reinterpret_cast<cbor_data>(bytes.data()), bytes.size());
}

// Adds a pair to a definite map; the map takes the only reference to key and value.
void put(cbor_item_t* map, cbor_item_t* key, cbor_item_t* value) {
  const bool added = cbor_map_add(map, cbor_pair{cbor_move(key), cbor_move(value)});
  EXPECT_TRUE(added);
}

// Encodes `item` and releases it.
std::string serialize(cbor_item_t* item) {
  unsigned char* buffer = nullptr;
  std::size_t capacity = 0;
  const std::size_t length = cbor_serialize_alloc(item, &buffer, &capacity);
  cbor_decref(&item);
  std::string out;
  if (buffer != nullptr) {
    out.assign(reinterpret_cast<const char*>(buffer), length);
    std::free(buffer);
  }
  return out;
}

// A COSE_Key (RFC 9052 section 7) with integer labels and integer or byte-string values.
struct Entry {
  std::int64_t label;
  std::variant<std::int64_t, std::string> value;
};
std::string cose(const std::vector<Entry>& entries) {
  cbor_item_t* map = cbor_new_definite_map(entries.size());
  for (const Entry& e : entries) {
    cbor_item_t* value = std::holds_alternative<std::int64_t>(e.value)
                             ? cborInt(std::get<std::int64_t>(e.value))
                             : cborBytes(std::get<std::string>(e.value));
    put(map, cborInt(e.label), value);
  }
  return serialize(map);
}

// kty 2 (EC2), alg -7, crv 1 (P-256), x, y.
std::vector<Entry> ec2Entries(const std::string& x, const std::string& y) {
  return {{1, 2}, {3, kEs256}, {-1, 1}, {-2, x}, {-3, y}};
}

// kty 1 (OKP), alg -8, crv 6 (Ed25519), x.
std::vector<Entry> okpEntries(const std::string& x) {
  return {{1, 1}, {3, kEdDsa}, {-1, 6}, {-2, x}};
}

std::string coseKeyOf(EVP_PKEY* key, int alg) {
  if (alg == kEs256) {
    const std::string x = coordinate(key, OSSL_PKEY_PARAM_EC_PUB_X);
    const std::string y = coordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y);
    if (x.empty() || y.empty()) {
      return {};
    }
    return cose(ec2Entries(x, y));
  }
  const std::string x = ed25519Public(key);
  return x.empty() ? std::string() : cose(okpEntries(x));
}

// The attestation object of attestation "none" (WebAuthn section 8.7).
std::string attestationObject(std::string_view authData) {
  cbor_item_t* map = cbor_new_definite_map(3);
  put(map, cbor_build_string("fmt"), cbor_build_string("none"));
  put(map, cbor_build_string("attStmt"), cbor_new_definite_map(0));
  put(map, cbor_build_string("authData"), cborBytes(authData));
  return serialize(map);
}

// --- authenticator data and client data ---

// rpIdHash || flags || signCount (big-endian) || rest.
std::string authData(std::string_view rpId, std::uint8_t flags, std::uint32_t signCount,
                     std::string_view rest = {}) {
  std::string out = sha256(rpId);
  out += static_cast<char>(flags);
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += static_cast<char>((signCount >> shift) & 0xff);
  }
  out += rest;
  return out;
}

// AAGUID (zero, as with attestation "none") || credential id length || id || COSE key.
std::string attestedCredential(std::string_view credentialId, std::string_view coseKey) {
  std::string out(16, '\0');
  out += static_cast<char>((credentialId.size() >> 8) & 0xff);
  out += static_cast<char>(credentialId.size() & 0xff);
  out += credentialId;
  out += coseKey;
  return out;
}

std::string clientData(std::string_view type, std::string_view challenge,
                       std::string_view origin = kOrigin, std::string_view extra = {}) {
  std::string out = R"({"type":")";
  out += type;
  out += R"(","challenge":")";
  out += base64url(challenge);
  out += R"(","origin":")";
  out += origin;
  out += '"';
  out += extra;
  out += '}';
  return out;
}

Expected registrationExpected() { return Expected{kCreate, kCreateChallenge, kOrigin, kRpId}; }
Expected assertionExpected() { return Expected{kGet, kGetChallenge, kOrigin, kRpId}; }

// --- base64url ---

TEST(WebAuthnBase64url, Rfc4648VectorsWithoutPadding) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg"},         {"fo", "Zm8"},      {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [raw, text] : vectors) {
    EXPECT_EQ(base64url(raw), text) << raw;
    EXPECT_EQ(base64urlDecode(text), std::string(raw)) << text;
  }
  // The URL-safe alphabet: '-' and '_' where base64 has '+' and '/'.
  EXPECT_EQ(base64url("\xfb\xff"), "-_8");
  EXPECT_EQ(base64urlDecode("-_8"), std::string("\xfb\xff"));
}

TEST(WebAuthnBase64url, RoundTripsEveryByteAndLength) {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all += static_cast<char>(i);
  }
  for (std::size_t n = 0; n <= all.size(); ++n) {
    const std::string raw = all.substr(all.size() - n);
    const std::string text = base64url(raw);
    EXPECT_EQ(text.size(), (n * 4 + 2) / 3) << n;
    EXPECT_EQ(text.find_first_of("+/="), std::string::npos) << n;
    EXPECT_EQ(base64urlDecode(text), raw) << n;
  }
}

TEST(WebAuthnBase64url, RefusesNonCanonicalInput) {
  EXPECT_FALSE(base64urlDecode("Zg=="));   // padding
  EXPECT_FALSE(base64urlDecode("Zm8="));
  EXPECT_FALSE(base64urlDecode("Zh"));     // leftover bits not zero
  EXPECT_FALSE(base64urlDecode("Zm9"));
  EXPECT_FALSE(base64urlDecode("A"));      // a length no encoding has
  EXPECT_FALSE(base64urlDecode("Zm9vY"));
  EXPECT_FALSE(base64urlDecode("+_8"));    // the standard alphabet
  EXPECT_FALSE(base64urlDecode("-/8"));
  EXPECT_FALSE(base64urlDecode("Zm9v Yg"));  // whitespace
  EXPECT_FALSE(base64urlDecode("Zm9v\nYg"));
  EXPECT_FALSE(base64urlDecode(std::string_view("Zm\0v", 4)));
}

// --- client data ---

TEST(WebAuthnClientData, AcceptsTheExpectedCeremony) {
  const Expected e = assertionExpected();
  EXPECT_EQ(checkClientData(clientData(kGet, kGetChallenge), e), "");
  EXPECT_EQ(checkClientData(clientData(kGet, kGetChallenge, kOrigin, R"(,"crossOrigin":false)"), e),
            "");
  // Members the server does not know are ignored (WebAuthn section 5.8.1 lets them grow).
  EXPECT_EQ(checkClientData(clientData(kGet, kGetChallenge, kOrigin,
                                       R"(,"other_keys_can_be_added_here":"do not compare")"),
                            e),
            "");
}

TEST(WebAuthnClientData, RefusesWhatDoesNotMatch) {
  const Expected e = assertionExpected();
  EXPECT_EQ(checkClientData(clientData(kCreate, kGetChallenge), e), "wrong ceremony type");
  EXPECT_EQ(checkClientData(R"({"challenge":"AAAA","origin":"https://example.com"})", e),
            "wrong ceremony type");
  EXPECT_EQ(checkClientData(clientData(kGet, kCreateChallenge), e), "wrong or expired challenge");
  EXPECT_EQ(checkClientData(clientData(kGet, ""), e), "wrong or expired challenge");
  const std::string numeric =
      R"({"type":"webauthn.get","challenge":1,"origin":"https://example.com"})";
  EXPECT_EQ(checkClientData(numeric, e), "wrong or expired challenge");
  EXPECT_EQ(checkClientData(clientData(kGet, kGetChallenge, "https://evil.example"), e),
            "wrong origin");
  EXPECT_EQ(checkClientData(clientData(kGet, kGetChallenge, "http://example.com"), e),
            "wrong origin");
  EXPECT_EQ(checkClientData(clientData(kGet, kGetChallenge, "https://example.com:8443"), e),
            "wrong origin");
}

TEST(WebAuthnClientData, RefusesCrossOriginUse) {
  const Expected e = assertionExpected();
  EXPECT_EQ(checkClientData(clientData(kGet, kGetChallenge, kOrigin, R"(,"crossOrigin":true)"), e),
            "cross-origin use is not allowed");
  EXPECT_EQ(
      checkClientData(clientData(kGet, kGetChallenge, kOrigin, R"(,"crossOrigin":"false")"), e),
      "cross-origin use is not allowed");
  EXPECT_EQ(checkClientData(clientData(kGet, kGetChallenge, kOrigin,
                                       R"(,"topOrigin":"https://example.com")"),
                            e),
            "cross-origin use is not allowed");
}

TEST(WebAuthnClientData, RefusesWhatIsNotASmallJsonObject) {
  const Expected e = assertionExpected();
  EXPECT_EQ(checkClientData("", e), "client data is not a JSON object");
  EXPECT_EQ(checkClientData("not json", e), "client data is not a JSON object");
  EXPECT_EQ(checkClientData(R"(["webauthn.get"])", e), "client data is not a JSON object");
  EXPECT_EQ(checkClientData(R"("webauthn.get")", e), "client data is not a JSON object");
  const std::string good = clientData(kGet, kGetChallenge);
  EXPECT_EQ(checkClientData(good.substr(0, good.size() - 1), e),
            "client data is not a JSON object");
  EXPECT_EQ(checkClientData(good + "x", e), "client data is not a JSON object");
  EXPECT_EQ(checkClientData(clientData(kGet, kGetChallenge, kOrigin,
                                       R"(,"deep":)" + std::string(20, '[') +
                                           std::string(20, ']')),
                            e),
            "client data is not a JSON object");
  const std::string big =
      clientData(kGet, kGetChallenge, kOrigin, R"(,"pad":")" + std::string(5000, 'a') + "\"");
  EXPECT_EQ(checkClientData(big, e), "client data too large");
}

// --- authenticator data ---

TEST(WebAuthnAuthenticatorData, ReadsTheFixedPart) {
  auto parsed = parseAuthenticatorData(authData(kRpId, kUp | kUv, 0x01020304));
  ASSERT_TRUE(std::holds_alternative<AuthenticatorData>(parsed)) << why(parsed);
  const auto& a = std::get<AuthenticatorData>(parsed);
  EXPECT_EQ(a.rpIdHash, sha256(kRpId));
  EXPECT_EQ(a.flags, kUp | kUv);
  EXPECT_EQ(a.signCount, 0x01020304u);
  EXPECT_TRUE(a.userPresent());
  EXPECT_TRUE(a.userVerified());
  EXPECT_FALSE(a.attested());
  EXPECT_TRUE(a.credentialId.empty());
  EXPECT_TRUE(a.coseKey.empty());
}

TEST(WebAuthnAuthenticatorData, ReadsTheAttestedCredential) {
  const std::string key =
      cose(ec2Entries(std::string(32, 'x'), std::string(32, 'y')));  // not checked here
  auto parsed =
      parseAuthenticatorData(authData(kRpId, kUp | kAt, 7, attestedCredential(kCredentialId, key)));
  ASSERT_TRUE(std::holds_alternative<AuthenticatorData>(parsed)) << why(parsed);
  const auto& a = std::get<AuthenticatorData>(parsed);
  EXPECT_TRUE(a.attested());
  EXPECT_EQ(a.signCount, 7u);
  EXPECT_EQ(a.credentialId, kCredentialId);
  EXPECT_EQ(a.coseKey, key);
}

TEST(WebAuthnAuthenticatorData, RefusesShortData) {
  const std::string full = authData(kRpId, kUp, 1);
  ASSERT_EQ(full.size(), 37u);
  EXPECT_EQ(why(parseAuthenticatorData(full.substr(0, 36))), "authenticator data too short");
  EXPECT_EQ(why(parseAuthenticatorData("")), "authenticator data too short");
  // AT set, but the AAGUID and the credential id length are cut off.
  EXPECT_EQ(why(parseAuthenticatorData(authData(kRpId, kUp | kAt, 1, std::string(17, '\0')))),
            "attested credential data too short");
  EXPECT_EQ(why(parseAuthenticatorData(std::string(64 * 1024 + 1, '\0'))),
            "authenticator data too large");
}

TEST(WebAuthnAuthenticatorData, RefusesBadCredentialIdLengths) {
  const std::string key = cose(okpEntries(std::string(32, 'x')));
  EXPECT_EQ(why(parseAuthenticatorData(authData(kRpId, kUp | kAt, 0, attestedCredential("", key)))),
            "bad credential id length");
  EXPECT_EQ(why(parseAuthenticatorData(
                authData(kRpId, kUp | kAt, 0, attestedCredential(std::string(1024, 'c'), key)))),
            "bad credential id length");
  // A length of 100 with 5 bytes following.
  std::string rest(16, '\0');
  rest += static_cast<char>(0);
  rest += static_cast<char>(100);
  rest += "short";
  EXPECT_EQ(why(parseAuthenticatorData(authData(kRpId, kUp | kAt, 0, rest))),
            "bad credential id length");
  // The longest id allowed (WebAuthn section 6.5.1: at most 1023 bytes) is read.
  EXPECT_FALSE(refused(parseAuthenticatorData(
      authData(kRpId, kUp | kAt, 0, attestedCredential(std::string(1023, 'c'), key)))));
}

TEST(WebAuthnAuthenticatorData, RefusesABadCredentialKey) {
  EXPECT_EQ(why(parseAuthenticatorData(
                authData(kRpId, kUp | kAt, 0, attestedCredential(kCredentialId, "")))),
            "bad credential public key");
  EXPECT_EQ(why(parseAuthenticatorData(authData(
                kRpId, kUp | kAt, 0, attestedCredential(kCredentialId, std::string(1, '\x01'))))),
            "bad credential public key");
}

TEST(WebAuthnAuthenticatorData, RefusesTrailingBytes) {
  EXPECT_EQ(why(parseAuthenticatorData(authData(kRpId, kUp, 0, "x"))),
            "trailing bytes in authenticator data");
  const std::string key = cose(okpEntries(std::string(32, 'x')));
  EXPECT_EQ(why(parseAuthenticatorData(
                authData(kRpId, kUp | kAt, 0, attestedCredential(kCredentialId, key) + "x"))),
            "trailing bytes in authenticator data");
  // Extensions without the ED flag are trailing bytes too.
  EXPECT_EQ(why(parseAuthenticatorData(authData(kRpId, kUp, 0, std::string(1, '\xa0')))),
            "trailing bytes in authenticator data");
}

TEST(WebAuthnAuthenticatorData, ReadsExtensionsOnlyWhenFlagged) {
  cbor_item_t* map = cbor_new_definite_map(1);
  put(map, cbor_build_string("credProtect"), cborInt(1));
  const std::string extensions = serialize(map);
  EXPECT_FALSE(refused(parseAuthenticatorData(authData(kRpId, kUp | kEd, 0, extensions))));
  // With a credential before them: the COSE key ends where the extensions begin.
  const std::string key = cose(okpEntries(std::string(32, 'x')));
  auto parsed = parseAuthenticatorData(
      authData(kRpId, kUp | kAt | kEd, 0, attestedCredential(kCredentialId, key) + extensions));
  ASSERT_TRUE(std::holds_alternative<AuthenticatorData>(parsed)) << why(parsed);
  EXPECT_EQ(std::get<AuthenticatorData>(parsed).coseKey, key);

  EXPECT_EQ(why(parseAuthenticatorData(authData(kRpId, kUp | kEd, 0))), "bad extensions");
  EXPECT_EQ(why(parseAuthenticatorData(authData(kRpId, kUp | kEd, 0, std::string(1, '\x01')))),
            "bad extensions");
  EXPECT_EQ(why(parseAuthenticatorData(authData(kRpId, kUp | kEd, 0, extensions + "x"))),
            "trailing bytes in authenticator data");
}

// --- attestation object ---

TEST(WebAuthnAttestationObject, YieldsTheAuthenticatorData) {
  const std::string auth = authData(kRpId, kUp, 3);
  auto parsed = authDataOfAttestation(attestationObject(auth));
  ASSERT_TRUE(std::holds_alternative<std::string>(parsed)) << why(parsed);
  EXPECT_EQ(std::get<std::string>(parsed), auth);
}

TEST(WebAuthnAttestationObject, RefusesOtherShapes) {
  const std::string auth = authData(kRpId, kUp, 3);
  EXPECT_EQ(why(authDataOfAttestation("")), "the attestation object is not one CBOR map");
  EXPECT_EQ(why(authDataOfAttestation(serialize(cborBytes(auth)))),
            "the attestation object is not one CBOR map");
  EXPECT_EQ(why(authDataOfAttestation(attestationObject(auth) + "x")),
            "the attestation object is not one CBOR map");

  cbor_item_t* noAuthData = cbor_new_definite_map(2);
  put(noAuthData, cbor_build_string("fmt"), cbor_build_string("none"));
  put(noAuthData, cbor_build_string("attStmt"), cbor_new_definite_map(0));
  EXPECT_EQ(why(authDataOfAttestation(serialize(noAuthData))),
            "the attestation object lacks fmt, attStmt or authData");

  cbor_item_t* textAuthData = cbor_new_definite_map(3);
  put(textAuthData, cbor_build_string("fmt"), cbor_build_string("none"));
  put(textAuthData, cbor_build_string("attStmt"), cbor_new_definite_map(0));
  put(textAuthData, cbor_build_string("authData"), cbor_build_string("not bytes"));
  EXPECT_EQ(why(authDataOfAttestation(serialize(textAuthData))), "authData is not a byte string");
}

// --- COSE keys ---

TEST(WebAuthnCoseKey, AcceptsAnEs256Key) {
  Pkey key = generateKey(kEs256);
  ASSERT_NE(key.get(), nullptr);
  const std::string coseKey = coseKeyOf(key.get(), kEs256);
  ASSERT_FALSE(coseKey.empty());
  auto parsed = publicKeyFromCose(coseKey);
  ASSERT_TRUE(std::holds_alternative<PublicKey>(parsed)) << why(parsed);
  EXPECT_EQ(std::get<PublicKey>(parsed).alg, kEs256);
  EXPECT_TRUE(sameKey(std::get<PublicKey>(parsed).spki, key.get()));
}

TEST(WebAuthnCoseKey, AcceptsAnEd25519Key) {
  Pkey key = generateKey(kEdDsa);
  ASSERT_NE(key.get(), nullptr);
  const std::string coseKey = coseKeyOf(key.get(), kEdDsa);
  ASSERT_FALSE(coseKey.empty());
  auto parsed = publicKeyFromCose(coseKey);
  ASSERT_TRUE(std::holds_alternative<PublicKey>(parsed)) << why(parsed);
  EXPECT_EQ(std::get<PublicKey>(parsed).alg, kEdDsa);
  EXPECT_TRUE(sameKey(std::get<PublicKey>(parsed).spki, key.get()));
}

TEST(WebAuthnCoseKey, RefusesAP256PointNotOnTheCurve) {
  Pkey key = generateKey(kEs256);
  ASSERT_NE(key.get(), nullptr);
  const std::string x = coordinate(key.get(), OSSL_PKEY_PARAM_EC_PUB_X);
  std::string y = coordinate(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y);
  ASSERT_EQ(y.size(), 32u);
  y.back() = static_cast<char>(y.back() ^ 0x01);
  EXPECT_EQ(why(publicKeyFromCose(cose(ec2Entries(x, y)))), "the P-256 point is not on the curve");
  EXPECT_EQ(why(publicKeyFromCose(cose(ec2Entries(std::string(32, '\0'), std::string(32, '\0'))))),
            "the P-256 point is not on the curve");
  EXPECT_EQ(why(publicKeyFromCose(cose(ec2Entries(x.substr(1), y)))), "bad P-256 coordinates");
  EXPECT_EQ(why(publicKeyFromCose(cose(okpEntries(std::string(31, 'x'))))),
            "bad Ed25519 key length");
}

TEST(WebAuthnCoseKey, RefusesOtherAlgorithms) {
  const char* only = "only ES256 (P-256) and EdDSA (Ed25519) keys are accepted";
  // RS256: kty 3 (RSA), alg -257, n, e.
  EXPECT_EQ(why(publicKeyFromCose(cose({{1, 3},
                                        {3, -257},
                                        {-1, std::string(256, '\xc5')},
                                        {-2, std::string("\x01\x00\x01", 3)}}))),
            only);
  // ES384: P-384 (crv 2) with alg -35.
  EXPECT_EQ(why(publicKeyFromCose(cose({{1, 2},
                                        {3, -35},
                                        {-1, 2},
                                        {-2, std::string(48, 'x')},
                                        {-3, std::string(48, 'y')}}))),
            only);
  // A P-256 key labelled with another algorithm, an Ed25519 key labelled ES256, Ed448.
  std::vector<Entry> entries = ec2Entries(std::string(32, 'x'), std::string(32, 'y'));
  entries[1].value = std::int64_t{-8};
  EXPECT_EQ(why(publicKeyFromCose(cose(entries))), only);
  entries[1].value = std::int64_t{-36};  // ES512
  EXPECT_EQ(why(publicKeyFromCose(cose(entries))), only);
  entries = okpEntries(std::string(32, 'x'));
  entries[1].value = std::int64_t{kEs256};
  EXPECT_EQ(why(publicKeyFromCose(cose(entries))), only);
  entries = okpEntries(std::string(57, 'x'));
  entries[2].value = std::int64_t{7};  // Ed448
  EXPECT_EQ(why(publicKeyFromCose(cose(entries))), only);
  // A label of the wrong type reads as absent.
  entries = okpEntries(std::string(32, 'x'));
  entries[1].value = std::string("-8");
  EXPECT_EQ(why(publicKeyFromCose(cose(entries))), only);
}

TEST(WebAuthnCoseKey, RefusesMissingLabels) {
  const std::vector<Entry> ec2 = ec2Entries(std::string(32, 'x'), std::string(32, 'y'));
  for (std::size_t i = 0; i < ec2.size(); ++i) {
    std::vector<Entry> entries = ec2;
    entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(i));
    EXPECT_TRUE(refused(publicKeyFromCose(cose(entries)))) << "EC2 without " << ec2[i].label;
  }
  const std::vector<Entry> okp = okpEntries(std::string(32, 'x'));
  for (std::size_t i = 0; i < okp.size(); ++i) {
    std::vector<Entry> entries = okp;
    entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(i));
    EXPECT_TRUE(refused(publicKeyFromCose(cose(entries)))) << "OKP without " << okp[i].label;
  }
  EXPECT_EQ(why(publicKeyFromCose(cose({}))), "the COSE key lacks x");
}

TEST(WebAuthnCoseKey, RefusesWhatIsNotOneMap) {
  const std::string good = cose(okpEntries(std::string(32, 'x')));
  EXPECT_EQ(why(publicKeyFromCose("")), "the COSE key is not a CBOR map");
  EXPECT_EQ(why(publicKeyFromCose(good + "x")), "the COSE key is not a CBOR map");
  EXPECT_EQ(why(publicKeyFromCose(good.substr(0, good.size() - 1))),
            "the COSE key is not a CBOR map");
  EXPECT_EQ(why(publicKeyFromCose(serialize(cborBytes(good)))), "the COSE key is not a CBOR map");
}

// --- registration and assertion, for each algorithm ---

// What an authenticator returns from navigator.credentials.get().
struct Assertion {
  std::string clientDataJson;
  std::string authenticatorData;
  std::string signature;
};

// What an authenticator is asked to sign, and how it behaves.
struct AssertionSpec {
  std::uint32_t signCount = 1;
  std::uint8_t flags = kUp;
  std::string rpId = kRpId;
  std::string type = kGet;
  std::string challenge = kGetChallenge;
};

Assertion makeAssertion(EVP_PKEY* key, int alg, const AssertionSpec& spec) {
  Assertion a;
  a.clientDataJson = clientData(spec.type, spec.challenge);
  a.authenticatorData = authData(spec.rpId, spec.flags, spec.signCount);
  a.signature = sign(key, alg, a.authenticatorData + sha256(a.clientDataJson));
  return a;
}

Parsed<std::uint32_t> verify(const Assertion& a, const PublicKey& key,
                             std::uint32_t storedSignCount) {
  return verifyAssertion(a.clientDataJson, a.authenticatorData, a.signature, key, storedSignCount,
                         assertionExpected());
}

class WebAuthnCeremony : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    key_ = generateKey(alg());
    ASSERT_NE(key_.get(), nullptr);
    coseKey_ = coseKeyOf(key_.get(), alg());
    ASSERT_FALSE(coseKey_.empty());
  }

  int alg() const { return GetParam(); }

  // The attestation object of a new credential with this test's key.
  std::string attestation(std::uint8_t flags = kUp | kAt, std::string_view rpId = kRpId) const {
    return attestationObject(
        authData(rpId, flags, 0, attestedCredential(kCredentialId, coseKey_)));
  }

  // The key as the server stores it after registration.
  PublicKey registered() {
    auto reg = verifyRegistration(clientData(kCreate, kCreateChallenge), attestation(),
                                  registrationExpected());
    EXPECT_TRUE(std::holds_alternative<Registration>(reg)) << why(reg);
    const Registration* r = std::get_if<Registration>(&reg);
    return r != nullptr ? r->key : PublicKey{};
  }

  Assertion authenticate(const AssertionSpec& spec) const {
    return makeAssertion(key_.get(), alg(), spec);
  }

  Pkey key_;
  std::string coseKey_;
};

TEST_P(WebAuthnCeremony, RegistersAndSignsIn) {
  auto reg = verifyRegistration(clientData(kCreate, kCreateChallenge), attestation(),
                                registrationExpected());
  ASSERT_TRUE(std::holds_alternative<Registration>(reg)) << why(reg);
  const Registration& r = std::get<Registration>(reg);
  EXPECT_EQ(r.credentialId, kCredentialId);
  EXPECT_EQ(r.key.alg, alg());
  EXPECT_EQ(r.signCount, 0u);
  EXPECT_TRUE(sameKey(r.key.spki, key_.get()));

  AssertionSpec spec;
  spec.signCount = 1;
  const Assertion first = authenticate(spec);
  ASSERT_FALSE(first.signature.empty());
  auto counter = verify(first, r.key, r.signCount);
  ASSERT_TRUE(std::holds_alternative<std::uint32_t>(counter)) << why(counter);
  EXPECT_EQ(std::get<std::uint32_t>(counter), 1u);

  spec.signCount = 6;
  spec.flags = kUp | kUv;
  auto next = verify(authenticate(spec), r.key, 1);
  ASSERT_TRUE(std::holds_alternative<std::uint32_t>(next)) << why(next);
  EXPECT_EQ(std::get<std::uint32_t>(next), 6u);
}

TEST_P(WebAuthnCeremony, RegistrationRefusesTheWrongCeremonyOrSite) {
  const Expected e = registrationExpected();
  EXPECT_EQ(why(verifyRegistration(clientData(kGet, kCreateChallenge), attestation(), e)),
            "wrong ceremony type");
  EXPECT_EQ(why(verifyRegistration(clientData(kCreate, kGetChallenge), attestation(), e)),
            "wrong or expired challenge");
  EXPECT_EQ(why(verifyRegistration(clientData(kCreate, kCreateChallenge, "https://evil.example"),
                                   attestation(), e)),
            "wrong origin");
  EXPECT_EQ(why(verifyRegistration(clientData(kCreate, kCreateChallenge),
                                   attestation(kUp | kAt, "evil.example"), e)),
            "the credential is for another site");
}

TEST_P(WebAuthnCeremony, RegistrationRefusesWithoutUserOrCredential) {
  const Expected e = registrationExpected();
  const std::string cd = clientData(kCreate, kCreateChallenge);
  EXPECT_EQ(why(verifyRegistration(cd, attestation(kAt), e)), "the user was not present");
  EXPECT_EQ(why(verifyRegistration(cd, attestationObject(authData(kRpId, kUp, 0)), e)),
            "no credential in the attestation");
  EXPECT_TRUE(refused(verifyRegistration(cd, "", e)));
  EXPECT_TRUE(refused(verifyRegistration(cd, coseKey_, e)));
}

TEST_P(WebAuthnCeremony, AssertionRefusesABadSignature) {
  const PublicKey key = registered();
  ASSERT_FALSE(key.spki.empty());
  const AssertionSpec spec;

  Assertion tampered = authenticate(spec);
  ASSERT_FALSE(tampered.signature.empty());
  tampered.signature.back() = static_cast<char>(tampered.signature.back() ^ 0x01);
  EXPECT_EQ(why(verify(tampered, key, 0)), "the signature does not verify");

  // Signed, then the counter raised.
  Assertion raised = authenticate(spec);
  raised.authenticatorData[36] = static_cast<char>(raised.authenticatorData[36] ^ 0x10);
  EXPECT_EQ(why(verify(raised, key, 0)), "the signature does not verify");

  // Signed over other client data.
  Assertion swapped = authenticate(spec);
  swapped.clientDataJson = clientData(kGet, kGetChallenge, kOrigin, R"(,"crossOrigin":false)");
  EXPECT_EQ(why(verify(swapped, key, 0)), "the signature does not verify");

  Pkey other = generateKey(alg());
  ASSERT_NE(other.get(), nullptr);
  EXPECT_EQ(why(verify(makeAssertion(other.get(), alg(), spec), key, 0)),
            "the signature does not verify");

  Assertion empty = authenticate(spec);
  empty.signature.clear();
  EXPECT_EQ(why(verify(empty, key, 0)), "bad signature");

  EXPECT_EQ(why(verify(authenticate(spec), PublicKey{alg(), "not DER"}, 0)),
            "the stored key is unreadable");
}

TEST_P(WebAuthnCeremony, AssertionRefusesAnotherSiteOrAbsentUser) {
  const PublicKey key = registered();
  ASSERT_FALSE(key.spki.empty());
  AssertionSpec otherSite;
  otherSite.rpId = "evil.example";
  EXPECT_EQ(why(verify(authenticate(otherSite), key, 0)), "the assertion is for another site");

  AssertionSpec absent;
  absent.flags = kUv;  // UV without UP: WebAuthn section 7.2 requires UP
  EXPECT_EQ(why(verify(authenticate(absent), key, 0)), "the user was not present");
  absent.flags = 0;
  EXPECT_EQ(why(verify(authenticate(absent), key, 0)), "the user was not present");
}

TEST_P(WebAuthnCeremony, AssertionRefusesAnotherCeremony) {
  const PublicKey key = registered();
  ASSERT_FALSE(key.spki.empty());
  AssertionSpec stale;
  stale.challenge = kCreateChallenge;
  EXPECT_EQ(why(verify(authenticate(stale), key, 0)), "wrong or expired challenge");

  AssertionSpec create;
  create.type = kCreate;
  EXPECT_EQ(why(verify(authenticate(create), key, 0)), "wrong ceremony type");
}

TEST_P(WebAuthnCeremony, SignCounterMustGrowUnlessTheAuthenticatorKeepsNone) {
  const PublicKey key = registered();
  ASSERT_FALSE(key.spki.empty());
  const char* cloned = "the signature counter went backwards (a cloned authenticator?)";
  AssertionSpec spec;

  spec.signCount = 5;
  EXPECT_EQ(why(verify(authenticate(spec), key, 5)), cloned);
  spec.signCount = 4;
  EXPECT_EQ(why(verify(authenticate(spec), key, 5)), cloned);
  spec.signCount = 0;
  EXPECT_EQ(why(verify(authenticate(spec), key, 5)), cloned);

  // Both zero: an authenticator without a counter (WebAuthn section 6.1.1).
  spec.signCount = 0;
  auto none = verify(authenticate(spec), key, 0);
  ASSERT_TRUE(std::holds_alternative<std::uint32_t>(none)) << why(none);
  EXPECT_EQ(std::get<std::uint32_t>(none), 0u);

  spec.signCount = 6;
  auto grown = verify(authenticate(spec), key, 5);
  ASSERT_TRUE(std::holds_alternative<std::uint32_t>(grown)) << why(grown);
  EXPECT_EQ(std::get<std::uint32_t>(grown), 6u);

  spec.signCount = 0xffffffff;
  auto highest = verify(authenticate(spec), key, 0xfffffffe);
  ASSERT_TRUE(std::holds_alternative<std::uint32_t>(highest)) << why(highest);
  EXPECT_EQ(std::get<std::uint32_t>(highest), 0xffffffffu);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, WebAuthnCeremony, ::testing::Values(kEs256, kEdDsa),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(info.param == kEs256 ? "ES256" : "EdDSA");
                         });

}  // namespace
}  // namespace rampart::security::mfa::webauthn
