// Registry configurations as Kubernetes objects: the dockerconfigjson Secret
// kbr-registry-<id> (credentials for the registry host; the propagated copy is
// what agents and kubelets pull/push with), placed on members by Works.
#pragma once

#include <boost/json/value.hpp>

#include <string>

#include "core/status.h"

namespace kbr::backup {

struct RegistryConfig {
  std::string id;
  std::string name;
  std::string url;
  std::string username;
  std::string password;  // never returned by any view
  std::string description;
  bool insecure_skip_verify = false;
  std::string ca_bundle;
  std::string check_json;  // the last check's result (annotation), may be ""
};

// The Secret for `cfg` in namespace `ns`. REQUIRES: cfg.url parses as a registry endpoint.
boost::json::value RegistrySecret(const RegistryConfig& cfg, const std::string& ns, const std::string& now_rfc3339,
                                  const std::string& created_rfc3339);
// Reads a config back from its Secret (password included, for the server's
// own use: checking the registry, keeping it on update). InvalidArgument if
// the Secret is not a kbr registry.
Result<RegistryConfig> RegistryFromSecret(const boost::json::value& secret);

}  // namespace kbr::backup
