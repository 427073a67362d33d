// Karmada member clusters as kbr sees them: readiness, Kubernetes version and
// node summary from the Cluster objects (cluster.karmada.io/v1alpha1) that
// karmada-aggregated-apiserver serves and the cluster controller keeps current.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <vector>

#include "kube/client.h"

namespace kbr::karmada {

inline const kube::Resource kClusters{"cluster.karmada.io", "v1alpha1", "clusters", false};

struct ClusterInfo {
  std::string name;
  bool ready = false;
  std::string ready_message;  // the Ready condition's message when not ready
  std::string kubernetes_version;
  std::string sync_mode;  // Push | Pull
  std::string api_endpoint;
  int64_t nodes_total = 0;
  int64_t nodes_ready = 0;
  std::string created;  // RFC 3339
};

ClusterInfo ClusterInfoFrom(const boost::json::value& cluster);

// Every Cluster, sorted by name. Errors are the apiserver's (e.g.
// PermissionDenied for a caller who may not list clusters).
Result<std::vector<ClusterInfo>> ListClusters(kube::Client& host);
// NotFound "cluster 'x' not found" when absent.
Result<ClusterInfo> GetCluster(kube::Client& host, const std::string& name);

}  // namespace kbr::karmada
