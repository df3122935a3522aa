#include "security/dlp/validators.h"

#include <array>
#include <cctype>

namespace rampart::security::dlp {
namespace {
bool isDigit(char c) { return c >= '0' && c <= '9'; }

bool leapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int number(std::string_view s) {
  int v = 0;
  for (char c : s) {
    v = v * 10 + (c - '0');
  }
  return v;
}

// Province-level codes of GB/T 2260 (the first two digits of every administrative division).
bool knownProvince(int p) {
  static constexpr int kCodes[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36,
                                   37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62,
                                   63, 64, 65, 71, 81, 82, 83, 91};
  for (int c : kCodes) {
    if (c == p) {
      return true;
    }
  }
  return false;
}

// GB 32100-2015's 31 code characters, in value order.
constexpr std::string_view kUsccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
}  // namespace

bool validResidentId(std::string_view id, int maxYear) {
  if (id.size() != 18) {
    return false;
  }
  for (std::size_t i = 0; i < 17; ++i) {
    if (!isDigit(id[i])) {
      return false;
    }
  }
  const char last = id[17];
  if (!isDigit(last) && last != 'X' && last != 'x') {
    return false;
  }
  if (!knownProvince(number(id.substr(0, 2))) || number(id.substr(2, 4)) % 10000 == 0) {
    return false;
  }
  const int year = number(id.substr(6, 4));
  const int month = number(id.substr(10, 2));
  const int day = number(id.substr(12, 2));
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1900 || year > maxYear || month < 1 || month > 12 || day < 1) {
    return false;
  }
  const int days = kDays[month - 1] + (month == 2 && leapYear(year) ? 1 : 0);
  if (day > days) {
    return false;
  }
  // ISO 7064 MOD 11-2: weights 2^(17-i) mod 11.
  int sum = 0;
  int weight = 1;
  for (int i = 16; i >= 0; --i) {
    weight = (weight * 2) % 11;
    sum += (id[static_cast<std::size_t>(i)] - '0') * weight;
  }
  const int check = (12 - sum % 11) % 11;
  return check == 10 ? (last == 'X' || last == 'x') : last == '0' + check;
}

bool validUscc(std::string_view code) {
  if (code.size() != 18) {
    return false;
  }
  static constexpr std::array<int, 17> kWeights = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                                   29, 25, 13, 8,  24, 10, 30, 28};
  int sum = 0;
  std::array<int, 18> v{};
  for (std::size_t i = 0; i < 18; ++i) {
    const auto pos = kUsccChars.find(code[i]);
    if (pos == std::string_view::npos) {
      return false;
    }
    v[i] = static_cast<int>(pos);
  }
  // A registration authority code (never 0) and, in positions 3-8, a region code of digits.
  if (code[0] == '0') {
    return false;
  }
  for (std::size_t i = 2; i < 8; ++i) {
    if (!isDigit(code[i])) {
      return false;
    }
  }
  for (std::size_t i = 0; i < 17; ++i) {
    sum += v[i] * kWeights[i];
  }
  const int check = (31 - sum % 31) % 31;
  return v[17] == check;
}

bool luhnValid(std::string_view digits) {
  if (digits.empty()) {
    return false;
  }
  int sum = 0;
  bool dbl = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (!isDigit(*it)) {
      return false;
    }
    int d = *it - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) {
        d -= 9;
      }
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

bool validMainlandMobile(std::string_view d) {
  if (d.size() != 11 || d[0] != '1') {
    return false;
  }
  for (char c : d) {
    if (!isDigit(c)) {
      return false;
    }
  }
  const int seg = number(d.substr(0, 3));
  switch (seg / 10) {
    case 13:
    case 18:
      return true;
    case 14:
      return seg != 140 && seg != 141 && seg != 142 && seg != 143 && seg != 144;
    case 15:
      return seg != 154;
    case 16:
      return seg == 162 || seg == 165 || seg == 166 || seg == 167;
    case 17:
      return seg != 179;
    case 19:
      return seg != 194;
    default:
      return false;
  }
}

bool validBankCard(std::string_view digits) {
  if (digits.size() < 16 || digits.size() > 19 || digits.substr(0, 6) == "000000") {
    return false;
  }
  return luhnValid(digits);
}

std::string digitsOf(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (isDigit(c)) {
      out.push_back(c);
    }
  }
  return out;
}

bool validEmailDomain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) {
    return false;
  }
  std::size_t labels = 0;
  std::string_view last;
  while (!domain.empty()) {
    const auto dot = domain.find('.');
    std::string_view label = domain.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
        return false;
      }
    }
    ++labels;
    last = label;
    domain = dot == std::string_view::npos ? std::string_view() : domain.substr(dot + 1);
    if (dot != std::string_view::npos && domain.empty()) {
      return false;
    }
  }
  if (labels < 2 || last.size() < 2) {
    return false;
  }
  for (char c : last) {
    if (!std::isalpha(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

}  // namespace rampart::security::dlp
