#include "lab/node_status.h"

#include <gtest/gtest.h>

#include "core/json.h"

namespace kbr::lab {
namespace {

namespace bj = boost::json;

TimePoint At(int seconds) { return TimePoint{} + std::chrono::seconds(1800000000 + seconds); }

bj::value Pod(const std::string& restart_policy = "Always") {
  return {{"metadata", {{"name", "web"}, {"namespace", "default"}, {"uid", "u1"}}},
          {"spec", {{"restartPolicy", restart_policy}, {"containers", bj::array{bj::object{{"name", "c"}}}}}},
          {"status", {{"phase", "Pending"}, {"qosClass", "BestEffort"}}}};
}

ContainerState Running(bool ready) {
  ContainerState s;
  s.id = "abc";
  s.spec.image_id = "kbr-lab://nginx";
  s.running = true;
  s.ready = ready;
  s.started_at = At(0);
  return s;
}

const bj::value* Cond(const bj::value& status, const std::string& type) {
  for (const auto& c : status.at("conditions").as_array()) {
    if (json::GetString(c, "type") == type) return &c;
  }
  return nullptr;
}

TEST(PodStatusTest, RunningReadyContainer) {
  auto st = BuildPodStatus(Pod(), {{"c", "nginx", Running(true), std::nullopt}}, At(5));
  EXPECT_EQ(json::GetString(st, "phase"), "Running");
  EXPECT_EQ(json::GetString(st, "qosClass"), "BestEffort");  // kept
  EXPECT_EQ(json::GetString(st, "podIP"), "127.0.0.1");
  EXPECT_EQ(json::GetString(*Cond(st, "Ready"), "status"), "True");
  const auto& cs = st.at("containerStatuses").as_array()[0];
  EXPECT_TRUE(cs.at("ready").as_bool());
  EXPECT_EQ(json::GetString(cs, "state.running.startedAt"), FormatRfc3339(At(0)));
  EXPECT_EQ(json::GetString(cs, "containerID"), "kbr-lab://abc");
  EXPECT_EQ(json::GetString(cs, "imageID"), "kbr-lab://nginx");
}

TEST(PodStatusTest, TransitionTimeKeptWhileConditionHolds) {
  bj::value pod = Pod();
  auto first = BuildPodStatus(pod, {{"c", "nginx", Running(true), std::nullopt}}, At(5));
  pod.as_object()["status"] = first;
  auto again = BuildPodStatus(pod, {{"c", "nginx", Running(true), std::nullopt}}, At(60));
  EXPECT_EQ(first, again);  // nothing changed: no write needed
  auto unready = BuildPodStatus(pod, {{"c", "nginx", Running(false), std::nullopt}}, At(70));
  EXPECT_EQ(json::GetString(*Cond(unready, "Ready"), "lastTransitionTime"), FormatRfc3339(At(70)));
  EXPECT_EQ(json::GetString(*Cond(unready, "Ready"), "reason"), "ContainersNotReady");
  EXPECT_EQ(json::GetString(*Cond(unready, "PodScheduled"), "lastTransitionTime"), FormatRfc3339(At(5)));
}

TEST(PodStatusTest, PendingWhileWaiting) {
  auto st = BuildPodStatus(Pod(), {{"c", "x", std::nullopt, Waiting{"ErrImagePull", "no such image"}}}, At(1));
  EXPECT_EQ(json::GetString(st, "phase"), "Pending");
  const auto& cs = st.at("containerStatuses").as_array()[0];
  EXPECT_EQ(json::GetString(cs, "state.waiting.reason"), "ErrImagePull");
  EXPECT_EQ(json::GetString(cs, "state.waiting.message"), "no such image");
}

TEST(PodStatusTest, CrashLoopKeepsRunningPhaseAndReportsExitCode) {
  ContainerState s = Running(false);
  s.running = false;
  s.restart_count = 2;
  s.terminated = Termination{3, "Error", At(0), At(1)};
  auto st = BuildPodStatus(Pod(), {{"c", "kbr/kbr", s, Waiting{"CrashLoopBackOff", "back-off 40s"}}}, At(2));
  EXPECT_EQ(json::GetString(st, "phase"), "Running");
  const auto& cs = st.at("containerStatuses").as_array()[0];
  EXPECT_EQ(json::GetString(cs, "state.waiting.reason"), "CrashLoopBackOff");
  EXPECT_EQ(json::GetInt(cs, "lastState.terminated.exitCode"), 3);
  EXPECT_EQ(json::GetInt(cs, "restartCount"), 2);
  EXPECT_FALSE(cs.at("ready").as_bool());
}

TEST(PodStatusTest, TerminalPhasesFollowRestartPolicy) {
  ContainerState s = Running(false);
  s.running = false;
  s.terminated = Termination{1, "Error", At(0), At(1)};
  EXPECT_EQ(json::GetString(BuildPodStatus(Pod("Never"), {{"c", "i", s, std::nullopt}}, At(2)), "phase"), "Failed");
  s.terminated->exit_code = 0;
  EXPECT_EQ(json::GetString(BuildPodStatus(Pod("OnFailure"), {{"c", "i", s, std::nullopt}}, At(2)), "phase"),
            "Succeeded");
  auto terminated = BuildPodStatus(Pod("Never"), {{"c", "i", s, std::nullopt}}, At(2));
  EXPECT_EQ(json::GetInt(terminated.at("containerStatuses").as_array()[0], "state.terminated.exitCode"), 0);
  EXPECT_TRUE(ShouldRestart(Pod("Always"), *s.terminated));
  EXPECT_FALSE(ShouldRestart(Pod("OnFailure"), *s.terminated));
}

TEST(PodStatusTest, RestartBackoffDoublesUpToFiveMinutes) {
  EXPECT_EQ(RestartBackoff(0).count(), 10);
  EXPECT_EQ(RestartBackoff(1).count(), 20);
  EXPECT_EQ(RestartBackoff(4).count(), 160);
  EXPECT_EQ(RestartBackoff(5).count(), 300);
  EXPECT_EQ(RestartBackoff(50).count(), 300);
}

TEST(NodeObjectTest, StatusCarriesEndpointCapacityAndReady) {
  NodeIdentity id{"member1-node1", 10250};
  bj::value node = NewNodeObject(id);
  EXPECT_EQ(node.at("metadata").at("labels").at("kubernetes.io/hostname").as_string(), "member1-node1");
  SetNodeStatus(node, id, At(0));
  EXPECT_EQ(json::GetInt(node, "status.daemonEndpoints.kubeletEndpoint.Port"), 10250);
  EXPECT_EQ(json::GetString(node, "status.capacity.memory"), "8Gi");
  EXPECT_EQ(json::GetString(node, "status.allocatable.pods"), "110");
  EXPECT_EQ(json::GetString(node, "status.nodeInfo.kubeletVersion"), kLabKubeletVersion);
  const auto& addrs = node.at("status").at("addresses").as_array();
  EXPECT_EQ(json::GetString(addrs[0], "type"), "InternalIP");
  EXPECT_EQ(json::GetString(addrs[0], "address"), "127.0.0.1");
  const bj::value* ready = nullptr;
  for (const auto& c : node.at("status").at("conditions").as_array()) {
    if (json::GetString(c, "type") == "Ready") ready = &c;
  }
  ASSERT_TRUE(ready);
  EXPECT_EQ(json::GetString(*ready, "status"), "True");
  SetNodeStatus(node, id, At(10));  // heartbeat moves, transition stays
  for (const auto& c : node.at("status").at("conditions").as_array()) {
    EXPECT_EQ(json::GetString(c, "lastHeartbeatTime"), FormatRfc3339(At(10)));
    EXPECT_EQ(json::GetString(c, "lastTransitionTime"), FormatRfc3339(At(0)));
  }
}

TEST(NodeLeaseTest, RenewsWithMicroTimeAndOwner) {
  auto lease = RenewLease(std::nullopt, {"n1", 1}, "uid-1", At(0) + std::chrono::microseconds(1234));
  EXPECT_EQ(json::GetString(lease, "metadata.namespace"), "kube-node-lease");
  EXPECT_EQ(json::GetString(lease, "spec.holderIdentity"), "n1");
  EXPECT_EQ(json::GetInt(lease, "spec.leaseDurationSeconds"), 40);
  EXPECT_EQ(json::GetString(lease, "spec.renewTime"), "2027-01-15T08:00:00.001234Z");
  EXPECT_EQ(json::GetString(lease.at("metadata").at("ownerReferences").as_array()[0], "uid"), "uid-1");
}

}  // namespace
}  // namespace kbr::lab
