#include "security/dlp/matcher.h"

#include <hs/hs.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "security/dlp/validators.h"

namespace rampart::security::dlp {
namespace {

// Candidate expressions of the built-ins, in kBuiltins order. Boundaries are checked after
// matching (vectorscan has no look-around).
constexpr const char* kBuiltinPatterns[] = {
    "[0-9]{17}[0-9Xx]",
    "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}",
    "(?:(?:\\+|00)86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}",
    "[0-9](?:[ -]?[0-9]){15,18}",
    "E[0-9]{8}|G[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}",
    "[CW][0-9]{8}|C[A-HJ-NP-Z][0-9]{7}|[HM][0-9]{8}(?:[0-9]{2})?",
    "[A-Za-z0-9._%+\\-]@[A-Za-z0-9\\-]+(?:\\.[A-Za-z0-9\\-]+)*\\.[A-Za-z]{2,24}",
};
static_assert(std::size(kBuiltinPatterns) == std::size(kBuiltins));

// Which of two overlapping built-in findings wins: the lower rank.
constexpr int kRank[] = {0, 1, 3, 2, 4, 5, 6};

// Words that, near a candidate, make it very likely what it looks like (lower-case ASCII).
const std::vector<std::vector<std::string_view>>& contextWords() {
  static const std::vector<std::vector<std::string_view>> words = {
      {"身份证", "证件号", "公民身份", "身份号", "id card", "identity", "id number", "id no"},
      {"统一社会信用代码", "信用代码", "营业执照", "税号", "uscc", "credit code"},
      {"手机", "电话", "联系方式", "致电", "微信", "mobile", "phone", "tel", "call"},
      {"银行卡", "卡号", "账号", "帐号", "开户行", "储蓄卡", "信用卡", "借记卡", "转账", "bank",
       "card", "account", "iban"},
      {"护照", "passport"},
      {"通行证", "港澳", "回乡证", "permit"},
      {"邮箱", "邮件", "email", "e-mail", "mail"},
  };
  return words;
}

constexpr Confidence kBaseConfidence[] = {Confidence::kMedium, Confidence::kMedium,
                                          Confidence::kMedium, Confidence::kLow,
                                          Confidence::kLow,    Confidence::kLow,
                                          Confidence::kMedium};

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool digit(char c) { return c >= '0' && c <= '9'; }

// A keyword as a vectorscan expression matching it literally.
std::string literal(std::string_view word) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : word) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || alnum(c)) {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

struct Raw {
  unsigned id;
  std::size_t from;
  std::size_t to;
};

int onMatch(unsigned id, unsigned long long from, unsigned long long to, unsigned /*flags*/,
            void* ctx) {
  auto* out = static_cast<std::vector<Raw>*>(ctx);
  if (out->size() >= 100000) {
    return 1;  // stop: enough candidates for any real message
  }
  out->push_back(Raw{id, static_cast<std::size_t>(from), static_cast<std::size_t>(to)});
  return 0;
}

// One scratch space per thread, grown to fit each database it is used with.
struct Scratch {
  hs_scratch_t* space = nullptr;
  std::set<std::uint64_t> fitted;  // ids of the databases it is large enough for
  ~Scratch() {
    if (space != nullptr) {
      hs_free_scratch(space);
    }
  }
};

std::atomic<std::uint64_t> nextId{1};

bool nearContext(std::string_view text, std::size_t begin, std::size_t end, int builtin) {
  constexpr std::size_t kBefore = 60;
  constexpr std::size_t kAfter = 30;
  const std::size_t from = begin > kBefore ? begin - kBefore : 0;
  const std::size_t to = std::min(text.size(), end + kAfter);
  std::string window(text.substr(from, to - from));
  for (char& c : window) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  // The candidate itself is no context ("mail" in an address's "gmail.com").
  const std::size_t at = begin - from;
  std::fill(window.begin() + static_cast<std::ptrdiff_t>(at),
            window.begin() + static_cast<std::ptrdiff_t>(at + (end - begin)), ' ');
  for (std::string_view w : contextWords()[static_cast<std::size_t>(builtin)]) {
    const bool ascii = static_cast<unsigned char>(w[0]) < 0x80;
    for (auto p = window.find(w); p != std::string::npos; p = window.find(w, p + 1)) {
      // English words are whole words ("tel" is not in "hotel").
      const bool before = p == 0 || !alnum(window[p - 1]);
      const bool after = p + w.size() >= window.size() || !alnum(window[p + w.size()]);
      if (!ascii || (before && after)) {
        return true;
      }
    }
  }
  return false;
}

bool sep(char c) { return c == ' ' || c == '-'; }

// Where a number ending at `to` starts: back over up to `maxDigits` digits with single
// separators between them; the position of its first digit.
std::size_t digitsBack(std::string_view text, std::size_t to, std::size_t maxDigits,
                       std::size_t& count) {
  std::size_t from = to;
  count = 0;
  std::size_t i = to;
  while (i > 0 && count < maxDigits) {
    const char c = text[i - 1];
    if (digit(c)) {
      --i;
      ++count;
      from = i;
    } else if (sep(c) && i >= 2 && digit(text[i - 2]) && count > 0) {
      --i;
    } else {
      break;
    }
  }
  return from;
}

// The built-in candidate ending at `to` (vectorscan reports ends only; leftmost-start tracking
// of these bounded repeats is too large): its start if it is a real one.
std::optional<std::size_t> validate(int builtin, std::string_view text, std::size_t to) {
  const char after = to < text.size() ? text[to] : ' ';
  auto fixed = [&](std::size_t len) -> std::optional<std::size_t> {
    if (to < len) {
      return std::nullopt;
    }
    const std::size_t from = to - len;
    const char before = from > 0 ? text[from - 1] : ' ';
    if (alnum(before) || alnum(after)) {
      return std::nullopt;
    }
    return from;
  };
  switch (builtin) {
    case 0: {
      auto from = fixed(18);
      return from && validResidentId(text.substr(*from, 18)) ? from : std::nullopt;
    }
    case 1: {
      auto from = fixed(18);
      return from && validUscc(text.substr(*from, 18)) ? from : std::nullopt;
    }
    case 2: {
      if (digit(after)) {
        return std::nullopt;
      }
      std::size_t count = 0;
      std::size_t from = digitsBack(text, to, 11, count);
      if (count != 11 || !validMainlandMobile(digitsOf(text.substr(from, to - from)))) {
        return std::nullopt;
      }
      // A country prefix: +86, 0086 or 86, with an optional separator.
      std::size_t p = from;
      if (p > 0 && sep(text[p - 1])) {
        --p;
      }
      if (p >= 2 && text.substr(p - 2, 2) == "86") {
        std::size_t q = p - 2;
        if (q >= 1 && text[q - 1] == '+') {
          --q;
        } else if (q >= 2 && text.substr(q - 2, 2) == "00") {
          q -= 2;
        }
        const char before = q > 0 ? text[q - 1] : ' ';
        if (!digit(before) && before != '+') {
          return q;
        }
      }
      const char before = from > 0 ? text[from - 1] : ' ';
      return digit(before) || before == '+' ? std::nullopt : std::optional<std::size_t>(from);
    }
    case 3: {
      if (digit(after) || (sep(after) && to + 1 < text.size() && digit(text[to + 1]))) {
        return std::nullopt;  // part of a longer number
      }
      std::size_t count = 0;
      const std::size_t from = digitsBack(text, to, 20, count);
      const char before = from > 0 ? text[from - 1] : ' ';
      if (count < 16 || count > 19 || digit(before) ||
          (sep(before) && from >= 2 && digit(text[from - 2]))) {
        return std::nullopt;
      }
      return validBankCard(digitsOf(text.substr(from, to - from))) ? std::optional(from)
                                                                    : std::nullopt;
    }
    case 4:
      return fixed(9);
    case 5: {
      // 9 characters, or a home-return permit's 11.
      if (auto f = fixed(11); f && (text[*f] == 'H' || text[*f] == 'M')) {
        return f;
      }
      auto f = fixed(9);
      return f && text[*f] >= 'A' && text[*f] <= 'Z' ? f : std::nullopt;
    }
    case 6: {
      if (alnum(after) || after == '-' || after == '_' ||
          (after == '.' && to + 1 < text.size() && alnum(text[to + 1]))) {
        return std::nullopt;  // the domain goes on
      }
      const std::string_view head = text.substr(0, to);
      const auto at = head.rfind('@');
      if (at == std::string_view::npos || at == 0) {
        return std::nullopt;
      }
      std::size_t from = at;
      auto local = [](char c) {
        return alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
      };
      while (from > 0 && at - from < 64 && local(text[from - 1])) {
        --from;
      }
      while (from < at && text[from] == '.') {
        ++from;
      }
      if (from == at || !validEmailDomain(text.substr(at + 1, to - at - 1))) {
        return std::nullopt;
      }
      return from;
    }
    default:
      return std::nullopt;
  }
}
}  // namespace

