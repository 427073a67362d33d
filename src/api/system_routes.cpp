// /healthz, /readyz, /metrics and the OpenAPI document.
#include <boost/json/serialize.hpp>

#include "api/metrics.h"
#include "api/openapi.h"
#include "api/routes.h"

namespace kbr::api {

void AddSystemRoutes(Router& router, Services& s, Metrics& metrics) {
  router.Add({.method = "GET",
              .pattern = "/healthz",
              .handler = [](Request&) { return http::ServerResponse::Text(200, "ok"); },
              .summary = "Liveness: the process serves HTTP",
              .tag = "System",
              .auth = false,
              .envelope = false});
  router.Add({.method = "GET",
              .pattern = "/readyz",
              .handler =
                  [&s](Request&) {
                    std::string problems;
                    auto ping = s.server_client->Raw("GET", "/readyz");
                    if (!ping.ok()) {
                      problems += "apiserver unreachable: " + ping.status().message() + "\n";
                    } else if (ping->status != 200) {
                      problems += "apiserver not ready (HTTP " + std::to_string(ping->status) + ")\n";
                    }
                    for (auto [name, inf] : {std::pair{"statefulmigrations", s.migrations},
                                             {"checkpointbackups", s.executions},
                                             {"registries", s.registries}}) {
                      if (!inf->HasSynced()) {
                        problems += std::string("cache ") + name + " not synced: " + inf->LastError() + "\n";
                      }
                    }
                    if (problems.empty()) return http::ServerResponse::Text(200, "ok");
                    return http::ServerResponse::Text(503, problems);
                  },
              .summary = "Readiness: apiserver reachable and caches synced",
              .tag = "System",
              .auth = false,
              .envelope = false});
  router.Add({.method = "GET",
              .pattern = "/metrics",
              .handler =
                  [&metrics](Request&) {
                    auto r = http::ServerResponse::Text(200, metrics.Render());
                    r.headers = {{"Content-Type", "text/plain; version=0.0.4"}};
                    return r;
                  },
              .summary = "Prometheus metrics",
              .tag = "System",
              .auth = false,
              .envelope = false});
  router.Add({.method = "GET",
              .pattern = "/api/v1/backup/openapi.json",
              .handler = [&router](Request&) {
                return http::ServerResponse::Json(200, boost::json::serialize(OpenApiDocument(router)));
              },
              .summary = "This API's OpenAPI 3.0 document",
              .tag = "System",
              .auth = false,
              .envelope = false});
}

}  // namespace kbr::api
