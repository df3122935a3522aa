#include "rampart/core/archive_query.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "storage/sqlite/sqlite_storage.h"

namespace rampart::core::archive {
namespace {

TEST(StanzaId, UniqueUrlSafeAndOrderedByTime) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = newStanzaId();
    EXPECT_EQ(id.size(), 21u);
    EXPECT_EQ(id.find_first_not_of(
                  "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"),
              std::string::npos)
        << id;
    EXPECT_TRUE(seen.insert(id).second) << "duplicate " << id;
  }
  std::string earlier = newStanzaId();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::string later = newStanzaId();
  EXPECT_LT(earlier.substr(0, 9), later.substr(0, 9));
  EXPECT_LT(earlier, later);
}

// A storage thread stand-in: records the scheduled commits and runs them on demand.
struct ManualSchedule {
  std::vector<std::pair<std::chrono::milliseconds, ArchiveWriter::Job>> jobs;
  ArchiveWriter::Schedule fn() {
    return [this](std::chrono::milliseconds d, ArchiveWriter::Job j) {
      jobs.emplace_back(d, std::move(j));
    };
  }
};

storage::ArchiveAppend item(const std::string& owner, int n) {
  storage::ArchiveAppend a;
  a.host = "example.org";
  a.owner = owner;
  a.item.id = newStanzaId();
  a.item.timestampUs = 1000 + n;
  a.item.withBare = "peer@example.org";
  a.item.stanza = "<message><body>" + std::to_string(n) + "</body></message>";
  return a;
}

std::size_t archived(storage::Storage& s, const std::string& owner) {
  storage::ArchiveQuery q;
  q.max = 5000;
  auto page = s.archive().query("example.org", owner, q);
  EXPECT_TRUE(page.isOk());
  return page.isOk() ? page.value().items.size() : 0;
}

class ArchiveWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = storage::sqlite::SqliteStorage::open({":memory:", "normal", 1000});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    db_ = std::move(r).value();
  }
  std::unique_ptr<storage::sqlite::SqliteStorage> db_;
};

TEST_F(ArchiveWriterTest, AppendsOfOneWindowGoInOneDelayedCommit) {
  ManualSchedule sched;
  auto w = std::make_shared<ArchiveWriter>(sched.fn());
  for (int i = 0; i < 3; ++i) {
    w->add(item("alice", i));
  }
  ASSERT_EQ(sched.jobs.size(), 1u);  // one commit for the three, after the window
  EXPECT_EQ(sched.jobs[0].first, ArchiveWriter::kWindow);
  EXPECT_EQ(archived(*db_, "alice"), 0u);  // nothing written before the commit runs
  sched.jobs[0].second(*db_);
  EXPECT_EQ(archived(*db_, "alice"), 3u);
  w->add(item("alice", 3));  // a new window starts
  ASSERT_EQ(sched.jobs.size(), 2u);
  sched.jobs[1].second(*db_);
  EXPECT_EQ(archived(*db_, "alice"), 4u);
}

TEST_F(ArchiveWriterTest, CommitWritesWhatIsPendingSoQueriesSeeIt) {
  ManualSchedule sched;
  auto w = std::make_shared<ArchiveWriter>(sched.fn());
  w->add(item("bob", 1));
  w->add(item("bob", 2));
  w->commit(*db_);  // what a query does before it reads
  EXPECT_EQ(archived(*db_, "bob"), 2u);
  sched.jobs[0].second(*db_);  // the window's commit finds nothing left and writes nothing
  EXPECT_EQ(archived(*db_, "bob"), 2u);
}

TEST_F(ArchiveWriterTest, AFullBatchIsCommittedWithoutWaiting) {
  ManualSchedule sched;
  auto w = std::make_shared<ArchiveWriter>(sched.fn());
  for (std::size_t i = 0; i < ArchiveWriter::kMaxBatch; ++i) {
    w->add(item("carol", static_cast<int>(i)));
  }
  ASSERT_EQ(sched.jobs.size(), 2u);
  EXPECT_EQ(sched.jobs[1].first, std::chrono::milliseconds(0));
  sched.jobs[1].second(*db_);
  EXPECT_EQ(archived(*db_, "carol"), ArchiveWriter::kMaxBatch);
}

TEST_F(ArchiveWriterTest, RosterOnlyItemsNeedTheContactInTheRoster) {
  ManualSchedule sched;
  auto w = std::make_shared<ArchiveWriter>(sched.fn());
  // peer@example.org is not dave's contact.
  w->add(item("dave", 1), ArchiveWriter::Keep::kIfInRoster);
  w->add(item("dave", 2));
  w->commit(*db_);
  EXPECT_EQ(archived(*db_, "dave"), 1u);
}

TEST_F(ArchiveWriterTest, AccountItemsNeedTheAccount) {
  ManualSchedule sched;
  auto w = std::make_shared<ArchiveWriter>(sched.fn());
  ASSERT_TRUE(db_->createAccount("example.org", "erin", {}).isOk());
  w->add(item("erin", 1), ArchiveWriter::Keep::kIfAccount);
  w->add(item("nobody", 2), ArchiveWriter::Keep::kIfAccount);
  w->add(item("nobody", 3));  // a room's archive needs no account
  w->commit(*db_);
  EXPECT_EQ(archived(*db_, "erin"), 1u);
  EXPECT_EQ(archived(*db_, "nobody"), 1u);
}

}  // namespace
}  // namespace rampart::core::archive
