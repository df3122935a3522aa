// The encryption layer over SQLite: sign-in records keep the address, client, resource and place
// (coordinates included) sealed in the database and read back whole; after a rotation the
// re-encryption pass seals them under the new version, and a tenant marked as sealed only under
// an older generation of sealed columns is not treated as such.
#include "storage/encrypted/encrypted_storage.h"

#include <gtest/gtest.h>

#include "core/sasl/scram.h"
#include "core/temp_dir_for_tests.h"
#include "rampart/storage/personal_data.h"
#include "security/encryption/aead.h"
#include "security/encryption/key_file_provider.h"
#include "security/encryption/keyring.h"
#include "storage/encrypted/reencryption.h"
#include "storage/sqlite/sqlite_key_store.h"
#include "storage/sqlite/sqlite_storage.h"

namespace rampart::storage::encrypted {
namespace {

namespace enc = security::encryption;

class Encrypted : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = sqlite::SqliteStorage::open({(dir_.path / "r.db").string(), "normal", 1000});
    ASSERT_TRUE(db.isOk()) << db.status().message();
    db_ = std::move(db).value();
    auto provider = enc::KeyFileProvider::open((dir_.path / "master.key").string()).value();
    auto ks = sqlite::SqliteKeyStore::open((dir_.path / "keys.db").string());
    ASSERT_TRUE(ks.isOk());
    ring_ = std::make_unique<enc::Keyring>(std::move(ks).value(), provider, [] { return 1000; });
    store_ = std::make_unique<EncryptedStorage>(
        *db_, *ring_, [](std::string_view host) { return HostTenancy{std::string(host), true}; });
  }
  LoginRecord record() const {
    LoginRecord r;
    r.timeMs = 5000;
    r.host = "a.test";
    r.user = "alice";
    r.protocol = "web";
    r.source = "203.0.113.77";
    r.port = 443;
    r.client = "Mozilla/5.0 (MarkerBrowser)";
    r.resource = "laptop-marker";
    r.credential = "password";
    r.country = "CN";
    r.city = "上海 Shanghai";
    r.latitude = 31.2304;
    r.longitude = 121.4737;
    r.located = true;
    r.success = true;
    return r;
  }
  testing::TempDir dir_;
  std::unique_ptr<sqlite::SqliteStorage> db_;
  std::unique_ptr<enc::Keyring> ring_;
  std::unique_ptr<EncryptedStorage> store_;
};

TEST_F(Encrypted, SignInRecordsAreSealedAndReadBackWhole) {
  ASSERT_TRUE(store_->accountSecurity().appendLogin(record()).isOk());
  // In the database: none of the personal fields, and no coordinates.
  auto raw = db_->accountSecurity().logins("a.test", "alice", 0, 10);
  ASSERT_TRUE(raw.isOk());
  ASSERT_EQ(raw.value().size(), 1u);
  const LoginRecord& stored = raw.value()[0];
  for (const std::string& f : {stored.source, stored.client, stored.resource, stored.country,
                               stored.city}) {
    EXPECT_EQ(f.rfind("rpe1:", 0), 0u) << f;
    // (Long enough not to turn up in base64 by chance.)
    for (const char* clear : {"203.0.113", "Marker", "laptop", "Shanghai"}) {
      EXPECT_EQ(f.find(clear), std::string::npos) << f;
    }
  }
  EXPECT_EQ(stored.latitude, 0);
  EXPECT_EQ(stored.longitude, 0);
  EXPECT_EQ(stored.protocol, "web");
  // Read through the layer: everything as it was, through every read.
  auto check = [&](const LoginRecord& r) {
    const LoginRecord want = record();
    EXPECT_EQ(r.source, want.source);
    EXPECT_EQ(r.client, want.client);
    EXPECT_EQ(r.resource, want.resource);
    EXPECT_EQ(r.country, want.country);
    EXPECT_EQ(r.city, want.city);
    EXPECT_DOUBLE_EQ(r.latitude, want.latitude);
    EXPECT_DOUBLE_EQ(r.longitude, want.longitude);
  };
  check(store_->accountSecurity().logins("a.test", "alice", 0, 10).value().at(0));
  check(*store_->accountSecurity().lastSuccess("a.test", "alice").value());
  check(store_->accountSecurity().recentSuccesses(0, 10).value().at(0));
  // A sealed field moved to another record does not open.
  ASSERT_TRUE(db_->accountSecurity().appendLogin(
                     [&] {
                       LoginRecord moved = stored;
                       moved.user = "bob";
                       return moved;
                     }())
                  .isOk());
  EXPECT_FALSE(store_->accountSecurity().logins("a.test", "bob", 0, 10).isOk());
}

