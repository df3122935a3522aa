#include "core/sm/stream_management.h"

#include <gtest/gtest.h>

namespace rampart::core::sm {
namespace {

ElementPtr stanza(int n) {
  auto e = std::make_shared<Element>("message", std::string(kNsClient));
  e->setAttr("id", std::to_string(n));
  return e;
}

TEST(StreamManagement, AcksDropAcknowledgedStanzasInOrder) {
  StreamManagement sm;
  sm.enable("id1");
  EXPECT_TRUE(sm.resumable());
  for (int i = 1; i <= 5; ++i) {
    sm.sent({stanza(i)});
  }
  EXPECT_EQ(sm.sentCount(), 5u);
  EXPECT_EQ(sm.ack(2), StreamManagement::AckResult::kOk);
  EXPECT_EQ(sm.unackedCount(), 3u);
  EXPECT_EQ(sm.ack(2), StreamManagement::AckResult::kOk);  // repeated ack: nothing new
  EXPECT_EQ(sm.unackedCount(), 3u);
  auto rest = sm.takeUnacked();
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest.front().stanza->attrOr("id"), "3");
}

TEST(StreamManagement, AckAboveWhatWasSentIsRejected) {
  StreamManagement sm;
  sm.enable("");
  EXPECT_FALSE(sm.resumable());
  sm.sent({stanza(1)});
  EXPECT_EQ(sm.ack(2), StreamManagement::AckResult::kTooHigh);
  EXPECT_EQ(sm.unackedCount(), 1u);
}

TEST(StreamManagement, CountersWrapAt32Bits) {
  StreamManagement sm = StreamManagement::withCounts(0xFFFFFFFFu, 0xFFFFFFFEu);
  sm.enable("x");
  for (int i = 1; i <= 4; ++i) {
    sm.sent({stanza(i)});
  }
  EXPECT_EQ(sm.sentCount(), 2u);  // 0xFFFFFFFE + 4, modulo 2^32
  EXPECT_EQ(sm.ack(1), StreamManagement::AckResult::kOk);
  ASSERT_EQ(sm.unackedCount(), 1u);
  EXPECT_EQ(sm.takeUnacked().front().stanza->attrOr("id"), "4");
  EXPECT_EQ(sm.ack(5), StreamManagement::AckResult::kTooHigh);
  sm.countInbound();
  EXPECT_EQ(sm.inbound(), 0u);
}

TEST(StreamManagement, AckRequestOnlyWhenSomethingNewWasSent) {
  StreamManagement sm;
  EXPECT_FALSE(sm.wantAckRequest());  // not enabled
  sm.enable("");
  EXPECT_FALSE(sm.wantAckRequest());  // nothing sent
  sm.sent({stanza(1)});
  EXPECT_TRUE(sm.wantAckRequest());
  EXPECT_FALSE(sm.wantAckRequest());
  sm.sent({stanza(2)});
  EXPECT_TRUE(sm.wantAckRequest());
}

}  // namespace
}  // namespace rampart::core::sm
