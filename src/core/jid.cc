#include "rampart/core/jid.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <netinet/in.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace rampart::core {
namespace {

// RFC 7622 section 3.1: each part is at most 1023 octets once prepared.
constexpr std::size_t kMaxPartOctets = 1023;
// PRECIS never deletes code points and shrinks a string by at most 3:1 (U+212A KELVIN SIGN -> "k",
// fullwidth ASCII, a Hangul L+V+T triple composed by NFC), so a longer part can never come out
// under the limit. Rejecting it up front keeps hostile megabyte-sized addresses away from ICU and
// libidn2. (UTS 46 does delete a few ignorable code points from domains; a name padded with
// thousands of them is not one we need to accept.)
constexpr std::size_t kMaxRawPartOctets = 4 * kMaxPartOctets;
constexpr std::size_t kMaxRawJidOctets = 3 * kMaxRawPartOctets + 2;
constexpr std::size_t kMaxLabelOctets = 63;
// One pass of a PRECIS profile's mappings is not guaranteed to be a fixed point (case mapping
// and NFC can each expose work for the other), yet a Jid must re-parse to itself: the rules are
// re-applied until the output is stable, and a string still changing after this many rounds is
// rejected.
constexpr int kMaxPrecisRounds = 4;
constexpr uint8_t kViramaCombiningClass = 9;

// RFC 7622 section 3.3.1: ASCII characters that PRECIS allows but a localpart must not hold,
// because they are delimiters in XMPP addresses or in URIs and XML built from them.
constexpr std::string_view kLocalpartProhibited = "\"&'/:<>@";

// Rejects ill-formed UTF-8 (overlongs, surrogates, values above U+10FFFF, truncation) and NUL:
// an embedded NUL would let two different wire strings compare equal once a C API sees them.
bool isValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const auto len = static_cast<int32_t>(s.size());
  int32_t i = 0;
  while (i < len) {
    UChar32 c;
    U8_NEXT(p, i, len, c);
    if (c <= 0) {
      return false;
    }
  }
  return true;
}

bool isAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<uint8_t>(c) < 0x80; });
}

char asciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string asciiLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) { return asciiLower(c); });
  return out;
}

std::u32string codePoints(const icu::UnicodeString& s) {
  std::u32string out;
  out.reserve(static_cast<std::size_t>(s.length()));
  for (int32_t i = 0; i < s.length(); i = s.moveIndex32(i, 1)) {
    out.push_back(static_cast<char32_t>(s.char32At(i)));
  }
  return out;
}

std::string toUtf8(const icu::UnicodeString& s) {
  std::string out;
  s.toUTF8String(out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// PRECIS string classes (RFC 8264 sections 4 and 9), derived from ICU's Unicode properties.

enum class StringClass { kIdentifier, kFreeform };
enum class Derived { kPvalid, kContextJ, kContextO, kDisallowed, kUnassigned };

// RFC 5892 section 2.6; these override the property-based derivation in both classes.
std::optional<Derived> exceptionProperty(UChar32 c) {
  switch (c) {
    case 0x00DF:
    case 0x03C2:
    case 0x06FD:
    case 0x06FE:
    case 0x0F0B:
    case 0x3007:
      return Derived::kPvalid;
    case 0x00B7:
    case 0x0375:
    case 0x05F3:
    case 0x05F4:
    case 0x30FB:
      return Derived::kContextO;
    case 0x0640:
    case 0x07FA:
    case 0x302E:
    case 0x302F:
    case 0x303B:
      return Derived::kDisallowed;
    default:
      break;
  }
  if ((c >= 0x0660 && c <= 0x0669) || (c >= 0x06F0 && c <= 0x06F9)) {
    return Derived::kContextO;
  }
  if (c >= 0x3031 && c <= 0x3035) {
    return Derived::kDisallowed;
  }
  return std::nullopt;
}

// HasCompat (RFC 8264 section 9.14): toNFKC(cp) != cp.
bool hasCompat(UChar32 c) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status)) {
    return true;  // Without normalization data, treat the code point as unsafe.
  }
  const icu::UnicodeString s(c);
  const UBool normalized = nfkc->isNormalized(s, status);
  return U_FAILURE(status) || !normalized;
}

