#include "agent/execution_status.h"

#include <gtest/gtest.h>

#include "core/json.h"

namespace kbr::agent {
namespace {

namespace bj = boost::json;

const std::vector<ExpectedContainer> kTwo = {{"web-0", "app"}, {"web-1", "app"}};

TEST(ExecutionStatusTest, PhaseFollowsEveryContainer) {
  bj::value s = bj::object{};
  EXPECT_EQ(DerivePhase(s, kTwo), "Pending");
  s = MergeContainerResult(s, {.pod = "web-0", .container = "app", .phase = "Checkpointing"}, kTwo,
                           "2026-11-27T10:00:00Z");
  EXPECT_EQ(json::GetString(s, "phase"), "Checkpointing");
  EXPECT_EQ(json::GetString(s, "startedAt"), "2026-11-27T10:00:00Z");
  s = MergeContainerResult(s, {.pod = "web-0", .container = "app", .phase = "Pushing"}, kTwo, "2026-11-27T10:00:01Z");
  EXPECT_EQ(json::GetString(s, "phase"), "Pushing");
  s = MergeContainerResult(s, {.pod = "web-0", .container = "app", .phase = "Completed", .digest = "sha256:a", .bytes = 10},
                           kTwo, "2026-11-27T10:00:02Z");
  // One of two done: not Completed yet.
  EXPECT_EQ(json::GetString(s, "phase"), "Checkpointing");
  EXPECT_EQ(json::Find(s, "completedAt"), nullptr);
  s = MergeContainerResult(s, {.pod = "web-1", .container = "app", .phase = "Completed", .digest = "sha256:b", .bytes = 5},
                           kTwo, "2026-11-27T10:00:04Z");
  EXPECT_EQ(json::GetString(s, "phase"), "Completed");
  EXPECT_EQ(json::GetInt(s, "bytes"), 15);
  EXPECT_EQ(json::GetInt(s, "durationMs"), 4000);
  EXPECT_EQ(json::Find(s, "containers")->as_array().size(), 2u);  // merged, not appended
}

TEST(ExecutionStatusTest, AnyFailureFailsTheRunWithItsMessage) {
  bj::value s = MergeContainerResult(bj::object{}, {.pod = "web-0", .container = "app", .phase = "Completed"}, kTwo,
                                     "2026-11-27T10:00:00Z");
  s = MergeContainerResult(s, {.pod = "web-1", .container = "app", .phase = "Failed", .message = "401 from registry"},
                           kTwo, "2026-11-27T10:00:01Z");
  EXPECT_EQ(json::GetString(s, "phase"), "Failed");
  EXPECT_EQ(json::GetString(s, "message"), "web-1/app: 401 from registry");
  ContainerResult r;
  ASSERT_TRUE(FindContainerResult(s, "web-1", "app", &r));
  EXPECT_EQ(r.phase, "Failed");
}

TEST(ExecutionStatusTest, NoExpectedContainersIsFailed) { EXPECT_EQ(DerivePhase(bj::object{}, {}), "Failed"); }

}  // namespace
}  // namespace kbr::agent
