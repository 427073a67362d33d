// Node registration and heartbeat of a lab node against its member
// apiserver: the Node object, its status, and the Lease in kube-node-lease
// that the node lifecycle controller watches.
#pragma once

#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "kube/client.h"
#include "lab/node_status.h"

namespace kbr::lab {

// Creates the Node if it does not exist (an existing one is kept: its
// labels, taints and uid survive a lab node restart), writes its status, and
// returns its uid. Errors: those of the kube client (Unavailable while the
// apiserver is down, PermissionDenied, ...).
Result<std::string> RegisterNode(kube::Client& client, const NodeIdentity& node, Clock& clock = SystemClock());

// One heartbeat: renews (or creates) the Lease and rewrites the node status
// (Ready, lastHeartbeatTime). A Conflict on either is retried once.
Status Heartbeat(kube::Client& client, const NodeIdentity& node, const std::string& node_uid,
                 Clock& clock = SystemClock());

}  // namespace kbr::lab
