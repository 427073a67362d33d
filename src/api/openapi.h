// The OpenAPI 3.0 document of the REST API, generated from the route table
// (paths, methods, parameters, request bodies, envelope-wrapped responses)
// and the schemas in schemas.cpp, so it cannot drift from the router.
#pragma once

#include <boost/json/value.hpp>

#include "api/router.h"

namespace kbr::api {

boost::json::value OpenApiDocument(const Router& router);
// components.schemas: every schema a route names.
boost::json::object Schemas();

}  // namespace kbr::api
