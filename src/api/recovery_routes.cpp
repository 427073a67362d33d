// Recovery routes: GET/POST /api/v1/backup/recovery, GET/DELETE
// /recovery/:id, POST /recovery/:id/execute, POST /recovery/:id/cancel and
// GET /recovery/backup/:backupId/history. A recovery is the StatefulMigration
// recovery-<id> (backup/recovery_object.h); history lists the backup's
// CheckpointBackup executions. Reads come from the informer caches after an
// access check; writes go to the apiserver as the caller, status through the
// status subresource with the resourceVersion read (a lost race is a 409).
#include "api/fields.h"
#include "api/list_query.h"
#include "api/routes.h"
#include "backup/objects.h"
#include "backup/recovery_object.h"
#include "core/ids.h"
#include "core/json.h"
#include "karmada/clusters.h"

namespace kbr::api {

namespace bj = boost::json;
using backup::kCheckpointBackups;
using backup::kStatefulMigrations;

namespace {

constexpr const char* kBase = "/api/v1/backup/recovery";
constexpr const char* kGroup = "migration.dcnlab.com";

std::string Shown(const std::string& s) { return s.size() > 80 ? s.substr(0, 80) + "..." : s; }

Status RecoveryNotFound(const std::string& id) { return Status::NotFound("recovery '" + Shown(id) + "' not found"); }
Status BackupNotFound(const std::string& field, const std::string& id) {
  return Status::NotFound(field + "backup '" + Shown(id) + "' not found");
}

// The body of POST /recovery, syntax-checked (400 naming the field); what
// exists and in which state is checked by Create.
Result<backup::RecoveryRequest> ReadRecoveryInput(const bj::object& body) {
  Fields f(body);
  backup::RecoveryRequest r;
  ASSIGN_OR_RETURN(r.name, f.Required("name", 253));
  ASSIGN_OR_RETURN(r.backup_id, f.Required("backupId", 63));
  if (!IsDns1123Label(r.backup_id)) {
    return Status::InvalidArgument("backupId: '" + Shown(r.backup_id) + "' is not a backup id (a DNS-1123 label)");
  }
  ASSIGN_OR_RETURN(r.target_cluster, f.Required("targetCluster", 253));
  if (!IsDns1123Subdomain(r.target_cluster)) {
    return Status::InvalidArgument("targetCluster: '" + Shown(r.target_cluster) + "' is not a valid cluster name");
  }
  ASSIGN_OR_RETURN(r.recovery_type, f.Enum("recoveryType", {"restore", "migrate"}, true));
  ASSIGN_OR_RETURN(r.target_namespace, f.Optional("targetNamespace", "", 253));
  if (!r.target_namespace.empty()) RETURN_IF_ERROR(ValidateDns1123Label("targetNamespace", r.target_namespace, 63));
  ASSIGN_OR_RETURN(r.target_name, f.Optional("targetName", "", 253));
  if (!r.target_name.empty() && !IsDns1123Subdomain(r.target_name)) {
    return Status::InvalidArgument("targetName: '" + Shown(r.target_name) +
                                   "' is not a valid name (lower-case letters, digits, '-' and '.', starting and "
                                   "ending with a letter or digit)");
  }
  ASSIGN_OR_RETURN(r.execution_id, f.Optional("executionId", "", 253));
  if (!r.execution_id.empty() && !IsDns1123Label(r.execution_id)) {
    return Status::InvalidArgument("executionId: '" + Shown(r.execution_id) + "' is not an execution id");
  }
  return r;
}

// The recovery as the apiserver has it now, read as the caller (for writes).
Result<bj::value> GetRecovery(Request& req, Services& s, const std::string& id) {
  if (!IsDns1123Label(id)) return RecoveryNotFound(id);
  auto m = req.caller->Get(kStatefulMigrations, s.ns, backup::RecoveryObjectName(id));
  if (!m.ok()) return m.status().code() == StatusCode::kNotFound ? RecoveryNotFound(id) : m.status();
  if (!backup::IsRecovery(*m)) return RecoveryNotFound(id);
  return m;
}

// The backup `id`, read as the caller. `field` prefixes the NotFound message.
Result<bj::value> GetBackup(Request& req, Services& s, const std::string& id, const std::string& field) {
  auto b = req.caller->Get(kStatefulMigrations, s.ns, backup::BackupObjectName(id));
  if (!b.ok()) return b.status().code() == StatusCode::kNotFound ? BackupNotFound(field, id) : b.status();
  if (backup::IsRecovery(*b)) return BackupNotFound(field, id);
  return b;
}

// The execution a new recovery restores: the requested one (which must be a
// Completed run of this backup) or the backup's latest Completed run.
Result<std::string> ResolveExecution(Request& req, Services& s, const backup::RecoveryRequest& in) {
  if (!in.execution_id.empty()) {
    auto e = req.caller->Get(kCheckpointBackups, s.ns, in.execution_id);
    if (!e.ok()) {
      if (e.status().code() == StatusCode::kNotFound) {
        return Status::NotFound("executionId: execution '" + in.execution_id + "' not found");
      }
      return e.status();
    }
    RETURN_IF_ERROR(backup::CheckExecutionUsable(*e, in.backup_id));
    return in.execution_id;
  }
  ASSIGN_OR_RETURN(auto runs, req.caller->ListAll(kCheckpointBackups, s.ns,
                                                  {.label_selector = std::string(backup::kBackupIdLabel) + "=" +
                                                                     in.backup_id}));
  ASSIGN_OR_RETURN(bj::value latest, backup::LatestCompletedExecution(std::move(runs), in.backup_id));
  return json::GetString(latest, "metadata.name");
}

// The target cluster must exist and be Ready.
Status CheckTargetCluster(Request& req, const std::string& name) {
  auto c = karmada::GetCluster(*req.caller, name);
  if (!c.ok()) {
    if (c.status().code() == StatusCode::kNotFound) return c.status().Annotate("targetCluster");
    return c.status();
  }
  if (!c->ready) {
    return Status::FailedPrecondition("targetCluster: cluster '" + name + "' is not Ready" +
                                      (c->ready_message.empty() ? "" : ": " + c->ready_message));
  }
  return Status::Ok();
}

Status ConflictOn(const std::string& id, const std::string& what) {
  return Status::Conflict("recovery '" + id + "' was changed by someone else while " + what +
                          "; reload it and retry");
}

Reply List(Request& req, Services& s) {
  auto q = ParseListQuery(req.http);
  if (!q.ok()) return Error(q.status());
  if (Status a = s.CheckRead(req, "list", kGroup, "statefulmigrations"); !a.ok()) return Error(a);
  return Ok(Paginate(*s.migrations->TextsByIndex(backup::kTypeLabel, backup::kRecoveryType),
                     NewestFirstUnlessSorted(*q), "recoveries"));
}

Reply Get(Request& req, Services& s) {
  const std::string& id = req.Param("id");
  if (Status a = s.CheckRead(req, "get", kGroup, "statefulmigrations"); !a.ok()) return Error(a);
  if (!IsDns1123Label(id)) return Error(RecoveryNotFound(id));
  if (auto cached = s.migrations->Get(s.ns, backup::RecoveryObjectName(id)); cached && backup::IsRecoveryView(*cached)) {
    return Ok(std::move(*cached));
  }
  auto m = GetRecovery(req, s, id);  // just created and not yet in the cache?
  if (!m.ok()) return Error(m.status());
  return Ok(backup::RecoveryView(*m));
}

Reply Create(Request& req, Services& s) {
  auto body = ParseBody(req);
  if (!body.ok()) return Error(body.status());
  auto in = ReadRecoveryInput(*body);
  if (!in.ok()) return Error(in.status());
  auto source = GetBackup(req, s, in->backup_id, "backupId: ");
  if (!source.ok()) return Error(source.status());
  auto execution_id = ResolveExecution(req, s, *in);
  if (!execution_id.ok()) return Error(execution_id.status());
  if (Status c = CheckTargetCluster(req, in->target_cluster); !c.ok()) return Error(c);
  auto spec = backup::PlanRecovery(*in, *source, *execution_id, NewId(in->name));
  if (!spec.ok()) return Error(spec.status());

  auto created = req.caller->Create(kStatefulMigrations, s.ns, backup::RecoveryMigration(*spec, s.ns));
  if (!created.ok()) return Error(created.status());
  created->as_object()["status"] = backup::InitialRecoveryStatus(s.clock->Now());
  auto updated = req.caller->UpdateStatus(kStatefulMigrations, s.ns, *created);
  if (!updated.ok()) {
    // Never leave a recovery without its initial status.
    (void)req.caller->Delete(kStatefulMigrations, s.ns, backup::RecoveryObjectName(spec->id));
    return Error(updated.status().Annotate("status of recovery '" + spec->id + "'"));
  }
  return Ok(backup::RecoveryView(*updated), 201, "recovery created");
}

// Reads the recovery, computes its next state with `transition` and writes
// the status with the resourceVersion read.
Reply Transition(Request& req, Services& s, Result<bj::value> (*transition)(const bj::value&, TimePoint),
                 const std::string& what, int success_status, const std::string& message) {
  const std::string& id = req.Param("id");
  auto current = GetRecovery(req, s, id);
  if (!current.ok()) return Error(current.status());
  auto next = transition(*current, s.clock->Now());
  if (!next.ok()) return Error(next.status());
  auto updated = req.caller->UpdateStatus(kStatefulMigrations, s.ns, *next);
  if (!updated.ok()) {
    if (updated.status().code() == StatusCode::kConflict) return Error(ConflictOn(id, what));
    if (updated.status().code() == StatusCode::kNotFound) return Error(RecoveryNotFound(id));
    return Error(updated.status());
  }
  return Ok(backup::RecoveryView(*updated), success_status, message);
}

Reply Execute(Request& req, Services& s) {
  return Transition(req, s, &backup::StartRecovery, "starting it", 202, "recovery started");
}

Reply Cancel(Request& req, Services& s) {
  return Transition(req, s, &backup::CancelRecovery, "cancelling it", 200, "recovery cancelled");
}

Reply Delete(Request& req, Services& s) {
  const std::string& id = req.Param("id");
  std::string force = req.http.Query("force", "false");
  if (force != "true" && force != "false") return Error(Status::InvalidArgument("force: expected true or false"));
  auto current = GetRecovery(req, s, id);
  if (!current.ok()) return Error(current.status());
  if (Status d = backup::CheckDeletable(*current, force == "true"); !d.ok()) return Error(d);
  // Only the state just checked may be deleted: a recovery that started
  // meanwhile fails the precondition.
  Status del = req.caller->Delete(
      kStatefulMigrations, s.ns, backup::RecoveryObjectName(id),
      {.precondition_resource_version = json::GetString(*current, "metadata.resourceVersion")});
  if (!del.ok()) {
    if (del.code() == StatusCode::kNotFound) return Error(RecoveryNotFound(id));
    if (del.code() == StatusCode::kConflict) return Error(ConflictOn(id, "deleting it"));
    return Error(del);
  }
  return Ok(bj::object{{"id", id}}, 200, "recovery deleted");
}

Reply History(Request& req, Services& s) {
  const std::string& backup_id = req.Param("backupId");
  auto q = ParseListQuery(req.http);
  if (!q.ok()) return Error(q.status());
  if (Status a = s.CheckRead(req, "get", kGroup, "statefulmigrations"); !a.ok()) return Error(a);
  if (Status a = s.CheckRead(req, "list", kGroup, "checkpointbackups"); !a.ok()) return Error(a);
  if (!IsDns1123Label(backup_id)) return Error(BackupNotFound("", backup_id));
  auto cached = s.migrations->Get(s.ns, backup::BackupObjectName(backup_id));
  if (!cached || !backup::IsBackupView(*cached)) {
    auto b = GetBackup(req, s, backup_id, "");  // just created and not yet in the cache?
    if (!b.ok()) return Error(b.status());
  }
  return Ok(Paginate(*s.executions->TextsByIndex(backup::kBackupIdLabel, backup_id), NewestFirstUnlessSorted(*q),
                     "executions"));
}

}  // namespace

void AddRecoveryRoutes(Router& router, Services& s) {
  const std::string base = kBase;
  router.Add({.method = "GET", .pattern = base, .handler = [&s](Request& r) { return List(r, s); },
              .summary = "List recoveries (newest first unless sortBy is given)", .tag = "Recovery",
              .response_schema = "RecoveryList", .list = true});
  router.Add({.method = "POST", .pattern = base, .handler = [&s](Request& r) { return Create(r, s); },
              .summary = "Create a recovery of a backup's completed execution into a Ready cluster (phase Pending)",
              .tag = "Recovery", .request_schema = "RecoveryInput", .response_schema = "Recovery",
              .success_status = 201});
  router.Add({.method = "GET", .pattern = base + "/:id", .handler = [&s](Request& r) { return Get(r, s); },
              .summary = "Get a recovery", .tag = "Recovery", .response_schema = "Recovery"});
  router.Add({.method = "POST", .pattern = base + "/:id/execute",
              .handler = [&s](Request& r) { return Execute(r, s); },
              .summary = "Start a Pending, Failed or Cancelled recovery (phase Running; 409 from other phases)",
              .tag = "Recovery", .response_schema = "Recovery", .success_status = 202});
  router.Add({.method = "POST", .pattern = base + "/:id/cancel", .handler = [&s](Request& r) { return Cancel(r, s); },
              .summary = "Cancel a Pending or Running recovery (409 once finished)", .tag = "Recovery",
              .response_schema = "Recovery"});
  router.Add({.method = "DELETE", .pattern = base + "/:id", .handler = [&s](Request& r) { return Delete(r, s); },
              .summary = "Delete a recovery record (409 while Running unless ?force=true)", .tag = "Recovery",
              .response_schema = "RecoveryDeleted", .query_params = {"force"}});
  router.Add({.method = "GET", .pattern = base + "/backup/:backupId/history",
              .handler = [&s](Request& r) { return History(r, s); },
              .summary = "A backup's executions, newest first (phase, times, duration, bytes, image digests)",
              .tag = "Recovery", .response_schema = "ExecutionList", .list = true});
}

}  // namespace kbr::api
