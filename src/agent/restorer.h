// Restorer: the agent's half of a recovery on its node ("pull + restore").
//
// A pod that kbr recovers carries the label kbr.io/restore-registry (value:
// the id of the registry whose propagated Secret holds the credentials).
// For every such pod bound to this node, each container's image is pulled,
// verified digest by digest (manifest, config, layer, diff_id) and unpacked
// into the node's restore directory, then handed to the container runtime
// (checkpoint/handoff.h), which starts the container from it.
//
// The outcome is written to the pod's annotation restore.kbr.io/<container>:
// {"phase": "Restored"|"Failed", "image", "digest", "bytes", "durationMs",
// "message"}. Level-based: a container already handed over or failed is not
// redone; a transient failure (registry or apiserver unavailable) is retried
// on the next resync.
#pragma once

#include <memory>
#include <string>

#include "kube/client.h"

namespace kbr::agent {

struct RestorerOptions {
  std::string node_name;
  std::string ns;           // where the registry Secrets are propagated
  std::string restore_dir;  // the node's hand-off root (shared with the runtime)
};

class Restorer {
 public:
  // `client` (the member cluster) must outlive the restorer.
  static std::unique_ptr<Restorer> New(kube::Client& client, RestorerOptions options);
  virtual ~Restorer() = default;
  virtual void Start() = 0;
  // Retries what failed transiently.
  virtual void Resync() = 0;
  virtual void Stop() = 0;
};

}  // namespace kbr::agent
