// What route handlers share: the namespace kbr's objects live in, informer
// caches kept by the server's own identity, the access checker that guards
// cached reads, and injectable outside-world hooks. Owned by ApiServer;
// handlers hold a reference for the server's lifetime.
#pragma once

#include <boost/json/value.hpp>

#include <functional>
#include <memory>
#include <string>

#include "api/access.h"
#include "api/envelope.h"
#include "core/clock.h"
#include "karmada/member_access.h"
#include "kube/informer.h"
#include "registry/registry.h"

namespace kbr::api {

struct Services {
  std::string ns = "karmada-system";
  kube::Client* server_client = nullptr;  // the server's own identity
  kube::Informer* migrations = nullptr;   // StatefulMigrations in ns
  kube::Informer* executions = nullptr;   // CheckpointBackups in ns
  kube::Informer* registries = nullptr;   // Secrets labelled kbr.io/registry-id in ns
  AccessChecker* access = nullptr;
  Clock* clock = &SystemClock();
  // "proxy" | "direct": how member clusters are reached.
  std::string member_access = "proxy";
  // Checks a registry with the given options (GET /v2/). Injectable so tests
  // can count calls; defaults to the real registry client.
  std::function<registry::PingResult(const registry::RegistryOptions&)> ping_registry;

  // Reads from an informer after checking the caller may `verb` `resource`;
  // an error reply when not.
  Status CheckRead(Request& req, const std::string& verb, const std::string& group, const std::string& resource) const {
    return access->Check(*req.caller, req.caller_token, {verb, group, resource, ns});
  }
};

}  // namespace kbr::api
