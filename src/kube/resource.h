// Resource: which REST collection an object lives in, and the paths to it.
#pragma once

#include <string>

namespace kbr::kube {

struct Resource {
  std::string group;    // "" for the core group
  std::string version;  // "v1"
  std::string plural;   // "secrets"
  bool namespaced = true;

  // "/api/v1" or "/apis/<group>/<version>".
  std::string GroupVersionPath() const {
    return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  }
  // Collection path; `ns` is ignored for cluster-scoped resources and "" lists
  // across all namespaces.
  std::string CollectionPath(const std::string& ns) const {
    if (namespaced && !ns.empty()) return GroupVersionPath() + "/namespaces/" + ns + "/" + plural;
    return GroupVersionPath() + "/" + plural;
  }
  std::string ObjectPath(const std::string& ns, const std::string& name) const {
    return CollectionPath(ns) + "/" + name;
  }
  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
};

// Resources kbr uses.
namespace resources {
inline const Resource kNamespaces{"", "v1", "namespaces", false};
inline const Resource kSecrets{"", "v1", "secrets", true};
inline const Resource kConfigMaps{"", "v1", "configmaps", true};
inline const Resource kPods{"", "v1", "pods", true};
inline const Resource kNodes{"", "v1", "nodes", false};
inline const Resource kServices{"", "v1", "services", true};
inline const Resource kServiceAccounts{"", "v1", "serviceaccounts", true};
inline const Resource kEvents{"", "v1", "events", true};
inline const Resource kDeployments{"apps", "v1", "deployments", true};
inline const Resource kStatefulSets{"apps", "v1", "statefulsets", true};
inline const Resource kDaemonSets{"apps", "v1", "daemonsets", true};
inline const Resource kLeases{"coordination.k8s.io", "v1", "leases", true};
inline const Resource kClusterRoles{"rbac.authorization.k8s.io", "v1", "clusterroles", false};
inline const Resource kClusterRoleBindings{"rbac.authorization.k8s.io", "v1", "clusterrolebindings", false};
inline const Resource kRoles{"rbac.authorization.k8s.io", "v1", "roles", true};
inline const Resource kRoleBindings{"rbac.authorization.k8s.io", "v1", "rolebindings", true};
inline const Resource kCrds{"apiextensions.k8s.io", "v1", "customresourcedefinitions", false};
inline const Resource kApiServices{"apiregistration.k8s.io", "v1", "apiservices", false};
inline const Resource kSelfSubjectAccessReviews{"authorization.k8s.io", "v1", "selfsubjectaccessreviews", false};
inline const Resource kValidatingWebhookConfigurations{"admissionregistration.k8s.io", "v1",
                                                       "validatingwebhookconfigurations", false};
inline const Resource kMutatingWebhookConfigurations{"admissionregistration.k8s.io", "v1",
                                                     "mutatingwebhookconfigurations", false};
}  // namespace resources

}  // namespace kbr::kube
