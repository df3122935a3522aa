#include <gtest/gtest.h>

#include "core/temp_dir_for_tests.h"

#include <openssl/hmac.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <fstream>

#include "rampart/core/search_terms.h"
#include "security/encryption/aead.h"
#include "security/encryption/key_file_provider.h"
#include "security/encryption/keyring.h"
#include "security/encryption/sealed_file.h"
#include "storage/sqlite/sqlite_key_store.h"

namespace rampart::security::encryption {
namespace {

using rampart::testing::TempDir;

std::shared_ptr<const SecureKey> key(char fill) { return SecureKey::make(std::string(32, fill)); }

TEST(Aead, SealOpensOnlyInItsOwnContext) {
  auto k = key('k');
  const std::string ctx = context({"t", "archive", "alice", "id1", "stanza"});
  auto sealed = seal(*k, {KeyScope::kAccount, 7}, ctx, "hello");
  ASSERT_TRUE(sealed.isOk());
  EXPECT_EQ(sealed.value().size(), 5 + kSealOverhead);
  EXPECT_EQ(sealed.value().find("hello"), std::string::npos);
  ASSERT_TRUE(sealInfo(sealed.value()));
  EXPECT_EQ(sealInfo(sealed.value())->version, 7u);
  EXPECT_EQ(sealInfo(sealed.value())->scope, KeyScope::kAccount);
  auto opened = open(*k, ctx, sealed.value());
  ASSERT_TRUE(opened.isOk());
  EXPECT_EQ(opened.value(), "hello");
  // Another row, column, tenant or key: refused.
  EXPECT_FALSE(open(*k, context({"t", "archive", "alice", "id2", "stanza"}), sealed.value()).isOk());
  EXPECT_FALSE(open(*k, context({"u", "archive", "alice", "id1", "stanza"}), sealed.value()).isOk());
  EXPECT_FALSE(open(*key('x'), ctx, sealed.value()).isOk());
  // Every single flipped bit anywhere: refused (the header's too).
  for (std::size_t i = 0; i < sealed.value().size(); ++i) {
    std::string bad = sealed.value();
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(open(*k, ctx, bad).isOk()) << i;
  }
  // The same plaintext twice gives different ciphertexts (random nonces).
  EXPECT_NE(seal(*k, {KeyScope::kAccount, 7}, ctx, "hello").value(), sealed.value());
}

TEST(Aead, NoncesDoNotRepeatAcrossRefillsOrInAForkedChild) {
  auto k = key('n');
  const std::string ctx = context({"t", "kv", "a", "k", "value"});
  auto nonceOf = [&] {
    auto sealed = seal(*k, {KeyScope::kTenant, 1}, ctx, "x");
    EXPECT_TRUE(sealed.isOk());
    return sealed.value().substr(9, 12);  // after magic, scope and version
  };
  std::set<std::string> seen;
  for (int i = 0; i < 3000; ++i) seen.insert(nonceOf());  // several refills of the buffer
  EXPECT_EQ(seen.size(), 3000u);
  // A forked child must not hand out what is left in its parent's buffer.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string n = nonceOf();
    (void)!::write(fds[1], n.data(), n.size());
    // The forked child's whole job is the one nonce above: it ends here, without running the
    // parent's remaining assertions or gtest's exit handlers (not a skip; the parent checks).
    ::_exit(0);
  }
  const std::string mine = nonceOf();
  std::string theirs(12, '\0');
  ASSERT_EQ(::read(fds[0], theirs.data(), theirs.size()), 12);
  ::waitpid(child, nullptr, 0);
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_NE(mine, theirs);
  EXPECT_FALSE(seen.contains(theirs));
}

TEST(Aead, ContextPartsAreUnambiguous) {
  EXPECT_NE(context({"ab", "c"}), context({"a", "bc"}));
}

TEST(SealedFile, RoundTripsAtChunkBoundariesAndRefusesDamage) {
  TempDir d;
  auto k = key('f');
  const std::string ctx = context({"t", "files", "a", "tok", "content"});
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, kFileChunk - 1, kFileChunk,
                           kFileChunk + 1, 3 * kFileChunk + 17}) {
    std::string plain(size, '\0');
    for (std::size_t i = 0; i < size; ++i) plain[i] = static_cast<char>('a' + i % 26);
    const auto from = (d.path / "in").string();
    const auto to = (d.path / "out").string();
    std::ofstream(from, std::ios::binary) << plain;
    ASSERT_TRUE(sealFile(*k, {KeyScope::kAccount, 1}, ctx, from, to).isOk());
    EXPECT_EQ(plaintextSize(std::filesystem::file_size(to)), size);
    auto src = openSealedFile(k, ctx, to);
    ASSERT_TRUE(src.isOk()) << size << " " << src.status().message();
    EXPECT_EQ(src.value()->size(), size);
    std::string back;
    char buf[5000];
    bool failed = false;
    for (std::size_t n; (n = src.value()->read(buf, sizeof buf, failed)) > 0;) back.append(buf, n);
    EXPECT_FALSE(failed);
    EXPECT_EQ(back, plain) << size;
    // Cut short by one chunk: refused when opened.
    if (size > kFileChunk) {
      std::filesystem::resize_file(to, std::filesystem::file_size(to) - kFileChunk - 16);
      EXPECT_FALSE(openSealedFile(k, ctx, to).isOk());
    }
  }
  // A flipped byte in a middle chunk: reading fails there.
  std::string plain(3 * kFileChunk, 'z');
  const auto from = (d.path / "in").string();
  const auto to = (d.path / "out").string();
  std::ofstream(from, std::ios::binary) << plain;
  ASSERT_TRUE(sealFile(*k, {KeyScope::kAccount, 1}, ctx, from, to).isOk());
  {
    std::fstream f(to, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(kFileHeaderSize + kFileChunk + 16 + 100));
    f.put('!');
  }
  auto src = openSealedFile(k, ctx, to);
  ASSERT_TRUE(src.isOk());
  char buf[8192];
  bool failed = false;
  std::size_t got = 0;
  for (std::size_t n; (n = src.value()->read(buf, sizeof buf, failed)) > 0;) got += n;
  EXPECT_TRUE(failed);
  EXPECT_EQ(got, kFileChunk);
}