// The derived property of RFC 8264 section 8, evaluated in its order of precedence.
Derived derivedProperty(UChar32 c, StringClass cls) {
  if (auto e = exceptionProperty(c)) {
    return *e;
  }
  // BackwardCompatible (section 9.7) is empty.
  const bool noncharacter = u_hasBinaryProperty(c, UCHAR_NONCHARACTER_CODE_POINT);
  const auto category = static_cast<UCharCategory>(u_charType(c));
  if (category == U_UNASSIGNED && !noncharacter) {
    return Derived::kUnassigned;
  }
  if (c >= 0x21 && c <= 0x7E) {
    return Derived::kPvalid;
  }
  if (u_hasBinaryProperty(c, UCHAR_JOIN_CONTROL)) {
    return Derived::kContextJ;
  }
  const auto hangul = u_getIntPropertyValue(c, UCHAR_HANGUL_SYLLABLE_TYPE);
  if (hangul == U_HST_LEADING_JAMO || hangul == U_HST_VOWEL_JAMO || hangul == U_HST_TRAILING_JAMO) {
    return Derived::kDisallowed;  // OldHangulJamo
  }
  if (noncharacter || u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) {
    return Derived::kDisallowed;  // PrecisIgnorableProperties
  }
  if (category == U_CONTROL_CHAR) {
    return Derived::kDisallowed;
  }
  const Derived idDisOrFreePval =
      cls == StringClass::kIdentifier ? Derived::kDisallowed : Derived::kPvalid;
  if (hasCompat(c)) {
    return idDisOrFreePval;
  }
  switch (category) {
    // LetterDigits
    case U_LOWERCASE_LETTER:
    case U_UPPERCASE_LETTER:
    case U_OTHER_LETTER:
    case U_DECIMAL_DIGIT_NUMBER:
    case U_MODIFIER_LETTER:
    case U_NON_SPACING_MARK:
    case U_COMBINING_SPACING_MARK:
      return Derived::kPvalid;
    // OtherLetterDigits
    case U_TITLECASE_LETTER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
    case U_ENCLOSING_MARK:
    // Spaces
    case U_SPACE_SEPARATOR:
    // Symbols
    case U_MATH_SYMBOL:
    case U_CURRENCY_SYMBOL:
    case U_MODIFIER_SYMBOL:
    case U_OTHER_SYMBOL:
    // Punctuation
    case U_CONNECTOR_PUNCTUATION:
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
      return idDisOrFreePval;
    default:
      return Derived::kDisallowed;
  }
}

int32_t joiningType(char32_t c) {
  return u_getIntPropertyValue(static_cast<UChar32>(c), UCHAR_JOINING_TYPE);
}

UScriptCode scriptOf(char32_t c) {
  UErrorCode status = U_ZERO_ERROR;
  const UScriptCode script = uscript_getScript(static_cast<UChar32>(c), &status);
  return U_FAILURE(status) ? USCRIPT_INVALID_CODE : script;
}

// RFC 5892 appendix A.1 and A.2.
bool contextJAllowed(const std::u32string& cps, std::size_t i) {
  if (i > 0 && u_getCombiningClass(static_cast<UChar32>(cps[i - 1])) == kViramaCombiningClass) {
    return true;
  }
  if (cps[i] != 0x200C) {
    return false;  // ZERO WIDTH JOINER has no rule but the virama one.
  }
  // ZERO WIDTH NON-JOINER between two joining letters: (L|D) T* ZWNJ T* (R|D).
  bool left = false;
  for (std::size_t j = i; j-- > 0;) {
    const int32_t jt = joiningType(cps[j]);
    if (jt != U_JT_TRANSPARENT) {
      left = jt == U_JT_LEFT_JOINING || jt == U_JT_DUAL_JOINING;
      break;
    }
  }
  if (!left) {
    return false;
  }
  for (std::size_t j = i + 1; j < cps.size(); ++j) {
    const int32_t jt = joiningType(cps[j]);
    if (jt != U_JT_TRANSPARENT) {
      return jt == U_JT_RIGHT_JOINING || jt == U_JT_DUAL_JOINING;
    }
  }
  return false;
}

