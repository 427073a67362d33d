// JSON Schemas of the API's request bodies and `data` payloads (OpenAPI
// components). Views are produced by backup/objects.cpp; inputs are read by
// the handlers with api/fields.h.
#include "api/openapi.h"

namespace kbr::api {

namespace bj = boost::json;

namespace {

bj::value Str(const std::string& description = "") {
  bj::object o{{"type", "string"}};
  if (!description.empty()) o["description"] = description;
  return o;
}
bj::value Int() { return {{"type", "integer"}}; }
bj::value Bool() { return {{"type", "boolean"}}; }
bj::value Ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }
bj::value Obj(bj::object props, bj::array required = {}) {
  bj::object o{{"type", "object"}, {"properties", std::move(props)}};
  if (!required.empty()) o["required"] = std::move(required);
  return o;
}
bj::value Enum(std::initializer_list<const char*> values) {
  bj::array a;
  for (const char* v : values) a.push_back(bj::value(v));
  return {{"type", "string"}, {"enum", std::move(a)}};
}
bj::value ListOf(const std::string& plural, const std::string& item) {
  return Obj({{"listMeta", Obj({{"totalItems", Int()}})}, {plural, {{"type", "array"}, {"items", Ref(item)}}}});
}

bj::value Schedule() {
  return Obj({{"type", Enum({"selection", "cron"})},
              {"value", Str("selection: 5m|15m|30m|1h|6h|12h|daily|weekly; cron: a 5-field expression or @daily...")},
              {"cron", Str("the effective cron expression (computed)")},
              {"timeZone", Str("IANA time zone, default UTC")},
              {"enabled", Bool()}},
             {"type", "value"});
}

}  // namespace

