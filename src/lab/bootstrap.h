// Objects the lab creates once its apiservers answer (idempotent, by
// server-side apply): on the host, namespaces karmada-system and
// karmada-cluster and the ServiceAccount kbr-admin bound to cluster-admin,
// whose token is written to <dir>/admin.token; on each member, what
// `karmadactl join` prepares for Push mode — namespace karmada-cluster,
// ServiceAccounts karmada-<member> (bound to a ClusterRole for everything)
// and karmada-impersonator with token Secrets of the same names. Karmada's
// unified-auth controller propagates the impersonator's RBAC itself.
#pragma once

#include <string>

#include "core/status.h"
#include "lab/layout.h"

namespace kbr::lab {

Status BootstrapHost(const LabLayout& layout);
Status BootstrapMember(const LabLayout& layout, const std::string& member);

// Waits until the token Secret `ns/name` on `cluster` has been filled by the
// token controller and returns the decoded token.
Result<std::string> WaitForServiceAccountToken(const LabLayout& layout, const std::string& cluster,
                                               const std::string& ns, const std::string& name);

}  // namespace kbr::lab
