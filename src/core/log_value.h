#pragma once
// Values from the network in log lines: quoted, with quotes, backslashes and control
// characters escaped, so that no input can end a line or fake a key=value pair.
#include <cstdio>
#include <string>
#include <string_view>

namespace rampart::core {

inline std::string logQuoted(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out += '"';
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

}  // namespace rampart::core
