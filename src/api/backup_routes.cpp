// Backup routes: GET/POST /api/v1/backup, GET/PUT/DELETE /api/v1/backup/:id.
// A backup configuration is the StatefulMigration backup-<id>
// (backup/backup_object.h). Execute and the cluster resources live in
// backup_execute_routes.cpp and are registered from AddBackupRoutes.
//
// Writes go to the apiserver as the caller; reads come from the informer
// cache after an access check. Validation happens before anything is
// written; references (cluster, registry) are checked as the caller sees
// them. PUT uses the resourceVersion it is given: a stale one is a 409.
#include "api/fields.h"
#include "api/list_query.h"
#include "api/routes.h"
#include "api/schedule_input.h"
#include "backup/backup_object.h"
#include "backup/objects.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/log.h"
#include "karmada/clusters.h"
#include "registry/reference.h"

namespace kbr::api {

// Defined in backup_execute_routes.cpp.
void AddBackupExecuteRoutes(Router& router, Services& services);

namespace bj = boost::json;
namespace res = kube::resources;
using backup::BackupConfig;

namespace {

constexpr const char* kBase = "/api/v1/backup";
constexpr const char* kGroup = "migration.dcnlab.com";

backup::BackupSchedule FromSpec(const ScheduleSpec& s) {
  return {.type = s.type, .value = s.value, .cron = s.cron, .time_zone = s.time_zone, .enabled = s.enabled};
}

ScheduleSpec ToSpec(const backup::BackupSchedule& b) {
  return {.type = b.type, .value = b.value, .cron = b.cron, .time_zone = b.time_zone, .enabled = b.enabled};
}

// A DNS-1123 subdomain (what Kubernetes allows for pod, statefulset and cluster names).
Status ValidateSubdomain(const std::string& field, const std::string& value) {
  if (IsDns1123Subdomain(value)) return Status::Ok();
  return Status::InvalidArgument(field + ": '" + value.substr(0, 80) +
                                 "' is not a valid name (lower-case letters, digits, '-' and '.', starting and "
                                 "ending with a letter or digit, at most 253 characters)");
}

// What an input changed that must be checked against the apiserver.
struct Changes {
  bool cluster = false;
  bool registry = false;  // registryId or repository: imageRepository is recomputed
};

// Reads the body over `cfg` (create: an empty config; update: the stored
// one). On update, absent or null fields keep their value and a partial
// `schedule` is merged over the stored one. Errors name the field.
Result<Changes> ReadBackupInput(const bj::object& body, bool create, BackupConfig* cfg) {
  Fields f(body);
  Changes ch;
  if (create || f.Has("name")) {
    ASSIGN_OR_RETURN(cfg->name, f.Required("name", 253));
  }
  ASSIGN_OR_RETURN(cfg->description, f.Optional("description", cfg->description, 1024));
  if (create || f.Has("cluster")) {
    ASSIGN_OR_RETURN(cfg->cluster, f.Required("cluster", 253));
    RETURN_IF_ERROR(ValidateSubdomain("cluster", cfg->cluster));
    ch.cluster = true;
  }
  if (create || f.Has("resourceType")) {
    ASSIGN_OR_RETURN(cfg->resource_type, f.Enum("resourceType", {"pod", "statefulset"}, true));
  }
  if (create || f.Has("resourceName")) {
    ASSIGN_OR_RETURN(cfg->resource_name, f.Required("resourceName", 253));
    RETURN_IF_ERROR(ValidateSubdomain("resourceName", cfg->resource_name));
  }
  if (create || f.Has("namespace")) {
    ASSIGN_OR_RETURN(cfg->ns, f.Required("namespace", 63));
    RETURN_IF_ERROR(ValidateDns1123Label("namespace", cfg->ns, 63));
  }
  if (create || f.Has("registryId")) {
    ASSIGN_OR_RETURN(cfg->registry_id, f.Required("registryId", 63));
    RETURN_IF_ERROR(ValidateDns1123Label("registryId", cfg->registry_id, 63));
    ch.registry = true;
  }
  if (create || f.Has("repository")) {
    ASSIGN_OR_RETURN(cfg->repository, f.Required("repository", 255));
    RETURN_IF_ERROR(registry::ValidateRepository(cfg->repository));
    ch.registry = true;
  }
  ASSIGN_OR_RETURN(const bj::object* sched, f.Object("schedule"));
  if (create || (sched && cfg->schedule.value.empty())) {
    ASSIGN_OR_RETURN(ScheduleSpec spec, ReadSchedule(sched, false));
    cfg->schedule = FromSpec(spec);
  } else if (sched) {
    bj::object merged = ScheduleJson(ToSpec(cfg->schedule));
    for (const auto& kv : *sched) merged[kv.key()] = kv.value();
    ASSIGN_OR_RETURN(ScheduleSpec spec, ReadSchedule(&merged, true));
    cfg->schedule = FromSpec(spec);
  }
  return ch;
}

// The next run after `now` as RFC 3339, "" when the schedule is disabled.
Result<std::string> NextRun(const backup::BackupSchedule& b, TimePoint now) {
  if (!b.enabled || b.cron.empty()) return std::string();
  auto runs = NextRunsOf(ToSpec(b), now, 1);
  if (!runs.ok()) return runs.status().Annotate("schedule.value");
  return runs->empty() ? std::string() : FormatRfc3339(runs->front());
}

// Checks, as the caller, that the cluster and registry the input names exist,
// and computes imageRepository from the registry's URL.
Status CheckReferences(Request& req, Services& s, const Changes& ch, BackupConfig* cfg) {
  if (ch.cluster) {
    auto cluster = karmada::GetCluster(*req.caller, cfg->cluster);
    if (!cluster.ok()) {
      if (cluster.status().code() != StatusCode::kNotFound) return cluster.status();
      return Status::FailedPrecondition("cluster: cluster '" + cfg->cluster + "' not found in Karmada");
    }
  }
  if (ch.registry) {
    Status missing = Status::FailedPrecondition("registryId: registry '" + cfg->registry_id + "' not found");
    auto secret = req.caller->Get(res::kSecrets, s.ns, backup::RegistrySecretName(cfg->registry_id));
    if (!secret.ok()) return secret.status().code() == StatusCode::kNotFound ? missing : secret.status();
    bj::value reg = backup::RegistryView(*secret);  // no password in it
    if (json::GetString(reg, "id") != cfg->registry_id) return missing;
    auto image = backup::ImageRepository(json::GetString(reg, "url"), cfg->repository);
    if (!image.ok()) return Status::FailedPrecondition("registryId: " + image.status().message());
    cfg->image_repository = *image;
  }
  return Status::Ok();
}

// Writes status.nextRun when it differs (keeping the rest of the status).
// Status is optional: on failure the object is returned as it was.
bj::value SyncNextRun(Request& req, Services& s, bj::value obj, const std::string& next) {
  if (json::GetString(obj, "status.nextRun") == next) return obj;
  bj::value with = obj;
  json::Set(with, "status.nextRun", bj::value(next));
  auto updated = req.caller->UpdateStatus(backup::kStatefulMigrations, s.ns, with);
  if (updated.ok()) return std::move(*updated);
  spdlog::warn("backup {}: could not write status.nextRun: {}", json::GetString(obj, "metadata.name"),
               updated.status().message());
  return obj;
}

bj::value ViewWithNextRun(const bj::value& obj, const std::string& next) {
  bj::value v = backup::BackupView(obj);
  v.as_object()["nextRun"] = next;
  return v;
}

Status Stale(const std::string& id, const std::string& rv) {
  return Status::Conflict("backup '" + id + "' was changed by someone else (resourceVersion " + rv +
                          " is stale): reload it and retry");
}

Reply List(Request& req, Services& s) {
  auto q = ParseListQuery(req.http);
  if (!q.ok()) return Error(q.status());
  if (Status a = s.CheckRead(req, "list", kGroup, "statefulmigrations"); !a.ok()) return Error(a);
  // Views are built once per object version by the informer (server.cpp).
  return Ok(Paginate(*s.migrations->TextsByIndex(backup::kTypeLabel, backup::kBackupType), *q, "backups"));
}

// status.lastExecution when the controller has written it, else the newest
// execution record in the cache (when the caller may list them).
void FillLastExecution(Request& req, Services& s, const std::string& id, bj::value& view) {
  if (!view.as_object()["lastExecution"].is_null()) return;
  if (!s.CheckRead(req, "list", kGroup, "checkpointbackups").ok()) return;
  std::optional<bj::value> newest;  // execution ids end in their UTC start time
  for (auto& e : s.executions->ListByIndex(backup::kBackupIdLabel, id)) {
    if (!newest || json::GetString(e, "id") > json::GetString(*newest, "id")) newest = std::move(e);
  }
  if (!newest) return;
  view.as_object()["lastExecution"] = bj::object{{"id", json::GetString(*newest, "id")},
                                                 {"time", json::GetString(*newest, "createdAt")},
                                                 {"phase", json::GetString(*newest, "phase")},
                                                 {"bytes", json::GetInt(*newest, "bytes")},
                                                 {"message", json::GetString(*newest, "message")}};
}

Reply Get(Request& req, Services& s) {
  const std::string& id = req.Param("id");
  if (Status a = s.CheckRead(req, "get", kGroup, "statefulmigrations"); !a.ok()) return Error(a);
  std::optional<bj::value> view;
  if (IsDns1123Label(id, 63)) {
    view = s.migrations->Get(s.ns, backup::BackupObjectName(id));
    if (view && !backup::IsBackupView(*view)) view.reset();
  }
  if (!view) {  // just created and not yet in the cache?
    auto direct = backup::GetBackup(*req.caller, s.ns, id);
    if (!direct.ok()) return Error(direct.status());
    view = backup::BackupView(*direct);
  }
  FillLastExecution(req, s, id, *view);
  return Ok(std::move(*view));
}

Reply Create(Request& req, Services& s) {
  auto body = ParseBody(req);
  if (!body.ok()) return Error(body.status());
  BackupConfig cfg;
  auto changes = ReadBackupInput(*body, true, &cfg);
  if (!changes.ok()) return Error(changes.status());
  auto next = NextRun(cfg.schedule, s.clock->Now());
  if (!next.ok()) return Error(next.status());
  if (Status st = CheckReferences(req, s, *changes, &cfg); !st.ok()) return Error(st);
  cfg.id = NewId(cfg.name);
  auto created = req.caller->Create(backup::kStatefulMigrations, s.ns, backup::BackupMigration(cfg, s.ns));
  if (!created.ok()) return Error(created.status());
  bj::value obj = SyncNextRun(req, s, std::move(*created), *next);
  return Ok(ViewWithNextRun(obj, *next), 201, "backup created");
}

Reply Update(Request& req, Services& s) {
  const std::string& id = req.Param("id");
  auto body = ParseBody(req);
  if (!body.ok()) return Error(body.status());
  auto current = backup::GetBackup(*req.caller, s.ns, id);
  if (!current.ok()) return Error(current.status());
  auto cfg = backup::BackupFromMigration(*current);
  if (!cfg.ok()) return Error(Status::NotFound("backup '" + id + "' not found"));
  std::string current_rv = json::GetString(*current, "metadata.resourceVersion");
  auto rv = Fields(*body).Optional("resourceVersion", current_rv, 64);
  if (!rv.ok()) return Error(rv.status());
  auto changes = ReadBackupInput(*body, false, &*cfg);
  if (!changes.ok()) return Error(changes.status());
  auto next = NextRun(cfg->schedule, s.clock->Now());
  if (!next.ok()) return Error(next.status());
  if (rv->empty()) *rv = current_rv;
  if (*rv != current_rv) return Error(Stale(id, *rv));
  if (Status st = CheckReferences(req, s, *changes, &*cfg); !st.ok()) return Error(st);

  // The stored object with our labels, annotations and spec replaced; other
  // metadata (and labels others added) kept.
  bj::value want = backup::BackupMigration(*cfg, s.ns);
  bj::value obj = *current;
  bj::object& meta = obj.as_object()["metadata"].as_object();
  for (const char* key : {"labels", "annotations"}) {
    if (!meta[key].is_object()) meta[key] = bj::object{};
    for (const auto& kv : json::Find(want, std::string("metadata.") + key)->as_object()) {
      meta[key].as_object()[kv.key()] = kv.value();
    }
  }
  meta["resourceVersion"] = *rv;
  obj.as_object()["spec"] = json::Find(want, "spec")->as_object();
  obj.as_object().erase("status");
  auto updated = req.caller->Update(backup::kStatefulMigrations, s.ns, obj);
  if (!updated.ok()) {
    if (updated.status().code() == StatusCode::kConflict) return Error(Stale(id, *rv));
    if (updated.status().code() == StatusCode::kNotFound) {
      return Error(Status::NotFound("backup '" + id + "' not found"));
    }
    return Error(updated.status());
  }
  bj::value out = SyncNextRun(req, s, std::move(*updated), *next);
  return Ok(ViewWithNextRun(out, *next), 200, "backup updated");
}

// Deletes the executions (and the Works placing them on the member, whose
// deletion removes the member copies) first, then the configuration: a
// failure half-way leaves a backup that a retry finishes deleting.
Reply Delete(Request& req, Services& s) {
  const std::string& id = req.Param("id");
  auto current = backup::GetBackup(*req.caller, s.ns, id);
  if (!current.ok()) return Error(current.status());
  auto executions = req.caller->ListAll(backup::kCheckpointBackups, s.ns,
                                        {.label_selector = std::string(backup::kBackupIdLabel) + "=" + id});
  if (!executions.ok()) return Error(executions.status().Annotate("listing the executions of backup '" + id + "'"));
  for (const auto& e : *executions) {
    std::string name = json::GetString(e, "metadata.name");
    std::string cluster = json::GetString(e, "spec.cluster");
    if (IsDns1123Subdomain(cluster)) {
      Status w = req.caller->Delete(backup::kWorks, backup::ExecutionSpace(cluster), name);
      if (!w.ok() && w.code() != StatusCode::kNotFound) {
        return Error(w.Annotate("deleting the copy of execution '" + name + "' on cluster '" + cluster + "'"));
      }
    }
    Status d = req.caller->Delete(backup::kCheckpointBackups, s.ns, name);
    if (!d.ok() && d.code() != StatusCode::kNotFound) return Error(d.Annotate("deleting execution '" + name + "'"));
  }
  Status d = req.caller->Delete(backup::kStatefulMigrations, s.ns, backup::BackupObjectName(id));
  if (!d.ok()) {
    return Error(d.code() == StatusCode::kNotFound ? Status::NotFound("backup '" + id + "' not found") : d);
  }
  return Ok(bj::object{{"id", id}, {"executionsDeleted", executions->size()}}, 200, "backup deleted");
}

}  // namespace

void AddBackupRoutes(Router& router, Services& s) {
  const std::string one = std::string(kBase) + "/:id";
  router.Add({.method = "GET", .pattern = kBase, .handler = [&s](Request& r) { return List(r, s); },
              .summary = "List backup configurations", .tag = "Backup", .response_schema = "BackupList",
              .list = true});
  router.Add({.method = "POST", .pattern = kBase, .handler = [&s](Request& r) { return Create(r, s); },
              .summary = "Create a backup configuration (StatefulMigration backup-<id>)", .tag = "Backup",
              .request_schema = "BackupInput", .response_schema = "Backup", .success_status = 201});
  router.Add({.method = "GET", .pattern = one, .handler = [&s](Request& r) { return Get(r, s); },
              .summary = "Get a backup configuration", .tag = "Backup", .response_schema = "Backup"});
  router.Add({.method = "PUT", .pattern = one, .handler = [&s](Request& r) { return Update(r, s); },
              .summary = "Update a backup configuration (absent fields keep their value; a stale "
                         "resourceVersion gives 409)",
              .tag = "Backup", .request_schema = "BackupInput", .response_schema = "Backup"});
  router.Add({.method = "DELETE", .pattern = one, .handler = [&s](Request& r) { return Delete(r, s); },
              .summary = "Delete a backup configuration and its execution records", .tag = "Backup",
              .response_schema = "BackupDeleted"});
  AddBackupExecuteRoutes(router, s);
}

}  // namespace kbr::api
