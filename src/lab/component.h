// A lab daemon: how to start it and how to tell it is ready. Stages of
// components are started in order; components within a stage in parallel.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kube/client.h"
#include "lab/layout.h"
#include "lab/process.h"

namespace kbr::lab {

struct Component {
  ProcessSpec spec;  // spec.name is the component's name ("member1-kube-apiserver")
  std::function<Result<bool>()> ready;
};

struct Stage {
  std::string title;
  std::vector<Component> components;
  // Idempotent work done before the stage's components start (objects they
  // need, certificates); may be empty.
  std::function<Status()> prepare;
};

// etcd; kube-apiserver per cluster; kube-controller-manager per cluster and
// kube-scheduler per member. Allocates (and records in `state`) their ports.
Result<std::vector<Stage>> ControlPlaneStages(const LabLayout& layout, LabState& state, const Binaries& bins);

// A client for `cluster` ("karmada", "member1", ...) from its admin kubeconfig.
Result<std::unique_ptr<kube::Client>> AdminClient(const LabLayout& layout, const std::string& cluster);

// Probe: GET <path> on the cluster answers 200 (e.g. "/readyz").
std::function<Result<bool>()> HttpOkProbe(const LabLayout& layout, const std::string& cluster,
                                          const std::string& path);

}  // namespace kbr::lab
