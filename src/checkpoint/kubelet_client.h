// KubeletClient: the kubelet's container checkpoint API
// (`POST /checkpoint/{namespace}/{pod}/{container}?timeout=N`, feature gate
// ContainerCheckpoint), as called by the agent on its own node.
//
// Authentication is a bearer token (the agent's ServiceAccount token); the
// caller needs `create` on `nodes/checkpoint`. TLS: a CA bundle, or
// insecure_skip_verify for labs (kubelet serving certificates are often
// self-signed).
//
// Thread-safety: safe to use from many threads at once (the http::Client is).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/http.h"
#include "core/status.h"

namespace kbr::checkpoint {

struct KubeletOptions {
  std::string host;  // node address: "10.0.0.5", "node1.example", "::1" or "[::1]"
  int port = 10250;
  std::string token;  // bearer token; empty: no Authorization header
  http::TlsConfig tls;
  // HTTP timeout on top of the checkpoint's own timeout (CRIU can take long
  // for big containers). With timeout_seconds 0 the whole request gets
  // default_request_timeout.
  std::chrono::milliseconds extra_timeout{30000};
  std::chrono::milliseconds default_request_timeout{600000};
};

struct CheckpointRequest {
  std::string namespace_name;
  std::string pod;
  std::string container;
  int timeout_seconds = 0;  // 0: the container runtime's default
};

class KubeletClient {
 public:
  // Over a caller-supplied transport (tests pass a fake). REQUIRES: http != nullptr.
  KubeletClient(std::shared_ptr<http::Client> http, KubeletOptions opts);
  // Over libcurl with opts.tls. InvalidArgument for a missing host, a bad
  // port or unreadable TLS files.
  static Result<std::unique_ptr<KubeletClient>> New(KubeletOptions opts);

  // Checkpoints one container and returns the archive path(s) on the node
  // (the response's "items", usually one
  // "/var/lib/kubelet/checkpoints/checkpoint-<pod>_<ns>-<container>-<time>.tar").
  // Errors:
  //   InvalidArgument  - an empty name, a negative timeout (nothing is sent),
  //                      or 400 from the kubelet;
  //   Unauthenticated  - 401 (token missing, expired or not accepted);
  //   PermissionDenied - 403 (no `create` on nodes/checkpoint);
  //   NotFound         - 404: "checkpointing not enabled or container unknown"
  //                      (feature gate off, unknown pod/container, or a
  //                      runtime without checkpoint support);
  //   Unavailable      - 500 / other 5xx with the kubelet's message (the
  //                      runtime failed, e.g. CRIU), or the node is
  //                      unreachable / TLS failed (retryable);
  //   DeadlineExceeded - no answer within the timeout;
  //   Internal         - a 2xx whose body is not {"items":[...]} with at
  //                      least one path.
  // Messages name the node and namespace/pod/container, never the token.
  Result<std::vector<std::string>> Checkpoint(const CheckpointRequest& req);

  // "https://<host>:<port>" (IPv6 hosts bracketed).
  std::string BaseUrl() const;

 private:
  std::shared_ptr<http::Client> http_;
  KubeletOptions opts_;
};

}  // namespace kbr::checkpoint
