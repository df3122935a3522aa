#include "rampart/core/archive_query.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

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

}  // namespace
}  // namespace rampart::core::archive
