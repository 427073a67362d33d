// End to end in the lab: a registry and a backup created through the REST
// API, "run now" → the execution is propagated by Karmada to member1, the kbr
// agent on member1-node1 checkpoints the demo pod through the kubelet API,
// pushes the checkpoint image to the lab registry and records the result;
// the agent on member2-node1 pulls, verifies and hands over that checkpoint
// for a recovered pod there, which answers with the state the demo had at
// checkpoint time.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "api_env.h"
#include "backup/objects.h"
#include "core/json.h"
#include "lab/process.h"
#include "lab/registry.h"
#include "lab_env.h"

namespace kbr::testing {
namespace {

namespace bj = boost::json;
namespace res = kube::resources;
using std::chrono::seconds;

bool WaitUntil(const std::function<bool()>& probe, seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return probe();
}

bj::value DemoPod(const std::string& name, const std::string& image, bj::object labels = {}) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"labels", std::move(labels)}}},
          {"spec", {{"containers", {{{"name", "app"}, {"image", image}}}}}}};
}

// `kbr agent` on `node` of `cluster` (what the DaemonSet runs on a real node).
Result<int> StartAgent(const std::string& cluster, const std::string& node, const std::string& log_name) {
  lab::ProcessSpec agent{.name = "agent",
                         .binary = Lab().kbr_binary,
                         .args = {"agent", "--node", node, "--kubeconfig", Lab().layout.Kubeconfig(cluster),
                                  "--kubelet-ca", Lab().layout.Pki("ca.crt"), "--restore-dir",
                                  Lab().layout.Path("nodes/" + node + "/restore")},
                         .log_file = Lab().layout.Path("logs/e2e-agent-" + log_name + ".log")};
  return lab::StartDetached(agent);
}

// The demo's HTTP endpoint once the pod runs.
std::string WaitDemoUrl(kube::Client& c, const std::string& ns, const std::string& name) {
  std::string port;
  WaitUntil(
      [&] {
        auto p = c.Get(res::kPods, ns, name);
        if (!p.ok() || json::GetString(*p, "status.phase") != "Running") return false;
        if (const auto* a = json::Find(*p, "metadata.annotations"); a && a->is_object()) {
          auto it = a->as_object().find("lab.kbr.io/demo-port");
          if (it != a->as_object().end()) port = std::string(it->value().as_string());
        }
        return !port.empty();
      },
      seconds(60));
  return port.empty() ? "" : "http://127.0.0.1:" + port;
}

http::Response Http(const std::string& method, const std::string& url) {
  static auto client = http::NewCurlClient({});
  auto r = (*client)->Do({.method = method, .url = url});
  return r.ok() ? *r : http::Response{};
}

