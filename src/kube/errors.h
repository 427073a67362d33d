// Maps apiserver responses to Status: the metav1.Status `reason` decides the
// code (falling back to the HTTP status), and `message` plus field causes are
// kept so callers can show the apiserver's own words.
#pragma once

#include <string>

#include "core/status.h"

namespace kbr::kube {

// `http_status` >= 400 with the response body (a metav1.Status or anything).
// `what` prefixes the message, e.g. "get secrets karmada-system/x".
Status StatusFromResponse(int http_status, const std::string& body, const std::string& what);

}  // namespace kbr::kube
