// ApiServer: `kbr server`. Stateless: everything lives in Kubernetes objects
// on the Karmada apiserver. At start it installs kbr's CRDs if missing (and
// the namespace), starts informers with its own identity, and serves the
// REST API, /healthz, /readyz, /metrics and the web UI.
//
// Every /api/v1/backup request needs "Authorization: Bearer <token>" (401
// otherwise); the token is used for every apiserver call the request makes,
// and cached reads are served only after an access check as the caller.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"

namespace kbr::api {

struct ServerConfig {
  std::string kubeconfig;  // "" with in_cluster=false: $KUBECONFIG / ~/.kube/config
  std::string context;
  bool in_cluster = false;
  std::string listen = "127.0.0.1:8080";
  std::string tls_cert;
  std::string tls_key;
  std::string web_dir;  // "" = no UI
  std::string ns = "karmada-system";
  std::string member_access = "proxy";
};

class ApiServer {
 public:
  // Errors: InvalidArgument (bad flags, unreadable TLS files), Unavailable
  // (cannot listen), and the kubeconfig's errors.
  static Result<std::unique_ptr<ApiServer>> Start(const ServerConfig& config);
  virtual ~ApiServer() = default;
  virtual int port() const = 0;
  virtual void Stop() = 0;
};

}  // namespace kbr::api