// Facts about the whole string that several CONTEXTO rules need; computed once so a long string
// of Arabic digits stays linear.
struct StringFacts {
  bool arabicIndicDigits = false;
  bool extendedArabicIndicDigits = false;
  bool kanaOrHan = false;
};

StringFacts stringFacts(const std::u32string& cps) {
  StringFacts f;
  for (char32_t c : cps) {
    f.arabicIndicDigits |= c >= 0x0660 && c <= 0x0669;
    f.extendedArabicIndicDigits |= c >= 0x06F0 && c <= 0x06F9;
    if (c >= 0x2E80) {  // Below this no code point is Hiragana, Katakana or Han.
      const UScriptCode s = scriptOf(c);
      f.kanaOrHan |= s == USCRIPT_HIRAGANA || s == USCRIPT_KATAKANA || s == USCRIPT_HAN;
    }
  }
  return f;
}

// RFC 5892 appendix A.3 to A.9.
bool contextOAllowed(const std::u32string& cps, std::size_t i, const StringFacts& facts) {
  const char32_t c = cps[i];
  const bool hasPrev = i > 0;
  const bool hasNext = i + 1 < cps.size();
  switch (c) {
    case 0x00B7:  // MIDDLE DOT, only in Catalan "l·l"
      return hasPrev && hasNext && cps[i - 1] == U'l' && cps[i + 1] == U'l';
    case 0x0375:  // GREEK LOWER NUMERAL SIGN
      return hasNext && scriptOf(cps[i + 1]) == USCRIPT_GREEK;
    case 0x05F3:  // HEBREW PUNCTUATION GERESH
    case 0x05F4:  // HEBREW PUNCTUATION GERSHAYIM
      return hasPrev && scriptOf(cps[i - 1]) == USCRIPT_HEBREW;
    case 0x30FB:  // KATAKANA MIDDLE DOT
      return facts.kanaOrHan;
    default:
      break;
  }
  if (c >= 0x0660 && c <= 0x0669) {
    return !facts.extendedArabicIndicDigits;
  }
  if (c >= 0x06F0 && c <= 0x06F9) {
    return !facts.arabicIndicDigits;
  }
  return false;
}