bj::object Schemas() {
  bj::object s;
  s["Error"] = Obj({{"code", Int()},
                    {"message", Str()},
                    {"data", {{"nullable", true},
                              {"type", "object"},
                              {"properties",
                               {{"causes", {{"type", "array"}, {"items", Obj({{"field", Str()}, {"message", Str()}})}}}}}}}},
                   {"code", "message"});
  s["RegistryCheck"] = Obj({{"reachable", Bool()},
                            {"tlsVerified", Bool()},
                            {"authenticated", Bool()},
                            {"authScheme", Str()},
                            {"message", Str()},
                            {"checkedAt", Str()}});
  s["Registry"] = Obj({{"id", Str()},
                       {"name", Str()},
                       {"url", Str()},
                       {"username", Str()},
                       {"description", Str()},
                       {"hasPassword", Bool()},
                       {"insecureSkipVerify", Bool()},
                       {"hasCaBundle", Bool()},
                       {"createdAt", Str()},
                       {"updatedAt", Str()},
                       {"resourceVersion", Str()},
                       {"status", Ref("RegistryCheck")}});
  s["RegistryInput"] = Obj({{"name", Str()},
                            {"url", Str("registry URL, e.g. https://registry.example.com")},
                            {"registry", Str("alias of url")},
                            {"username", Str()},
                            {"password", Str("write-only; omitted on update keeps the stored one")},
                            {"description", Str()},
                            {"insecureSkipVerify", Bool()},
                            {"caBundle", Str("PEM CA bundle for the registry's TLS")},
                            {"resourceVersion", Str("optimistic concurrency on update")}},
                           {"name"});
  s["RegistryList"] = ListOf("registries", "Registry");
  s["Schedule"] = Schedule();
  s["Backup"] = Obj({{"id", Str()},
                     {"name", Str()},
                     {"description", Str()},
                     {"cluster", Str()},
                     {"resourceType", Enum({"pod", "statefulset"})},
                     {"resourceName", Str()},
                     {"namespace", Str()},
                     {"registryId", Str()},
                     {"repository", Str()},
                     {"imageRepository", Str()},
                     {"backupType", Str()},
                     {"schedule", Ref("Schedule")},
                     {"phase", Str()},
                     {"nextRun", Str()},
                     {"lastExecution",
                      {{"type", "object"},
                       {"nullable", true},
                       {"description", "the newest run: {id, time, phase, bytes, message}"}}},
                     {"message", Str()},
                     {"createdAt", Str()},
                     {"resourceVersion", Str()}});
  s["BackupInput"] = Obj({{"name", Str()},
                          {"description", Str()},
                          {"cluster", Str()},
                          {"resourceType", Enum({"pod", "statefulset"})},
                          {"resourceName", Str()},
                          {"namespace", Str()},
                          {"registryId", Str()},
                          {"repository", Str()},
                          {"schedule", Ref("Schedule")},
                          {"resourceVersion", Str("optimistic concurrency on update: a stale one gives 409")}},
                         {"name", "cluster", "resourceType", "resourceName", "namespace", "registryId", "repository"});
  s["BackupList"] = ListOf("backups", "Backup");
  s["BackupDeleted"] = Obj({{"id", Str()}, {"executionsDeleted", Int()}});
  s["Execution"] = Obj({{"id", Str()},
                        {"backupId", Str()},
                        {"cluster", Str()},
                        {"trigger", Str()},
                        {"phase", Enum({"Pending", "Checkpointing", "Pushing", "Completed", "Failed"})},
                        {"createdAt", Str()},
                        {"startedAt", Str()},
                        {"completedAt", Str()},
                        {"durationMs", Int()},
                        {"bytes", Int()},
                        {"containers",
                         {{"type", "array"},
                          {"items", Obj({{"pod", Str()},
                                         {"container", Str()},
                                         {"node", Str()},
                                         {"image", Str()},
                                         {"digest", Str()},
                                         {"bytes", Int()},
                                         {"durationMs", Int()}})}}},
                        {"message", Str()}});
  s["ExecutionList"] = ListOf("executions", "Execution");
  s["Recovery"] = Obj({{"id", Str()},
                       {"name", Str()},
                       {"backupId", Str()},
                       {"executionId", Str()},
                       {"sourceCluster", Str()},
                       {"targetCluster", Str()},
                       {"recoveryType", Enum({"restore", "migrate"})},
                       {"targetName", Str()},
                       {"targetNamespace", Str()},
                       {"resourceType", Str()},
                       {"resourceName", Str()},
                       {"namespace", Str()},
                       {"phase", Enum({"Pending", "Running", "Succeeded", "Failed", "Cancelled"})},
                       {"progress", Int()},
                       {"steps",
                        {{"type", "array"},
                         {"items", Obj({{"name", Str("Created, Started, Cancelled, ... (the controller adds its own)")},
                                        {"time", Str("RFC 3339 UTC")},
                                        {"message", Str()}})}}},
                       {"message", Str()},
                       {"createdAt", Str()},
                       {"resourceVersion", Str()}});
  s["RecoveryInput"] = Obj({{"name", Str()},
                            {"backupId", Str()},
                            {"executionId", Str("default: the latest completed execution")},
                            {"targetCluster", Str()},
                            {"recoveryType", Enum({"restore", "migrate"})},
                            {"targetName", Str()},
                            {"targetNamespace", Str()}},
                           {"name", "backupId", "targetCluster", "recoveryType"});
  s["RecoveryList"] = ListOf("recoveries", "Recovery");
  s["RecoveryDeleted"] = Obj({{"id", Str()}});
  s["Cluster"] = Obj({{"name", Str()},
                      {"ready", Bool()},
                      {"message", Str()},
                      {"kubernetesVersion", Str()},
                      {"syncMode", Str()},
                      {"apiEndpoint", Str()},
                      {"nodeCount", Int()},
                      {"readyNodeCount", Int()},
                      {"createdAt", Str()},
                      {"controller",
                       Obj({{"state", Enum({"NotInstalled", "Installing", "Healthy", "Degraded", "Unknown"})},
                            {"version", Str("the agent image's tag when installed")},
                            {"message", Str("why: pods ready, or why the state is Unknown (cluster not Ready, "
                                            "member unreadable)")}})}});
  s["ClusterList"] = ListOf("clusters", "Cluster");
  s["Resource"] = Obj({{"kind", Enum({"pod", "statefulset"})},
                       {"name", Str()},
                       {"namespace", Str()},
                       {"status", Str()},
                       {"node", Str()},
                       {"containers", {{"type", "array"}, {"items", Str()}}},
                       {"replicas", Int()},
                       {"readyReplicas", Int()},
                       {"createdAt", Str()}});
  s["ResourceList"] = ListOf("resources", "Resource");
  s["SchedulePreviewInput"] = Obj({{"schedule", Ref("Schedule")},
                                   {"from", Str("RFC 3339 instant to start from (default now)")},
                                   {"count", Int()}},
                                  {"schedule"});
  s["SchedulePreview"] = Obj({{"cron", Str()},
                              {"timeZone", Str()},
                              {"description", Str()},
                              {"nextRuns", {{"type", "array"}, {"items", Str("RFC 3339 UTC")}}}});
  s["ExecuteResult"] = Obj({{"executionId", Str()}, {"phase", Str()}, {"backupId", Str()}});
  return s;
}

}  // namespace kbr::api
