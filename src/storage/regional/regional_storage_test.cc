// The residency router over two SQLite databases: what names a host goes to its region only,
// lists across tenants merge, held-message ids are unique across regions and find their region,
// and the sealed-cell walk (re-encryption) visits every region with one cursor.
#include "storage/regional/regional_storage.h"

#include <gtest/gtest.h>

#include "core/temp_dir_for_tests.h"
#include "storage/sqlite/sqlite_storage.h"

namespace rampart::storage::regional {
namespace {

std::vector<Credential> creds() {
  return {Credential{"SCRAM-SHA-256", "salt", 4096, std::string(32, 'k'), std::string(32, 's')}};
}

class Regional : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"", "north"}) {
      auto db = sqlite::SqliteStorage::open(
          {(dir_.path / (std::string(name) + "x.db")).string(), "normal", 1000});
      ASSERT_TRUE(db.isOk()) << db.status().message();
      if (*name) {
        ASSERT_TRUE(db.value()->reserveQuarantineIds(quarantineIdBase(name)).isOk());
      }
      dbs_[name] = std::move(db).value();
    }
    router_ = std::make_unique<RegionalStorage>(
        std::map<std::string, Storage*>{{"", dbs_[""].get()}, {"north", dbs_["north"].get()}},
        [](std::string_view host) {
          return host == "a.test" || host == "conference.a.test" ? std::string("north")
                                                                   : std::string();
        });
  }
  testing::TempDir dir_;
  std::map<std::string, std::unique_ptr<sqlite::SqliteStorage>> dbs_;
  std::unique_ptr<RegionalStorage> router_;
};

TEST_F(Regional, AHostsDataGoesToItsRegionOnly) {
  Storage& s = *router_;
  ASSERT_TRUE(s.accounts().createAccount("a.test", "alice", creds()).isOk());
  ASSERT_TRUE(s.accounts().createAccount("b.test", "bob", creds()).isOk());
  EXPECT_TRUE(dbs_["north"]->exists("a.test", "alice").value());
  EXPECT_FALSE(dbs_[""]->exists("a.test", "alice").value());
  EXPECT_TRUE(dbs_[""]->exists("b.test", "bob").value());
  EXPECT_FALSE(dbs_["north"]->exists("b.test", "bob").value());
  ASSERT_TRUE(s.keyValue().put("conference.a.test", "room", "cfg", "k", "v").isOk());
  EXPECT_EQ(dbs_["north"]->get("conference.a.test", "room", "cfg", "k").value(), "v");
  ArchiveAppend a1{"a.test", "alice", {"id1", 1, "bob@b.test", "", "<message/>"}, "", ""};
  ArchiveAppend a2{"b.test", "bob", {"id2", 2, "alice@a.test", "", "<message/>"}, "", ""};
  ASSERT_TRUE(s.archive().append({a1, a2}).isOk());
  EXPECT_EQ(dbs_["north"]->query("a.test", "alice", {}).value().count, 1u);
  EXPECT_EQ(dbs_[""]->query("a.test", "alice", {}).value().count, 0u);
  EXPECT_EQ(dbs_[""]->query("b.test", "bob", {}).value().count, 1u);
  // Lists across tenants ask every region.
  ASSERT_TRUE(s.admin().putHold({"a.test", "alice", "account", "r", "sec", 1}).isOk());
  ASSERT_TRUE(s.admin().putHold({"b.test", "bob", "account", "r", "sec", 1}).isOk());
  EXPECT_EQ(s.admin().holds().value().size(), 2u);
  EXPECT_TRUE(s.admin().holdOn("a.test", "alice").value().has_value());
  EXPECT_FALSE(dbs_[""]->holdOn("a.test", "alice").value().has_value());
}

TEST_F(Regional, HeldMessageIdsAreUniqueAndFindTheirRegion) {
  Storage& s = *router_;
  QuarantineItem q;
  q.sender = "alice@a.test/r";
  q.recipient = "bob@b.test";
  q.stanza = "<message/>";
  q.rule = "r";
  q.findings = "[]";
  q.tenant = "a.test";
  auto north = s.content().addQuarantine(q);
  q.tenant = "b.test";
  auto home = s.content().addQuarantine(q);
  ASSERT_TRUE(north.isOk() && home.isOk());
  EXPECT_NE(north.value(), home.value());
  EXPECT_GT(north.value(), quarantineIdBase("north"));
  EXPECT_LT(north.value(), std::int64_t{1} << 53);
  EXPECT_EQ(s.content().quarantineById(north.value()).value()->tenant, "a.test");
  EXPECT_EQ(s.content().quarantineById(home.value()).value()->tenant, "b.test");
  ASSERT_TRUE(s.content().decideQuarantine(north.value(), "approved", "rev", 5, "").isOk());
  EXPECT_EQ(dbs_["north"]->quarantineById(north.value()).value()->status, "approved");
  QuarantineFilter all;
  EXPECT_EQ(s.content().listQuarantine(all).value().size(), 2u);
  EXPECT_EQ(s.content().quarantineCounts("").value().approved, 1);
  EXPECT_NE(quarantineIdBase("north"), quarantineIdBase("south"));
  EXPECT_EQ(quarantineIdBase(""), 0);
}

TEST_F(Regional, TheCellWalkVisitsEveryRegion) {
  Storage& s = *router_;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(s.keyValue().put("a.test", "alice", "st", "n" + std::to_string(i), "x").isOk());
    ASSERT_TRUE(s.keyValue().put("b.test", "bob", "st", "h" + std::to_string(i), "y").isOk());
  }
  std::vector<SealedCell> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = s.sealedCells().cells("kv", "value", cursor, 2);
    ASSERT_TRUE(page.isOk()) << page.status().message();
    for (auto& c : page.value().cells) seen.push_back(c);
    cursor = page.value().next;
    ASSERT_LT(++pages, 20);
  } while (!cursor.empty());
  ASSERT_EQ(seen.size(), 6u);
  // Replacing a cell goes back to the region it came from.
  for (const auto& c : seen) {
    ASSERT_TRUE(s.sealedCells().replaceCell(c, c.value + "!").value());
  }
  EXPECT_EQ(dbs_["north"]->get("a.test", "alice", "st", "n0").value(), "x!");
  EXPECT_EQ(dbs_[""]->get("b.test", "bob", "st", "h2").value(), "y!");
  SealedCell foreign = seen.front();
  foreign.locator = "nowhere\n" + foreign.locator;
  EXPECT_FALSE(s.sealedCells().replaceCell(foreign, "z").isOk());
}

}  // namespace
}  // namespace rampart::storage::regional
