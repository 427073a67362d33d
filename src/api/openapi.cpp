#include "api/openapi.h"

namespace kbr::api {

namespace bj = boost::json;

namespace {

bj::value Ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }

// "/a/:id/b" → "/a/{id}/b" and the parameter names.
std::string OpenApiPath(const std::string& pattern, std::vector<std::string>* params) {
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == ':') {
      size_t end = pattern.find('/', i);
      std::string name = pattern.substr(i + 1, end == std::string::npos ? std::string::npos : end - i - 1);
      params->push_back(name);
      out += "{" + name + "}";
      i = end == std::string::npos ? pattern.size() : end;
    } else {
      out.push_back(pattern[i++]);
    }
  }
  return out;
}

bj::value QueryParam(const std::string& name, const std::string& description) {
  return {{"name", name}, {"in", "query"}, {"required", false}, {"description", description},
          {"schema", {{"type", "string"}}}};
}

bj::value Envelope(const bj::value& data_schema) {
  return {{"type", "object"},
          {"required", {"code", "message", "data"}},
          {"properties", {{"code", {{"type", "integer"}}}, {"message", {{"type", "string"}}}, {"data", data_schema}}}};
}

bj::object Operation(const Route& r, const std::vector<std::string>& path_params) {
  bj::object op{{"summary", r.summary}, {"tags", {r.tag}}, {"operationId", r.method + " " + r.pattern}};
  bj::array params;
  for (const auto& p : path_params) {
    params.push_back({{"name", p}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
  }
  if (r.list) {
    params.push_back(QueryParam("page", "1-based page number"));
    params.push_back(QueryParam("itemsPerPage", "items per page (default all; 10 when page is given)"));
    params.push_back(QueryParam("sortBy", "'<a|d>,<field>', e.g. 'd,creationTimestamp'"));
    params.push_back(QueryParam("filterBy", "'<field>,<substring>' pairs, e.g. 'name,mysql'"));
  }
  for (const auto& q : r.query_params) params.push_back(QueryParam(q, q));
  if (!params.empty()) op["parameters"] = std::move(params);
  if (r.auth) op["security"] = bj::array{{{"bearer", bj::array{}}}};
  if (!r.request_schema.empty()) {
    op["requestBody"] = {{"required", true}, {"content", {{"application/json", {{"schema", Ref(r.request_schema)}}}}}};
  }
  bj::object responses;
  std::string ok = std::to_string(r.success_status);
  if (!r.envelope) {
    responses[ok] = {{"description", "success"}, {"content", {{"text/plain", {{"schema", {{"type", "string"}}}}}}}};
  } else {
    bj::value data = r.response_schema.empty() ? bj::value{{"nullable", true}} : Ref(r.response_schema);
    responses[ok] = {{"description", "success"}, {"content", {{"application/json", {{"schema", Envelope(data)}}}}}};
    bj::value err = {{"description", "error: message names the field or object and the reason"},
                     {"content", {{"application/json", {{"schema", Ref("Error")}}}}}};
    for (const char* code : {"400", "401", "403", "404", "409", "422", "502", "503"}) responses[code] = err;
  }
  op["responses"] = std::move(responses);
  return op;
}

}  // namespace

bj::value OpenApiDocument(const Router& router) {
  bj::object paths;
  for (const auto& r : router.routes()) {
    std::vector<std::string> params;
    std::string path = OpenApiPath(r.pattern, &params);
    std::string method = r.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bj::value& entry = paths[path];
    if (!entry.is_object()) entry.emplace_object();
    entry.as_object()[method] = Operation(r, params);
  }
  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "kbr Backup & Recovery API"},
            {"version", KBR_VERSION},
            {"description",
             "Backup, recovery and migration of stateful workloads across Karmada clusters. Every response is "
             "{code, message, data}; code equals the HTTP status."}}},
          {"paths", std::move(paths)},
          {"components",
           {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}, {"schemas", Schemas()}}}};
}

}  // namespace kbr::api
