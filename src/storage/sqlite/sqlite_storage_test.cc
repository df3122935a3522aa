// Storage contract tests, run against the SQLite backend (in memory and on disk).
#include "storage/sqlite/sqlite_storage.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace rampart::storage::sqlite {
namespace {

std::vector<Credential> creds() {
  return {Credential{"SCRAM-SHA-256", "salt", 4096, std::string(32, 'k'), std::string(32, 's')}};
}

class StorageContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    path_ = GetParam();
    if (path_ != ":memory:") {
      path_ = (std::filesystem::temp_directory_path() /
               ("rampart-storage-" + std::to_string(::getpid()) + ".db"))
                  .string();
      std::filesystem::remove(path_);
    }
    auto r = SqliteStorage::open({path_, "normal", 1000});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    db_ = std::move(r).value();
  }
  void TearDown() override {
    db_.reset();
    if (path_ != ":memory:") {
      for (const char* sfx : {"", "-wal", "-shm"}) {
        std::filesystem::remove(path_ + sfx);
      }
    }
  }
  std::string path_;
  std::unique_ptr<SqliteStorage> db_;
};

TEST_P(StorageContract, AccountsLifecycle) {
  EXPECT_TRUE(db_->createAccount("h", "alice", creds()).isOk());
  auto dup = db_->createAccount("h", "alice", creds());
  EXPECT_EQ(dup.code(), core::Status::Code::kAlreadyExists);
  EXPECT_TRUE(db_->exists("h", "alice").value());
  EXPECT_FALSE(db_->exists("other", "alice").value());
  auto c = db_->credentials("h", "alice");
  ASSERT_TRUE(c.isOk());
  ASSERT_EQ(c.value().size(), 1u);
  EXPECT_EQ(c.value()[0].iterations, 4096u);
  EXPECT_EQ(db_->setCredentials("h", "nobody", creds()).code(), core::Status::Code::kNotFound);
  EXPECT_EQ(db_->listAccounts("h").value(), std::vector<std::string>{"alice"});
  EXPECT_TRUE(db_->deleteAccount("h", "alice").isOk());
  EXPECT_EQ(db_->deleteAccount("h", "alice").code(), core::Status::Code::kNotFound);
}

TEST_P(StorageContract, RosterItemsAndVersion) {
  ASSERT_TRUE(db_->createAccount("h", "alice", creds()).isOk());
  EXPECT_EQ(db_->version("h", "alice").value(), 0);
  RosterItem it;
  it.jid = "bob@h";
  it.name = "Bob";
  it.subscription = Subscription::kBoth;
  it.groups = {"Friends", "Work"};
  ASSERT_TRUE(db_->putItem("h", "alice", it).isOk());
  EXPECT_EQ(db_->version("h", "alice").value(), 1);
  auto got = db_->item("h", "alice", "bob@h");
  ASSERT_TRUE(got.isOk() && got.value());
  EXPECT_EQ(got.value()->name, "Bob");
  EXPECT_EQ(got.value()->groups, it.groups);
  EXPECT_EQ(got.value()->subscription, Subscription::kBoth);
  ASSERT_TRUE(db_->removeItem("h", "alice", "bob@h").isOk());
  EXPECT_EQ(db_->version("h", "alice").value(), 2);
  EXPECT_TRUE(db_->roster("h", "alice").value().empty());
  EXPECT_EQ(db_->putItem("h", "ghost", it).code(), core::Status::Code::kNotFound);
}

TEST_P(StorageContract, OfflineQueueIsOrderedAndRemovedUpTo) {
  ASSERT_TRUE(db_->createAccount("h", "bob", creds()).isOk());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(db_->push("h", "bob", "<message id='" + std::to_string(i) + "'/>").isOk());
  }
  EXPECT_EQ(db_->count("h", "bob").value(), 5u);
  auto first = db_->fetch("h", "bob", 3).value();
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].stanza, "<message id='0'/>");
  EXPECT_EQ(first[2].stanza, "<message id='2'/>");
  ASSERT_TRUE(db_->removeUpTo("h", "bob", first.back().id).isOk());
  auto rest = db_->fetch("h", "bob", 10).value();
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].stanza, "<message id='3'/>");
  EXPECT_EQ(db_->push("h", "nobody", "<message/>").code(), core::Status::Code::kNotFound);
}