TEST(SealedFile, SealsAgainInPlaceUnderANewKeyAndStopsOnADamagedSource) {
  TempDir d;
  auto oldKey = key('o');
  auto newKey = key('n');
  const std::string ctx = context({"t", "files", "a/alice", "tok", "content"});
  std::string plain(2 * kFileChunk + 5, '\0');
  for (std::size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<char>('A' + i % 23);
  const auto from = (d.path / "in").string();
  const auto path = (d.path / "kept").string();
  std::ofstream(from, std::ios::binary) << plain;
  ASSERT_TRUE(sealFile(*oldKey, {KeyScope::kAccount, 1}, ctx, from, path).isOk());
  // Read under the old key, written under the new one over the same path.
  {
    auto src = openSealedFile(oldKey, ctx, path);
    ASSERT_TRUE(src.isOk());
    ASSERT_TRUE(sealSource(*newKey, {KeyScope::kAccount, 2}, ctx, *src.value(), path).isOk());
  }
  EXPECT_EQ(sealedFileInfo(path)->version, 2u);
  EXPECT_FALSE(openSealedFile(oldKey, ctx, path).isOk());  // checked when opened
  auto src = openSealedFile(newKey, ctx, path);
  ASSERT_TRUE(src.isOk());
  std::string back;
  char buf[7000];
  bool failed = false;
  for (std::size_t n; (n = src.value()->read(buf, sizeof buf, failed)) > 0;) back.append(buf, n);
  EXPECT_FALSE(failed);
  EXPECT_EQ(back, plain);
  EXPECT_FALSE(std::filesystem::exists(path + ".sealing"));
  // A source that fails its integrity check part way: nothing replaces the kept file.
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(kFileHeaderSize + kFileChunk + 16 + 10));
    f.put('!');
  }
  const auto damaged = std::filesystem::file_size(path);
  auto bad = openSealedFile(newKey, ctx, path);
  ASSERT_TRUE(bad.isOk());
  EXPECT_FALSE(sealSource(*oldKey, {KeyScope::kAccount, 3}, ctx, *bad.value(), path).isOk());
  EXPECT_EQ(sealedFileInfo(path)->version, 2u);
  EXPECT_EQ(std::filesystem::file_size(path), damaged);
  EXPECT_FALSE(std::filesystem::exists(path + ".sealing"));
}

struct KeyringFixture : ::testing::Test {
  TempDir d;
  std::shared_ptr<KeyFileProvider> provider;
  std::unique_ptr<Keyring> ring;
  std::int64_t now = 1000;
  void SetUp() override {
    provider = KeyFileProvider::open((d.path / "master.key").string()).value();
    ring = std::make_unique<Keyring>(
        storage::sqlite::SqliteKeyStore::open((d.path / "keys.db").string()).value(), provider,
        [this] { return now; });
  }
};

