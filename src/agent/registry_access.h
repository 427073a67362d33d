// The registry a kbr registry id names, opened with the credentials of its
// Secret kbr-registry-<id>, which Karmada propagates to every member's
// namespace `ns`: the agent reads nothing else that is secret.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "kube/client.h"
#include "registry/registry.h"

namespace kbr::agent {

// Errors: the apiserver's (NotFound when the Secret has not been propagated
// to this cluster), InvalidArgument for a malformed Secret.
Result<std::unique_ptr<registry::Registry>> OpenRegistry(kube::Client& client, const std::string& ns,
                                                        const std::string& registry_id);

}  // namespace kbr::agent
