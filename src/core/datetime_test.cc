#include "rampart/core/datetime.h"

#include <gtest/gtest.h>

namespace rampart::core {
namespace {

TEST(DateTime, RoundTripsEveryFourDigitYear) {
  for (const char* s : {"2026-11-26T15:05:32Z", "0026-11-26T15:05:32Z", "0001-01-01T00:00:00Z",
                        "1999-12-31T23:59:59.250000Z"}) {
    auto t = parseDateTime(s);
    ASSERT_TRUE(t) << s;
    EXPECT_EQ(formatDateTime(*t), s);
  }
}

}  // namespace
}  // namespace rampart::core