bool conformsToClass(const std::u32string& cps, StringClass cls) {
  std::optional<StringFacts> facts;
  for (std::size_t i = 0; i < cps.size(); ++i) {
    switch (derivedProperty(static_cast<UChar32>(cps[i]), cls)) {
      case Derived::kPvalid:
        break;
      case Derived::kContextJ:
        if (!contextJAllowed(cps, i)) {
          return false;
        }
        break;
      case Derived::kContextO:
        if (!facts) {
          facts = stringFacts(cps);
        }
        if (!contextOAllowed(cps, i, *facts)) {
          return false;
        }
        break;
      case Derived::kDisallowed:
      case Derived::kUnassigned:
        return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// PRECIS profiles (RFC 8265). The directionality ("Bidi") rule of UsernameCaseMapped is not
// enforced: it needs the full RFC 5893 machinery and only matters for right-to-left localparts.
// The rule only rejects and never maps, so skipping it accepts some confusable mixed-direction
// localparts but cannot change how two accepted addresses compare.

using Round = std::optional<icu::UnicodeString> (*)(const icu::UnicodeString&);

// Applies one round of a profile's mappings until the output no longer changes.
std::optional<icu::UnicodeString> applyUntilStable(icu::UnicodeString s, Round round) {
  for (int i = 0; i < kMaxPrecisRounds; ++i) {
    std::optional<icu::UnicodeString> next = round(s);
    if (!next) {
      return std::nullopt;
    }
    if (*next == s) {
      return next;
    }
    s = std::move(*next);
  }
  return std::nullopt;
}

// UsernameCaseMapped steps 1-4: width mapping, (no additional mapping), case mapping, NFC.
std::optional<icu::UnicodeString> usernameCaseMappedRound(const icu::UnicodeString& in) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) {
    return std::nullopt;
  }
  icu::UnicodeString mapped;
  for (int32_t i = 0; i < in.length(); i = in.moveIndex32(i, 1)) {
    const UChar32 c = in.char32At(i);
    const auto dt = u_getIntPropertyValue(c, UCHAR_DECOMPOSITION_TYPE);
    icu::UnicodeString decomposition;
    if ((dt == U_DT_WIDE || dt == U_DT_NARROW) && nfkc->getRawDecomposition(c, decomposition)) {
      mapped.append(decomposition);
    } else {
      mapped.append(c);
    }
  }
  mapped.toLower(icu::Locale::getRoot());
  icu::UnicodeString out = nfc->normalize(mapped, status);
  if (U_FAILURE(status)) {
    return std::nullopt;
  }
  return out;
}

// OpaqueString steps: non-ASCII spaces to U+0020, (no width or case mapping), NFC.
std::optional<icu::UnicodeString> opaqueStringRound(const icu::UnicodeString& in) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) {
    return std::nullopt;
  }
  icu::UnicodeString mapped;
  for (int32_t i = 0; i < in.length(); i = in.moveIndex32(i, 1)) {
    const UChar32 c = in.char32At(i);
    mapped.append(u_charType(c) == U_SPACE_SEPARATOR ? UChar32{0x20} : c);
  }
  icu::UnicodeString out = nfc->normalize(mapped, status);
  if (U_FAILURE(status)) {
    return std::nullopt;
  }
  return out;
}

bool isLocalpartProhibited(char c) { return kLocalpartProhibited.find(c) != std::string::npos; }

// ---------------------------------------------------------------------------------------------
// Domainparts.

bool isAllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A lowercase ASCII domain: an IPv4 literal (returned in dotted-quad canonical form) or
// letter-digit-hyphen labels of 1 to 63 octets.
std::optional<std::string> prepareAsciiDomain(std::string_view s) {
  in_addr v4{};
  const std::string z(s);
  if (inet_pton(AF_INET, z.c_str(), &v4) == 1) {
    char buf[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &v4, buf, sizeof(buf)) == nullptr) {
      return std::nullopt;
    }
    return std::string(buf);
  }
  std::string_view last;
  for (std::size_t start = 0;;) {
    const std::size_t dot = s.find('.', start);
    const std::string_view label =
        s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > kMaxLabelOctets || label.front() == '-' ||
        label.back() == '-') {
      return std::nullopt;
    }
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return std::nullopt;
      }
    }
    last = label;
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  // Top-level domains are never all-numeric (RFC 3696 section 2); such a name is a mistyped
  // IPv4 address, and letting "1.2.3.04" through would give one host two addresses.
  if (isAllDigits(last)) {
    return std::nullopt;
  }
  return z;
}

// "[v6address]" in RFC 5952 canonical form, so that one host has one address.
std::optional<std::string> prepareIpv6Literal(std::string_view s) {
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') {
    return std::nullopt;
  }
  const std::string inner(s.substr(1, s.size() - 2));
  in6_addr v6{};
  if (inet_pton(AF_INET6, inner.c_str(), &v6) != 1) {
    return std::nullopt;
  }
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, &v6, buf, sizeof(buf)) == nullptr) {
    return std::nullopt;
  }
  return "[" + std::string(buf) + "]";
}

