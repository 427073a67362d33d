#include "karmada/clusters.h"

#include <algorithm>

#include "core/json.h"
#include "kube/conditions.h"

namespace kbr::karmada {

ClusterInfo ClusterInfoFrom(const boost::json::value& c) {
  ClusterInfo info;
  info.name = json::GetString(c, "metadata.name");
  info.created = json::GetString(c, "metadata.creationTimestamp");
  info.kubernetes_version = json::GetString(c, "status.kubernetesVersion");
  info.sync_mode = json::GetString(c, "spec.syncMode");
  info.api_endpoint = json::GetString(c, "spec.apiEndpoint");
  info.nodes_total = json::GetInt(c, "status.nodeSummary.totalNum");
  info.nodes_ready = json::GetInt(c, "status.nodeSummary.readyNum");
  if (const auto* ready = kube::FindCondition(c, "Ready")) {
    info.ready = json::GetString(*ready, "status") == "True";
    if (!info.ready) info.ready_message = json::GetString(*ready, "message");
  }
  return info;
}

Result<std::vector<ClusterInfo>> ListClusters(kube::Client& host) {
  ASSIGN_OR_RETURN(auto items, host.ListAll(kClusters, ""));
  std::vector<ClusterInfo> out;
  for (const auto& c : items) out.push_back(ClusterInfoFrom(c));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Result<ClusterInfo> GetCluster(kube::Client& host, const std::string& name) {
  auto c = host.Get(kClusters, "", name);
  if (!c.ok()) {
    if (c.status().code() == StatusCode::kNotFound) return Status::NotFound("cluster '" + name + "' not found");
    return c.status();
  }
  return ClusterInfoFrom(*c);
}

}  // namespace kbr::karmada
