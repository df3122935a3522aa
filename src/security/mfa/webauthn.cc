#include "security/mfa/webauthn.h"

#include <boost/json.hpp>
#include <cbor.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <cstring>
#include <memory>

namespace rampart::security::mfa::webauthn {

namespace {

struct CborFree {
  void operator()(cbor_item_t* item) const { cbor_decref(&item); }
};
using Cbor = std::unique_ptr<cbor_item_t, CborFree>;

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// One CBOR item from the start of `data`; `used` says how many bytes it took.
Cbor loadCbor(std::string_view data, std::size_t* used) {
  if (data.empty()) return nullptr;
  cbor_load_result result{};
  cbor_item_t* item =
      cbor_load(reinterpret_cast<const unsigned char*>(data.data()), data.size(), &result);
  if (item == nullptr || result.error.code != CBOR_ERR_NONE) {
    if (item != nullptr) cbor_decref(&item);
    return nullptr;
  }
  if (used != nullptr) *used = result.read;
  return Cbor(item);
}

// An integer map key or value as a signed number; nullopt for anything else.
std::optional<std::int64_t> intOf(const cbor_item_t* item) {
  if (cbor_isa_uint(item)) {
    const std::uint64_t v = cbor_get_int(item);
    if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(v);
  }
  if (cbor_isa_negint(item)) {
    const std::uint64_t v = cbor_get_int(item);
    if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return -1 - static_cast<std::int64_t>(v);
  }
  return std::nullopt;
}

std::optional<std::string> bytesOf(const cbor_item_t* item) {
  if (!cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item)) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(cbor_bytestring_handle(item)),
                     cbor_bytestring_length(item));
}

std::optional<std::string> textOf(const cbor_item_t* item) {
  if (!cbor_isa_string(item) || !cbor_string_is_definite(item)) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(cbor_string_handle(item)),
                     cbor_string_length(item));
}

// The value under an integer key of a definite map, or null.
const cbor_item_t* mapInt(const cbor_item_t* map, std::int64_t key) {
  const std::size_t n = cbor_map_size(map);
  const cbor_pair* pairs = cbor_map_handle(map);
  for (std::size_t i = 0; i < n; ++i) {
    if (auto k = intOf(pairs[i].key); k && *k == key) return pairs[i].value;
  }
  return nullptr;
}

const cbor_item_t* mapText(const cbor_item_t* map, std::string_view key) {
  const std::size_t n = cbor_map_size(map);
  const cbor_pair* pairs = cbor_map_handle(map);
  for (std::size_t i = 0; i < n; ++i) {
    if (auto k = textOf(pairs[i].key); k && *k == key) return pairs[i].value;
  }
  return nullptr;
}

std::string sha256(std::string_view data) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), h);
  return std::string(reinterpret_cast<char*>(h), sizeof h);
}

Pkey ecKey(const std::string& x, const std::string& y) {
  unsigned char point[65];
  point[0] = 0x04;
  std::memcpy(point + 1, x.data(), 32);
  std::memcpy(point + 33, y.data(), 32);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  if (bld == nullptr) return nullptr;
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  OSSL_PARAM_BLD_free(bld);
  if (params == nullptr) return nullptr;
  EVP_PKEY* key = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  if (ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1) {
    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  Pkey out(key);
  if (!out) return nullptr;
  // The point must be on the curve.
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, out.get(), nullptr);
  const bool ok = check != nullptr && EVP_PKEY_public_check(check) == 1;
  EVP_PKEY_CTX_free(check);
  return ok ? std::move(out) : nullptr;
}

Pkey fromSpki(const std::string& spki) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(spki.data());
  return Pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
}

std::string toSpki(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

}  // namespace

