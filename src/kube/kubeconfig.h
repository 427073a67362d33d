// Kubeconfig loading: turns a kubeconfig file (or the in-cluster service
// account) into the connection settings a kube::Client needs.
//
// Supported: contexts (current-context or a named one), server URLs with a
// path prefix (the Karmada cluster proxy is one), bearer token, token file,
// client certificate/key as file or inline data, CA as file or inline data,
// insecure-skip-tls-verify. Relative file paths are resolved against the
// kubeconfig's directory, as kubectl does.
//
// Errors (InvalidArgument unless noted), each one line naming the file:
//   missing file            NotFound  "kubeconfig '<path>': no such file"
//   malformed YAML          "kubeconfig '<path>': invalid YAML at line N: ..."
//   unknown context         "kubeconfig '<path>': context 'x' not found (have: a, b)"
//   context without cluster / cluster without server, unreadable token file.
#pragma once

#include <string>

#include "core/http.h"
#include "core/status.h"

namespace kbr::kube {

struct ClusterConfig {
  std::string server;  // https://host:port[/path/prefix], no trailing slash
  http::TlsConfig tls;
  std::string bearer_token;  // already read from token-file when one is named
  std::string context;       // the context it came from ("" for in-cluster)
};

// Loads `path` ("" means $KUBECONFIG, then ~/.kube/config) using `context`
// ("" means current-context).
Result<ClusterConfig> LoadKubeconfig(const std::string& path, const std::string& context = "");

// Parses kubeconfig YAML text; `base_dir` resolves relative paths and `origin`
// names the source in error messages.
Result<ClusterConfig> ParseKubeconfig(const std::string& yaml, const std::string& context,
                                      const std::string& base_dir, const std::string& origin);

// The in-cluster config from KUBERNETES_SERVICE_HOST/PORT and the mounted
// service account (token and ca.crt under `sa_dir`). FailedPrecondition when
// not running in a pod.
Result<ClusterConfig> InClusterConfig(
    const std::string& sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// Renders a kubeconfig with one cluster/user/context named `name`; inline data
// is used for CA/cert/key/token so the file is self-contained.
std::string RenderKubeconfig(const std::string& name, const ClusterConfig& cfg);

}  // namespace kbr::kube
