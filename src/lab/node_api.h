// The lab node's kubelet API (served over HTTPS on 127.0.0.1 by
// http::Server with the node's certificate; client certificates are
// requested and verified against the lab CA).
//
// Routes (the kubelet's paths and semantics):
//   GET  /healthz                                    "ok" (no authentication)
//   GET  /pods                                       PodList of the pods bound here
//   POST /checkpoint/{ns}/{pod}/{container}?timeout=N
//        200 {"items":["<archive path>"]}; 404 unknown pod/container or bad
//        timeout; 500 when the container cannot be checkpointed (not a demo,
//        not running, the dump failed)
//   GET  /containerLogs/{ns}/{pod}/{container}?tailLines=N&follow=true&limitBytes=N
//        the container's stdout+stderr as text/plain; follow streams until the
//        container stops or the client goes away
// Authentication and authorization (as the kubelet's webhook mode does):
// a client certificate verified against the lab CA is accepted; otherwise a
// bearer token is checked with a TokenReview, and the user with a
// SubjectAccessReview for resource nodes/<subresource> of this node
// (/checkpoint → checkpoint; everything else → proxy; verb from the method:
// GET get, POST create, PUT update, PATCH patch, DELETE delete).
// No credentials or a rejected token → 401; not allowed → 403.
#pragma once

#include <boost/json/value.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/http_server.h"
#include "kube/client.h"
#include "lab/node.h"
#include "lab/node_runtime.h"

namespace kbr::lab {

struct RequestAttributes {
  std::string verb;         // "get", "create", ...
  std::string subresource;  // "checkpoint", "proxy"
};

// The kubelet's mapping of a request to the nodes subresource it needs.
RequestAttributes AttributesFor(const http::ServerRequest& req);

class KubeletAuth {
 public:
  virtual ~KubeletAuth() = default;
  // OK; Unauthenticated (→ 401) without credentials or with a token the
  // apiserver rejects; PermissionDenied (→ 403) when the caller may not;
  // Unavailable when the apiserver cannot be asked. Thread-safe.
  virtual Status Authorize(const http::ServerRequest& req, const RequestAttributes& attrs) = 0;
};

// TokenReview + SubjectAccessReview against `client`'s apiserver; decisions
// are cached for 10 s per (token, verb, subresource). `client` and `clock`
// must outlive the result.
std::unique_ptr<KubeletAuth> NewApiserverAuth(kube::Client& client, std::string node_name,
                                              Clock& clock = SystemClock());

struct KubeletApiDeps {
  std::string node_name;
  NodeLayout layout;
  KubeletAuth* auth = nullptr;  // required
  Runtime* runtime = nullptr;   // required
  std::function<std::optional<boost::json::value>(const std::string& ns, const std::string& name)> get_pod;
  std::function<std::vector<boost::json::value>()> list_pods;
  Clock* clock = &SystemClock();
  const std::atomic<bool>* stopping = nullptr;  // ends log follows when set
};

// The handler of the routes above. Everything in `deps` must outlive it.
http::Handler NewKubeletHandler(KubeletApiDeps deps);

}  // namespace kbr::lab
