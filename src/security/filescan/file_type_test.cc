#include "security/filescan/file_type.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace rampart::security::filescan {
namespace {

TEST(FileType, AnnouncedAgainstReal) {
  EXPECT_TRUE(typesAgree("image/png", "image/png"));
  EXPECT_TRUE(typesAgree("image/jpeg", "image/png"));
  EXPECT_TRUE(typesAgree("", "application/x-dosexec"));  // nothing announced: nothing to belie
  EXPECT_TRUE(typesAgree("application/json", "text/plain"));
  EXPECT_TRUE(typesAgree("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                         "application/zip"));
  EXPECT_TRUE(typesAgree("image/png", "application/octet-stream"));
  EXPECT_FALSE(typesAgree("image/png", "application/x-dosexec"));
  EXPECT_FALSE(typesAgree("text/plain", "application/x-executable"));
  EXPECT_FALSE(typesAgree("application/pdf", "text/html"));
}

TEST(FileType, RealTypeByContent) {
  const auto dir = std::filesystem::temp_directory_path() / "rampart-file-type-test";
  std::filesystem::create_directories(dir);
  const auto exe = (dir / "a.png").string();
  {
    // The start of a DOS/PE executable.
    std::ofstream f(exe, std::ios::binary);
    std::string mz(128, '\0');
    mz[0] = 'M';
    mz[1] = 'Z';
    f << mz;
  }
  EXPECT_EQ(realType(exe), "application/x-dosexec");
  const auto text = (dir / "b.bin").string();
  std::ofstream(text) << "just some words\n";
  EXPECT_EQ(realType(text), "text/plain");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rampart::security::filescan
