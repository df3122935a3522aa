#pragma once
// Lists of strings stored in one TEXT column, one per line, each ending with '\n' (Argon2id
// strings contain no newline). Internal to storage/sqlite; stateless.

#include <string>
#include <vector>

namespace rampart::storage::sqlite {

inline std::string joinLines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    out += s;
    out += '\n';
  }
  return out;
}

inline std::vector<std::string> splitLines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t nl; (nl = s.find('\n', start)) != std::string::npos; start = nl + 1) {
    out.push_back(s.substr(start, nl - start));
  }
  return out;
}

}  // namespace rampart::storage::sqlite