TEST(BackupE2ETest, CheckpointOnMember1RestoresStateOnMember2) {
  auto m1 = AdminClient("member1");
  auto m2 = AdminClient("member2");
  auto nodes = m1->List(res::kNodes, "");
  if (!nodes.ok() || nodes->items.empty()) GTEST_SKIP() << "the lab has no nodes";
  const std::string ns = "default";

  // The stateful workload: a demo process with state only in memory.
  std::string pod = UniqueName("demo");
  ASSERT_TRUE(m1->Create(res::kPods, ns, DemoPod(pod, "kbr/demo")).ok());
  std::string demo = WaitDemoUrl(*m1, ns, pod);
  ASSERT_FALSE(demo.empty()) << "demo pod did not start on member1";
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Http("POST", demo + "/increment").status, 200);

  // Registry and backup through the API.
  auto info = lab::RegistryInfo(Lab().layout, Lab().state);
  ASSERT_TRUE(info.ok()) << info.status().message();
  auto password = lab::ReadRegistryPassword(Lab().layout);
  ASSERT_TRUE(password.ok());
  std::ifstream ca_in(info->ca_file);
  std::string ca((std::istreambuf_iterator<char>(ca_in)), std::istreambuf_iterator<char>());
  bj::object reg_body{{"name", UniqueName("lab-registry")}, {"url", info->url},     {"username", info->user},
                      {"password", *password},             {"caBundle", ca}};
  auto reg = CallApi("POST", "/api/v1/backup/registry", bj::serialize(reg_body));
  ASSERT_EQ(reg.status, 201) << reg.raw;
  EXPECT_TRUE(json::GetBool(reg.data(), "status.authenticated")) << reg.raw;
  std::string registry_id = json::GetString(reg.data(), "id");

  bj::object backup_body{{"name", UniqueName("demo-backup")},
                         {"cluster", "member1"},
                         {"resourceType", "pod"},
                         {"resourceName", pod},
                         {"namespace", ns},
                         {"registryId", registry_id},
                         {"repository", "e2e/" + pod},
                         {"schedule", {{"type", "selection"}, {"value", "daily"}, {"enabled", false}}}};
  auto backup = CallApi("POST", "/api/v1/backup", bj::serialize(backup_body));
  ASSERT_EQ(backup.status, 201) << backup.raw;
  std::string backup_id = json::GetString(backup.data(), "id");

  auto agent_pid = StartAgent("member1", "member1-node1", pod);
  ASSERT_TRUE(agent_pid.ok()) << agent_pid.status().message();

  auto run = CallApi("POST", "/api/v1/backup/" + backup_id + "/execute");
  ASSERT_EQ(run.status, 202) << run.raw;
  std::string execution = json::GetString(run.data(), "executionId");

  // Propagated to member1 by Karmada, carried out by the agent there.
  bj::value done;
  bool completed = WaitUntil(
      [&] {
        auto e = m1->Get(backup::kCheckpointBackups, "karmada-system", execution);
        if (!e.ok()) return false;
        done = *e;
        std::string phase = json::GetString(*e, "status.phase");
        return phase == "Completed" || phase == "Failed";
      },
      seconds(90));
  (void)lab::Stop(*agent_pid, seconds(5));
  ASSERT_TRUE(completed) << "execution did not finish on member1: " << json::Serialize(done);
  ASSERT_EQ(json::GetString(done, "status.phase"), "Completed") << json::Serialize(done);
  const auto& containers = json::Find(done, "status.containers")->as_array();
  ASSERT_EQ(containers.size(), 1u);
  std::string image = json::GetString(containers[0], "image");
  EXPECT_EQ(json::GetString(containers[0], "node"), "member1-node1");
  EXPECT_GT(json::GetInt(containers[0], "bytes"), 0);
  EXPECT_EQ(json::GetString(containers[0], "digest").rfind("sha256:", 0), 0u);
  EXPECT_EQ(image.rfind(info->host + "/e2e/" + pod + ":", 0), 0u) << image;

  // The source moves on; the checkpoint must not.
  ASSERT_EQ(Http("POST", demo + "/increment").status, 200);

  // Recover on member2: the agent there pulls with the registry's
  // propagated credentials, verifies and hands the checkpoint to the node.
  auto restorer_pid = StartAgent("member2", "member2-node1", pod + "-restore");
  ASSERT_TRUE(restorer_pid.ok()) << restorer_pid.status().message();
  std::string restored = UniqueName("restored");
  ASSERT_TRUE(m2->Create(res::kPods, ns, DemoPod(restored, image, {{"kbr.io/restore-registry", registry_id}})).ok());
  std::string restored_url = WaitDemoUrl(*m2, ns, restored);
  auto restored_pod = m2->Get(res::kPods, ns, restored);
  (void)lab::Stop(*restorer_pid, seconds(5));
  ASSERT_FALSE(restored_url.empty()) << "restored pod did not start on member2: "
                                     << (restored_pod.ok() ? json::Serialize(*restored_pod) : "");
  const bj::value* record = json::Find(*restored_pod, "metadata.annotations")->as_object().if_contains("restore.kbr.io/app");
  ASSERT_TRUE(record && record->is_string()) << json::Serialize(*restored_pod);
  auto outcome = json::Parse(record->get_string());
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(json::GetString(*outcome, "phase"), "Restored") << record->get_string();
  EXPECT_EQ(json::GetString(*outcome, "digest"), json::GetString(containers[0], "digest")) << record->get_string();
  auto state = json::Parse(Http("GET", restored_url + "/").body);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(json::GetInt(*state, "counter"), 5) << json::Serialize(*state);

  (void)m1->Delete(res::kPods, ns, pod);
  (void)m2->Delete(res::kPods, ns, restored);
}

}  // namespace
}  // namespace kbr::testing