bool hasALabel(std::string_view lowered) {
  for (std::size_t start = 0; start <= lowered.size();) {
    if (lowered.substr(start, 4) == "xn--") {
      return true;
    }
    const std::size_t dot = lowered.find('.', start);
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  return false;
}

struct Idn2Free {
  void operator()(char* p) const { idn2_free(p); }
};
using Idn2String = std::unique_ptr<char, Idn2Free>;

std::optional<std::string> idnToAscii(const std::string& in) {
  char* out = nullptr;
  const int rc = idn2_to_ascii_8z(in.c_str(), &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  Idn2String holder(out);
  if (rc != IDN2_OK || out == nullptr) {
    return std::nullopt;
  }
  return asciiLower(out);
}

std::optional<std::string> idnToUnicode(const std::string& in) {
  char* out = nullptr;
  const int rc = idn2_to_unicode_8z8z(in.c_str(), &out, 0);
  Idn2String holder(out);
  if (rc != IDN2_OK || out == nullptr) {
    return std::nullopt;
  }
  return std::string(out);
}

// Internationalized names are stored as U-labels (RFC 7622 section 3.2) but validated in their
// A-label form, which is what DNS and the LDH rules see.
std::optional<std::string> prepareIdnDomain(const std::string& in) {
  const std::optional<std::string> aLabels = idnToAscii(in);
  // UTS 46 without STD3 rules lets '_' or '/' through; the LDH check keeps them out, which also
  // keeps a mapped '/' or '@' from changing where the address splits when it is re-parsed.
  if (!aLabels || prepareAsciiDomain(*aLabels) != aLabels) {
    return std::nullopt;
  }
  const std::optional<std::string> uLabels = idnToUnicode(*aLabels);
  if (!uLabels || !isValidUtf8(*uLabels)) {
    return std::nullopt;
  }
  icu::UnicodeString lowered = icu::UnicodeString::fromUTF8(*uLabels);
  lowered.toLower(icu::Locale::getRoot());
  std::string out = toUtf8(lowered);
  // A crafted A-label can decode to a string that does not map back to it; storing that would
  // make the stored form name a different host than the one checked above.
  if (idnToAscii(out) != aLabels) {
    return std::nullopt;
  }
  return out;
}

bool isAllSpaces(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' '; });
}

}  // namespace