TEST_P(StorageContract, OfflineQueuesOfAHostArePagedAndRemovedOneByOne) {
  for (const char* u : {"bob", "carol"}) ASSERT_TRUE(db_->createAccount("h", u, creds()).isOk());
  ASSERT_TRUE(db_->createAccount("other", "bob", creds()).isOk());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(db_->push("h", i % 2 ? "carol" : "bob", "<message id='" + std::to_string(i) + "'/>").isOk());
  }
  ASSERT_TRUE(db_->push("other", "bob", "<message id='x'/>").isOk());
  auto page = db_->offlineAfter("h", 0, 2).value();
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].user, "bob");
  EXPECT_EQ(page[1].user, "carol");
  EXPECT_EQ(page[1].stanza, "<message id='1'/>");
  auto rest = db_->offlineAfter("h", page[1].id, 2).value();
  ASSERT_EQ(rest.size(), 1u);  // the other host's message is not listed
  EXPECT_EQ(rest[0].stanza, "<message id='2'/>");
  ASSERT_TRUE(db_->removeOffline("h", "carol", page[1].id).isOk());
  ASSERT_TRUE(db_->removeOffline("h", "carol", page[1].id).isOk());  // already gone: ok
  ASSERT_TRUE(db_->removeOffline("h", "bob", page[1].id).isOk());  // not bob's: nothing
  EXPECT_EQ(db_->count("h", "carol").value(), 0u);
  EXPECT_EQ(db_->count("h", "bob").value(), 2u);
  EXPECT_EQ(db_->count("other", "bob").value(), 1u);
}

TEST_P(StorageContract, DeletingAccountDropsRosterAndOffline) {
  ASSERT_TRUE(db_->createAccount("h", "bob", creds()).isOk());
  RosterItem it;
  it.jid = "x@h";
  ASSERT_TRUE(db_->putItem("h", "bob", it).isOk());
  ASSERT_TRUE(db_->push("h", "bob", "<message/>").isOk());
  ASSERT_TRUE(db_->deleteAccount("h", "bob").isOk());
  ASSERT_TRUE(db_->createAccount("h", "bob", creds()).isOk());
  EXPECT_TRUE(db_->roster("h", "bob").value().empty());
  EXPECT_EQ(db_->count("h", "bob").value(), 0u);
  EXPECT_EQ(db_->version("h", "bob").value(), 0);
}

TEST_P(StorageContract, KeyValueDocuments) {
  EXPECT_FALSE(db_->get("h", "alice", "private", "a:b").value().has_value());
  EXPECT_TRUE(db_->put("h", "alice", "private", "a:b", "<x/>").isOk());
  EXPECT_TRUE(db_->put("h", "alice", "private", "a:a", std::string("\0bin", 4)).isOk());
  EXPECT_EQ(*db_->get("h", "alice", "private", "a:b").value(), "<x/>");
  EXPECT_TRUE(db_->put("h", "alice", "private", "a:b", "<y/>").isOk());
  EXPECT_EQ(*db_->get("h", "alice", "private", "a:b").value(), "<y/>");
  EXPECT_FALSE(db_->get("h", "bob", "private", "a:b").value().has_value());
  EXPECT_FALSE(db_->get("other", "alice", "private", "a:b").value().has_value());
  auto all = db_->list("h", "alice", "private").value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].key, "a:a");
  EXPECT_EQ(all[0].value, std::string("\0bin", 4));
  EXPECT_TRUE(db_->remove("h", "alice", "private", "a:a").isOk());
  EXPECT_TRUE(db_->remove("h", "alice", "private", "missing").isOk());
  EXPECT_EQ(db_->list("h", "alice", "private").value().size(), 1u);
  EXPECT_TRUE(db_->removeAll("h", "alice", "private").isOk());
  EXPECT_TRUE(db_->list("h", "alice", "private").value().empty());
}

