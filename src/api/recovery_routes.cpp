// Recovery routes: being written (see issue 5); registered so the server links.
#include "api/routes.h"

namespace kbr::api {

void AddRecoveryRoutes(Router&, Services&) {}

}  // namespace kbr::api
