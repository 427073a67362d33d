#include "lab/layout.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/json.h"
#include "lab/pki.h"
#include "lab/process.h"

namespace kbr::lab {
namespace fs = std::filesystem;

std::string DefaultLabDir() {
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/root") + "/.kbr/lab";
}

Result<Binaries> FindBinaries() {
  const char* env = std::getenv("KBR_CACHE");
  const char* home = std::getenv("HOME");
  std::string cache = env && *env ? env : std::string(home ? home : "/root") + "/.cache/kbr";
  std::string k8s = cache + "/kubernetes-" + KBR_KUBERNETES_VERSION + "/";
  std::string karmada = cache + "/karmada-" + KBR_KARMADA_VERSION + "/";
  Binaries b;
  b.etcd = cache + "/etcd-" + KBR_ETCD_VERSION + "/etcd";
  b.kube_apiserver = k8s + "kube-apiserver";
  b.kube_controller_manager = k8s + "kube-controller-manager";
  b.kube_scheduler = k8s + "kube-scheduler";
  b.kubectl = k8s + "kubectl";
  b.karmada_controller_manager = karmada + "karmada-controller-manager";
  b.karmada_scheduler = karmada + "karmada-scheduler";
  b.karmada_aggregated_apiserver = karmada + "karmada-aggregated-apiserver";
  b.karmada_webhook = karmada + "karmada-webhook";
  b.karmada_crds_dir = karmada + "crds";
  b.docker_registry = "/usr/bin/docker-registry";
  std::error_code ec;
  b.kbr = fs::read_symlink("/proc/self/exe", ec).string();
  for (const auto* p : {&b.etcd, &b.kube_apiserver, &b.kube_controller_manager, &b.kube_scheduler, &b.kubectl,
                        &b.karmada_controller_manager, &b.karmada_scheduler, &b.karmada_aggregated_apiserver,
                        &b.karmada_webhook}) {
    if (::access(p->c_str(), X_OK) != 0) {
      return Status::FailedPrecondition("lab binary '" + *p + "' is missing: run scripts/setup");
    }
  }
  return b;
}

Result<LabState> LoadState(const LabLayout& layout) {
  LabState st;
  std::ifstream in(layout.StateFile());
  if (!in) return st;
  std::stringstream ss;
  ss << in.rdbuf();
  auto v = json::Parse(ss.str(), layout.StateFile());
  if (!v.ok()) return v.status();
  for (const char* section : {"ports", "pids"}) {
    auto& target = std::string(section) == "ports" ? st.ports : st.pids;
    if (const auto* obj = json::Find(*v, section); obj && obj->is_object()) {
      for (const auto& [k, val] : obj->as_object()) {
        if (val.is_int64()) target[std::string(k)] = static_cast<int>(val.get_int64());
      }
    }
  }
  return st;
}

Status SaveState(const LabLayout& layout, const LabState& state) {
  boost::json::object ports, pids;
  for (const auto& [k, v] : state.ports) ports[k] = v;
  for (const auto& [k, v] : state.pids) pids[k] = v;
  boost::json::object root{{"ports", ports}, {"pids", pids}};
  return WriteFileAtomic(layout.StateFile(), json::Serialize(root) + "\n", 0644);
}

Result<int> PortFor(LabState& state, const std::string& name) {
  if (auto it = state.ports.find(name); it != state.ports.end()) return it->second;
  ASSIGN_OR_RETURN(int port, FreePort());
  // FreePort may hand back a port already promised to another component.
  for (int tries = 0; tries < 20; ++tries) {
    bool taken = false;
    for (const auto& [k, v] : state.ports) taken |= v == port;
    if (!taken) break;
    ASSIGN_OR_RETURN(port, FreePort());
  }
  state.ports[name] = port;
  return port;
}

}  // namespace kbr::lab
