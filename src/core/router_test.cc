#include "core/router_impl.h"

#include <gtest/gtest.h>

#include "core/module_host.h"
#include "storage/sqlite/sqlite_storage.h"

namespace rampart::core {
namespace {

class FakeSession final : public Session {
 public:
  FakeSession(std::string jid, int prio, bool avail)
      : jid_(*Jid::parse(jid)), prio_(prio), avail_(avail) {}
  const Jid& jid() const override { return jid_; }
  void deliver(ElementPtr s) override { got.push_back(s); }
  void deliverStamped(ElementPtr s) override { got.push_back(s); }
  bool available() const override { return avail_; }
  int priority() const override { return prio_; }
  bool interested() const override { return false; }
  void markInterested() override {}
  ElementPtr lastPresence() const override { return nullptr; }
  void close(std::string_view c) override { closed = std::string(c); }
  std::vector<ElementPtr> got;
  std::string closed;

 private:
  Jid jid_;
  int prio_;
  bool avail_;
};

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    config_.hosts.push_back({"example.com", {}, {}});
    config_.hosts.push_back({"other.example", {}, {}});
    db_ = std::move(storage::sqlite::SqliteStorage::open({":memory:", "normal", 1000})).value();
    runner_ = std::make_unique<StorageRunner>(*db_, metrics_);
    router_ = std::make_unique<RouterImpl>(config_, metrics_);
    for (const auto& h : config_.hosts) {
      hosts_.push_back(std::make_unique<ModuleHost>(h.name, config_, *router_, metrics_,
                                                    services_, *runner_, workers_));
      router_->addHost(hosts_.back().get());
    }
  }
  std::shared_ptr<FakeSession> bind(std::string jid, int prio, bool avail = true) {
    auto s = std::make_shared<FakeSession>(std::move(jid), prio, avail);
    bool accepted = false;
    router_->bind(s, accepted);
    EXPECT_TRUE(accepted);
    return s;
  }
  static Element message(std::string from, std::string to, std::string type = "chat") {
    Element m("message", std::string(kNsClient));
    m.setAttr("from", from).setAttr("to", to).setAttr("type", type);
    m.addChild("body", std::string(kNsClient)).addText("hi");
    return m;
  }

  Config config_;
  HostServices services_;
  Metrics metrics_;
  Workers workers_{1};
  std::unique_ptr<storage::sqlite::SqliteStorage> db_;
  std::unique_ptr<StorageRunner> runner_;
  std::unique_ptr<RouterImpl> router_;
  std::vector<std::unique_ptr<ModuleHost>> hosts_;
};

TEST_F(RouterTest, BareJidGoesToHighestPriorityResource) {
  auto hi = bind("bob@example.com/hi", 5);
  auto lo = bind("bob@example.com/lo", 1);
  auto neg = bind("bob@example.com/neg", -1);
  router_->route(message("alice@example.com/a", "bob@example.com"));
  EXPECT_EQ(hi->got.size(), 1u);
  EXPECT_TRUE(lo->got.empty());
  EXPECT_TRUE(neg->got.empty());
}

TEST_F(RouterTest, EqualPrioritiesAllReceive) {
  auto a = bind("bob@example.com/a", 3);
  auto b = bind("bob@example.com/b", 3);
  router_->route(message("alice@example.com/x", "bob@example.com"));
  EXPECT_EQ(a->got.size(), 1u);
  EXPECT_EQ(b->got.size(), 1u);
}

TEST_F(RouterTest, FullJidGoesToThatResourceOnly) {
  auto hi = bind("bob@example.com/hi", 5);
  auto lo = bind("bob@example.com/lo", 1);
  router_->route(message("alice@example.com/a", "bob@example.com/lo"));
  EXPECT_TRUE(hi->got.empty());
  EXPECT_EQ(lo->got.size(), 1u);
}

TEST_F(RouterTest, UnknownResourceFallsBackToBareForChat) {
  auto hi = bind("bob@example.com/hi", 5);
  router_->route(message("alice@example.com/a", "bob@example.com/gone"));
  EXPECT_EQ(hi->got.size(), 1u);
}

TEST_F(RouterTest, UnknownDomainBouncesRemoteServerNotFound) {
  auto alice = bind("alice@example.com/a", 0);
  router_->route(message("alice@example.com/a", "bob@elsewhere.test"));
  ASSERT_EQ(alice->got.size(), 1u);
  const Element& err = *alice->got[0];
  EXPECT_EQ(err.attrOr("type"), "error");
  ASSERT_NE(err.child("error", kNsClient), nullptr);
  EXPECT_NE(err.child("error", kNsClient)->child("remote-server-not-found", kNsStanzas), nullptr);
}

TEST_F(RouterTest, HostsAreIsolatedByDefault) {
  auto alice = bind("alice@example.com/a", 0);
  auto carol = bind("carol@other.example/c", 0);
  router_->route(message("alice@example.com/a", "carol@other.example"));
  EXPECT_TRUE(carol->got.empty());
  ASSERT_EQ(alice->got.size(), 1u);
  EXPECT_EQ(alice->got[0]->attrOr("type"), "error");
}

TEST_F(RouterTest, UnhandledIqGetsServiceUnavailable) {
  auto alice = bind("alice@example.com/a", 0);
  Element iq("iq", std::string(kNsClient));
  iq.setAttr("from", "alice@example.com/a").setAttr("to", "example.com").setAttr("type", "get");
  iq.setAttr("id", "q1");
  iq.addChild("query", "urn:example:unknown");
  router_->route(iq);
  ASSERT_EQ(alice->got.size(), 1u);
  EXPECT_EQ(alice->got[0]->attrOr("id"), "q1");
  EXPECT_NE(alice->got[0]->child("error", kNsClient)->child("service-unavailable", kNsStanzas),
            nullptr);
}

TEST_F(RouterTest, SameResourceReplacesOldSession) {
  auto first = bind("bob@example.com/r", 0);
  auto second = std::make_shared<FakeSession>("bob@example.com/r", 0, true);
  bool accepted = false;
  SessionPtr replaced = router_->bind(second, accepted);
  EXPECT_TRUE(accepted);
  EXPECT_EQ(replaced.get(), first.get());
  EXPECT_EQ(router_->sessionsOf(*Jid::parse("bob@example.com")).size(), 1u);
  router_->unbind(*first);  // the old session's late unbind must not remove the new one
  EXPECT_EQ(router_->sessionsOf(*Jid::parse("bob@example.com")).size(), 1u);
}

TEST_F(RouterTest, MalformedToGetsJidMalformed) {
  auto alice = bind("alice@example.com/a", 0);
  Element m = message("alice@example.com/a", "bad@@jid");
  router_->route(m);
  ASSERT_EQ(alice->got.size(), 1u);
  EXPECT_NE(alice->got[0]->child("error", kNsClient)->child("jid-malformed", kNsStanzas), nullptr);
}

}  // namespace
}  // namespace rampart::core
