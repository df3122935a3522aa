#pragma once
// Lower-case hexadecimal of raw bytes (digests, fingerprints, key ids). Stateless.
#include <string>
#include <string_view>

namespace rampart::core {

inline std::string hexEncode(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace rampart::core
