#pragma once
// The DLP matcher: the built-in detectors and a tenant's custom rules (keyword lists and
// regular expressions) compiled together into one vectorscan database, so that one pass over
// the text finds them all and the cost does not grow with the number of rules. Candidates of
// the built-in detectors are then validated (check digits, dates, number segments) and get a
// confidence that rises with context keywords nearby.
// Immutable after compile(); scan() is thread-safe (each thread has its own scratch space).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rampart/core/status.h"
#include "rampart/security/masker.h"

struct hs_database;

namespace rampart::security::dlp {

// The built-in detectors' rule names.
inline constexpr std::string_view kResidentId = "cn_id";
inline constexpr std::string_view kUscc = "uscc";
inline constexpr std::string_view kMobile = "cn_mobile";
inline constexpr std::string_view kBankCard = "bank_card";
inline constexpr std::string_view kPassport = "passport";
inline constexpr std::string_view kPermit = "hk_macau_permit";
inline constexpr std::string_view kEmail = "email";
inline constexpr std::string_view kBuiltins[] = {kResidentId, kUscc,   kMobile, kBankCard,
                                                 kPassport,   kPermit, kEmail};

// The masking data type of a finding's type (a built-in name; anything else is kOther).
DataType maskingType(std::string_view type);

enum class Confidence { kLow, kMedium, kHigh };
std::string_view confidenceName(Confidence c);

// A tenant's own rule: any keyword (case-insensitive) or regular expression (vectorscan
// syntax, UTF-8) matching makes a finding.
struct CustomRule {
  std::string name;
  std::vector<std::string> keywords;
  std::vector<std::string> patterns;
};

struct Finding {
  std::string rule;   // a built-in name or the custom rule's name
  std::string type;   // data type for masking: the built-in name, or "keyword"/"pattern"
  std::size_t begin = 0;  // byte offsets into the scanned text
  std::size_t end = 0;
  Confidence confidence = Confidence::kMedium;
};

class Matcher {
 public:
  // InvalidArgument naming the rule and pattern that does not compile.
  static core::Result<std::shared_ptr<const Matcher>> compile(const std::vector<CustomRule>& rules);
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // Findings in text order; overlapping candidates of the built-ins resolved to the stronger
  // one (identity number over bank card over mobile ...). At most `limit` findings.
  std::vector<Finding> scan(std::string_view text, std::size_t limit = 256) const;

  std::size_t patternCount() const { return names_.size(); }

 private:
  Matcher() = default;
  hs_database* db_ = nullptr;
  std::uint64_t id_ = 0;
  // Per pattern id: the rule it belongs to, and its built-in index (-1: custom keyword, -2:
  // custom pattern).
  std::vector<std::string> names_;
  std::vector<int> builtin_;
};

}  // namespace rampart::security::dlp
