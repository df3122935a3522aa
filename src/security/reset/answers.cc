#include "security/reset/answers.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

namespace rampart::security::reset {

std::optional<std::string> normalizeAnswer(std::string_view answer) {
  // Well-formed UTF-8 only.
  for (std::int32_t i = 0, n = static_cast<std::int32_t>(answer.size()); i < n;) {
    UChar32 c;
    U8_NEXT(answer.data(), i, n, c);
    if (c < 0) return std::nullopt;
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status)) return std::nullopt;
  icu::UnicodeString folded = nfkc->normalize(
      icu::UnicodeString::fromUTF8(icu::StringPiece(answer.data(),
                                                    static_cast<std::int32_t>(answer.size()))),
      status);
  if (U_FAILURE(status)) return std::nullopt;
  std::string utf8;
  folded.toUTF8String(utf8);
  std::string out;
  bool space = false;
  for (char c : utf8) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace rampart::security::reset
