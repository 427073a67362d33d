// The lab node: a kubelet stand-in, one process per member node
// (`kbr lab-node`, started by `kbr lab up`). Real CRIU does not work on the
// lab machines' kernel and there is no container runtime, so this is the one
// stand-in of the lab; everything it shows to the outside keeps the real
// formats and protocols:
//   - registers a Node (InternalIP 127.0.0.1, capacity, kubelet endpoint,
//     nodeInfo) and keeps it Ready: Lease in kube-node-lease + node status
//     every 10 s (node_registration.h);
//   - runs the pods bound to it as processes (node_pods.h, node_runtime.h):
//     the kbr image → `kbr agent`, the demo image → `kbr demo`, a checkpoint
//     image in a loopback registry → pulled, verified, unpacked and restored
//     as `kbr demo --restore-from`, anything else → Running without a process;
//     reports pod status, deletes pods whose deletion was requested;
//   - serves the kubelet API over HTTPS on 127.0.0.1 (node_api.h):
//     /checkpoint (archives in the CRI-O layout, node_checkpoint.h),
//     /containerLogs (so `kubectl logs` works through the apiserver), /pods,
//     /healthz; callers authenticate with a lab-CA client certificate or a
//     bearer token checked by TokenReview + SubjectAccessReview.
//
// It talks to its member apiserver with the member's admin kubeconfig (a real
// kubelet uses a system:node:<name> identity limited by the Node authorizer).
#pragma once

#include <atomic>
#include <string>

#include "core/status.h"
#include "lab/layout.h"

namespace kbr::lab {

// Where a node keeps its files: <lab dir>/nodes/<node>/...
struct NodeLayout {
  LabLayout lab;
  std::string node;
  std::string Dir() const { return lab.Path("nodes/" + node); }
  // Checkpoint archives (the kubelet's <root>/checkpoints), mode 0700.
  std::string CheckpointDir() const { return Dir() + "/checkpoints"; }
  // One JSON record per container, so a restarted lab node re-adopts them.
  std::string ContainerDir() const { return Dir() + "/containers"; }
  // Container logs: pods/<ns>_<pod>_<uid>/<container>.log (stdout+stderr).
  std::string PodDir(const std::string& ns, const std::string& pod, const std::string& uid) const {
    return Dir() + "/pods/" + ns + "_" + pod + "_" + uid;
  }
  // Unpacked checkpoint images: images/<pod uid>/<container>/ (removed with the pod).
  std::string PodImagesDir(const std::string& uid) const { return Dir() + "/images/" + uid; }
  std::string ImageDir(const std::string& uid, const std::string& container) const {
    return PodImagesDir(uid) + "/" + container;
  }
  // Where the kbr agent hands over restored checkpoints
  // (checkpoint/handoff.h): restore/<pod uid>/<container>/ (removed with the pod).
  std::string RestoreDir() const { return Dir() + "/restore"; }
  // The node's serving certificate (lab CA, IP SAN 127.0.0.1).
  std::string CertFile() const { return lab.Pki("node-" + node + ".crt"); }
  std::string KeyFile() const { return lab.Pki("node-" + node + ".key"); }
};

struct NodeOptions {
  std::string lab_dir;
  std::string node_name;   // "member1-node1"
  std::string cluster;     // "member1": whose apiserver it registers with
  int port = 0;            // kubelet API port on 127.0.0.1 (> 0)
  std::string kbr_binary;  // runs agent and demo containers; "" = this binary
};

// The kubeletVersion the node reports.
inline constexpr const char* kLabKubeletVersion = "v1.35.4-kbr-lab";
// Pod annotation with the demo container's loopback port (set by the node).
inline constexpr const char* kDemoPortAnnotation = "lab.kbr.io/demo-port";

// Runs the node until `stop` becomes true, then stops its containers (as a
// node shutdown would) and returns OK. Errors before serving: InvalidArgument
// for bad options, FailedPrecondition when the lab's kubeconfig or
// certificates are missing, Unavailable when the port cannot be bound or the
// apiserver does not accept the Node within 60 s.
Status RunNode(const NodeOptions& options, const std::atomic<bool>& stop);

}  // namespace kbr::lab
