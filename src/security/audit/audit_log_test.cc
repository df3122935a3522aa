#include "security/audit/audit_log.h"

#include <gtest/gtest.h>

#include "core/temp_dir_for_tests.h"
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace rampart::security::audit {
namespace {

using rampart::testing::TempDir;

AuditLogOptions options(const TempDir& d, std::int64_t* clock) {
  AuditLogOptions o;
  o.dbPath = (d.path / "audit.db").string();
  o.keyFile = (d.path / "audit-signing.key").string();
  o.checkpointFile = (d.path / "audit.checkpoint").string();
  o.origin = "example.com/audit";
  o.nowMs = [clock] { return *clock; };
  return o;
}

AuditEvent event(int i) {
  AuditEvent e;
  e.action = audit_action::kUserCreate;
  e.actor = "sysadmin@example.com";
  e.role = "sysadmin";
  e.source = "127.0.0.1";
  e.tenant = "example.com";
  e.object = "user" + std::to_string(i) + "@example.com";
  e.details = {{"n", std::to_string(i)}};
  return e;
}

TEST(AuditLog, RecordsVerifyAndProveInclusionAndConsistency) {
  TempDir d;
  std::int64_t now = 1764600000000;
  auto log = AuditLog::open(options(d, &now));
  ASSERT_TRUE(log.isOk()) << log.status().message();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(log.value()->record(event(i)).isOk());
    now += 10;
  }
  auto v = log.value()->verify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 20u);
  // The key file is private to the server's user.
  struct stat st{};
  ASSERT_EQ(stat((d.path / "audit-signing.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  // The latest checkpoint verifies with the public key and names the current tree.
  auto head = log.value()->head();
  ASSERT_TRUE(head.isOk());
  auto cp = verifyCheckpoint(head.value().checkpoint, "example.com/audit",
                             log.value()->signer().publicKey());
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->size, 20u);
  EXPECT_EQ(cp->root, v.root);
  // Inclusion of record 5 (index 4) in the tree of 20, from the stored body alone.
  auto rows = log.value()->query({.actor = "", .tenant = "", .action = "", .result = "",
                                  .beforeSeq = 6, .limit = 1});
  ASSERT_TRUE(rows.isOk());
  ASSERT_EQ(rows.value().size(), 1u);
  EXPECT_EQ(rows.value()[0].seq, 5u);
  auto proof = log.value()->inclusion(4, 20);
  ASSERT_TRUE(proof.isOk());
  EXPECT_TRUE(verifyInclusion(leafHash(rows.value()[0].body), 4, 20, proof.value(), cp->root));
  // Consistency of the tree at 7 records with the tree at 20.
  auto old = log.value()->checkpointAt(7);
  ASSERT_TRUE(old.isOk());
  auto oldCp = verifyCheckpoint(old.value(), "example.com/audit", log.value()->signer().publicKey());
  ASSERT_TRUE(oldCp);
  auto c = log.value()->consistency(7, 20);
  ASSERT_TRUE(c.isOk());
  EXPECT_TRUE(verifyConsistency(7, 20, oldCp->root, cp->root, c.value()));
}

TEST(AuditLog, ReopenedLogContinuesTheSameTreeWithTheSameKey) {
  TempDir d;
  std::int64_t now = 1764600000000;
  std::string key;
  {
    auto log = AuditLog::open(options(d, &now));
    ASSERT_TRUE(log.isOk());
    ASSERT_TRUE(log.value()->record(event(1)).isOk());
    key = log.value()->signer().publicKey();
  }
  auto o = options(d, &now);
  o.origin = "other-name";  // an existing log keeps its own name
  auto log = AuditLog::open(o);
  ASSERT_TRUE(log.isOk());
  EXPECT_EQ(log.value()->signer().publicKey(), key);
  EXPECT_EQ(log.value()->signer().origin(), "example.com/audit");
  ASSERT_TRUE(log.value()->record(event(2)).isOk());
  auto v = log.value()->verify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.size, 2u);
}

TEST(AuditLog, AKeptCheckpointOfALongerLogRevealsTruncation) {
  TempDir d;
  std::int64_t now = 1764600000000;
  auto log = AuditLog::open(options(d, &now));
  ASSERT_TRUE(log.isOk());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(log.value()->record(event(i)).isOk());
  }
  // A checkpoint signed by the same key for a tree the log does not contain.
  const std::string forged = log.value()->signer().sign(9, leafHash("x"));
  auto v = log.value()->verify({forged});
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("truncated"), std::string::npos) << v.problem;
  // A checkpoint of the right size but another root: the records do not match it.
  const std::string other = log.value()->signer().sign(2, leafHash("y"));
  v = log.value()->verify({other});
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.badSeq, 2u) << v.problem;
  // A note signed by another key is refused outright.
  TempDir d2;
  auto stranger = CheckpointSigner::loadOrCreate((d2.path / "k").string(), "example.com/audit");
  ASSERT_TRUE(stranger.isOk());
  v = log.value()->verify({stranger.value().sign(3, v.root)});
  EXPECT_FALSE(v.ok);
}

TEST(AuditLog, RetentionPrunesOldRecordsAndTheRestStillVerifies) {
  TempDir d;
  std::int64_t now = 1764600000000;
  auto log = AuditLog::open(options(d, &now));
  ASSERT_TRUE(log.isOk());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(log.value()->record(event(i)).isOk());
    now += 1000;
  }
  auto dropped = log.value()->pruneBefore(1764600000000 + 6500);
  ASSERT_TRUE(dropped.isOk()) << dropped.status().message();
  EXPECT_EQ(dropped.value(), 7u);
  auto v = log.value()->verify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 3u);
  EXPECT_EQ(v.size, 10u);
  ASSERT_TRUE(log.value()->record(event(11)).isOk());
  auto proof = log.value()->inclusion(9, 11);
  EXPECT_TRUE(proof.isOk());
  EXPECT_FALSE(log.value()->inclusion(2, 11).isOk()) << "a pruned record has no proof";
  v = log.value()->verify();
  EXPECT_TRUE(v.ok) << v.problem;
}

TEST(Checkpoint, ParsesOnlyWellFormedNotes) {
  TempDir d;
  auto s = CheckpointSigner::loadOrCreate((d.path / "k").string(), "example.com/audit");
  ASSERT_TRUE(s.isOk());
  const std::string note = s.value().sign(5, leafHash("a"));
  auto c = verifyCheckpoint(note, "example.com/audit", s.value().publicKey());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->size, 5u);
  EXPECT_EQ(s.value().verifierKey().rfind("example.com/audit+", 0), 0u);
  EXPECT_FALSE(verifyCheckpoint(note, "other/audit", s.value().publicKey()));
  std::string changed = note;
  changed[note.find('\n') + 1] = '6';  // the size
  EXPECT_FALSE(verifyCheckpoint(changed, "example.com/audit", s.value().publicKey()));
  for (const char* bad : {"", "a\n1\n", "a\n01\nAAAA\n\n", "x\n5\nnot base64\n\n— x AAAA\n",
                          "a b\n1\nAAAA\n\n"}) {
    EXPECT_FALSE(parseCheckpoint(bad)) << bad;
  }
  EXPECT_FALSE(CheckpointSigner::loadOrCreate((d.path / "k2").string(), "has+plus").isOk());
}

}  // namespace
}  // namespace rampart::security::audit
