#include <gtest/gtest.h>

#include "security/reset/answers.h"
#include "security/reset/sms_gateway.h"

namespace rampart::security::reset {
namespace {

TEST(ResetAnswers, CaseWidthAndSpacingDoNotMatter) {
  EXPECT_EQ(normalizeAnswer("  Nanjing   ROAD\tPrimary "), "nanjing road primary");
  EXPECT_EQ(normalizeAnswer("Ｗａｎｇｃａｉ"), "wangcai");  // full-width letters
  EXPECT_EQ(normalizeAnswer("麻婆豆腐"), "麻婆豆腐");
  EXPECT_EQ(normalizeAnswer("Straße"), normalizeAnswer("STRASSE"));  // case folding
  EXPECT_FALSE(normalizeAnswer("   "));
  EXPECT_FALSE(normalizeAnswer(""));
  EXPECT_FALSE(normalizeAnswer("\xff\xfe"));  // not UTF-8
  EXPECT_FALSE(normalizeAnswer(std::string("ab\xe4\xb8", 4)));  // cut inside a character
}

TEST(ResetPhone, NumbersAreStoredInE164AndShownMasked) {
  EXPECT_EQ(normalizePhone("13812345678"), "+8613812345678");
  EXPECT_EQ(normalizePhone("138 1234 5678"), "+8613812345678");
  EXPECT_EQ(normalizePhone("+852 9123-4567"), "+85291234567");
  EXPECT_EQ(normalizePhone("+1 (415) 555-0100"), "+14155550100");
  EXPECT_FALSE(normalizePhone("12345"));
  EXPECT_FALSE(normalizePhone("+0123456789"));
  EXPECT_FALSE(normalizePhone("+1234567890123456"));  // 16 digits
  EXPECT_FALSE(normalizePhone("138-1234-567a"));
  EXPECT_FALSE(normalizePhone("++8613812345678"));
  EXPECT_FALSE(normalizePhone("1381234+5678"));
  EXPECT_EQ(maskPhone("+8613812345678"), "+86 *******5678");
  EXPECT_EQ(maskPhone("+14155550100"), "+1 ******0100");
}

}  // namespace
}  // namespace rampart::security::reset