TEST_F(KeyringFixture, AccountValuesSurviveRotationAndDieWithTheAccount) {
  const Place alice{"t.example", "alice", "offline", "t.example/alice", "", "stanza"};
  const Place room{"t.example", "", "archive", "conf/room", "id", "stanza"};
  auto a1 = ring->seal(alice, "for alice");
  auto r1 = ring->seal(room, "for the room");
  ASSERT_TRUE(a1.isOk() && r1.isOk());
  EXPECT_EQ(sealInfo(a1.value())->scope, KeyScope::kAccount);
  EXPECT_EQ(sealInfo(r1.value())->scope, KeyScope::kTenant);
  // A tenant-scoped value cannot be opened where an account's belongs, and the reverse.
  EXPECT_FALSE(ring->open(Place{"t.example", "alice", "archive", "conf/room", "id", "stanza"},
                          r1.value()).isOk());
  ASSERT_EQ(ring->rotate("t.example").value(), 2u);
  auto a2 = ring->seal(alice, "again");
  EXPECT_EQ(sealInfo(a2.value())->version, 2u);
  EXPECT_EQ(ring->open(alice, a1.value()).value(), "for alice");
  EXPECT_EQ(ring->open(alice, a2.value()).value(), "again");
  // Another process's keyring (the same files) reads them too.
  Keyring other(storage::sqlite::SqliteKeyStore::open((d.path / "keys.db").string()).value(),
                KeyFileProvider::open((d.path / "master.key").string()).value(),
                [this] { return now; });
  EXPECT_EQ(other.open(alice, a1.value()).value(), "for alice");
  // Crypto-shredding: every version of alice's keys is gone, the room's data stays.
  EXPECT_EQ(ring->destroy("t.example", "alice").value(), 2u);
  EXPECT_FALSE(ring->open(alice, a1.value()).isOk());
  EXPECT_FALSE(ring->open(alice, a2.value()).isOk());
  // The other process still holds alice's keys in its cache until it refreshes; what it
  // has not unwrapped yet is gone for it too.
  Keyring third(storage::sqlite::SqliteKeyStore::open((d.path / "keys.db").string()).value(),
                KeyFileProvider::open((d.path / "master.key").string()).value(),
                [this] { return now; });
  EXPECT_FALSE(third.open(alice, a2.value()).isOk());
  EXPECT_EQ(ring->open(room, r1.value()).value(), "for the room");
}

TEST_F(KeyringFixture, ADifferentMasterKeyOpensNothing) {
  const Place p{"t.example", "bob", "kv", "t.example/bob", "k", "value"};
  auto sealed = ring->seal(p, "secret");
  ASSERT_TRUE(sealed.isOk());
  std::filesystem::remove(d.path / "master.key");
  Keyring other(storage::sqlite::SqliteKeyStore::open((d.path / "keys.db").string()).value(),
                KeyFileProvider::open((d.path / "master.key").string()).value(),
                [this] { return now; });
  auto opened = other.open(p, sealed.value());
  EXPECT_FALSE(opened.isOk());
}

TEST_F(KeyringFixture, BlindTermsAreTruncatedHmacSha256UnderTheIndexKey) {
  ASSERT_TRUE(ring->rotate("t").isOk());
  const std::vector<std::string> terms{"hello", "上海", "", std::string(300, 'x')};
  auto blind = ring->blindTerms("t", "alice", terms);
  ASSERT_TRUE(blind.isOk()) << blind.status().message();
  ASSERT_EQ(blind.value().size(), terms.size() * core::kTermDigestBytes);
  auto k = ring->indexKey("t", "alice");
  ASSERT_TRUE(k.isOk());
  for (std::size_t i = 0; i < terms.size(); ++i) {
    unsigned char md[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), k.value()->data(), static_cast<int>(SecureKey::kSize),
         reinterpret_cast<const unsigned char*>(terms[i].data()), terms[i].size(), md, &len);
    EXPECT_EQ(blind.value().substr(i * core::kTermDigestBytes, core::kTermDigestBytes),
              std::string(reinterpret_cast<char*>(md), core::kTermDigestBytes))
        << i;
  }
  // Another account's index key gives other digests.
  EXPECT_NE(ring->blindTerms("t", "bob", terms).value(), blind.value());
}

}  // namespace
}  // namespace rampart::security::encryption
