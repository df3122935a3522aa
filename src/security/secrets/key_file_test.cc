#include "security/secrets/key_file.h"

#include <gtest/gtest.h>

#include "core/temp_dir_for_tests.h"
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace rampart::security::secrets {
namespace {

using rampart::testing::TempDir;

TEST(KeyFile, CreatedOnceWithOwnerOnlyModeThenReadBack) {
  TempDir d;
  const std::string file = (d.path / "k.key").string();
  auto first = loadOrCreateKey(file, 32);
  ASSERT_TRUE(first.isOk()) << first.status().message();
  EXPECT_EQ(first.value().size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto again = loadOrCreateKey(file, 32);
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(again.value(), first.value());
  auto other = loadOrCreateKey((d.path / "other.key").string(), 32);
  ASSERT_TRUE(other.isOk());
  EXPECT_NE(other.value(), first.value());
}

TEST(KeyFile, AFileOfTheWrongSizeIsAnErrorNotReplaced) {
  TempDir d;
  const std::string file = (d.path / "short.key").string();
  std::ofstream(file) << "too short";
  auto key = loadOrCreateKey(file, 32);
  EXPECT_FALSE(key.isOk());
  std::ifstream in(file);
  std::string kept;
  std::getline(in, kept);
  EXPECT_EQ(kept, "too short");
}

}  // namespace
}  // namespace rampart::security::secrets
