// The response envelope, compatible with the Karmada dashboard:
// {"code": <HTTP status>, "message": <text>, "data": <any>} with the real
// HTTP status. Errors carry the Status message (already naming the field or
// object) and, for field errors, data.causes = [{field, message}].
#pragma once

#include <boost/json/value.hpp>

#include <string>

#include "api/router.h"
#include "core/status.h"

namespace kbr::api {

Reply Ok(boost::json::value data, int status = 200, const std::string& message = "success");
Reply Error(const Status& status);
Reply Error(int http_status, const std::string& message);

// Parses a JSON object body: InvalidArgument "body: ..." when it is not JSON
// or not an object.
Result<boost::json::object> ParseBody(const Request& req);

}  // namespace kbr::api
