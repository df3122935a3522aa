#include "security/throttle/connection_limiter.h"

#include <gtest/gtest.h>

namespace rampart::security::throttle {
namespace {

namespace ip = boost::asio::ip;

TEST(ConnectionLimiter, CapsPerAddressAndInTotal) {
  ConnectionLimiter l(2, 3);
  ConnectionLimiter::Ticket a, b, c, d, e;
  EXPECT_EQ(l.admit("10.0.0.1", a), ConnectionLimiter::Verdict::kAdmitted);
  EXPECT_EQ(l.admit("10.0.0.1", b), ConnectionLimiter::Verdict::kAdmitted);
  EXPECT_EQ(l.admit("10.0.0.1", c), ConnectionLimiter::Verdict::kAddressFull);
  EXPECT_FALSE(c.held());
  EXPECT_EQ(l.admit("10.0.0.2", c), ConnectionLimiter::Verdict::kAdmitted);
  EXPECT_EQ(l.admit("10.0.0.3", d), ConnectionLimiter::Verdict::kTotalFull);
  EXPECT_EQ(l.negotiating(), 3u);
  a.release();
  EXPECT_EQ(l.admit("10.0.0.1", e), ConnectionLimiter::Verdict::kAdmitted);
  {
    ConnectionLimiter::Ticket moved = std::move(e);
    EXPECT_TRUE(moved.held());
    EXPECT_FALSE(e.held());
  }
  EXPECT_EQ(l.negotiating(), 2u);
}

TEST(ConnectionLimiter, AddressKeys) {
  EXPECT_EQ(ConnectionLimiter::addressKey(ip::make_address("192.0.2.7")), "192.0.2.7");
  EXPECT_EQ(ConnectionLimiter::addressKey(ip::make_address("::ffff:192.0.2.7")), "192.0.2.7");
  EXPECT_EQ(ConnectionLimiter::addressKey(ip::make_address("2001:db8:1:2:3:4:5:6")),
            "2001:db8:1:2::/64");
  EXPECT_EQ(ConnectionLimiter::addressKey(ip::make_address("2001:db8:1:2:ffff::1")),
            "2001:db8:1:2::/64");
}

}  // namespace
}  // namespace rampart::security::throttle
