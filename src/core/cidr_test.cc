#include "core/cidr.h"

#include <gtest/gtest.h>

namespace rampart::core {
namespace {

TEST(CidrList, MatchesRangesAndMappedAddresses) {
  auto l = CidrList::parse({"127.0.0.0/8", "::1/128", "10.1.2.3", "2001:db8::/32"});
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->contains("127.4.5.6"));
  EXPECT_TRUE(l->contains("::ffff:127.0.0.1"));
  EXPECT_TRUE(l->contains("::1"));
  EXPECT_TRUE(l->contains("10.1.2.3"));
  EXPECT_FALSE(l->contains("10.1.2.4"));
  EXPECT_TRUE(l->contains("2001:db8:ffff::9"));
  EXPECT_FALSE(l->contains("2001:db9::1"));
  EXPECT_FALSE(l->contains("128.0.0.1"));
  EXPECT_FALSE(l->contains("not an address"));
}

TEST(CidrList, RejectsBadEntries) {
  std::string bad;
  EXPECT_FALSE(CidrList::parse({"127.0.0.0/8", "10.0.0.0/33"}, &bad));
  EXPECT_EQ(bad, "10.0.0.0/33");
  EXPECT_FALSE(CidrList::parse({"example.com"}, &bad));
  EXPECT_FALSE(CidrList::parse({"10.0.0.0/"}, &bad));
  EXPECT_FALSE(CidrList::parse({"10.0.0.0/8x"}, &bad));
  auto empty = CidrList::parse({});
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->contains("127.0.0.1"));
}

}  // namespace
}  // namespace rampart::core
