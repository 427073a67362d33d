// Placing objects of Karmada's reserved namespaces on members.
//
// Karmada's resource detector ignores objects in karmada-system,
// karmada-cluster, karmada-es-* and kube-*, where kbr keeps its objects, so a
// PropagationPolicy there never places anything. kbr writes what Karmada's
// binding controller would have written: a Work in the member's execution
// namespace "karmada-es-<cluster>", whose manifest Karmada's execution
// controller applies to the member. The manifest carries the label
// karmada.io/managed=true and the Work the finalizer
// karmada.io/execution-controller, so deleting the Work deletes the member copy.
#pragma once

#include <boost/json/value.hpp>

#include <string>

#include "kube/resource.h"

namespace kbr::karmada {

inline const kube::Resource kWorks{"work.karmada.io", "v1alpha1", "works", true};

// "karmada-es-<cluster>".
std::string ExecutionSpace(const std::string& cluster);

// A Work named like `object` in ExecutionSpace(cluster) whose manifest is
// `object` without its server-set metadata (uid, resourceVersion, ...).
// `work_labels` label the Work itself.
boost::json::value WorkFor(const boost::json::value& object, const std::string& cluster,
                           const boost::json::object& work_labels);

}  // namespace kbr::karmada
