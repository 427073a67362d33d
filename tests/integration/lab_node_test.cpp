// The lab nodes (kubelet stand-ins) and the lab registry, against the real
// member apiservers: nodes are Ready, pods run as processes with reported
// status, `kubectl logs` goes through the apiserver to the node, the kubelet
// checkpoint API writes CRI-O-layout archives carrying the demo's in-memory
// state, and a checkpoint image pushed to the lab registry restores that
// state in a pod on the other member.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "core/base64.h"
#include "core/http.h"
#include "core/json.h"
#include "lab/node.h"
#include "lab/nodes.h"
#include "lab/registry.h"
#include "lab_env.h"
#include "registry/registry.h"

namespace kbr::testing {
namespace {

namespace bj = boost::json;
namespace res = kube::resources;
using std::chrono::seconds;

constexpr const char* kNs = "default";

bool WaitUntil(const std::function<bool()>& done, seconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return done();
}

int NodePort(const std::string& node) { return Lab().state.ports.at(node); }

std::unique_ptr<http::Client> Http() {
  auto c = http::NewCurlClient({.ca_file = Lab().layout.Pki("ca.crt")});
  EXPECT_TRUE(c.ok());
  return std::move(*c);
}

// The member's join ServiceAccount token (all rights on the member).
std::string MemberToken(const std::string& member) {
  auto secret = AdminClient(member)->Get(res::kSecrets, "karmada-cluster", "karmada-" + member);
  EXPECT_TRUE(secret.ok()) << secret.status().message();
  auto token = Base64Decode(json::GetString(*secret, "data.token"));
  return token.ok() ? *token : "";
}

bj::value PodObject(const std::string& name, const std::string& image,
                    const std::vector<std::string>& pull_secrets = {}) {
  bj::array secrets;
  for (const auto& s : pull_secrets) secrets.push_back(bj::object{{"name", s}});
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"labels", {{"app", "kbr-lab-node-test"}}}}},
          {"spec",
           {{"containers", bj::array{bj::object{{"name", "app"}, {"image", image}}}},
            {"imagePullSecrets", std::move(secrets)},
            {"terminationGracePeriodSeconds", 5}}}};
}

// Waits until the pod runs with every container ready; returns it.
std::optional<bj::value> WaitReady(kube::Client& c, const std::string& name, seconds timeout = seconds(60)) {
  std::optional<bj::value> pod;
  WaitUntil(
      [&] {
        auto p = c.Get(res::kPods, kNs, name);
        if (!p.ok()) return false;
        pod = *p;
        if (json::GetString(*p, "status.phase") != "Running") return false;
        const auto* cs = json::Find(*p, "status.containerStatuses");
        if (!cs || !cs->is_array() || cs->as_array().empty()) return false;
        for (const auto& s : cs->as_array()) {
          if (!json::GetBool(s, "ready")) return false;
        }
        return true;
      },
      timeout);
  return pod;
}

std::string DemoUrl(const bj::value& pod, const std::string& path) {
  const auto& annotations = pod.at("metadata").at("annotations").as_object();
  auto it = annotations.find(lab::kDemoPortAnnotation);
  std::string port = it == annotations.end() ? "0" : std::string(it->value().as_string());
  return "http://" + json::GetString(pod, "status.podIP") + ":" + port + path;
}

http::Response Call(const std::string& method, const std::string& url, const std::string& token = "",
                    const std::string& body = "") {
  http::Request req{.method = method, .url = url, .body = body};
  if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
  auto resp = Http()->Do(req);
  EXPECT_TRUE(resp.ok()) << url << ": " << resp.status().message();
  return resp.ok() ? *resp : http::Response{};
}

std::string CheckpointUrl(const std::string& node, const std::string& pod, const std::string& container) {
  return "https://127.0.0.1:" + std::to_string(NodePort(node)) + "/checkpoint/" + kNs + "/" + pod + "/" + container;
}

std::map<std::string, std::string> ReadTar(const std::string& path) {
  std::map<std::string, std::string> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  if (archive_read_open_filename(a, path.c_str(), 10240) == ARCHIVE_OK) {
    archive_entry* e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
      std::string data;
      char buf[8192];
      la_ssize_t n;
      while ((n = archive_read_data(a, buf, sizeof buf)) > 0) data.append(buf, n);
      out[archive_entry_pathname(e)] = data;
    }
  }
  archive_read_free(a);
  return out;
}

