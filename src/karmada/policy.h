// Builders for Karmada PropagationPolicy / ClusterPropagationPolicy objects
// (policy.karmada.io/v1alpha1) that place named resources on named clusters.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <map>
#include <vector>

#include "kube/resource.h"

namespace kbr::karmada {

inline const kube::Resource kPropagationPolicies{"policy.karmada.io", "v1alpha1", "propagationpolicies", true};
inline const kube::Resource kClusterPropagationPolicies{"policy.karmada.io", "v1alpha1",
                                                        "clusterpropagationpolicies", false};

struct ResourceSelector {
  std::string api_version;
  std::string kind;
  std::string name;       // "" selects by label
  std::string ns;         // for cluster-scoped policies selecting namespaced objects
  std::string label_key;  // with label_value: matchLabels
  std::string label_value;
};

struct PolicySpec {
  std::string name;
  std::string ns;  // ignored for ClusterPropagationPolicy
  std::vector<ResourceSelector> selectors;
  std::vector<std::string> clusters;  // empty: every member
  std::map<std::string, std::string> labels;
};

boost::json::value PropagationPolicy(const PolicySpec& spec);
boost::json::value ClusterPropagationPolicy(const PolicySpec& spec);

}  // namespace kbr::karmada
