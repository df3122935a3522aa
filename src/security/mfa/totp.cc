#include "security/mfa/totp.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <qrencode.h>
#include <sodium.h>

#include <cctype>
#include <memory>

#include "core/sasl/scram.h"
#include "security/secrets/secret_hash.h"

namespace rampart::security::mfa {

namespace {

constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// Argon2id cost for recovery codes: OWASP's minimum (m = 19 MiB, t = 2). The codes carry 60
// random bits, so the hash only has to make an offline search of a stolen database costly.

std::string uriEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '@') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string newTotpSecret() { return core::sasl::randomBytes(20); }

std::string base32(std::string_view raw) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char c : raw) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += kBase32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) {
    out += kBase32[(buffer << (5 - bits)) & 31];
  }
  return out;
}

std::optional<std::string> base32Decode(std::string_view text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char ch : text) {
    if (ch == '=') {
      break;
    }
    const char* p = std::char_traits<char>::find(kBase32, 32, static_cast<char>(std::toupper(
                                                                   static_cast<unsigned char>(ch))));
    if (p == nullptr) {
      return std::nullopt;
    }
    buffer = (buffer << 5) | static_cast<unsigned>(p - kBase32);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

std::int64_t totpStep(std::int64_t unixSeconds) { return unixSeconds / kTotpStepSeconds; }

std::string totpCode(std::string_view secret, std::int64_t step) {
  unsigned char counter[8];
  for (int i = 7; i >= 0; --i) {
    counter[i] = static_cast<unsigned char>(step & 0xff);
    step >>= 8;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), counter, sizeof counter, mac,
       &len);
  const int offset = mac[len - 1] & 0x0f;
  const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                               (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                               (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                               static_cast<std::uint32_t>(mac[offset + 3]);
  std::string code = std::to_string(binary % 1000000);
  return std::string(kTotpDigits - code.size(), '0') + code;
}

std::optional<std::int64_t> verifyTotp(std::string_view secret, std::string_view code,
                                       std::int64_t unixSeconds, std::int64_t lastUsedStep) {
  if (code.size() != kTotpDigits || secret.empty()) {
    return std::nullopt;
  }
  const std::int64_t now = totpStep(unixSeconds);
  std::optional<std::int64_t> match;
  for (std::int64_t step = now - 1; step <= now + 1; ++step) {
    const std::string expected = totpCode(secret, step);
    // Every candidate is compared, in constant time, whatever matched before.
    if (CRYPTO_memcmp(expected.data(), code.data(), kTotpDigits) == 0 && step > lastUsedStep &&
        !match) {
      match = step;
    }
  }
  return match;
}

std::string otpauthUri(std::string_view issuer, std::string_view account, std::string_view secret) {
  // The Key Uri Format of Google Authenticator, which every authenticator app reads.
  return "otpauth://totp/" + uriEscape(issuer) + ":" + uriEscape(account) +
         "?secret=" + base32(secret) + "&issuer=" + uriEscape(issuer) +
         "&algorithm=SHA1&digits=6&period=30";
}

std::string qrSvg(std::string_view text) {
  const std::string s(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> qr(
      QRcode_encodeString(s.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), QRcode_free);
  if (!qr) {
    return {};
  }
  const int w = qr->width;
  const int quiet = 4;
  const int size = w + 2 * quiet;
  std::string path;
  for (int y = 0; y < w; ++y) {
    for (int x = 0; x < w; ++x) {
      if ((qr->data[y * w + x] & 1) != 0) {
        path += "M" + std::to_string(x + quiet) + " " + std::to_string(y + quiet) + "h1v1h-1z";
      }
    }
  }
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + std::to_string(size) + " " +
         std::to_string(size) + "\" shape-rendering=\"crispEdges\" role=\"img\">" +
         "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"" + path +
         "\"/></svg>";
}

RecoveryCodes newRecoveryCodes() {
  RecoveryCodes out;
  if (sodium_init() < 0) {
    return out;
  }
  for (int i = 0; i < 10; ++i) {
    const std::string b = base32(core::sasl::randomBytes(8)).substr(0, 12);
    std::string code = b.substr(0, 4) + "-" + b.substr(4, 4) + "-" + b.substr(8, 4);
    for (auto& c : code) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    auto hash = secrets::hashSecret(code);
    if (!hash) {
      continue;  // out of memory: fewer codes, never an unhashed one
    }
    out.codes.push_back(std::move(code));
    out.hashes.push_back(std::move(*hash));
  }
  return out;
}

std::optional<std::size_t> matchRecoveryCode(const std::vector<std::string>& hashes,
                                             std::string_view code) {
  std::string normalized;
  for (char c : code) {
    if (c != ' ') {
      normalized += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (normalized.size() != 14) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    if (secrets::verifySecret(hashes[i], normalized)) {
      return i;
    }
  }
  return std::nullopt;
}

}  // namespace rampart::security::mfa
