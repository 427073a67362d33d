// The real Karmada control plane in the lab (Karmada version pinned in
// deploy/versions.env): CRDs from the same module, karmada-aggregated-apiserver
// (Cluster objects and the cluster proxy) registered as an APIService,
// karmada-webhook registered at its loopback URL, karmada-controller-manager
// and karmada-scheduler; then member1 and member2 joined in Push mode and
// waited for until Karmada reports them Ready.
#pragma once

#include <vector>

#include "lab/component.h"

namespace kbr::lab {

// REQUIRES: `state` holds the control plane's ports and outlives the stages
// (their prepare steps read it).
Result<std::vector<Stage>> KarmadaStages(const LabLayout& layout, LabState& state, const Binaries& bins);

}  // namespace kbr::lab
