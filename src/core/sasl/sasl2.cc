#include "core/sasl/sasl2.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/sasl/scram.h"

namespace rampart::core::sasl {

namespace {
// UTF-8 text cut to at most `n` bytes, never inside a character.
std::string bounded(std::string s, std::size_t n) {
  if (s.size() <= n) return s;
  std::size_t cut = n;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s;
}
}  // namespace

Sasl2Request readAuthenticate(const Element& a) {
  Sasl2Request r;
  r.mechanism = std::string(a.attrOr("mechanism"));
  if (const Element* ir = a.child("initial-response", kNsSasl2)) {
    r.initial = base64Decode(ir->text());
    r.badInitial = !r.initial.has_value();
  }
  if (const Element* ua = a.child("user-agent", kNsSasl2)) {
    r.software = bounded(ua->childText("software", kNsSasl2), 100);
    r.device = bounded(ua->childText("device", kNsSasl2), 100);
  }
  if (const Element* b = a.child("bind", kNsBind2)) {
    r.bind = true;
    r.tag = bounded(b->childText("tag", kNsBind2), 64);
    // XEP-0198 inside Bind 2: stream management enabled with the binding.
    if (const Element* sm = b->child("enable", "urn:xmpp:sm:3")) {
      r.smEnable = true;
      const auto resume = sm->attrOr("resume");
      r.smResume = resume == "true" || resume == "1";
    }
  }
  if (const Element* rt = a.child("request-token", kNsFast)) {
    r.requestToken = rt->attrOr("mechanism") == "HT-SHA-256-NONE";
  }
  if (const Element* fast = a.child("fast", kNsFast)) {
    const auto v = fast->attrOr("invalidate");
    r.invalidate = v == "true" || v == "1";
  }
  return r;
}

std::optional<FastInitial> parseFastInitial(std::string_view initial) {
  const auto nul = initial.find('\0');
  if (nul == std::string_view::npos || nul == 0 || initial.size() - nul - 1 != 32) {
    return std::nullopt;
  }
  return FastInitial{std::string(initial.substr(0, nul)), std::string(initial.substr(nul + 1))};
}

std::string fastTokenFor(std::string_view key, std::string_view seed) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(seed.data()), seed.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 15]);
  }
  return out;
}

std::string fastProof(std::string_view token, std::string_view label) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), token.data(), static_cast<int>(token.size()),
       reinterpret_cast<const unsigned char*>(label.data()), label.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

}  // namespace rampart::core::sasl
