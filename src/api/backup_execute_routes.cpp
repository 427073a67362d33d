// POST /api/v1/backup/:id/execute and GET /api/v1/backup/clusters/:cluster/resources.
//
// Execute records a manual run: the CheckpointBackup <id>-<UTC second>
// (status.phase Pending) plus a Karmada Work of the same name placing a copy
// on the backup's cluster, where the agent carries it out (a
// PropagationPolicy cannot: Karmada ignores objects in karmada-system; see
// backup::ExecutionWork). The deterministic name makes a second click in the
// same second a 409, not a duplicate run.
//
// Resources lists the pods and statefulsets of a member cluster through
// MemberAccess (proxy or direct) as the caller.
#include <algorithm>

#include "api/list_query.h"
#include "api/routes.h"
#include "backup/backup_object.h"
#include "backup/objects.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/log.h"
#include "karmada/clusters.h"
#include "karmada/member_access.h"

namespace kbr::api {

namespace bj = boost::json;
namespace res = kube::resources;

namespace {

Reply Execute(Request& req, Services& s) {
  const std::string& id = req.Param("id");
  auto migration = backup::GetBackup(*req.caller, s.ns, id);
  if (!migration.ok()) return Error(migration.status());
  auto cfg = backup::BackupFromMigration(*migration);
  if (!cfg.ok()) return Error(Status::NotFound("backup '" + id + "' not found"));
  TimePoint now = s.clock->Now();
  std::string name = backup::ExecutionName(id, now);
  auto created =
      req.caller->Create(backup::kCheckpointBackups, s.ns, backup::ExecutionObject(*cfg, name, s.ns, "manual"));
  if (!created.ok()) {
    if (created.status().code() == StatusCode::kAlreadyExists) {
      return Error(Status::Conflict("an execution of backup '" + id + "' started at " +
                                    FormatRfc3339(std::chrono::floor<std::chrono::seconds>(now)) +
                                    " already exists (execution '" + name + "'); wait a second and retry"));
    }
    return Error(created.status());
  }
  auto work = req.caller->Create(backup::kWorks, backup::ExecutionSpace(cfg->cluster),
                                 backup::ExecutionWork(*created, cfg->cluster));
  if (!work.ok() && work.status().code() != StatusCode::kAlreadyExists) {
    // Never leave an execution that no agent will ever see.
    (void)req.caller->Delete(backup::kCheckpointBackups, s.ns, name);
    if (work.status().code() == StatusCode::kNotFound) {  // no karmada-es-<cluster>: the cluster left Karmada
      return Error(Status::FailedPrecondition("backup '" + id + "' targets cluster '" + cfg->cluster +
                                              "', which is not in Karmada (" + work.status().message() + ")"));
    }
    return Error(work.status().Annotate("placing execution '" + name + "' on cluster '" + cfg->cluster + "'"));
  }
  // Status is optional: an execution without one reads as Pending.
  bj::value with_status = std::move(*created);
  with_status.as_object()["status"] = bj::object{{"phase", "Pending"}};
  auto status = req.caller->UpdateStatus(backup::kCheckpointBackups, s.ns, with_status);
  if (!status.ok()) spdlog::warn("execution {}: could not write status.phase: {}", name, status.status().message());
  return Ok(bj::object{{"executionId", name}, {"phase", "Pending"}, {"backupId", id}}, 202,
            "backup execution started");
}

// A member that failed to answer: 503 (or the apiserver's own code) naming
// the cluster and the reason; a denial stays a 403.
Status MemberError(const std::string& cluster, const Status& st) {
  switch (st.code()) {
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnauthenticated:
      return st;
    case StatusCode::kUnavailable:
    case StatusCode::kInternal:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kNotFound:  // the proxy answers 404 when it cannot route
      return Status::Unavailable("cluster '" + cluster + "' did not answer: " + st.message());
    default:
      return st.Annotate("cluster '" + cluster + "'");
  }
}

Reply Resources(Request& req, Services& s) {
  const std::string& cluster = req.Param("cluster");
  auto q = ParseListQuery(req.http);
  if (!q.ok()) return Error(q.status());
  std::string ns = req.http.Query("namespace");
  if (!ns.empty()) {
    if (Status v = ValidateDns1123Label("namespace", ns, 63); !v.ok()) return Error(v);
  }
  std::string type = req.http.Query("type");
  if (!type.empty() && type != "pod" && type != "statefulset") {
    return Error(Status::InvalidArgument("type: '" + type.substr(0, 40) + "' is not one of pod, statefulset"));
  }
  Status not_found = Status::NotFound("cluster '" + cluster + "' not found");
  if (!IsDns1123Subdomain(cluster)) return Error(not_found);
  auto info = karmada::GetCluster(*req.caller, cluster);
  if (!info.ok()) return Error(info.status().code() == StatusCode::kNotFound ? not_found : info.status());
  if (!info->ready) {
    return Error(Status::Unavailable("cluster '" + cluster + "' is not Ready" +
                                     (info->ready_message.empty() ? "" : ": " + info->ready_message)));
  }
  auto access = karmada::NewMemberAccess(s.member_access, *req.caller);
  if (!access.ok()) return Error(access.status());
  auto member = (*access)->ClientFor(cluster);
  if (!member.ok()) return Error(MemberError(cluster, member.status()));

  std::vector<bj::value> items;
  if (type != "statefulset") {
    auto pods = (*member)->ListAll(res::kPods, ns);
    if (!pods.ok()) return Error(MemberError(cluster, pods.status()));
    for (const auto& p : *pods) items.push_back(backup::PodResourceView(p));
  }
  if (type != "pod") {
    auto sets = (*member)->ListAll(res::kStatefulSets, ns);
    if (!sets.ok()) return Error(MemberError(cluster, sets.status()));
    for (const auto& st : *sets) items.push_back(backup::StatefulSetResourceView(st));
  }
  auto key = [](const bj::value& v) {
    return json::GetString(v, "namespace") + "/" + json::GetString(v, "name") + "/" + json::GetString(v, "kind");
  };
  std::sort(items.begin(), items.end(), [&](const bj::value& a, const bj::value& b) { return key(a) < key(b); });
  return Ok(Paginate(std::move(items), *q, "resources"));
}

}  // namespace

// Registered by AddBackupRoutes (backup_routes.cpp).
void AddBackupExecuteRoutes(Router& router, Services& s) {
  router.Add({.method = "POST", .pattern = "/api/v1/backup/:id/execute",
              .handler = [&s](Request& r) { return Execute(r, s); },
              .summary = "Run a backup now: records a Pending execution (CheckpointBackup) propagated to the "
                         "backup's cluster; 409 when one was started in the same second",
              .tag = "Backup", .response_schema = "ExecuteResult", .success_status = 202});
  router.Add({.method = "GET", .pattern = "/api/v1/backup/clusters/:cluster/resources",
              .handler = [&s](Request& r) { return Resources(r, s); },
              .summary = "Pods and statefulsets of a member cluster, filterable by namespace and type",
              .tag = "Backup", .response_schema = "ResourceList", .list = true,
              .query_params = {"namespace", "type"}});
}

}  // namespace kbr::api
