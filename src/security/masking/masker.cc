#include "rampart/security/masker.h"

#include <array>
#include <charconv>
#include <vector>

namespace rampart::security {
namespace {
constexpr std::array<std::string_view, 10> kNames = {
    "mobile", "id_number", "bank_card", "email", "name", "address", "ip", "passport", "uscc",
    "other"};

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isAlnum(char c) { return isDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Code points of UTF-8 text, as views.
std::vector<std::string_view> codePoints(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i + 1;
    while (j < s.size() && continuation(s[j])) {
      ++j;
    }
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// Keeps `keepStart` and `keepEnd` of the characters that count (with `digitsOnly`, the ASCII
// letters and digits of a number, not its separators); every other one that counts becomes '*'.
std::string keepEnds(std::string_view value, MaskRule r, bool digitsOnly) {
  auto cps = codePoints(value);
  std::size_t counted = 0;
  for (auto cp : cps) {
    counted += !digitsOnly || (cp.size() == 1 && isAlnum(cp[0]));
  }
  if (counted == 0) {
    return std::string(value);
  }
  // Too short to keep both ends: keep less, never everything.
  std::size_t start = r.keepStart;
  std::size_t end = r.keepEnd;
  while (start + end >= counted && (start > 0 || end > 0)) {
    if (start >= end && start > 0) {
      --start;
    } else {
      --end;
    }
  }
  std::string out;
  std::size_t n = 0;
  for (auto cp : cps) {
    const bool counts = !digitsOnly || (cp.size() == 1 && isAlnum(cp[0]));
    if (!counts) {
      out += cp;
      continue;
    }
    out += (n < start || n >= counted - end) ? std::string(cp) : std::string("*");
    ++n;
  }
  return out;
}

constexpr std::string_view kCompoundSurnames[] = {
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
    "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "闻人"};

std::string maskName(std::string_view name, MaskRule r) {
  if (name.find(' ') != std::string_view::npos) {
    // Latin order: the surname is the last word; the given names keep their initial.
    const auto last = name.rfind(' ');
    std::string out;
    std::string_view given = name.substr(0, last);
    bool initial = true;
    for (auto cp : codePoints(given)) {
      if (cp == " ") {
        out += ' ';
        initial = true;
      } else {
        out += initial ? std::string(cp) : std::string("*");
        initial = false;
      }
    }
    return out + std::string(name.substr(last));
  }
  std::size_t keep = r.keepStart;
  for (auto s : kCompoundSurnames) {
    if (name.substr(0, s.size()) == s) {
      keep = std::max<std::size_t>(keep, 2);
    }
  }
  return keepEnds(name, MaskRule{keep, r.keepEnd}, false);
}

std::string maskAddress(std::string_view a) {
  // The district level: the last 区 or 县 (or, without them, 市) and what comes before it.
  std::size_t cut = std::string_view::npos;
  for (std::string_view mark : {"区", "县", "旗"}) {
    const auto p = a.rfind(mark);
    if (p != std::string_view::npos && (cut == std::string_view::npos || p + mark.size() > cut)) {
      cut = p + mark.size();
    }
  }
  if (cut == std::string_view::npos) {
    const auto p = a.rfind("市");
    cut = p == std::string_view::npos ? 0 : p + std::string_view("市").size();
  }
  if (cut >= a.size()) {
    return std::string(a);
  }
  if (cut == 0) {
    // Not a Chinese address: keep its last comma-separated part (city, country).
    const auto comma = a.rfind(',');
    return comma == std::string_view::npos ? std::string("****")
                                           : "****" + std::string(a.substr(comma));
  }
  return std::string(a.substr(0, cut)) + "****";
}

std::string maskIp(std::string_view ip) {
  if (ip.find(':') != std::string_view::npos) {
    // IPv6: the first two groups (the /32 of the provider).
    std::size_t colons = 0;
    for (std::size_t i = 0; i < ip.size(); ++i) {
      if (ip[i] == ':' && ++colons == 2) {
        return std::string(ip.substr(0, i)) + ":*";
      }
    }
    return "*";
  }
  std::size_t dots = 0;
  for (std::size_t i = 0; i < ip.size(); ++i) {
    if (ip[i] == '.' && ++dots == 2) {
      return std::string(ip.substr(0, i)) + ".*.*";
    }
  }
  return "*";
}

std::string maskEmail(std::string_view e, MaskRule r) {
  const auto at = e.rfind('@');
  if (at == std::string_view::npos) {
    return keepEnds(e, MaskRule{1, 0}, false);
  }
  auto local = codePoints(e.substr(0, at));
  std::string out;
  for (std::size_t i = 0; i < local.size() && i < r.keepStart; ++i) {
    out += local[i];
  }
  return out + "***" + std::string(e.substr(at));
}

Masker& current() {
  static Masker m;
  return m;
}
}  // namespace

std::optional<DataType> parseDataType(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) {
      return static_cast<DataType>(i);
    }
  }
  return std::nullopt;
}

std::string_view dataTypeName(DataType t) { return kNames[static_cast<std::size_t>(t)]; }

Masker::Masker() {
  auto set = [this](DataType t, std::size_t a, std::size_t b) {
    rules_[static_cast<std::size_t>(t)] = MaskRule{a, b};
  };
  set(DataType::kMobile, 3, 4);
  set(DataType::kResidentId, 6, 4);
  set(DataType::kBankCard, 6, 4);
  set(DataType::kEmail, 1, 0);
  set(DataType::kName, 1, 0);
  set(DataType::kAddress, 0, 0);
  set(DataType::kIpAddress, 0, 0);
  set(DataType::kPassport, 1, 3);
  set(DataType::kUscc, 8, 2);
  set(DataType::kOther, 0, 0);
}

void Masker::setRule(DataType t, MaskRule rule) { rules_[static_cast<std::size_t>(t)] = rule; }
MaskRule Masker::rule(DataType t) const { return rules_[static_cast<std::size_t>(t)]; }

std::string Masker::mask(DataType t, std::string_view value) const {
  const MaskRule r = rule(t);
  switch (t) {
    case DataType::kMobile: {
      // A country prefix (+86, 0086) stays as it is; the national number keeps its ends.
      std::size_t digits = 0;
      for (char c : value) {
        digits += isDigit(c) ? 1 : 0;
      }
      MaskRule m = r;
      if (digits == 13 || digits == 15) {
        m.keepStart += digits - 11;
      }
      return keepEnds(value, m, true);
    }
    case DataType::kResidentId:
    case DataType::kBankCard:
      return keepEnds(value, r, true);
    case DataType::kEmail:
      return maskEmail(value, r);
    case DataType::kName:
      return maskName(value, r);
    case DataType::kAddress:
      return maskAddress(value);
    case DataType::kIpAddress:
      return maskIp(value);
    case DataType::kPassport:
    case DataType::kUscc:
    case DataType::kOther:
      return keepEnds(value, r, false);
  }
  return std::string(value.size(), '*');
}

std::optional<MaskRule> Masker::parseRule(std::string_view text) {
  const auto plus = text.find('+');
  if (plus == std::string_view::npos) {
    return std::nullopt;
  }
  MaskRule r;
  auto a = text.substr(0, plus);
  auto b = text.substr(plus + 1);
  if (a.empty() || b.empty() ||
      std::from_chars(a.data(), a.data() + a.size(), r.keepStart).ptr != a.data() + a.size() ||
      std::from_chars(b.data(), b.data() + b.size(), r.keepEnd).ptr != b.data() + b.size() ||
      r.keepStart > 32 || r.keepEnd > 32) {
    return std::nullopt;
  }
  return r;
}

const Masker& Masker::instance() { return current(); }

void Masker::configure(const Masker& m) { current() = m; }

}  // namespace rampart::security