std::string base64url(std::string_view raw) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((raw.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 2 < raw.size(); i += 3) {
    const std::uint32_t v = (static_cast<unsigned char>(raw[i]) << 16) |
                            (static_cast<unsigned char>(raw[i + 1]) << 8) |
                            static_cast<unsigned char>(raw[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < raw.size()) {
    std::uint32_t v = static_cast<unsigned char>(raw[i]) << 16;
    if (i + 1 < raw.size()) v |= static_cast<unsigned char>(raw[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    if (i + 1 < raw.size()) out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64urlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero (a canonical encoding).
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string checkClientData(std::string_view clientDataJson, const Expected& expected) {
  if (clientDataJson.size() > 4096) return "client data too large";
  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 8;
  auto v = boost::json::parse(clientDataJson, ec, {}, opts);
  if (ec || !v.is_object()) return "client data is not a JSON object";
  const auto& o = v.as_object();
  auto str = [&](const char* k) -> std::optional<std::string> {
    auto it = o.find(k);
    if (it == o.end() || !it->value().is_string()) return std::nullopt;
    return std::string(it->value().as_string());
  };
  if (str("type") != expected.type) return "wrong ceremony type";
  auto challenge = str("challenge");
  if (!challenge || *challenge != base64url(expected.challenge)) return "wrong or expired challenge";
  if (str("origin") != expected.origin) return "wrong origin";
  if (auto it = o.find("crossOrigin"); it != o.end() && !(it->value().is_bool() &&
                                                          !it->value().as_bool())) {
    return "cross-origin use is not allowed";
  }
  if (o.contains("topOrigin")) return "cross-origin use is not allowed";
  return {};
}

Parsed<AuthenticatorData> parseAuthenticatorData(std::string_view data) {
  if (data.size() < 37) return Failure{"authenticator data too short"};
  if (data.size() > 64 * 1024) return Failure{"authenticator data too large"};
  AuthenticatorData a;
  a.rpIdHash = std::string(data.substr(0, 32));
  a.flags = static_cast<std::uint8_t>(data[32]);
  a.signCount = (static_cast<std::uint32_t>(static_cast<unsigned char>(data[33])) << 24) |
                (static_cast<std::uint32_t>(static_cast<unsigned char>(data[34])) << 16) |
                (static_cast<std::uint32_t>(static_cast<unsigned char>(data[35])) << 8) |
                static_cast<std::uint32_t>(static_cast<unsigned char>(data[36]));
  std::size_t pos = 37;
  if (a.attested()) {
    if (data.size() < pos + 18) return Failure{"attested credential data too short"};
    pos += 16;  // AAGUID
    const std::size_t idLen = (static_cast<unsigned char>(data[pos]) << 8) |
                              static_cast<unsigned char>(data[pos + 1]);
    pos += 2;
    if (idLen == 0 || idLen > 1023 || data.size() < pos + idLen) {
      return Failure{"bad credential id length"};
    }
    a.credentialId = std::string(data.substr(pos, idLen));
    pos += idLen;
    std::size_t used = 0;
    Cbor key = loadCbor(data.substr(pos), &used);
    if (!key || !cbor_isa_map(key.get())) return Failure{"bad credential public key"};
    a.coseKey = std::string(data.substr(pos, used));
    pos += used;
  }
  if ((a.flags & 0x80) != 0) {  // ED: extensions follow
    std::size_t used = 0;
    Cbor ext = loadCbor(data.substr(pos), &used);
    if (!ext || !cbor_isa_map(ext.get())) return Failure{"bad extensions"};
    pos += used;
  }
  if (pos != data.size()) return Failure{"trailing bytes in authenticator data"};
  return a;
}

Parsed<std::string> authDataOfAttestation(std::string_view attestationObject) {
  if (attestationObject.size() > 64 * 1024) return Failure{"attestation object too large"};
  std::size_t used = 0;
  Cbor obj = loadCbor(attestationObject, &used);
  if (!obj || used != attestationObject.size() || !cbor_isa_map(obj.get()) ||
      !cbor_map_is_definite(obj.get())) {
    return Failure{"the attestation object is not one CBOR map"};
  }
  const cbor_item_t* fmt = mapText(obj.get(), "fmt");
  const cbor_item_t* stmt = mapText(obj.get(), "attStmt");
  const cbor_item_t* auth = mapText(obj.get(), "authData");
  if (fmt == nullptr || !textOf(fmt) || stmt == nullptr || !cbor_isa_map(stmt) ||
      auth == nullptr) {
    return Failure{"the attestation object lacks fmt, attStmt or authData"};
  }
  auto bytes = bytesOf(auth);
  if (!bytes) return Failure{"authData is not a byte string"};
  return *bytes;
}

Parsed<PublicKey> publicKeyFromCose(std::string_view coseKey) {
  std::size_t used = 0;
  Cbor key = loadCbor(coseKey, &used);
  if (!key || used != coseKey.size() || !cbor_isa_map(key.get()) ||
      !cbor_map_is_definite(key.get())) {
    return Failure{"the COSE key is not a CBOR map"};
  }
  // Absent or non-integer labels read as a value no key type uses.
  auto label = [&](std::int64_t k) -> std::int64_t {
    const cbor_item_t* v = mapInt(key.get(), k);
    return v != nullptr ? intOf(v).value_or(INT64_MIN) : INT64_MIN;
  };
  const std::int64_t kty = label(1);
  const std::int64_t alg = label(3);
  const std::int64_t crv = label(-1);
  auto x = mapInt(key.get(), -2) ? bytesOf(mapInt(key.get(), -2)) : std::nullopt;
  if (!x) return Failure{"the COSE key lacks x"};
  PublicKey out;
  if (kty == 2 && alg == kEs256 && crv == 1) {
    auto y = mapInt(key.get(), -3) ? bytesOf(mapInt(key.get(), -3)) : std::nullopt;
    if (!y || x->size() != 32 || y->size() != 32) return Failure{"bad P-256 coordinates"};
    Pkey k = ecKey(*x, *y);
    if (!k) return Failure{"the P-256 point is not on the curve"};
    out.alg = kEs256;
    out.spki = toSpki(k.get());
  } else if (kty == 1 && alg == kEdDsa && crv == 6) {
    if (x->size() != 32) return Failure{"bad Ed25519 key length"};
    Pkey k(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                       reinterpret_cast<const unsigned char*>(x->data()), 32));
    if (!k) return Failure{"bad Ed25519 key"};
    out.alg = kEdDsa;
    out.spki = toSpki(k.get());
  } else {
    return Failure{"only ES256 (P-256) and EdDSA (Ed25519) keys are accepted"};
  }
  if (out.spki.empty()) return Failure{"could not encode the key"};
  return out;
}

Parsed<Registration> verifyRegistration(std::string_view clientDataJson,
                                        std::string_view attestationObject,
                                        const Expected& expected) {
  if (auto why = checkClientData(clientDataJson, expected); !why.empty()) return Failure{why};
  auto authBytes = authDataOfAttestation(attestationObject);
  if (auto* f = std::get_if<Failure>(&authBytes)) return *f;
  auto parsed = parseAuthenticatorData(std::get<std::string>(authBytes));
  if (auto* f = std::get_if<Failure>(&parsed)) return *f;
  const auto& a = std::get<AuthenticatorData>(parsed);
  if (a.rpIdHash != sha256(expected.rpId)) return Failure{"the credential is for another site"};
  if (!a.userPresent()) return Failure{"the user was not present"};
  if (!a.attested()) return Failure{"no credential in the attestation"};
  auto key = publicKeyFromCose(a.coseKey);
  if (auto* f = std::get_if<Failure>(&key)) return *f;
  return Registration{a.credentialId, std::get<PublicKey>(key), a.signCount};
}

Parsed<std::uint32_t> verifyAssertion(std::string_view clientDataJson,
                                      std::string_view authenticatorData,
                                      std::string_view signature, const PublicKey& key,
                                      std::uint32_t storedSignCount, const Expected& expected) {
  if (auto why = checkClientData(clientDataJson, expected); !why.empty()) return Failure{why};
  auto parsed = parseAuthenticatorData(authenticatorData);
  if (auto* f = std::get_if<Failure>(&parsed)) return *f;
  const auto& a = std::get<AuthenticatorData>(parsed);
  if (a.rpIdHash != sha256(expected.rpId)) return Failure{"the assertion is for another site"};
  if (!a.userPresent()) return Failure{"the user was not present"};
  if (signature.empty() || signature.size() > 512) return Failure{"bad signature"};
  Pkey k = fromSpki(key.spki);
  if (!k) return Failure{"the stored key is unreadable"};
  std::string message(authenticatorData);
  message += sha256(clientDataJson);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = false;
  if (ctx != nullptr &&
      EVP_DigestVerifyInit(ctx, nullptr, key.alg == kEs256 ? EVP_sha256() : nullptr, nullptr,
                           k.get()) == 1) {
    ok = EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return Failure{"the signature does not verify"};
  // A counter that does not grow means a cloned authenticator (WebAuthn 7.2 step 21), unless
  // the authenticator keeps none (both zero).
  if ((a.signCount != 0 || storedSignCount != 0) && a.signCount <= storedSignCount) {
    return Failure{"the signature counter went backwards (a cloned authenticator?)"};
  }
  return a.signCount;
}

}  // namespace rampart::security::mfa::webauthn
