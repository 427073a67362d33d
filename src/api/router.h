// Router: the route table of the REST API. A route is a method, a pattern
// with ":param" segments, a handler and the facts the OpenAPI document is
// generated from. Matching is exact on literal segments; literals win over
// parameters ("/recovery" is not "/:id"). Not thread-safe while adding;
// Match is safe to call concurrently after setup.
#pragma once

#include <boost/json/value.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/http_server.h"
#include "kube/client.h"

namespace kbr::api {

// What a handler sees: the parsed request, its path parameters and a
// Kubernetes client acting as the caller (nullptr on routes without auth).
struct Request {
  const http::ServerRequest& http;
  std::map<std::string, std::string> params;
  kube::Client* caller = nullptr;
  std::string caller_token;  // never logged or echoed

  const std::string& Param(const std::string& name) const { return params.at(name); }
};

using Reply = http::ServerResponse;
using HandlerFn = std::function<Reply(Request&)>;

struct Route {
  std::string method;
  std::string pattern;  // "/api/v1/backup/registry/:id"
  HandlerFn handler;
  std::string summary;
  std::string tag;              // OpenAPI tag: Registry, Backup, Recovery, Settings, System
  std::string request_schema;   // components/schemas name of the body, "" for none
  std::string response_schema;  // schema of `data` in the envelope, "" for none
  int success_status = 200;
  bool auth = true;        // needs a bearer token
  bool list = false;       // takes page/itemsPerPage/sortBy/filterBy
  bool envelope = true;    // false for /metrics, /healthz and the web UI
  std::vector<std::string> query_params;  // other documented query parameters
};

class Router {
 public:
  void Add(Route route);
  // The route for method+path, filling *params; nullptr if none. When the
  // path exists with another method, *path_exists is set.
  const Route* Match(const std::string& method, const std::string& path, std::map<std::string, std::string>* params,
                     bool* path_exists) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace kbr::api
