// MemberAccess: how kbr reaches a member cluster's apiserver. One interface,
// two implementations (DESIGN.md section 4):
//  - proxy:  through the Karmada cluster proxy on the host apiserver
//            (/apis/cluster.karmada.io/v1alpha1/clusters/<name>/proxy/...),
//            as the host client's identity (Karmada impersonates it on the member);
//  - direct: to the Cluster's spec.apiEndpoint with the token and CA bundle of
//            its spec.secretRef Secret (what the proxy itself uses).
// Callers do not know which one they have. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "kube/client.h"

namespace kbr::karmada {

class MemberAccess {
 public:
  virtual ~MemberAccess() = default;
  // A client for `cluster`'s apiserver. NotFound when Karmada has no such
  // cluster (direct mode; the proxy reports it on first use).
  virtual Result<std::unique_ptr<kube::Client>> ClientFor(const std::string& cluster) = 0;
};

// `host` must outlive the returned object.
std::unique_ptr<MemberAccess> NewProxyMemberAccess(kube::Client& host);
std::unique_ptr<MemberAccess> NewDirectMemberAccess(kube::Client& host);

// "proxy" | "direct"; InvalidArgument otherwise.
Result<std::unique_ptr<MemberAccess>> NewMemberAccess(const std::string& mode, kube::Client& host);

}  // namespace kbr::karmada