TEST_P(StorageContract, DeletingAnAccountDeletesItsDocumentsAndArchive) {
  ASSERT_TRUE(db_->createAccount("h", "alice", creds()).isOk());
  ASSERT_TRUE(db_->put("h", "alice", "vcard", "", "<vCard/>").isOk());
  ASSERT_TRUE(db_->append({ArchiveAppend{"h", "alice", ArchiveItem{"id1", 1, "b@h", "b@h/r", "<m/>"}}})
                  .isOk());
  ASSERT_TRUE(db_->put("h", "bob", "vcard", "", "<vCard/>").isOk());
  ASSERT_TRUE(db_->deleteAccount("h", "alice").isOk());
  EXPECT_FALSE(db_->get("h", "alice", "vcard", "").value().has_value());
  EXPECT_EQ(db_->query("h", "alice", ArchiveQuery{}).value().count, 0u);
  EXPECT_TRUE(db_->get("h", "bob", "vcard", "").value().has_value());
}

std::vector<ArchiveAppend> sampleArchive() {
  std::vector<ArchiveAppend> v;
  for (int i = 1; i <= 10; ++i) {
    std::string with = i % 2 ? "bob@h" : "carol@h";
    v.push_back(ArchiveAppend{"h", "alice",
                              ArchiveItem{"id" + std::to_string(i), i * 1000, with, with + "/r",
                                          "<m n='" + std::to_string(i) + "'/>"}});
  }
  v.push_back(ArchiveAppend{"h", "zed", ArchiveItem{"id1", 5000, "bob@h", "bob@h/r", "<z/>"}});
  return v;
}

std::vector<std::string> ids(const ArchivePage& p) {
  std::vector<std::string> out;
  for (const auto& i : p.items) {
    out.push_back(i.id);
  }
  return out;
}

TEST_P(StorageContract, ArchivePagingForwardAndBackward) {
  ASSERT_TRUE(db_->append(sampleArchive()).isOk());
  ArchiveQuery q;
  q.max = 4;
  auto p1 = db_->query("h", "alice", q).value();
  EXPECT_EQ(ids(p1), (std::vector<std::string>{"id1", "id2", "id3", "id4"}));
  EXPECT_FALSE(p1.complete);
  EXPECT_EQ(p1.count, 10u);
  q.afterId = "id8";
  auto p2 = db_->query("h", "alice", q).value();
  EXPECT_EQ(ids(p2), (std::vector<std::string>{"id9", "id10"}));
  EXPECT_TRUE(p2.complete);
  ArchiveQuery last;
  last.max = 3;
  last.lastPage = true;
  auto p3 = db_->query("h", "alice", last).value();
  EXPECT_EQ(ids(p3), (std::vector<std::string>{"id8", "id9", "id10"}));
  EXPECT_FALSE(p3.complete);
  last.beforeId = "id3";
  auto p4 = db_->query("h", "alice", last).value();
  EXPECT_EQ(ids(p4), (std::vector<std::string>{"id1", "id2"}));
  EXPECT_TRUE(p4.complete);
  ArchiveQuery bad;
  bad.afterId = "nope";
  EXPECT_EQ(db_->query("h", "alice", bad).status().code(), core::Status::Code::kNotFound);
  // Another archive's id is not this archive's.
  auto zed = db_->query("h", "zed", ArchiveQuery{}).value();
  EXPECT_EQ(ids(zed), std::vector<std::string>{"id1"});
}