// A running demo pod on member1 whose counter was incremented `increments` times.
struct DemoPod {
  std::string name;
  bj::value pod;
};
std::optional<DemoPod> StartDemo(kube::Client& c, int increments) {
  std::string name = UniqueName("demo");
  auto created = c.Create(res::kPods, kNs, PodObject(name, "kbr/demo:latest"));
  EXPECT_TRUE(created.ok()) << created.status().message();
  auto pod = WaitReady(c, name);
  if (!pod || !json::Find(*pod, "metadata.annotations")) {
    ADD_FAILURE() << "demo pod " << name << " not ready: " << (pod ? json::Serialize(*pod) : "");
    return std::nullopt;
  }
  for (int i = 0; i < increments; ++i) EXPECT_EQ(Call("POST", DemoUrl(*pod, "/increment")).status, 200);
  return DemoPod{name, *pod};
}

TEST(LabNodeTest, NodesRegisterAndStayReady) {
  for (const auto& n : lab::LabNodes()) {
    auto c = AdminClient(n.cluster);
    auto node = c->Get(res::kNodes, "", n.name);
    ASSERT_TRUE(node.ok()) << node.status().message();
    EXPECT_EQ(json::GetString(*node, "status.nodeInfo.kubeletVersion"), lab::kLabKubeletVersion);
    EXPECT_EQ(json::GetInt(*node, "status.daemonEndpoints.kubeletEndpoint.Port"), NodePort(n.name));
    EXPECT_EQ(json::GetString(*node, "status.allocatable.pods"), "110");
    bool ready = false;
    for (const auto& cond : node->at("status").at("conditions").as_array()) {
      if (json::GetString(cond, "type") == "Ready") ready = json::GetString(cond, "status") == "True";
    }
    EXPECT_TRUE(ready) << json::Serialize(*node);
    auto lease = c->Get(res::kLeases, "kube-node-lease", n.name);
    ASSERT_TRUE(lease.ok()) << lease.status().message();
    EXPECT_EQ(json::GetString(*lease, "spec.holderIdentity"), n.name);
    EXPECT_EQ(Call("GET", "https://127.0.0.1:" + std::to_string(NodePort(n.name)) + "/healthz").status, 200);
  }
}

TEST(LabNodeTest, DeploymentOfNginxRunsWithReportedStatus) {
  std::string name = UniqueName("nginx");
  std::string out;
  ASSERT_EQ(RunCommand("kubectl --kubeconfig " + Lab().layout.Kubeconfig("member1") + " create deployment " + name +
                           " --image=nginx",
                       &out),
            0)
      << out;
  auto c = AdminClient("member1");
  std::optional<bj::value> pod;
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto list = c->List(res::kPods, kNs, {.label_selector = "app=" + name});
        if (!list.ok() || list->items.size() != 1) return false;
        pod = list->items[0];
        return json::GetString(*pod, "status.phase") == "Running" &&
               json::GetBool(pod->at("status").at("containerStatuses").as_array()[0], "ready");
      },
      seconds(60)))
      << (pod ? json::Serialize(*pod) : "no pod");
  if (pod) {
    EXPECT_EQ(json::GetString(*pod, "spec.nodeName"), "member1-node1");
    EXPECT_EQ(json::GetString(*pod, "status.podIP"), "127.0.0.1");
    const auto& cs = pod->at("status").at("containerStatuses").as_array()[0];
    EXPECT_FALSE(json::GetString(cs, "state.running.startedAt").empty());
    EXPECT_FALSE(json::GetString(cs, "imageID").empty());
  }
  EXPECT_TRUE(c->Delete(res::kDeployments, kNs, name).ok());
}

TEST(LabNodeTest, DemoPodKeepsStateInMemoryAndLogsThroughTheApiserver) {
  auto c = AdminClient("member1");
  auto demo = StartDemo(*c, 3);
  ASSERT_TRUE(demo);
  EXPECT_EQ(Call("PUT", DemoUrl(demo->pod, "/kv/color"), "", "blue").status, 200);
  auto state = json::Parse(Call("GET", DemoUrl(demo->pod, "/")).body);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(json::GetInt(*state, "counter"), 3);
  std::string out;
  EXPECT_EQ(RunCommand("kubectl --kubeconfig " + Lab().layout.Kubeconfig("member1") + " logs " + demo->name, &out), 0);
  EXPECT_NE(out.find("increment: counter=3"), std::string::npos) << out;
  auto tail = c->Logs(kNs, demo->name, {.tail_lines = 1});
  ASSERT_TRUE(tail.ok()) << tail.status().message();
  EXPECT_NE(tail->find("put: color"), std::string::npos) << *tail;
  EXPECT_TRUE(c->Delete(res::kPods, kNs, demo->name).ok());
}

