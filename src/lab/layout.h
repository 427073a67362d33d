// The lab's on-disk layout and persistent state.
//
// <dir>/state.json        ports (fixed at first start) and pids of running daemons
// <dir>/pki/              CAs, serving and client certificates, SA keys
// <dir>/logs/<name>.log   one log per daemon
// <dir>/etcd/             etcd data
// <dir>/<cluster>.kubeconfig  admin kubeconfigs: karmada, member1, member2
// <dir>/admin.token       token of ServiceAccount kbr-admin (cluster-admin on the host)
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace kbr::lab {

inline constexpr const char* kHostCluster = "karmada";
inline const std::vector<std::string> kMemberClusters = {"member1", "member2"};

struct LabLayout {
  std::string dir;
  std::string Path(const std::string& rel) const { return dir + "/" + rel; }
  std::string Pki(const std::string& file) const { return dir + "/pki/" + file; }
  std::string Log(const std::string& name) const { return dir + "/logs/" + name + ".log"; }
  std::string Kubeconfig(const std::string& cluster) const { return dir + "/" + cluster + ".kubeconfig"; }
  std::string StateFile() const { return dir + "/state.json"; }
};

// "~/.kbr/lab" expanded.
std::string DefaultLabDir();

// Where the upstream binaries built by scripts/setup are.
struct Binaries {
  std::string etcd;
  std::string kube_apiserver;
  std::string kube_controller_manager;
  std::string kube_scheduler;
  std::string kubectl;
  std::string karmada_controller_manager;
  std::string karmada_scheduler;
  std::string karmada_aggregated_apiserver;
  std::string karmada_webhook;
  std::string karmada_crds_dir;
  std::string docker_registry;
  std::string kbr;  // this binary, for lab nodes and agents
};

// Locates the binaries under $KBR_CACHE (default ~/.cache/kbr) at the pinned
// versions. FailedPrecondition naming the first missing one and "run scripts/setup".
Result<Binaries> FindBinaries();

struct LabState {
  std::map<std::string, int> ports;
  std::map<std::string, int> pids;
};

// Missing file → empty state. Malformed → InvalidArgument naming the file.
Result<LabState> LoadState(const LabLayout& layout);
Status SaveState(const LabLayout& layout, const LabState& state);

// The port recorded for `name`, allocating and recording a free one the
// first time.
Result<int> PortFor(LabState& state, const std::string& name);

}  // namespace kbr::lab
