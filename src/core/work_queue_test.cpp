#include "core/work_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace kbr {
namespace {

TEST(WorkQueueTest, AKeyIsQueuedOnceAndHandedOutInOrder) {
  WorkQueue q;
  q.Add("a");
  q.Add("b");
  q.Add("a");
  EXPECT_EQ(q.Next(), "a");
  q.Add("a");  // taken, so it may be queued again
  EXPECT_EQ(q.Next(), "b");
  EXPECT_EQ(q.Next(), "a");
}

TEST(WorkQueueTest, ShutDownWakesAWaitingWorker) {
  WorkQueue q;
  std::optional<std::string> got = "unset";
  std::thread worker([&] { got = q.Next(); });
  q.ShutDown();
  worker.join();
  EXPECT_EQ(got, std::nullopt);
  q.Add("late");
  EXPECT_EQ(q.Next(), std::nullopt);
}

}  // namespace
}  // namespace kbr
