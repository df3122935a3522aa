#include "rampart/core/search_terms.h"

#include <openssl/sha.h>
#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>

#include <memory>
#include <set>

namespace rampart::core {

namespace {

constexpr std::size_t kMaxTextBytes = 64 * 1024;  // longer texts: the start is indexed
constexpr int32_t kMaxTermChars = 64;

bool isCjk(UChar32 c) {
  UErrorCode ec = U_ZERO_ERROR;
  const UScriptCode s = uscript_getScript(c, &ec);
  return U_SUCCESS(ec) && (s == USCRIPT_HAN || s == USCRIPT_HIRAGANA || s == USCRIPT_KATAKANA ||
                           s == USCRIPT_HANGUL || s == USCRIPT_BOPOMOFO);
}

std::string utf8(const icu::UnicodeString& s) {
  std::string out;
  s.toUTF8String(out);
  return out;
}

std::vector<std::string> terms(std::string_view text, bool forQuery) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const icu::UnicodeString& t) {
    if (out.size() >= kMaxSearchTerms || t.isEmpty()) return;
    std::string s = utf8(t.length() > kMaxTermChars ? icu::UnicodeString(t, 0, kMaxTermChars) : t);
    if (seen.insert(s).second) out.push_back(std::move(s));
  };
  UErrorCode ec = U_ZERO_ERROR;
  const icu::Normalizer2* fold = icu::Normalizer2::getNFKCCasefoldInstance(ec);
  if (U_FAILURE(ec)) return out;
  const icu::UnicodeString raw =
      icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(),
                                                    static_cast<int32_t>(std::min(text.size(), kMaxTextBytes))));
  const icu::UnicodeString folded = fold->normalize(raw, ec);
  if (U_FAILURE(ec)) return out;
  // Making a word break iterator loads ICU's rules and dictionaries: once per thread.
  thread_local std::unique_ptr<icu::BreakIterator> iterator(
      icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), ec));
  if (U_FAILURE(ec) || !iterator) return out;
  icu::BreakIterator* words = iterator.get();
  words->setText(folded);
  // CJK characters in a row, across ICU's word boundaries (its dictionary segments a phrase one
  // way in a message and maybe another way in a search), form one run: its bigrams cover every
  // substring a search can give. Spaces, punctuation and other scripts end a run.
  std::vector<icu::UnicodeString> run;
  auto flush = [&] {
    if (!forQuery || run.size() == 1) {
      for (const auto& ch : run) add(ch);
    }
    for (std::size_t k = 0; k + 1 < run.size(); ++k) add(run[k] + run[k + 1]);
    run.clear();
  };
  int32_t start = words->first();
  for (int32_t end = words->next(); end != icu::BreakIterator::DONE;
       start = end, end = words->next()) {
    if (words->getRuleStatus() == UBRK_WORD_NONE) {  // spaces, punctuation
      flush();
      continue;
    }
    const icu::UnicodeString word(folded, start, end - start);
    int32_t i = 0;
    while (i < word.length()) {
      const bool cjk = isCjk(word.char32At(i));
      int32_t j = i;
      while (j < word.length() && isCjk(word.char32At(j)) == cjk) {
        const int32_t next = word.moveIndex32(j, 1);
        if (cjk) run.emplace_back(word, j, next - j);
        j = next;
      }
      if (!cjk) {
        flush();
        add(icu::UnicodeString(word, i, j - i));
      }
      i = j;
    }
  }
  flush();
  return out;
}

}  // namespace

std::vector<std::string> indexTerms(std::string_view text) { return terms(text, false); }

std::string plainTermDigests(const std::vector<std::string>& terms) {
  std::string out;
  unsigned char md[SHA256_DIGEST_LENGTH];
  for (const auto& t : terms) {
    SHA256(reinterpret_cast<const unsigned char*>(t.data()), t.size(), md);
    out.append(reinterpret_cast<const char*>(md), kTermDigestBytes);
  }
  return out;
}
std::vector<std::string> queryTerms(std::string_view text) { return terms(text, true); }

}  // namespace rampart::core