TEST_F(Encrypted, RotationSealsSignInRecordsAgainAndOldMarksDoNotCount) {
  ASSERT_TRUE(store_->accountSecurity().appendLogin(record()).isOk());
  // A record written before encryption: in clear, with its coordinates in their columns.
  LoginRecord clear = record();
  clear.source = "198.51.100.9";
  ASSERT_TRUE(db_->accountSecurity().appendLogin(clear).isOk());
  // A mark from an older generation of sealed columns is not "sealed only".
  ASSERT_TRUE(ring_->store().putMeta("sealed-only:a.test", "1").isOk());
  ring_->refresh();
  EXPECT_FALSE(ring_->sealedOnly("a.test"));
  auto both = store_->accountSecurity().logins("a.test", "alice", 0, 10);
  ASSERT_TRUE(both.isOk()) << both.status().message();
  EXPECT_EQ(both.value().at(0).source, "198.51.100.9");
  EXPECT_DOUBLE_EQ(both.value().at(0).latitude, 31.2304);

  ASSERT_TRUE(ring_->rotate("a.test").isOk());
  Reencryption pass(*store_, *ring_, [] { return 2000; });
  pass.check();
  ASSERT_TRUE(pass.running());
  while (pass.step(3)) {
  }
  EXPECT_TRUE(ring_->sealedOnly("a.test"));
  auto raw = db_->accountSecurity().logins("a.test", "alice", 0, 10).value();
  ASSERT_EQ(raw.size(), 2u);
  for (const auto& r : raw) {
    for (const std::string& f : {r.source, r.client, r.resource, r.country, r.city}) {
      ASSERT_EQ(f.rfind("rpe1:", 0), 0u) << f;
      auto bytes = core::sasl::base64Decode(f.substr(5));
      ASSERT_TRUE(bytes);
      auto info = enc::sealInfo(*bytes);
      ASSERT_TRUE(info);
      EXPECT_EQ(info->version, 2u);
    }
  }
  auto back = store_->accountSecurity().logins("a.test", "alice", 0, 10).value();
  EXPECT_EQ(back.at(0).source, "198.51.100.9");
  EXPECT_EQ(back.at(1).source, "203.0.113.77");
  EXPECT_EQ(back.at(1).city, "上海 Shanghai");
  // The clear record's coordinates were in their columns: they stay readable there.
  EXPECT_DOUBLE_EQ(back.at(0).latitude, 31.2304);
}

TEST_F(Encrypted, TheSecondFactorsSecretIsSealedUnderTheAccountsKey) {
  ASSERT_TRUE(store_->accounts()
                  .createAccount("a.test", "alice",
                                 {Credential{"SCRAM-SHA-256", "salt", 4096, std::string(32, 'k'),
                                             std::string(32, 's')}})
                  .isOk());
  AdminSecurity sec;
  sec.totpSecret = "TOTPSECRET-0123456789";
  sec.totpEnrolled = true;
  ASSERT_TRUE(store_->admin().putAdminSecurity("a.test", "alice", sec).isOk());
  auto raw = db_->admin().adminSecurity("a.test", "alice");
  ASSERT_TRUE(raw.isOk() && raw.value());
  EXPECT_EQ(raw.value()->totpSecret.find("TOTPSECRET"), std::string::npos);
  auto info = enc::sealInfo(raw.value()->totpSecret);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->scope, enc::KeyScope::kAccount);
  auto back = store_->admin().adminSecurity("a.test", "alice");
  ASSERT_TRUE(back.isOk() && back.value());
  EXPECT_EQ(back.value()->totpSecret, "TOTPSECRET-0123456789");
  EXPECT_TRUE(back.value()->totpEnrolled);
  // The re-encryption pass knows the column.
  auto cells = db_->sealedCells().cells("admin_security", "totp_secret", "", 10);
  ASSERT_TRUE(cells.isOk());
  ASSERT_EQ(cells.value().cells.size(), 1u);
  auto resealed = store_->reseal(cells.value().cells[0]);
  ASSERT_TRUE(resealed.isOk()) << resealed.status().message();
  EXPECT_FALSE(resealed.value());  // already under the current key
}

}  // namespace
}  // namespace rampart::storage::encrypted
