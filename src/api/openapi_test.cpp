// The OpenAPI document against the router it is generated from: every route
// the server registers is documented (method + path) and every documented
// operation is a route, every $ref resolves, every path parameter is
// declared. Handlers are never called, so the services are empty.
#include "api/openapi.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "api/metrics.h"
#include "api/routes.h"

namespace kbr::api {
namespace {

namespace bj = boost::json;

// The server's route table, built exactly as ApiServer does.
struct FullRouter {
  FullRouter() {
    AddRegistryRoutes(router, services);
    AddBackupRoutes(router, services);
    AddRecoveryRoutes(router, services);
    AddSettingsRoutes(router, services);
    AddScheduleRoutes(router, services);
    AddSystemRoutes(router, services, metrics);
  }
  Services services;
  Metrics metrics;
  Router router;
};

// "/a/:id/b" → "/a/{id}/b".
std::string ToOpenApiPath(const std::string& pattern) {
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == ':') {
      size_t end = pattern.find('/', i);
      if (end == std::string::npos) end = pattern.size();
      out += "{" + pattern.substr(i + 1, end - i - 1) + "}";
      i = end;
    } else {
      out.push_back(pattern[i++]);
    }
  }
  return out;
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const std::set<std::string> kHttpMethods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};

// Every "$ref" anywhere under v.
void CollectRefs(const bj::value& v, std::set<std::string>* refs) {
  if (v.is_object()) {
    for (const auto& [k, child] : v.as_object()) {
      if (k == "$ref" && child.is_string()) refs->insert(std::string(child.get_string()));
      CollectRefs(child, refs);
    }
  } else if (v.is_array()) {
    for (const auto& child : v.as_array()) CollectRefs(child, refs);
  }
}

TEST(OpenApiTest, EveryRouteIsDocumentedAndEveryOperationIsARoute) {
  FullRouter r;
  ASSERT_FALSE(r.router.routes().empty());
  std::set<std::string> from_router;
  for (const auto& route : r.router.routes()) {
    std::string key = Lower(route.method) + " " + ToOpenApiPath(route.pattern);
    EXPECT_TRUE(from_router.insert(key).second) << "route registered twice: " << key;
  }
  bj::value doc = OpenApiDocument(r.router);
  std::set<std::string> from_doc;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    ASSERT_TRUE(item.is_object()) << path;
    for (const auto& [method, op] : item.as_object()) {
      EXPECT_TRUE(kHttpMethods.count(std::string(method))) << path << ": '" << method << "' is not a method";
      from_doc.insert(std::string(method) + " " + std::string(path));
    }
  }
  for (const auto& k : from_router) EXPECT_TRUE(from_doc.count(k)) << "route missing from the document: " << k;
  for (const auto& k : from_doc) EXPECT_TRUE(from_router.count(k)) << "documented operation is no route: " << k;
}

TEST(OpenApiTest, DocumentIsWellFormed) {
  FullRouter r;
  bj::value doc = OpenApiDocument(r.router);
  ASSERT_TRUE(doc.is_object());
  ASSERT_TRUE(doc.at("openapi").is_string());
  EXPECT_EQ(std::string(doc.at("openapi").get_string()).rfind("3.0.", 0), 0u);
  EXPECT_FALSE(std::string(doc.at("info").at("title").as_string()).empty());
  EXPECT_FALSE(std::string(doc.at("info").at("version").as_string()).empty());

  const auto& schemas = doc.at("components").at("schemas").as_object();
  std::set<std::string> refs;
  CollectRefs(doc, &refs);
  for (const auto& ref : refs) {
    const std::string prefix = "#/components/schemas/";
    ASSERT_EQ(ref.rfind(prefix, 0), 0u) << ref;
    EXPECT_TRUE(schemas.contains(ref.substr(prefix.size()))) << "unresolved $ref " << ref;
  }

  std::set<std::string> operation_ids;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    std::string p(path);
    EXPECT_EQ(p.find(':'), std::string::npos) << "express-style parameter left in " << p;
    for (const auto& [method, op_value] : item.as_object()) {
      const auto& op = op_value.as_object();
      std::string where = std::string(method) + " " + p;
      ASSERT_TRUE(op.contains("responses")) << where;
      EXPECT_FALSE(op.at("responses").as_object().empty()) << where;
      EXPECT_FALSE(std::string(op.at("summary").as_string()).empty()) << where;
      if (op.contains("operationId")) {
        EXPECT_TRUE(operation_ids.insert(std::string(op.at("operationId").as_string())).second)
            << "duplicate operationId at " << where;
      }
      // Every {param} of the path is declared as a required path parameter.
      std::set<std::string> declared;
      if (op.contains("parameters")) {
        for (const auto& prm : op.at("parameters").as_array()) {
          if (prm.at("in").as_string() == "path") {
            EXPECT_TRUE(prm.at("required").as_bool()) << where;
            declared.insert(std::string(prm.at("name").as_string()));
          }
        }
      }
      for (size_t i = p.find('{'); i != std::string::npos; i = p.find('{', i + 1)) {
        std::string name = p.substr(i + 1, p.find('}', i) - i - 1);
        EXPECT_TRUE(declared.count(name)) << where << ": path parameter '" << name << "' not declared";
      }
      if (op.contains("requestBody")) {
        EXPECT_TRUE(op.at("requestBody").at("content").as_object().contains("application/json")) << where;
      }
    }
  }
}

TEST(OpenApiTest, RoutesNameTheirSchemas) {
  FullRouter r;
  bj::object schemas = Schemas();
  for (const auto& route : r.router.routes()) {
    std::string where = route.method + " " + route.pattern;
    if (!route.request_schema.empty()) {
      EXPECT_TRUE(schemas.contains(route.request_schema)) << where << ": no schema " << route.request_schema;
    }
    if (!route.response_schema.empty()) {
      EXPECT_TRUE(schemas.contains(route.response_schema)) << where << ": no schema " << route.response_schema;
    }
    EXPECT_FALSE(route.summary.empty()) << where;
    EXPECT_FALSE(route.tag.empty()) << where;
  }
}

}  // namespace
}  // namespace kbr::api