TEST_P(StorageContract, ArchiveFilters) {
  ASSERT_TRUE(db_->append(sampleArchive()).isOk());
  ArchiveQuery q;
  q.with = "carol@h";
  EXPECT_EQ(ids(db_->query("h", "alice", q).value()),
            (std::vector<std::string>{"id2", "id4", "id6", "id8", "id10"}));
  q.with = "bob@h/r";
  EXPECT_EQ(db_->query("h", "alice", q).value().count, 5u);
  q.with = "bob@h/other";
  EXPECT_EQ(db_->query("h", "alice", q).value().count, 0u);
  ArchiveQuery t;
  t.startUs = 3000;
  t.endUs = 5000;
  EXPECT_EQ(ids(db_->query("h", "alice", t).value()),
            (std::vector<std::string>{"id3", "id4", "id5"}));
  ArchiveQuery byId;
  byId.ids = {"id7", "id2", "missing"};
  EXPECT_EQ(ids(db_->query("h", "alice", byId).value()),
            (std::vector<std::string>{"id2", "id7"}));
  EXPECT_EQ(db_->removeOlderThan("other", 5000).value(), 0u);
  EXPECT_EQ(db_->removeOlderThan("h", 5000).value(), 4u);
  EXPECT_EQ(db_->query("h", "alice", ArchiveQuery{}).value().count, 6u);
  EXPECT_EQ(db_->query("h", "zed", ArchiveQuery{}).value().count, 1u);
  EXPECT_TRUE(db_->removeArchive("h", "alice", 8000).isOk());  // what came before a moment
  EXPECT_EQ(ids(db_->query("h", "alice", ArchiveQuery{}).value()),
            (std::vector<std::string>{"id8", "id9", "id10"}));
  EXPECT_TRUE(db_->archive().removeArchive("h", "alice").isOk());
  EXPECT_EQ(db_->query("h", "alice", ArchiveQuery{}).value().count, 0u);
}

TEST_P(StorageContract, FullTextSearchMatchesEveryTermWithPaging) {
  std::vector<ArchiveAppend> items;
  const char* texts[] = {"Encryption review", "lunch", "加密方案讨论", "encryption 加密"};
  for (int i = 0; i < 4; ++i) {
    ArchiveAppend a{"h", "alice", ArchiveItem{"id" + std::to_string(i), 1000 + i, "b@h", "b@h/r",
                                               "<message/>"}};
    a.searchText = texts[i];
    items.push_back(a);
  }
  ASSERT_TRUE(db_->append(items).isOk());
  auto ids = [&](ArchiveQuery q) {
    std::vector<std::string> out;
    auto page = db_->query("h", "alice", q);
    EXPECT_TRUE(page.isOk());
    for (const auto& it : page.value().items) out.push_back(it.id);
    return out;
  };
  ArchiveQuery q;
  q.fulltext = "ENCRYPTION";
  EXPECT_EQ(ids(q), (std::vector<std::string>{"id0", "id3"}));
  q.fulltext = "加密";
  EXPECT_EQ(ids(q), (std::vector<std::string>{"id2", "id3"}));
  q.fulltext = "加密 encryption";
  EXPECT_EQ(ids(q), (std::vector<std::string>{"id3"}));
  q.fulltext = "absent";
  EXPECT_TRUE(ids(q).empty());
  q.fulltext = " ,. ";  // no word: no filter
  EXPECT_EQ(ids(q).size(), 4u);
  q.fulltext = "加密";
  q.max = 1;
  auto page = db_->query("h", "alice", q);
  ASSERT_TRUE(page.isOk());
  EXPECT_EQ(page.value().count, 2u);
  EXPECT_FALSE(page.value().complete);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StorageContract, ::testing::Values(":memory:", "file"));

TEST(SqliteStorage, ReopenKeepsDataAndSchema) {
  auto path = (std::filesystem::temp_directory_path() /
               ("rampart-reopen-" + std::to_string(::getpid()) + ".db"))
                  .string();
  std::filesystem::remove(path);
  {
    auto db = std::move(SqliteStorage::open({path, "full", 1000})).value();
    ASSERT_TRUE(db->createAccount("h", "a", creds()).isOk());
    ASSERT_TRUE(db->push("h", "a", "<message/>").isOk());
  }
  {
    auto db = std::move(SqliteStorage::open({path, "full", 1000})).value();
    EXPECT_EQ(db->count("h", "a").value(), 1u);
  }
  for (const char* sfx : {"", "-wal", "-shm"}) {
    std::filesystem::remove(path + sfx);
  }
}

}  // namespace
}  // namespace rampart::storage::sqlite
