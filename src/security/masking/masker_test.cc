#include "rampart/security/masker.h"

#include <gtest/gtest.h>

namespace rampart::security {
namespace {

TEST(Masker, DefaultRulesPerDataType) {
  Masker m;
  EXPECT_EQ(m.mask(DataType::kMobile, "13812341234"), "138****1234");
  EXPECT_EQ(m.mask(DataType::kMobile, "+86 138-1234-5678"), "+86 138-****-5678");
  EXPECT_EQ(m.mask(DataType::kResidentId, "11010519491231002X"), "110105********002X");
  EXPECT_EQ(m.mask(DataType::kBankCard, "6222021234567890128"), "622202*********0128");
  EXPECT_EQ(m.mask(DataType::kEmail, "zhang.san@example.com"), "z***@example.com");
  EXPECT_EQ(m.mask(DataType::kName, "张三丰"), "张**");
  EXPECT_EQ(m.mask(DataType::kName, "欧阳娜娜"), "欧阳**");
  EXPECT_EQ(m.mask(DataType::kName, "John Smith"), "J*** Smith");
  EXPECT_EQ(m.mask(DataType::kAddress, "北京市海淀区中关村大街27号"), "北京市海淀区****");
  EXPECT_EQ(m.mask(DataType::kIpAddress, "192.168.10.20"), "192.168.*.*");
  EXPECT_EQ(m.mask(DataType::kIpAddress, "2001:db8:1:2::5"), "2001:db8:*");
  EXPECT_EQ(m.mask(DataType::kOther, "绝密"), "**");
}

TEST(Masker, ShortValuesNeverShownWhole) {
  Masker m;
  EXPECT_EQ(m.mask(DataType::kMobile, "1381"), "1*81");
  EXPECT_EQ(m.mask(DataType::kName, "张"), "*");
}

TEST(Masker, ConfiguredRules) {
  Masker m;
  auto r = Masker::parseRule("2+2");
  ASSERT_TRUE(r);
  m.setRule(DataType::kMobile, *r);
  EXPECT_EQ(m.mask(DataType::kMobile, "13812341234"), "13*******34");
  EXPECT_FALSE(Masker::parseRule("3"));
  EXPECT_FALSE(Masker::parseRule("a+4"));
  EXPECT_FALSE(Masker::parseRule("99+4"));
  EXPECT_EQ(parseDataType("bank_card"), DataType::kBankCard);
}

}  // namespace
}  // namespace rampart::security
