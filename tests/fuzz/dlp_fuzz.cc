// Fuzzes the DLP detectors: the input is scanned by the matcher (built-ins and a custom
// keyword and pattern rule) and every finding is checked against the promises the matcher
// makes (spans inside the text, in order, validated numbers really valid); then the validators
// and the masker run on the raw input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "rampart/security/masker.h"
#include "security/dlp/matcher.h"
#include "security/dlp/validators.h"

namespace {
[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "dlp_fuzz: %s\n", what);
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::security;
  static const std::shared_ptr<const dlp::Matcher> matcher =
      dlp::Matcher::compile({{"custom", {"绝密", "Project Falcon"}, {"FALCON-[0-9]{4}"}}}).value();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t last = 0;
  for (const auto& f : matcher->scan(text)) {
    if (f.begin >= f.end || f.end > text.size()) fail("a finding's span is outside the text");
    if (f.begin < last) fail("findings are not in text order");
    last = f.begin;
    const std::string_view s = text.substr(f.begin, f.end - f.begin);
    if (f.rule == dlp::kResidentId && !dlp::validResidentId(s)) fail("an invalid identity number");
    if (f.rule == dlp::kUscc && !dlp::validUscc(s)) fail("an invalid credit code");
    if (f.rule == dlp::kBankCard && !dlp::validBankCard(dlp::digitsOf(s))) fail("an invalid card");
    const std::string masked = Masker::instance().mask(DataType::kOther, s);
    if (!s.empty() && masked == s && s.find('*') == std::string_view::npos) {
      fail("a finding masked is unchanged");
    }
  }
  (void)dlp::validResidentId(text);
  (void)dlp::validUscc(text);
  (void)dlp::luhnValid(text);
  (void)dlp::validEmailDomain(text);
  for (int t = 0; t <= static_cast<int>(DataType::kOther); ++t) {
    (void)Masker::instance().mask(static_cast<DataType>(t), text);
  }
  return 0;
}