DataType maskingType(std::string_view type) {
  if (type == kResidentId) return DataType::kResidentId;
  if (type == kUscc) return DataType::kUscc;
  if (type == kMobile) return DataType::kMobile;
  if (type == kBankCard) return DataType::kBankCard;
  if (type == kPassport || type == kPermit) return DataType::kPassport;
  if (type == kEmail) return DataType::kEmail;
  return DataType::kOther;
}

std::string_view confidenceName(Confidence c) {
  switch (c) {
    case Confidence::kLow:
      return "low";
    case Confidence::kMedium:
      return "medium";
    case Confidence::kHigh:
      return "high";
  }
  return "medium";
}

core::Result<std::shared_ptr<const Matcher>> Matcher::compile(const std::vector<CustomRule>& rules) {
  std::shared_ptr<Matcher> m(new Matcher());
  std::vector<std::string> expressions;
  std::vector<unsigned> flags;
  for (std::size_t i = 0; i < std::size(kBuiltins); ++i) {
    expressions.emplace_back(kBuiltinPatterns[i]);
    flags.push_back(0);
    m->names_.emplace_back(kBuiltins[i]);
    m->builtin_.push_back(static_cast<int>(i));
  }
  for (const auto& r : rules) {
    for (const auto& k : r.keywords) {
      if (k.empty()) {
        continue;
      }
      expressions.push_back(literal(k));
      flags.push_back(HS_FLAG_SOM_LEFTMOST | HS_FLAG_CASELESS | HS_FLAG_UTF8);
      m->names_.push_back(r.name);
      m->builtin_.push_back(-1);
    }
    for (const auto& p : r.patterns) {
      // Check each pattern alone first, so that the error names the one that is wrong.
      hs_database_t* one = nullptr;
      hs_compile_error_t* err = nullptr;
      const unsigned f = HS_FLAG_SOM_LEFTMOST | HS_FLAG_UTF8;
      if (hs_compile(p.c_str(), f, HS_MODE_BLOCK, nullptr, &one,
                     &err) != HS_SUCCESS) {
        std::string why = err != nullptr && err->message != nullptr ? err->message : "error";
        hs_free_compile_error(err);
        return core::Status::invalidArgument("content rule '" + r.name + "': pattern '" + p +
                                             "' does not compile: " + why);
      }
      hs_free_database(one);
      expressions.push_back(p);
      flags.push_back(f);
      m->names_.push_back(r.name);
      m->builtin_.push_back(-2);
    }
  }
  std::vector<const char*> exprs;
  std::vector<unsigned> ids;
  for (std::size_t i = 0; i < expressions.size(); ++i) {
    exprs.push_back(expressions[i].c_str());
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                       static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK,
                       nullptr, &m->db_, &err) != HS_SUCCESS) {
    std::string why = err != nullptr && err->message != nullptr ? err->message : "error";
    hs_free_compile_error(err);
    return core::Status::invalidArgument("content rules do not compile together: " + why);
  }
  m->id_ = nextId.fetch_add(1);
  return std::shared_ptr<const Matcher>(std::move(m));
}

