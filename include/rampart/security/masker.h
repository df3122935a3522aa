#pragma once
// The one masking library: how personal data is shown where it leaves the server (delivered
// messages under a "mask" content rule, logs, admin API and console views, audit and login
// record views, alerts and webhooks, exports) to those who do not need the clear value.
// Configured once at start-up ([masking]); immutable afterwards and thread-safe.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rampart::security {

enum class DataType {
  kMobile,      // keeps 3 + 4 digits: 138****5678
  kResidentId,  // keeps 6 + 4: 110101********1234
  kBankCard,    // keeps 6 + 4: 622202*********1234
  kEmail,       // keeps the first character and the domain: z***@example.com
  kName,        // keeps the surname: 张*, 欧阳**
  kAddress,     // keeps the province, city and district: 北京市海淀区****
  kIpAddress,   // IPv4 keeps two octets (192.168.*.*), IPv6 its /32 (2001:db8:*)
  kPassport,    // passports and travel permits: keeps 1 + 3
  kUscc,        // credit codes of companies: keeps 8 + 2
  kOther,       // anything else (custom rules): every character masked
};
std::optional<DataType> parseDataType(std::string_view name);
std::string_view dataTypeName(DataType t);

// How many characters (code points; digits for numbers) stay at each end.
struct MaskRule {
  std::size_t keepStart = 0;
  std::size_t keepEnd = 0;
};

class Masker {
 public:
  Masker();
  // Replaces a data type's rule (start-up only).
  void setRule(DataType t, MaskRule rule);
  MaskRule rule(DataType t) const;
  // The masked form of `value`, which is one value of type `t`. Separators in numbers stay.
  std::string mask(DataType t, std::string_view value) const;
  // "rule" as written in [masking]: "KEEP_START+KEEP_END", e.g. "3+4".
  static std::optional<MaskRule> parseRule(std::string_view text);

  // The server's masker (defaults until start-up configures it). configure() only at start-up,
  // before other threads run.
  static const Masker& instance();
  static void configure(const Masker& m);

 private:
  MaskRule rules_[static_cast<std::size_t>(DataType::kOther) + 1];
};

}  // namespace rampart::security