TEST(LabNodeTest, CheckpointApiWritesCrioArchiveWithTheDemoState) {
  auto c = AdminClient("member1");
  auto demo = StartDemo(*c, 5);
  ASSERT_TRUE(demo);
  std::string url = CheckpointUrl("member1-node1", demo->name, "app");
  EXPECT_EQ(Call("POST", url).status, 401);
  EXPECT_EQ(Call("POST", url, "not-a-token").status, 401);
  std::string token = MemberToken("member1");
  EXPECT_EQ(Call("POST", CheckpointUrl("member1-node1", "no-such-pod", "app"), token).status, 404);
  EXPECT_EQ(Call("POST", CheckpointUrl("member1-node1", demo->name, "nope"), token).status, 404);

  auto resp = Call("POST", url + "?timeout=20", token);
  ASSERT_EQ(resp.status, 200) << resp.body;
  auto body = json::Parse(resp.body);
  ASSERT_TRUE(body.ok());
  std::string path(body->at("items").as_array()[0].as_string());
  EXPECT_NE(path.find("checkpoint-" + demo->name + "_default-app-"), std::string::npos) << path;
  auto entries = ReadTar(path);
  for (const char* e : {"config.dump", "spec.dump", "checkpoint/", "checkpoint/pages-1.img",
                        "checkpoint/inventory.img", "rootfs-diff.tar", "stats-dump", "dump.log"}) {
    EXPECT_TRUE(entries.count(e)) << e;
  }
  EXPECT_NE(entries["checkpoint/pages-1.img"].find("\"counter\":5"), std::string::npos)
      << entries["checkpoint/pages-1.img"];
  auto config = json::Parse(entries["config.dump"]);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(json::GetString(*config, "rootfsImageName"), "kbr/demo:latest");
  EXPECT_TRUE(c->Delete(res::kPods, kNs, demo->name).ok());
}

TEST(LabNodeTest, CheckpointNeedsTheNodesCheckpointPermission) {
  auto c = AdminClient("member1");
  std::string sa = UniqueName("nobody");
  ASSERT_TRUE(c->Create(res::kServiceAccounts, kNs, bj::value{{"metadata", {{"name", sa}}}}).ok());
  auto issued = c->Raw("POST", res::kServiceAccounts.ObjectPath(kNs, sa) + "/token",
                       R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{}})");
  ASSERT_TRUE(issued.ok());
  auto token = json::Parse(issued->body);
  ASSERT_TRUE(token.ok()) << issued->body;
  auto resp = Call("POST", CheckpointUrl("member1-node1", "any", "app"), json::GetString(*token, "status.token"));
  EXPECT_EQ(resp.status, 403) << resp.body;
  EXPECT_NE(resp.body.find("subresource=checkpoint"), std::string::npos) << resp.body;
  EXPECT_TRUE(c->Delete(res::kServiceAccounts, kNs, sa).ok());
}

TEST(LabNodeTest, RegistryNeedsTheHtpasswdCredentials) {
  auto info = lab::RegistryInfo(Lab().layout, Lab().state);
  ASSERT_TRUE(info.ok()) << info.status().message();
  auto password = lab::ReadRegistryPassword(Lab().layout);
  ASSERT_TRUE(password.ok());
  EXPECT_EQ(Call("GET", info->url + "/v2/").status, 401);
  http::Request req{.url = info->url + "/v2/"};
  req.headers.emplace_back("Authorization", "Basic " + Base64Encode(info->user + ":" + *password));
  auto ok = Http()->Do(req);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 200);
}

