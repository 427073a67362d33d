// Pure functions of the lab node that turn what the runtime knows into
// Kubernetes objects: pod status, the Node object and its status, the Lease.
// No I/O; deterministic given `now`.
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "lab/node_runtime.h"

namespace kbr::lab {

// Why a container is not started (yet): ErrImagePull, ImagePullBackOff,
// CreateContainerError, CrashLoopBackOff, ContainerCreating.
struct Waiting {
  std::string reason;
  std::string message;
};

struct ContainerView {
  std::string name;   // from the pod spec
  std::string image;  // from the pod spec
  std::optional<ContainerState> state;  // the runtime's container, if any
  std::optional<Waiting> waiting;        // set when it is not running
};

// The pod's new status: starts from the pod's current status (so fields the
// apiserver owns, e.g. qosClass, are kept) and sets phase, conditions
// (PodReadyToStartContainers, Initialized, Ready, ContainersReady,
// PodScheduled; a condition keeps its lastTransitionTime while its status is
// unchanged), hostIP(s)/podIP(s) 127.0.0.1, startTime (kept once set) and one
// containerStatus per container in spec order.
// Phase: Pending until every container has started once; Succeeded/Failed
// when all containers terminated and the restart policy (Never, or OnFailure
// with exit code 0) will not start them again; Running otherwise.
boost::json::value BuildPodStatus(const boost::json::value& pod, const std::vector<ContainerView>& containers,
                                  TimePoint now);

// The restart policy of the pod ("Always" when unset) allows starting a
// container again after `t`.
bool ShouldRestart(const boost::json::value& pod, const Termination& t);

// Crash-loop back-off before restart number `restarts + 1`: 10 s doubling,
// at most 300 s (the kubelet's defaults).
std::chrono::seconds RestartBackoff(int restarts);

struct NodeIdentity {
  std::string name;
  int port = 0;  // kubelet API port
};

// A new Node object (metadata + empty spec), labelled like a kubelet does.
boost::json::value NewNodeObject(const NodeIdentity& node);

// Sets status on a Node object (as read from the apiserver): addresses,
// capacity/allocatable (cpu 4, memory 8Gi, pods 110), daemonEndpoints,
// nodeInfo, and the Ready/MemoryPressure/DiskPressure/PIDPressure conditions
// with lastHeartbeatTime = now.
void SetNodeStatus(boost::json::value& node, const NodeIdentity& id, TimePoint now);

// The node's Lease in kube-node-lease renewed at `now` (duration 40 s),
// owned by the Node (uid `node_uid`). `existing` (if any) keeps its metadata.
boost::json::value RenewLease(const std::optional<boost::json::value>& existing, const NodeIdentity& node,
                              const std::string& node_uid, TimePoint now);

// metav1.MicroTime: "2006-01-02T15:04:05.000000Z".
std::string FormatMicroTime(TimePoint t);

}  // namespace kbr::lab
