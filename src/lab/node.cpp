// RunNode: wires the lab node's parts together (see node.h).
#include "lab/node.h"

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/http_server.h"
#include "core/log.h"
#include "lab/component.h"
#include "lab/node_api.h"
#include "lab/node_certs.h"
#include "lab/node_pods.h"
#include "lab/node_registration.h"
#include "lab/node_runtime.h"
#include "lab/process.h"

namespace kbr::lab {
namespace fs = std::filesystem;

namespace {

constexpr auto kHeartbeatInterval = std::chrono::seconds(10);

// Sleeps up to `d`, in small steps, unless stop is set. Returns !stop.
bool SleepUnlessStopped(const std::atomic<bool>& stop, std::chrono::milliseconds d) {
  auto end = std::chrono::steady_clock::now() + d;
  while (!stop && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return !stop;
}

}  // namespace

Status RunNode(const NodeOptions& o, const std::atomic<bool>& stop) {
  if (o.lab_dir.empty() || o.node_name.empty() || o.cluster.empty() || o.port <= 0 || o.port > 65535) {
    return Status::InvalidArgument("lab node: --dir, --node, --cluster and --port (1-65535) are required");
  }
  std::error_code ec;
  NodeLayout layout{LabLayout{fs::absolute(o.lab_dir, ec).lexically_normal().string()}, o.node_name};
  const LabLayout& lab = layout.lab;
  if (!fs::exists(lab.Kubeconfig(o.cluster))) {
    return Status::FailedPrecondition("no kubeconfig for cluster '" + o.cluster + "' in " + lab.dir +
                                      " (run: kbr lab up)");
  }
  std::string kbr = o.kbr_binary.empty() ? fs::read_symlink("/proc/self/exe", ec).string() : o.kbr_binary;
  RETURN_IF_ERROR(EnsureNodeCertificate(lab, o.node_name));
  for (const auto& d : {layout.CheckpointDir(), layout.ContainerDir()}) fs::create_directories(d, ec);
  ASSIGN_OR_RETURN(auto client, AdminClient(lab, o.cluster));

  Runtime runtime(layout, kbr);
  runtime.Recover();
  NodeIdentity id{o.node_name, o.port};
  std::string node_uid;
  Status registered = WaitFor(
      [&]() -> Result<bool> {
        ASSIGN_OR_RETURN(node_uid, RegisterNode(*client, id));
        return true;
      },
      std::chrono::seconds(60), std::chrono::seconds(1), "node " + o.node_name + " to register");
  RETURN_IF_ERROR(registered);
  (void)Heartbeat(*client, id, node_uid);
  spdlog::info("node {} registered with {} (kubelet API on 127.0.0.1:{})", o.node_name, o.cluster, o.port);

  PodController pods(*client, runtime,
                     {.node_name = o.node_name,
                      .kubeconfig = lab.Kubeconfig(o.cluster),
                      .ca_file = lab.Pki("ca.crt"),
                      .layout = layout});
  auto auth = NewApiserverAuth(*client, o.node_name);
  KubeletApiDeps deps{.node_name = o.node_name,
                      .layout = layout,
                      .auth = auth.get(),
                      .runtime = &runtime,
                      .get_pod = [&pods](const std::string& ns, const std::string& n) { return pods.GetPod(ns, n); },
                      .list_pods = [&pods] { return pods.ListPods(); },
                      .stopping = &stop};
  ASSIGN_OR_RETURN(auto server, http::Server::Start({.address = "127.0.0.1",
                                                     .port = o.port,
                                                     .cert_file = layout.CertFile(),
                                                     .key_file = layout.KeyFile(),
                                                     .client_ca_file = lab.Pki("ca.crt")},
                                                    NewKubeletHandler(deps)));
  RETURN_IF_ERROR(pods.Start());
  spdlog::info("node {} running", o.node_name);

  while (SleepUnlessStopped(stop, kHeartbeatInterval)) {
    Status s = Heartbeat(*client, id, node_uid);
    if (!s.ok()) spdlog::warn("heartbeat of node {}: {}", o.node_name, s.message());
  }
  spdlog::info("node {} shutting down: stopping containers", o.node_name);
  server->Stop();
  pods.Stop();
  runtime.StopAll(std::chrono::seconds(5));
  return Status::Ok();
}

}  // namespace kbr::lab
