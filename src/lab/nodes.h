// The lab nodes as lab components: one `kbr lab-node` process per member
// node, started by `kbr lab up` after Karmada (see node.h for what a lab node
// does).
#pragma once

#include <string>
#include <vector>

#include "lab/component.h"

namespace kbr::lab {

struct LabNodeInfo {
  std::string name;     // "member1-node1": also the component and log name
  std::string cluster;  // "member1"
};

// member1-node1 on member1, member2-node1 on member2.
const std::vector<LabNodeInfo>& LabNodes();

// One stage with a component per lab node. Its prepare step issues the nodes'
// serving certificates. A node is ready when its /healthz answers over TLS
// (verified with the lab CA) and its Node is Ready in the member apiserver.
// Allocates (and records in `state`) the kubelet API ports, named like the
// components.
Result<std::vector<Stage>> NodeStages(const LabLayout& layout, LabState& state, const Binaries& bins);

}  // namespace kbr::lab
