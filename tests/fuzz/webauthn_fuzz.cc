// Fuzzes what a browser sends for a passkey (security/mfa/webauthn): authenticator data, the
// attestation object, COSE keys, client data JSON and base64url, then whole registrations and
// assertions checked against keys made at the first call. Besides memory errors it checks that
// only canonical base64url decodes, that parsed values stay within their bounds, that an
// accepted COSE key is stored as readable DER, and that no fuzzed assertion ever verifies (the
// private keys are dropped as soon as they are made, so an accepted signature is a forgery).
//
// Layout for the ceremonies: [a][b][m] client data (a bytes) | authenticator data (b bytes) |
// signature (the rest). Bit 0 of m puts SHA-256("localhost") before the authenticator data so
// that the fuzzer gets past the relying party check; bit 1 picks the Ed25519 key over P-256.
// Registration reads everything after the client data as the attestation object.

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "security/mfa/webauthn.h"

using namespace rampart::security::mfa::webauthn;

namespace {

// A new key pair's public half as DER SubjectPublicKeyInfo; the private half is freed here.
PublicKey freshKey(int alg) {
  EVP_PKEY_CTX* ctx =
      EVP_PKEY_CTX_new_from_name(nullptr, alg == kEs256 ? "EC" : "ED25519", nullptr);
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx) != 1 ||
      (alg == kEs256 && EVP_PKEY_CTX_set_group_name(ctx, "P-256") != 1) ||
      EVP_PKEY_generate(ctx, &key) != 1) {
    std::abort();
  }
  EVP_PKEY_CTX_free(ctx);
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  EVP_PKEY_free(key);
  if (n <= 0) {
    std::abort();
  }
  PublicKey out{alg, std::string(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n))};
  OPENSSL_free(der);
  return out;
}

std::string sha256(std::string_view data) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), h);
  return std::string(reinterpret_cast<const char*>(h), sizeof h);
}

void checkCoseKey(std::string_view in) {
  auto parsed = publicKeyFromCose(in);
  const auto* key = std::get_if<PublicKey>(&parsed);
  if (key == nullptr) {
    return;
  }
  if ((key->alg != kEs256 && key->alg != kEdDsa) || key->spki.empty()) {
    std::abort();
  }
  // What is stored must read back as a key.
  const auto* p = reinterpret_cast<const unsigned char*>(key->spki.data());
  EVP_PKEY* stored = d2i_PUBKEY(nullptr, &p, static_cast<long>(key->spki.size()));
  if (stored == nullptr) {
    std::abort();
  }
  EVP_PKEY_free(stored);
}

void checkAuthenticatorData(std::string_view in) {
  auto parsed = parseAuthenticatorData(in);
  const auto* a = std::get_if<AuthenticatorData>(&parsed);
  if (a == nullptr) {
    return;
  }
  if (in.size() < 37 || a->rpIdHash.size() != 32) {
    std::abort();
  }
  if (!a->attested()) {
    if (!a->credentialId.empty() || !a->coseKey.empty()) {
      std::abort();
    }
    return;
  }
  if (a->credentialId.empty() || a->credentialId.size() > 1023 || a->coseKey.empty() ||
      37 + 18 + a->credentialId.size() + a->coseKey.size() > in.size()) {
    std::abort();
  }
  checkCoseKey(a->coseKey);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const PublicKey kP256Key = freshKey(kEs256);
  static const PublicKey kEd25519Key = freshKey(kEdDsa);
  static const std::string kRpIdHash = sha256("localhost");
  // The challenge's base64url is "AAAA" (see the seeds in corpus/webauthn).
  static const Expected kGet{"webauthn.get", std::string(3, '\0'), "https://localhost",
                             "localhost"};
  static const Expected kCreate{"webauthn.create", std::string(3, '\0'), "https://localhost",
                                "localhost"};
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  checkAuthenticatorData(in);
  auto attested = authDataOfAttestation(in);
  if (const auto* bytes = std::get_if<std::string>(&attested)) {
    if (bytes->size() >= in.size()) {
      std::abort();
    }
    checkAuthenticatorData(*bytes);
  }
  checkCoseKey(in);
  (void)checkClientData(in, kGet);
  if (auto decoded = base64urlDecode(in)) {
    // Only canonical text decodes, so encoding it again gives the input back.
    if (decoded->size() > in.size() || base64url(*decoded) != in) {
      std::abort();
    }
  }

  if (size < 3) {
    return 0;
  }
  std::size_t pos = 3;
  auto take = [&](std::size_t n) {
    n = std::min(n, size - pos);
    const std::string_view part = in.substr(pos, n);
    pos += n;
    return part;
  };
  const std::string_view clientData = take(data[0]);
  const std::string_view attestationObject = in.substr(pos);
  std::string authenticatorData = (data[2] & 1) != 0 ? kRpIdHash : std::string();
  authenticatorData += take(data[1]);
  const std::string_view signature = in.substr(pos);
  const PublicKey& key = (data[2] & 2) != 0 ? kEd25519Key : kP256Key;
  auto counter = verifyAssertion(clientData, authenticatorData, signature, key, 0, kGet);
  if (std::holds_alternative<std::uint32_t>(counter)) {
    std::abort();  // a forged signature verified
  }
  auto registration = verifyRegistration(clientData, attestationObject, kCreate);
  if (const auto* r = std::get_if<Registration>(&registration)) {
    if ((r->key.alg != kEs256 && r->key.alg != kEdDsa) || r->key.spki.empty() ||
        r->credentialId.empty()) {
      std::abort();
    }
  }
  return 0;
}