std::optional<std::string> prepareLocalpart(std::string_view in) {
  if (in.empty() || in.size() > kMaxRawPartOctets || !isValidUtf8(in)) {
    return std::nullopt;
  }
  std::string out;
  if (std::all_of(in.begin(), in.end(), [](char c) { return c >= 0x21 && c <= 0x7E; })) {
    // Printable ASCII is PVALID and unchanged by width mapping and NFC: only case mapping applies.
    out = asciiLower(in);
  } else {
    const auto prepared =
        applyUntilStable(icu::UnicodeString::fromUTF8(in), &usernameCaseMappedRound);
    if (!prepared || !conformsToClass(codePoints(*prepared), StringClass::kIdentifier)) {
      return std::nullopt;
    }
    out = toUtf8(*prepared);
  }
  if (out.empty() || out.size() > kMaxPartOctets ||
      std::any_of(out.begin(), out.end(), isLocalpartProhibited)) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> prepareDomainpart(std::string_view in) {
  if (in.size() > kMaxRawPartOctets || !isValidUtf8(in)) {
    return std::nullopt;
  }
  // RFC 7622 section 3.2: a fully qualified name's final dot is not part of the address.
  if (!in.empty() && in.back() == '.') {
    in.remove_suffix(1);
  }
  if (in.empty()) {
    return std::nullopt;
  }
  std::optional<std::string> out;
  if (in.front() == '[') {
    out = prepareIpv6Literal(in);
  } else if (isAscii(in) && !hasALabel(asciiLower(in))) {
    out = prepareAsciiDomain(asciiLower(in));
  } else {
    out = prepareIdnDomain(std::string(in));
  }
  if (!out || out->empty() || out->size() > kMaxPartOctets) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> prepareResourcepart(std::string_view in) {
  if (in.empty() || in.size() > kMaxRawPartOctets || !isValidUtf8(in)) {
    return std::nullopt;
  }
  std::string out;
  if (std::all_of(in.begin(), in.end(), [](char c) { return c >= 0x20 && c <= 0x7E; })) {
    // Printable ASCII and U+0020 are valid in FreeformClass and untouched by OpaqueString.
    out = std::string(in);
  } else {
    const auto prepared = applyUntilStable(icu::UnicodeString::fromUTF8(in), &opaqueStringRound);
    if (!prepared || !conformsToClass(codePoints(*prepared), StringClass::kFreeform)) {
      return std::nullopt;
    }
    out = toUtf8(*prepared);
  }
  // OpaqueString itself accepts a resource of only spaces. We do not: it renders as nothing, so a
  // full JID would look like its bare JID in every client roster and log line.
  if (out.empty() || out.size() > kMaxPartOctets || isAllSpaces(out)) {
    return std::nullopt;
  }
  return out;
}

std::optional<Jid> Jid::parse(std::string_view text) {
  if (text.empty() || text.size() > kMaxRawJidOctets) {
    return std::nullopt;
  }
  // RFC 7622 section 3.1: the resource starts at the first '/', and only an '@' before it
  // separates a localpart; an '@' or '/' inside the resource belongs to the resource.
  std::string_view bare = text;
  std::string_view resource;
  if (const std::size_t slash = text.find('/'); slash != std::string_view::npos) {
    resource = text.substr(slash + 1);
    bare = text.substr(0, slash);
    if (resource.empty()) {
      return std::nullopt;
    }
  }
  std::string_view local;
  std::string_view domain = bare;
  if (const std::size_t at = bare.find('@'); at != std::string_view::npos) {
    local = bare.substr(0, at);
    domain = bare.substr(at + 1);
    if (local.empty()) {
      return std::nullopt;
    }
  }
  return make(local, domain, resource);
}

std::optional<Jid> Jid::make(std::string_view local, std::string_view domain,
                             std::string_view resource) {
  Jid jid;
  if (!local.empty()) {
    std::optional<std::string> l = prepareLocalpart(local);
    if (!l) {
      return std::nullopt;
    }
    jid.local_ = std::move(*l);
  }
  std::optional<std::string> d = prepareDomainpart(domain);
  if (!d) {
    return std::nullopt;
  }
  jid.domain_ = std::move(*d);
  if (!resource.empty()) {
    std::optional<std::string> r = prepareResourcepart(resource);
    if (!r) {
      return std::nullopt;
    }
    jid.resource_ = std::move(*r);
  }
  return jid;
}

Jid Jid::bare() const {
  Jid jid = *this;
  jid.resource_.clear();
  return jid;
}

Jid Jid::withResource(std::string_view preparedResource) const {
  Jid jid = *this;
  jid.resource_.clear();
  if (preparedResource.empty()) {
    return jid;
  }
  // The caller promises a prepared resource; an unprepared one would break the invariant that
  // equal addresses compare equal. Fail closed with an empty Jid rather than route to a
  // look-alike.
  const std::optional<std::string> checked = prepareResourcepart(preparedResource);
  assert(checked == preparedResource && "withResource() needs a prepared resourcepart");
  if (checked != preparedResource) {
    return Jid();
  }
  jid.resource_ = std::string(preparedResource);
  return jid;
}

std::string Jid::bareStr() const {
  if (local_.empty()) {
    return domain_;
  }
  std::string out;
  out.reserve(local_.size() + 1 + domain_.size());
  out.append(local_).append(1, '@').append(domain_);
  return out;
}

std::string Jid::str() const {
  std::string out = bareStr();
  if (!resource_.empty()) {
    out.append(1, '/').append(resource_);
  }
  return out;
}

}  // namespace rampart::core
