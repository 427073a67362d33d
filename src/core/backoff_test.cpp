#include "core/backoff.h"

#include <gtest/gtest.h>

namespace kbr {
namespace {

TEST(BackoffTest, GrowsAndCapsWithJitterBounds) {
  Backoff b({.initial = Duration(100), .max = Duration(1000), .factor = 2.0, .jitter = 0.5}, 42);
  double expected = 100;
  for (int i = 0; i < 10; ++i) {
    Duration d = b.Next();
    double cap = std::min(expected, 1000.0);
    EXPECT_LE(d.count(), cap);
    EXPECT_GE(d.count(), cap * 0.5 - 1);
    expected *= 2;
  }
  EXPECT_EQ(b.attempts(), 10);
  b.Reset();
  EXPECT_LE(b.Next().count(), 100);
}

TEST(BackoffTest, JitterSpreadsDelays) {
  Backoff a({}, 1), c({}, 2);
  bool differ = false;
  for (int i = 0; i < 5; ++i) differ |= a.Next() != c.Next();
  EXPECT_TRUE(differ);
}

}  // namespace
}  // namespace kbr
