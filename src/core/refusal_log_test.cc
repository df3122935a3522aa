#include "core/refusal_log.h"

#include <gtest/gtest.h>

namespace rampart::core {
namespace {

TEST(RefusalLog, CountsEveryRefusalAndLimitsLines) {
  Metrics m;
  RefusalLog log(m, 5);
  for (int i = 0; i < 50; ++i) {
    log.refuse("restricted-xml", "192.0.2.1", "\"doctype\"");
  }
  log.refuse("policy-violation", "192.0.2.2");
  EXPECT_EQ(m.counter("rampart_refusals_total", "reason=\"restricted-xml\"").load(), 50);
  EXPECT_EQ(m.counter("rampart_refusals_total", "reason=\"policy-violation\"").load(), 1);
  // Five lines in this second; the rest (and the last one, same second) only counted.
  EXPECT_EQ(log.suppressed(), 46u);
}

}  // namespace
}  // namespace rampart::core
