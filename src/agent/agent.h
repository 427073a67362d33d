// kbr agent: the node agent ("CheckpointBackup controller"), one per member
// node. With a restore directory it also restores (restorer.h). It watches the execution objects (CheckpointBackup) of its cluster
// and, for every container of the execution's workload that runs on its
// node: checkpoints it through the kubelet API, turns the archive into an OCI
// image and pushes it (src/checkpoint), checks the pushed manifest with HEAD,
// deletes the local archive, and writes the container's result into the
// execution's status. The execution's phase is derived from every
// container's result (Pending → Checkpointing → Pushing → Completed | Failed).
//
// Level-based and restart-safe: on start every unfinished execution is
// reconciled again; a container recorded as Completed is re-checked with a
// HEAD on its manifest and redone if the image is missing, so Completed is
// never reported for an image that is not in the registry.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/http.h"
#include "core/status.h"

namespace kbr::agent {

struct AgentOptions {
  std::string node_name;
  std::string kubeconfig;  // "" → in-cluster service account
  std::string ns = "karmada-system";
  int max_parallel_pushes = 2;  // per node
  std::string compression = "zstd";
  // The kubelet: address and port default to the Node's InternalIP and
  // daemonEndpoints port; TLS CA for the kubelet's serving certificate.
  std::string kubelet_host;
  int kubelet_port = 0;
  std::string kubelet_ca_file;
  bool kubelet_insecure = false;
  int checkpoint_timeout_seconds = 120;
  // Where restored checkpoints are handed to the node's runtime (restorer.h);
  // "" leaves restores to the runtime alone.
  std::string restore_dir;
};

class Agent {
 public:
  static Result<std::unique_ptr<Agent>> New(const AgentOptions& options);
  virtual ~Agent() = default;
  // Blocks until cancelled() turns true.
  virtual Status Run(const std::function<bool()>& cancelled) = 0;
};

}  // namespace kbr::agent
