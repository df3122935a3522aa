#include "rampart/core/jid.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <unordered_set>

namespace rampart::core {
namespace {

using namespace std::literals;

// Parses text, expects success, and returns the normalized string form.
std::string normalized(std::string_view text) {
  const std::optional<Jid> jid = Jid::parse(text);
  EXPECT_TRUE(jid.has_value()) << "should be valid: " << text;
  return jid ? jid->str() : "<invalid>";
}

bool valid(std::string_view text) { return Jid::parse(text).has_value(); }

std::string repeat(std::string_view unit, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out.append(unit);
  }
  return out;
}

// 16 labels of 63 octets joined by dots: exactly 1023 octets.
std::string longestDomain() {
  std::string out = repeat("a", 63);
  for (int i = 1; i < 16; ++i) {
    out += "." + repeat("a", 63);
  }
  return out;
}

// RFC 7622 section 3.5.1, examples 1-15.
TEST(JidTest, Rfc7622ValidExamples) {
  EXPECT_EQ(normalized("juliet@example.com"), "juliet@example.com");
  EXPECT_EQ(normalized("juliet@example.com/foo"), "juliet@example.com/foo");
  EXPECT_EQ(normalized("juliet@example.com/foo bar"), "juliet@example.com/foo bar");
  EXPECT_EQ(normalized("juliet@example.com/foo@bar"), "juliet@example.com/foo@bar");
  EXPECT_EQ(normalized("foo\\20bar@example.com"), "foo\\20bar@example.com");
  EXPECT_EQ(normalized("fussball@example.com"), "fussball@example.com");
  EXPECT_EQ(normalized("fußball@example.com"), "fußball@example.com");
  EXPECT_EQ(normalized("π@example.com"), "π@example.com");
  EXPECT_EQ(normalized("Σ@example.com/foo"), "σ@example.com/foo");
  EXPECT_EQ(normalized("σ@example.com/foo"), "σ@example.com/foo");
  EXPECT_EQ(normalized("ς@example.com/foo"), "ς@example.com/foo");
  EXPECT_EQ(normalized("king@example.com/♚"), "king@example.com/♚");
  EXPECT_EQ(normalized("example.com"), "example.com");
  EXPECT_EQ(normalized("example.com/foobar"), "example.com/foobar");
  EXPECT_EQ(normalized("a.example.com/b@example.net"), "a.example.com/b@example.net");
}

// RFC 7622 section 3.5.2, examples 16-23.
TEST(JidTest, Rfc7622InvalidExamples) {
  EXPECT_FALSE(valid("\"juliet\"@example.com"));
  EXPECT_FALSE(valid("foo bar@example.com"));
  EXPECT_FALSE(valid("@example.com/"));
  EXPECT_FALSE(valid("henry\u2163@example.com"));  // ROMAN NUMERAL FOUR
  EXPECT_FALSE(valid("♚@example.com"));
  EXPECT_FALSE(valid("juliet@"));
  EXPECT_FALSE(valid("/foobar"));
}

// Example 18 ("juliet@example.com/ foo", leading space) is listed as invalid, but no rule in
// RFC 7622 or the OpaqueString profile forbids it; rejecting what other servers accept would lose
// their stanzas, so we follow the profile rather than the table.
TEST(JidTest, ResourceMayStartWithSpace) {
  EXPECT_EQ(normalized("juliet@example.com/ foo"), "juliet@example.com/ foo");
}

TEST(JidTest, SplitsAtFirstSlashThenFirstAt) {
  const auto jid = Jid::parse("a@b.example/c@d/e@f");
  ASSERT_TRUE(jid);
  EXPECT_EQ(jid->local(), "a");
  EXPECT_EQ(jid->domain(), "b.example");
  EXPECT_EQ(jid->resource(), "c@d/e@f");

  const auto noLocal = Jid::parse("example.com/user@host");
  ASSERT_TRUE(noLocal);
  EXPECT_EQ(noLocal->local(), "");
  EXPECT_EQ(noLocal->resource(), "user@host");

  EXPECT_FALSE(valid("juliet@@example.com"));
  EXPECT_FALSE(valid("juliet@test@example.com"));
  EXPECT_FALSE(valid("juliet@example.com/"));
  EXPECT_FALSE(valid("@example.com"));
  EXPECT_FALSE(valid("@"));
  EXPECT_FALSE(valid("/"));
  EXPECT_FALSE(valid("juliet@/res"));
  EXPECT_FALSE(valid(""));
}

TEST(JidTest, LocalpartAndDomainAreCaseFolded) {
  EXPECT_EQ(normalized("Juliet@Example.COM"), "juliet@example.com");
  EXPECT_EQ(normalized("ΠΑΝΤΑ@example.com"), "παντα@example.com");
  EXPECT_EQ(normalized("Ünïcödé@example.com"), "ünïcödé@example.com");
  EXPECT_EQ(Jid::parse("Juliet@Example.COM"), Jid::parse("juliet@example.com"));
}

TEST(JidTest, FullwidthAndHalfwidthAreMapped) {
  // FULLWIDTH LATIN CAPITAL LETTERS J U L I E T: width mapping, then case mapping.
  EXPECT_EQ(normalized("\uFF2A\uFF35\uFF2C\uFF29\uFF25\uFF34@example.com"), "juliet@example.com");
  // HALFWIDTH KATAKANA LETTER KA + HALFWIDTH VOICED SOUND MARK compose to KATAKANA LETTER GA.
  EXPECT_EQ(normalized("\uFF76\uFF9E@example.com"), "\u30AC@example.com");
  // FULLWIDTH COMMERCIAL AT maps to '@', which a localpart must not hold.
  EXPECT_FALSE(valid("a\uFF20b@example.com"));
}

TEST(JidTest, LocalpartIsNfcNormalized) {
  // "e" + COMBINING ACUTE ACCENT and the precomposed form name the same account.
  EXPECT_EQ(normalized("caf\u0065\u0301@example.com"), "caf\u00E9@example.com");
  EXPECT_EQ(Jid::parse("cafe\u0301@example.com"), Jid::parse("caf\u00E9@example.com"));
}

TEST(JidTest, LocalpartProhibitsXmppDelimiters) {
  for (char c : std::string_view("\"&'/:<>@")) {
    const std::string local = "a"s + c + "b";
    EXPECT_FALSE(prepareLocalpart(local).has_value()) << local;
  }
  EXPECT_TRUE(prepareLocalpart("a.b-c_d+e!#$%()*,;=?[]^`{|}~").has_value());
}

TEST(JidTest, LocalpartIsIdentifierClass) {
  EXPECT_FALSE(prepareLocalpart("a b"));          // space
  EXPECT_FALSE(prepareLocalpart("a\tb"));         // control
  EXPECT_FALSE(prepareLocalpart("a\u00A0b"));     // NO-BREAK SPACE
  EXPECT_FALSE(prepareLocalpart("a\u2212b"));     // MINUS SIGN (Sm)
  EXPECT_FALSE(prepareLocalpart("a\u20ACb"));     // EURO SIGN (Sc)
  EXPECT_FALSE(prepareLocalpart("a\u2014b"));     // EM DASH (Pd)
  EXPECT_FALSE(prepareLocalpart("a\u200Bb"));     // ZERO WIDTH SPACE (ignorable)
  EXPECT_FALSE(prepareLocalpart("a\u00ADb"));     // SOFT HYPHEN (ignorable)
  EXPECT_FALSE(prepareLocalpart("\uFB01"));       // LATIN SMALL LIGATURE FI (compatibility)
  EXPECT_FALSE(prepareLocalpart("x\u00B2"));      // SUPERSCRIPT TWO
  EXPECT_FALSE(prepareLocalpart("\u01C5"));       // titlecase DŽ lowers to dž, which HasCompat
  EXPECT_FALSE(prepareLocalpart("a\u0640b"));     // ARABIC TATWEEL (RFC 5892 exception)
  EXPECT_FALSE(prepareLocalpart("\u1100"));       // HANGUL CHOSEONG KIYEOK alone (old jamo)
  EXPECT_FALSE(prepareLocalpart("a\uE000"));      // private use
  EXPECT_FALSE(prepareLocalpart("a\uFDD0"));      // noncharacter
  EXPECT_FALSE(prepareLocalpart("a\U000E0001"));  // LANGUAGE TAG (ignorable)
  EXPECT_FALSE(prepareLocalpart("a\U0003FFFD"));  // unassigned
  EXPECT_EQ(prepareLocalpart("\u1100\u1161"), "\uAC00");  // conjoining jamo compose to 가
  EXPECT_EQ(prepareLocalpart("日本語"), "日本語");
  EXPECT_EQ(prepareLocalpart("user٣"), "user٣");  // ARABIC-INDIC DIGIT THREE
}

TEST(JidTest, ContextualRules) {
  EXPECT_EQ(prepareLocalpart("col\u00B7la"), "col\u00B7la");  // Catalan middle dot
  EXPECT_FALSE(prepareLocalpart("co\u00B7lla"));
  EXPECT_TRUE(prepareLocalpart("\u0915\u094D\u200D\u0937"));  // ZWJ after a virama
  EXPECT_FALSE(prepareLocalpart("a\u200Db"));
  EXPECT_TRUE(prepareLocalpart("\u0628\u200C\u0628"));  // ZWNJ between two Arabic BEH
  EXPECT_FALSE(prepareLocalpart("a\u200Cb"));
  EXPECT_TRUE(prepareLocalpart("\u0661\u0662"));   // Arabic-Indic digits alone
  EXPECT_FALSE(prepareLocalpart("\u0661\u06F2"));  // mixed with extended Arabic-Indic
  EXPECT_TRUE(prepareLocalpart("\u05D0\u05F3"));   // GERESH after a Hebrew letter
  EXPECT_FALSE(prepareLocalpart("a\u05F3"));
  EXPECT_TRUE(prepareLocalpart("\u30A2\u30FB\u30A4"));  // KATAKANA MIDDLE DOT with katakana
  EXPECT_FALSE(prepareLocalpart("a\u30FBb"));
}

TEST(JidTest, ResourceKeepsCaseAndSpaces) {
  const auto jid = Jid::parse("Juliet@Example.COM/Balcony Phone  2");
  ASSERT_TRUE(jid);
  EXPECT_EQ(jid->str(), "juliet@example.com/Balcony Phone  2");
  EXPECT_EQ(jid->resource(), "Balcony Phone  2");
  EXPECT_NE(Jid::parse("a@example.com/Foo"), Jid::parse("a@example.com/foo"));
}

TEST(JidTest, ResourceIsOpaqueString) {
  // Non-ASCII spaces become U+0020.
  EXPECT_EQ(prepareResourcepart("foo\u00A0bar\u3000baz"), "foo bar baz");
  // NFC, but no width or case mapping.
  EXPECT_EQ(prepareResourcepart("Cafe\u0301"), "Caf\u00E9");
  EXPECT_EQ(prepareResourcepart("\uFF21"), "\uFF21");
  EXPECT_EQ(prepareResourcepart("\u2163"), "\u2163");      // compatibility characters are fine
  EXPECT_EQ(prepareResourcepart("a\u2212b"), "a\u2212b");  // symbols are fine
  EXPECT_FALSE(prepareResourcepart("a\tb"));
  EXPECT_FALSE(prepareResourcepart("a\nb"));
  EXPECT_FALSE(prepareResourcepart("a\177b"));
  EXPECT_FALSE(prepareResourcepart("a\u0085b"));     // NEXT LINE (Cc)
  EXPECT_FALSE(prepareResourcepart("a\u200Bb"));     // ZERO WIDTH SPACE (ignorable)
  EXPECT_FALSE(prepareResourcepart("a\u2028b"));     // LINE SEPARATOR (Zl)
  EXPECT_FALSE(prepareResourcepart("a\U0003FFFD"));  // unassigned
  EXPECT_FALSE(prepareResourcepart(""));
  EXPECT_FALSE(prepareResourcepart(" "));
  EXPECT_FALSE(prepareResourcepart("   "));
  EXPECT_FALSE(prepareResourcepart("\u00A0\u2003"));  // spaces once mapped
  EXPECT_FALSE(valid("juliet@example.com/   "));
}

TEST(JidTest, PartLengthLimits) {
  const std::string max = repeat("a", 1023);
  const std::string over = repeat("a", 1024);
  EXPECT_TRUE(valid(max + "@example.com"));
  EXPECT_FALSE(valid(over + "@example.com"));
  EXPECT_TRUE(valid("example.com/" + max));
  EXPECT_FALSE(valid("example.com/" + over));
  EXPECT_TRUE(valid("a@" + longestDomain() + "/r"));
  EXPECT_FALSE(valid("a@a." + longestDomain() + "/r"));
  // The limit applies after preparation: 1023 fullwidth letters are 3069 octets on the wire.
  EXPECT_EQ(prepareLocalpart(repeat("\uFF41", 1023)), max);
  EXPECT_FALSE(prepareLocalpart(repeat("\uFF41", 1024)));
  // 2-octet letters: 511 fit (1022 octets), 512 do not.
  EXPECT_TRUE(prepareLocalpart(repeat("é", 511)));
  EXPECT_FALSE(prepareLocalpart(repeat("é", 512)));
  EXPECT_FALSE(prepareResourcepart(repeat("é", 512)));
  EXPECT_FALSE(valid(repeat("a", 20000)));
}

TEST(JidTest, RejectsInvalidUtf8AndNul) {
  EXPECT_FALSE(valid("\xC3\x28@example.com"));          // bad continuation
  EXPECT_FALSE(valid("\xC0\xAF@example.com"));          // overlong '/'
  EXPECT_FALSE(valid("\xED\xA0\x80@example.com"));      // UTF-16 surrogate
  EXPECT_FALSE(valid("\xF4\x90\x80\x80@example.com"));  // above U+10FFFF
  EXPECT_FALSE(valid("a@example.com/\xE2\x82"));        // truncated
  EXPECT_FALSE(valid("a@ex\377ample.com"));
  EXPECT_FALSE(valid("example.com/\x80"));
  EXPECT_FALSE(valid("a\0b@example.com"sv));
  EXPECT_FALSE(valid("a@example.com/x\0y"sv));
  EXPECT_FALSE(valid("a@exam\0ple.com"sv));
}

TEST(JidTest, AsciiDomains) {
  EXPECT_EQ(prepareDomainpart("Example.COM"), "example.com");
  EXPECT_EQ(prepareDomainpart("a-b.c0.example"), "a-b.c0.example");
  EXPECT_EQ(prepareDomainpart("localhost"), "localhost");
  EXPECT_FALSE(prepareDomainpart("-example.com"));
  EXPECT_FALSE(prepareDomainpart("example-.com"));
  EXPECT_FALSE(prepareDomainpart("exa_mple.com"));
  EXPECT_FALSE(prepareDomainpart("exa mple.com"));
  EXPECT_FALSE(prepareDomainpart("a..example"));
  EXPECT_FALSE(prepareDomainpart(".example"));
  EXPECT_FALSE(prepareDomainpart(repeat("a", 64) + ".example"));
  EXPECT_TRUE(prepareDomainpart(repeat("a", 63) + ".example"));
  EXPECT_FALSE(prepareDomainpart("example.123"));
}

TEST(JidTest, TrailingDotIsRemoved) {
  EXPECT_EQ(normalized("juliet@example.com."), "juliet@example.com");
  EXPECT_EQ(normalized("juliet@Example.COM./res"), "juliet@example.com/res");
  EXPECT_EQ(Jid::parse("example.com."), Jid::parse("example.com"));
  EXPECT_EQ(prepareDomainpart("bücher.example."), "bücher.example");
  EXPECT_FALSE(prepareDomainpart("example.com.."));
  EXPECT_FALSE(prepareDomainpart("."));
  EXPECT_FALSE(valid("juliet@./res"));
}

TEST(JidTest, InternationalizedDomains) {
  EXPECT_EQ(prepareDomainpart("bücher.example"), "bücher.example");
  EXPECT_EQ(prepareDomainpart("XN--BCHER-KVA.example"), "bücher.example");
  EXPECT_EQ(prepareDomainpart("xn--bcher-kva.example"), "bücher.example");
  EXPECT_EQ(prepareDomainpart("BÜCHER.Example"), "bücher.example");
  EXPECT_EQ(prepareDomainpart("bu\u0308cher.example"), "bücher.example");  // NFC input
  EXPECT_EQ(prepareDomainpart("日本語.jp"), "日本語.jp");
  EXPECT_EQ(normalized("Juliet@BÜCHER.example/Res"), "juliet@bücher.example/Res");
  EXPECT_EQ(Jid::parse("a@xn--bcher-kva.example"), Jid::parse("a@bücher.example"));
  EXPECT_FALSE(prepareDomainpart("xn--.example"));
  EXPECT_FALSE(prepareDomainpart("xn--a.example"));  // not valid Punycode for a U-label
  EXPECT_FALSE(prepareDomainpart("bücher_x.example"));
  EXPECT_FALSE(prepareDomainpart("♚.example"));
  EXPECT_FALSE(prepareDomainpart(repeat("ü", 64) + ".example"));  // A-label longer than 63
}

TEST(JidTest, IpLiterals) {
  EXPECT_EQ(normalized("juliet@127.0.0.1/r"), "juliet@127.0.0.1/r");
  EXPECT_EQ(prepareDomainpart("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(prepareDomainpart("[::1]"), "[::1]");
  EXPECT_EQ(prepareDomainpart("[2001:DB8:0:0::1]"), "[2001:db8::1]");
  EXPECT_EQ(prepareDomainpart("[0:0:0:0:0:0:0:1]"), "[::1]");
  EXPECT_EQ(normalized("juliet@[2001:db8::1]/r"), "juliet@[2001:db8::1]/r");
  EXPECT_FALSE(prepareDomainpart("256.0.0.1"));
  EXPECT_FALSE(prepareDomainpart("1.2.3"));
  EXPECT_FALSE(prepareDomainpart("01.2.3.4"));
  EXPECT_FALSE(prepareDomainpart("[::1"));
  EXPECT_FALSE(prepareDomainpart("::1"));
  EXPECT_FALSE(prepareDomainpart("[]"));
  EXPECT_FALSE(prepareDomainpart("[example.com]"));
  EXPECT_FALSE(prepareDomainpart("[fe80::1%eth0]"));
  EXPECT_FALSE(prepareDomainpart("[192.0.2.1]"));
}

TEST(JidTest, MakePreparesEachPart) {
  const auto jid = Jid::make("Juliet", "Example.COM.", "Balcony");
  ASSERT_TRUE(jid);
  EXPECT_EQ(jid->str(), "juliet@example.com/Balcony");
  const auto domainOnly = Jid::make("", "example.com");
  ASSERT_TRUE(domainOnly);
  EXPECT_TRUE(domainOnly->isDomain());
  EXPECT_FALSE(Jid::make("a", ""));
  EXPECT_FALSE(Jid::make("a@b", "example.com"));
  EXPECT_FALSE(Jid::make("a", "example.com", "\t"));
}

TEST(JidTest, Accessors) {
  const Jid full = *Jid::parse("juliet@example.com/balcony");
  EXPECT_TRUE(full.isFull());
  EXPECT_FALSE(full.isBare());
  EXPECT_FALSE(full.isDomain());
  EXPECT_FALSE(full.empty());
  EXPECT_EQ(full.bareStr(), "juliet@example.com");
  EXPECT_EQ(full.bare().str(), "juliet@example.com");
  EXPECT_TRUE(full.bare().isBare());
  EXPECT_EQ(full.bare(), *Jid::parse("juliet@example.com"));

  const Jid other = full.withResource("Orchard");
  EXPECT_EQ(other.str(), "juliet@example.com/Orchard");
  EXPECT_EQ(full.withResource("").str(), "juliet@example.com");

  const Jid domain = *Jid::parse("example.com/admin");
  EXPECT_EQ(domain.bareStr(), "example.com");
  EXPECT_EQ(domain.str(), "example.com/admin");
  EXPECT_TRUE(domain.bare().isDomain());

  EXPECT_TRUE(Jid().empty());
  EXPECT_EQ(Jid().str(), "");
}

#ifdef NDEBUG
TEST(JidTest, WithUnpreparedResourceFailsClosed) {
  const Jid jid = *Jid::parse("juliet@example.com");
  EXPECT_TRUE(jid.withResource("a\tb").empty());
  EXPECT_TRUE(jid.withResource("foo\u00A0bar").empty());
}
#endif

TEST(JidTest, HashAgreesWithEquality) {
  std::unordered_set<Jid> set;
  set.insert(*Jid::parse("Juliet@Example.com/r"));
  EXPECT_EQ(set.count(*Jid::parse("juliet@EXAMPLE.com./r")), 1U);
  EXPECT_EQ(set.count(*Jid::parse("juliet@example.com/R")), 0U);
}

TEST(JidTest, NormalizationIsIdempotent) {
  for (std::string_view text : {
           "Juliet@Example.COM/Balcony",
           "ΣΑΣ@example.com",
           "\uFF2A\uFF35\uFF2C\uFF29\uFF25\uFF34@XN--BCHER-KVA.example./foo\u00A0bar",
           "\u0130stanbul@example.com",  // İ lowers to i + COMBINING DOT ABOVE
           "\u1E9E@example.com",         // CAPITAL SHARP S
           "a@[0::1]/x@y/z",
           "col\u00B7la@bücher.example/♚",
       }) {
    const auto once = Jid::parse(text);
    ASSERT_TRUE(once) << text;
    const auto twice = Jid::parse(once->str());
    ASSERT_TRUE(twice) << once->str();
    EXPECT_EQ(*once, *twice) << text;
  }
}

}  // namespace
}  // namespace rampart::core
