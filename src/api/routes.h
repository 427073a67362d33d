// The route groups of the REST API; each file registers its routes with the
// router (one handler file per seed route group).
#pragma once

#include "api/router.h"
#include "api/services.h"

namespace kbr::api {

class Metrics;

void AddRegistryRoutes(Router& router, Services& services);
void AddBackupRoutes(Router& router, Services& services);
void AddRecoveryRoutes(Router& router, Services& services);
void AddSettingsRoutes(Router& router, Services& services);
void AddScheduleRoutes(Router& router, Services& services);
// /healthz, /readyz, /metrics, /api/v1/backup/openapi.json; `router` must be
// complete (every other group added) before the OpenAPI route is served.
void AddSystemRoutes(Router& router, Services& services, Metrics& metrics);

}  // namespace kbr::api
