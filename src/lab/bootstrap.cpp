#include "lab/bootstrap.h"

#include <boost/json.hpp>

#include "core/base64.h"
#include "core/json.h"
#include "lab/component.h"
#include "lab/pki.h"

namespace kbr::lab {

namespace bj = boost::json;
namespace res = kube::resources;

namespace {

constexpr const char* kFieldManager = "kbr-lab";

bj::value Meta(const std::string& name, const std::string& ns = "") {
  bj::object m{{"name", name}, {"labels", {{"app.kubernetes.io/managed-by", "kbr-lab"}}}};
  if (!ns.empty()) m["namespace"] = ns;
  return m;
}

bj::value Namespace(const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", Meta(name)}};
}

bj::value ServiceAccount(const std::string& ns, const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", Meta(name, ns)}};
}

bj::value TokenSecret(const std::string& ns, const std::string& sa) {
  bj::value meta = Meta(sa, ns);
  meta.as_object()["annotations"] = {{"kubernetes.io/service-account.name", sa}};
  return {{"apiVersion", "v1"}, {"kind", "Secret"}, {"type", "kubernetes.io/service-account-token"}, {"metadata", meta}};
}

bj::value ClusterRole(const std::string& name, bj::array rules) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"}, {"kind", "ClusterRole"}, {"metadata", Meta(name)},
          {"rules", std::move(rules)}};
}

bj::value ClusterRoleBinding(const std::string& name, const std::string& role, const std::string& sa_ns,
                             const std::string& sa) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRoleBinding"},
          {"metadata", Meta(name)},
          {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", role}}},
          {"subjects", {{{"kind", "ServiceAccount"}, {"name", sa}, {"namespace", sa_ns}}}}};
}

bj::value UserBinding(const std::string& name, const std::string& role, const std::string& user) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRoleBinding"},
          {"metadata", Meta(name)},
          {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", role}}},
          {"subjects", {{{"kind", "User"}, {"apiGroup", "rbac.authorization.k8s.io"}, {"name", user}}}}};
}

constexpr const char* kAdminUser = "system:serviceaccount:karmada-system:kbr-admin";

Status ApplyAll(kube::Client& c, const std::vector<std::pair<const kube::Resource*, bj::value>>& objs) {
  for (const auto& [r, obj] : objs) {
    auto applied = c.Apply(*r, json::GetString(obj, "metadata.namespace"), obj, kFieldManager);
    if (!applied.ok()) return applied.status();
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> WaitForServiceAccountToken(const LabLayout& layout, const std::string& cluster,
                                               const std::string& ns, const std::string& name) {
  ASSIGN_OR_RETURN(auto client, AdminClient(layout, cluster));
  std::string token;
  RETURN_IF_ERROR(WaitFor(
      [&]() -> Result<bool> {
        ASSIGN_OR_RETURN(auto secret, client->Get(res::kSecrets, ns, name));
        std::string b64 = json::GetString(secret, "data.token");
        if (b64.empty()) return false;
        ASSIGN_OR_RETURN(token, Base64Decode(b64));
        return true;
      },
      std::chrono::seconds(60), std::chrono::milliseconds(250),
      "the token of ServiceAccount " + ns + "/" + name + " on " + cluster));
  return token;
}

Status BootstrapHost(const LabLayout& layout) {
  ASSIGN_OR_RETURN(auto c, AdminClient(layout, kHostCluster));
  RETURN_IF_ERROR(ApplyAll(*c, {{&res::kNamespaces, Namespace("karmada-system")},
                                {&res::kNamespaces, Namespace("karmada-cluster")},
                                {&res::kServiceAccounts, ServiceAccount("karmada-system", "kbr-admin")},
                                {&res::kSecrets, TokenSecret("karmada-system", "kbr-admin")},
                                {&res::kClusterRoleBindings,
                                 ClusterRoleBinding("kbr-admin", "cluster-admin", "karmada-system", "kbr-admin")}}));
  // Karmada's unified-auth controller lets the cluster proxy impersonate
  // exactly the subjects bound to clusters/proxy on the host (users, service
  // accounts and the groups they carry): the lab's admin and login identities.
  bj::array proxy_rules = {
      {{"apiGroups", {"cluster.karmada.io"}}, {"resources", {"clusters/proxy"}}, {"verbs", {"*"}}}};
  bj::value proxy_binding = {
      {"apiVersion", "rbac.authorization.k8s.io/v1"},
      {"kind", "ClusterRoleBinding"},
      {"metadata", Meta("kbr-cluster-proxy")},
      {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", "kbr-cluster-proxy"}}},
      {"subjects",
       {{{"kind", "User"}, {"apiGroup", "rbac.authorization.k8s.io"}, {"name", "kbr-lab-admin"}},
        {{"kind", "ServiceAccount"}, {"name", "kbr-admin"}, {"namespace", "karmada-system"}},
        {{"kind", "Group"}, {"apiGroup", "rbac.authorization.k8s.io"}, {"name", "system:serviceaccounts"}},
        {{"kind", "Group"}, {"apiGroup", "rbac.authorization.k8s.io"}, {"name", "system:serviceaccounts:karmada-system"}}}}};
  RETURN_IF_ERROR(ApplyAll(*c, {{&res::kClusterRoles, ClusterRole("kbr-cluster-proxy", proxy_rules)},
                                {&res::kClusterRoleBindings, proxy_binding}}));
  ASSIGN_OR_RETURN(std::string token, WaitForServiceAccountToken(layout, kHostCluster, "karmada-system", "kbr-admin"));
  return WriteFileAtomic(layout.Path("admin.token"), token + "\n", 0600);
}

Status BootstrapMember(const LabLayout& layout, const std::string& member) {
  ASSIGN_OR_RETURN(auto c, AdminClient(layout, member));
  const std::string ns = "karmada-cluster";
  const std::string sa = "karmada-" + member;
  const std::string role = "karmada-controller-manager:" + sa;
  bj::array all_rules = {{{"apiGroups", {"*"}}, {"resources", {"*"}}, {"verbs", {"*"}}},
                         {{"nonResourceURLs", {"*"}}, {"verbs", {"get"}}}};
  return ApplyAll(*c, {{&res::kNamespaces, Namespace(ns)},
                       // Karmada does not propagate karmada-* namespaces; kbr's objects live there.
                       {&res::kNamespaces, Namespace("karmada-system")},
                       {&res::kServiceAccounts, ServiceAccount(ns, sa)},
                       {&res::kSecrets, TokenSecret(ns, sa)},
                       {&res::kClusterRoles, ClusterRole(role, all_rules)},
                       {&res::kClusterRoleBindings, ClusterRoleBinding(role, role, ns, sa)},
                       {&res::kServiceAccounts, ServiceAccount(ns, "karmada-impersonator")},
                       {&res::kSecrets, TokenSecret(ns, "karmada-impersonator")},
                       // The cluster proxy impersonates its caller on the member: the lab's
                       // login identity gets the same rights there as on the host.
                       {&res::kClusterRoleBindings, UserBinding("kbr-admin", "cluster-admin", kAdminUser)}});
}

}  // namespace kbr::lab