Matcher::~Matcher() {
  if (db_ != nullptr) {
    hs_free_database(db_);
  }
}

std::vector<Finding> Matcher::scan(std::string_view text, std::size_t limit) const {
  std::vector<Finding> out;
  if (text.empty() || db_ == nullptr) {
    return out;
  }
  thread_local Scratch scratch;
  // Growing the scratch space is costly: only when this thread meets a database it has not
  // scanned with since (databases are few: one per tenant).
  if (scratch.fitted.count(id_) == 0) {
    if (hs_alloc_scratch(db_, &scratch.space) != HS_SUCCESS) {
      return out;
    }
    scratch.fitted.insert(id_);
  }
  std::vector<Raw> raw;
  hs_scan(db_, text.data(), static_cast<unsigned>(std::min<std::size_t>(text.size(), 1u << 30)),
          0, scratch.space, onMatch, &raw);
  // Per (pattern, start): the longest end that validates.
  std::map<std::pair<std::size_t, unsigned>, std::size_t> best;
  std::vector<Finding> builtins;
  for (const auto& r : raw) {
    const int b = builtin_[r.id];
    if (b < 0) {
      auto& e = best[{r.from, r.id}];
      e = std::max(e, r.to);
      continue;
    }
    auto from = validate(b, text, r.to);
    if (!from) {
      continue;
    }
    builtins.push_back(Finding{names_[r.id], names_[r.id], *from, r.to, kBaseConfidence[b]});
  }
  // Built-ins: one finding per span, the strongest detector where two overlap.
  std::sort(builtins.begin(), builtins.end(), [](const Finding& a, const Finding& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  auto rankOf = [](const Finding& f) {
    for (std::size_t i = 0; i < std::size(kBuiltins); ++i) {
      if (kBuiltins[i] == f.rule) {
        return kRank[i];
      }
    }
    return 99;
  };
  for (auto& f : builtins) {
    if (!out.empty() && f.begin < out.back().end) {
      if (rankOf(f) < rankOf(out.back())) {
        out.back() = std::move(f);
      }
      continue;
    }
    out.push_back(std::move(f));
  }
  for (auto& f : out) {
    for (std::size_t i = 0; i < std::size(kBuiltins); ++i) {
      if (kBuiltins[i] == f.rule && nearContext(text, f.begin, f.end, static_cast<int>(i))) {
        f.confidence = Confidence::kHigh;
      }
    }
  }
  for (const auto& [key, end] : best) {
    const unsigned id = key.second;
    out.push_back(Finding{names_[id], builtin_[id] == -1 ? "keyword" : "pattern", key.first, end,
                          Confidence::kHigh});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Finding& a, const Finding& b) { return a.begin < b.begin; });
  if (out.size() > limit) {
    out.resize(limit);
  }
  return out;
}

}  // namespace rampart::security::dlp
