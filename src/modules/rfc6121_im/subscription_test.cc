#include <gtest/gtest.h>

#include "modules/rfc6121_im/im.h"

namespace rampart::modules::im {
namespace {

struct Step {
  bool outbound;
  const char* type;
};

// Runs a sequence on one side's roster item and returns the final state.
std::optional<RosterItem> runSeq(std::initializer_list<Step> steps) {
  std::optional<RosterItem> item;
  for (const auto& s : steps) {
    applySubscription(item, "contact@example.com", s.type, s.outbound);
  }
  return item;
}

TEST(Subscription, OutboundSubscribeCreatesPendingOutItem) {
  std::optional<RosterItem> item;
  auto t = applySubscription(item, "c@x", "subscribe", true);
  ASSERT_TRUE(item);
  EXPECT_TRUE(t.changed);
  EXPECT_TRUE(t.deliver);
  EXPECT_EQ(item->subscription, Subscription::kNone);
  EXPECT_TRUE(item->askOut);
  EXPECT_TRUE(item->inRoster);
}

TEST(Subscription, ApprovalMakesTo) {
  auto item = runSeq({{true, "subscribe"}, {false, "subscribed"}});
  EXPECT_EQ(item->subscription, Subscription::kTo);
  EXPECT_FALSE(item->askOut);
}

TEST(Subscription, UnsolicitedSubscribedIsIgnored) {
  std::optional<RosterItem> item;
  auto t = applySubscription(item, "c@x", "subscribed", false);
  EXPECT_FALSE(item);
  EXPECT_FALSE(t.deliver);
  RosterItem existing;
  existing.jid = "c@x";
  item = existing;
  t = applySubscription(item, "c@x", "subscribed", false);
  EXPECT_FALSE(t.deliver);
  EXPECT_FALSE(t.changed);
  EXPECT_EQ(item->subscription, Subscription::kNone);
}

TEST(Subscription, InboundRequestIsPendingAndHiddenUntilAnswered) {
  std::optional<RosterItem> item;
  auto t = applySubscription(item, "c@x", "subscribe", false);
  ASSERT_TRUE(item);
  EXPECT_TRUE(t.deliver);
  EXPECT_TRUE(item->pendingIn);
  EXPECT_FALSE(item->inRoster);
  t = applySubscription(item, "c@x", "subscribed", true);
  EXPECT_TRUE(t.deliver);
  EXPECT_EQ(item->subscription, Subscription::kFrom);
  EXPECT_FALSE(item->pendingIn);
  EXPECT_TRUE(item->inRoster);
}

TEST(Subscription, SubscribedWithoutRequestIsNotRouted) {
  RosterItem it;
  it.jid = "c@x";
  std::optional<RosterItem> item = it;
  auto t = applySubscription(item, "c@x", "subscribed", true);
  EXPECT_FALSE(t.deliver);
}

TEST(Subscription, AlreadyApprovedRequestIsAutoAnswered) {
  RosterItem it;
  it.jid = "c@x";
  it.subscription = Subscription::kFrom;
  std::optional<RosterItem> item = it;
  auto t = applySubscription(item, "c@x", "subscribe", false);
  EXPECT_TRUE(t.autoReply);
  EXPECT_FALSE(t.deliver);
}

TEST(Subscription, MutualThenCancelBothWays) {
  auto item = runSeq({{true, "subscribe"}, {false, "subscribed"}, {false, "subscribe"},
                      {true, "subscribed"}});
  EXPECT_EQ(item->subscription, Subscription::kBoth);
  std::optional<RosterItem> a = item;
  applySubscription(a, "c", "unsubscribe", true);
  EXPECT_EQ(a->subscription, Subscription::kFrom);
  std::optional<RosterItem> b = item;
  applySubscription(b, "c", "unsubscribed", true);
  EXPECT_EQ(b->subscription, Subscription::kTo);
  std::optional<RosterItem> c = item;
  applySubscription(c, "c", "unsubscribe", false);
  EXPECT_EQ(c->subscription, Subscription::kTo);
  std::optional<RosterItem> d = item;
  applySubscription(d, "c", "unsubscribed", false);
  EXPECT_EQ(d->subscription, Subscription::kFrom);
}

TEST(Subscription, DeniedRequestClearsAsk) {
  auto item = runSeq({{true, "subscribe"}, {false, "unsubscribed"}});
  EXPECT_EQ(item->subscription, Subscription::kNone);
  EXPECT_FALSE(item->askOut);
}

TEST(Subscription, NamesMatchRfc) {
  EXPECT_EQ(subscriptionName(Subscription::kBoth), "both");
  EXPECT_EQ(subscriptionName(Subscription::kNone), "none");
}

}  // namespace
}  // namespace rampart::modules::im
