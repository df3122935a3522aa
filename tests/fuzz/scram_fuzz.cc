// Feeds untrusted bytes to every SASL parser in core/sasl/scram.h: as client-first-message, as
// client-final-message after a fixed exchange start (plain and -PLUS), to PLAIN and to base64.
// The RFC 5802 section 5 exchange is the fixed start, so seeds can reach a successful proof.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/sasl/scram.h"

namespace sasl = rampart::core::sasl;

namespace {

constexpr std::string_view kClientNonce = "fyko+d2lbbFgONRv9qkxdawL";
constexpr std::string_view kServerNonce = "3rfcNHYJY1ZVvWVs7j";

const sasl::ScramCredential& credential(sasl::ScramHash hash) {
  static const sasl::ScramCredential sha1 = sasl::deriveScramCredential(
      sasl::ScramHash::kSha1, "pencil", *sasl::base64Decode("QSXCR+Q6sek8bf92"), 4096);
  static const sasl::ScramCredential sha256 = sasl::deriveScramCredential(
      sasl::ScramHash::kSha256, "pencil", *sasl::base64Decode("QSXCR+Q6sek8bf92"), 4096);
  return hash == sasl::ScramHash::kSha1 ? sha1 : sha256;
}

sasl::ChannelBindings bindings() { return {{"tls-exporter", "0123456789abcdef0123456789abcdef"}}; }

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

void fuzzClientFirst(std::string_view input, bool plus, bool offersPlus) {
  sasl::ScramServer server(sasl::ScramHash::kSha256, plus, offersPlus, bindings(),
                           std::string(kServerNonce));
  const sasl::SaslError err = server.receiveClientFirst(input);
  if (err != sasl::SaslError::kNone) {
    check(!sasl::saslErrorName(err).empty());
    return;
  }
  // An accepted first message must yield a well-formed server-first with our nonce suffix.
  const std::string first = server.serverFirst(credential(sasl::ScramHash::kSha256));
  check(first.rfind("r=", 0) == 0);
  check(first.find(std::string(kServerNonce) + ",s=") != std::string::npos);
  // And any follow-up must be handled without crashing.
  server.receiveClientFinal(input);
}

void fuzzClientFinal(std::string_view input, sasl::ScramHash hash, bool plus) {
  sasl::ScramServer server(hash, plus, plus, plus ? bindings() : sasl::ChannelBindings{},
                           std::string(kServerNonce));
  const std::string first =
      std::string(plus ? "p=tls-exporter,,n=user,r=" : "n,,n=user,r=") + std::string(kClientNonce);
  check(server.receiveClientFirst(first) == sasl::SaslError::kNone);
  server.serverFirst(credential(hash));
  const sasl::SaslError err = server.receiveClientFinal(input);
  if (err == sasl::SaslError::kNone) {
    check(server.serverFinal().rfind("v=", 0) == 0);
  } else {
    check(server.serverFinal().empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  fuzzClientFirst(input, false, false);
  fuzzClientFirst(input, false, true);
  fuzzClientFirst(input, true, true);

  fuzzClientFinal(input, sasl::ScramHash::kSha1, false);
  fuzzClientFinal(input, sasl::ScramHash::kSha1, true);
  fuzzClientFinal(input, sasl::ScramHash::kSha256, false);
  fuzzClientFinal(input, sasl::ScramHash::kSha256, true);

  if (const auto plain = sasl::parsePlain(input)) {
    check(!plain->authcid.empty() && !plain->password.empty());
    check(plain->authzid.size() + plain->authcid.size() + plain->password.size() + 2 == size);
  }

  // The strict decoder accepts only canonical text, so decoding then encoding is the identity;
  // encoding then decoding must always be.
  if (const auto raw = sasl::base64Decode(input)) {
    check(sasl::base64Encode(*raw) == input);
  }
  check(sasl::base64Decode(sasl::base64Encode(input)) == std::string(input));
  return 0;
}