// Pushes the archive as a one-layer checkpoint image (plain tar layer, the
// CRI-O and containerd annotations); returns the image reference.
std::string PushCheckpointImage(const std::string& archive, const std::string& repo, const std::string& tag) {
  auto info = lab::RegistryInfo(Lab().layout, Lab().state);
  auto password = lab::ReadRegistryPassword(Lab().layout);
  auto reg = registry::NewRegistry(
      {.url = info->url, .credentials = {info->user, *password}, .tls = {.ca_file = info->ca_file}});
  EXPECT_TRUE(reg.ok());
  std::ifstream in(archive, std::ios::binary);
  std::string layer((std::istreambuf_iterator<char>(in)), {});
  registry::StringSource layer_src(layer);
  auto up = (*reg)->UploadBlob(repo, layer_src);
  EXPECT_TRUE(up.ok()) << up.status().message();
  bj::object config{{"architecture", "amd64"},
                    {"os", "linux"},
                    {"config", bj::object()},
                    {"rootfs", {{"type", "layers"}, {"diff_ids", bj::array{bj::value(up->digest)}}}}};
  std::string config_json = json::Serialize(config);
  registry::StringSource config_src(config_json);
  auto cfg = (*reg)->UploadBlob(repo, config_src);
  EXPECT_TRUE(cfg.ok()) << cfg.status().message();
  bj::object manifest{
      {"schemaVersion", 2},
      {"mediaType", registry::kOciManifest},
      {"config", {{"mediaType", registry::kOciConfig}, {"digest", cfg->digest}, {"size", cfg->size}}},
      {"layers", bj::array{bj::object{{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                                      {"digest", up->digest},
                                      {"size", up->size}}}},
      {"annotations",
       {{"io.kubernetes.cri-o.annotations.checkpoint.name", "app"},
        {"io.kubernetes.cri-o.annotations.checkpoint.rootfsImageName", "kbr/demo:latest"},
        {"org.criu.checkpoint.container.name", "app"},
        {"org.criu.checkpoint.rootfsImageName", "kbr/demo:latest"}}}};
  auto put = (*reg)->PutManifest(repo, tag, registry::kOciManifest, json::Serialize(manifest));
  EXPECT_TRUE(put.ok()) << put.status().message();
  return info->host + "/" + repo + ":" + tag;
}

TEST(LabNodeTest, CheckpointOnMember1RestoresOnMember2FromTheLabRegistry) {
  auto m1 = AdminClient("member1");
  auto m2 = AdminClient("member2");
  auto demo = StartDemo(*m1, 7);
  ASSERT_TRUE(demo);
  EXPECT_EQ(Call("PUT", DemoUrl(demo->pod, "/kv/owner"), "", "member1").status, 200);
  auto resp = Call("POST", CheckpointUrl("member1-node1", demo->name, "app"), MemberToken("member1"));
  ASSERT_EQ(resp.status, 200) << resp.body;
  std::string archive(json::Parse(resp.body)->at("items").as_array()[0].as_string());
  std::string image = PushCheckpointImage(archive, "kbr-lab-test/" + demo->name, "app-checkpoint");
  // Later increments on the source must not show up in the restored copy.
  EXPECT_EQ(Call("POST", DemoUrl(demo->pod, "/increment")).status, 200);

  // Without credentials the pull fails and the status says so.
  std::string denied = UniqueName("nopull");
  ASSERT_TRUE(m2->Create(res::kPods, kNs, PodObject(denied, image)).ok());
  std::string reason;
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto p = m2->Get(res::kPods, kNs, denied);
        const auto* cs = p.ok() ? json::Find(*p, "status.containerStatuses") : nullptr;
        if (!cs || !cs->is_array() || cs->as_array().empty()) return false;
        reason = json::GetString(cs->as_array()[0], "state.waiting.reason");
        return reason == "ErrImagePull" || reason == "ImagePullBackOff";
      },
      seconds(30)))
      << reason;

  auto info = lab::RegistryInfo(Lab().layout, Lab().state);
  auto password = lab::ReadRegistryPassword(Lab().layout);
  std::string secret_name = UniqueName("pull");
  bj::object auths{{info->host, {{"username", info->user}, {"password", *password}}}};
  std::string dockerconfig = json::Serialize(bj::object{{"auths", auths}});
  bj::value secret = {{"apiVersion", "v1"},
                      {"kind", "Secret"},
                      {"metadata", {{"name", secret_name}}},
                      {"type", "kubernetes.io/dockerconfigjson"},
                      {"data", {{".dockerconfigjson", Base64Encode(dockerconfig)}}}};
  ASSERT_TRUE(m2->Create(res::kSecrets, kNs, secret).ok());
  std::string restored = UniqueName("restored");
  ASSERT_TRUE(m2->Create(res::kPods, kNs, PodObject(restored, image, {secret_name})).ok());
  auto pod = WaitReady(*m2, restored);
  ASSERT_TRUE(pod && json::Find(*pod, "metadata.annotations")) << (pod ? json::Serialize(*pod) : "");
  EXPECT_EQ(json::GetString(*pod, "spec.nodeName"), "member2-node1");
  EXPECT_NE(json::GetString(pod->at("status").at("containerStatuses").as_array()[0], "imageID").find("@sha256:"),
            std::string::npos);
  auto state = json::Parse(Call("GET", DemoUrl(*pod, "/")).body);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(json::GetInt(*state, "counter"), 7) << json::Serialize(*state);
  EXPECT_EQ(json::GetString(*state, "kv.owner"), "member1");
  EXPECT_FALSE(json::GetString(*state, "restored_from").empty());
  // It is a live process again: its counter moves on from the restored value.
  EXPECT_EQ(json::Parse(Call("POST", DemoUrl(*pod, "/increment")).body)->at("counter").as_int64(), 8);

  for (const auto& [client, name] : {std::pair{m1.get(), demo->name}, {m2.get(), denied}, {m2.get(), restored}}) {
    EXPECT_TRUE(client->Delete(res::kPods, kNs, name).ok());
  }
  EXPECT_TRUE(m2->Delete(res::kSecrets, kNs, secret_name).ok());
}

}  // namespace
}  // namespace kbr::testing
