#include "backup/recovery_object.h"

#include <algorithm>
#include <optional>

#include "backup/objects.h"
#include "core/ids.h"
#include "core/json.h"

namespace kbr::backup {

namespace bj = boost::json;

namespace {

std::string Label(const bj::value& obj, const std::string& key) {
  if (const auto* l = json::Find(obj, "metadata.labels"); l && l->is_object()) {
    auto it = l->as_object().find(key);
    if (it != l->as_object().end() && it->value().is_string()) return std::string(it->value().get_string());
  }
  return "";
}

std::string RecoveryId(const bj::value& m) {
  std::string id = Label(m, kRecoveryIdLabel);
  return id.empty() ? json::GetString(m, "metadata.name") : id;
}

// A copy of `m` whose status is `status` with `step` appended to its steps.
bj::value WithStatus(const bj::value& m, const std::string& phase, const std::string& step, TimePoint now,
                     const std::string& message, std::optional<int64_t> progress) {
  bj::value out = m;
  bj::value* status = json::Find(out, "status");
  if (!status || !status->is_object()) {
    out.as_object()["status"] = bj::object{};
    status = json::Find(out, "status");
  }
  bj::object& st = status->as_object();
  st["phase"] = phase;
  st["message"] = message;
  if (progress) st["progress"] = *progress;
  if (!st.contains("progress")) st["progress"] = 0;
  if (!st.contains("steps") || !st["steps"].is_array()) st["steps"] = bj::array{};
  bj::object s{{"name", step}, {"time", FormatRfc3339(now)}};
  if (!message.empty()) s["message"] = message;
  st["steps"].as_array().push_back(std::move(s));
  return out;
}

// Sort key: (creationTimestamp, name); RFC 3339 UTC strings order as times.
std::pair<std::string, std::string> AgeKey(const bj::value& e) {
  return {json::GetString(e, "metadata.creationTimestamp"), json::GetString(e, "metadata.name")};
}

}  // namespace

Result<RecoverySpec> PlanRecovery(const RecoveryRequest& req, const bj::value& backup, const std::string& execution_id,
                                  const std::string& id) {
  RecoverySpec r;
  r.id = id;
  r.name = req.name;
  r.backup_id = req.backup_id;
  r.execution_id = execution_id;
  r.source_cluster = json::GetString(backup, "spec.targetCluster");
  r.target_cluster = req.target_cluster;
  r.recovery_type = req.recovery_type;
  r.resource_type = json::GetString(backup, "spec.resourceType");
  r.resource_name = json::GetString(backup, "spec.resourceName");
  r.resource_namespace = json::GetString(backup, "spec.namespace");
  if (r.source_cluster.empty() || r.resource_type.empty() || r.resource_name.empty() ||
      r.resource_namespace.empty()) {
    return Status::FailedPrecondition("backupId: backup '" + req.backup_id +
                                      "' does not name its workload (cluster, resourceType, resourceName, namespace)");
  }
  r.target_name = req.target_name.empty() ? r.resource_name : req.target_name;
  r.target_namespace = req.target_namespace.empty() ? r.resource_namespace : req.target_namespace;
  RETURN_IF_ERROR(ValidateDns1123Label("targetNamespace", r.target_namespace, 63));
  if (r.resource_type == "statefulset") {
    RETURN_IF_ERROR(ValidateDns1123Label("targetName", r.target_name, 63));
  } else if (!IsDns1123Subdomain(r.target_name)) {
    return Status::InvalidArgument("targetName: '" + r.target_name.substr(0, 80) +
                                   "' is not a valid pod name (lower-case letters, digits, '-' and '.', at most 253 "
                                   "characters)");
  }
  return r;
}

bj::value RecoveryMigration(const RecoverySpec& r, const std::string& ns) {
  return {{"apiVersion", kApiVersion},
          {"kind", "StatefulMigration"},
          {"metadata",
           {{"name", RecoveryObjectName(r.id)},
            {"namespace", ns},
            {"labels",
             {{kAppLabel, kRecoveryApp},
              {kRecoveryIdLabel, r.id},
              {kBackupIdLabel, r.backup_id},
              {kTypeLabel, kRecoveryType},
              {kManagedBy, "kbr"}}},
            {"annotations", {{kNameAnnotation, r.name}}}}},
          {"spec",
           {{"targetCluster", r.target_cluster},
            {"resourceType", r.resource_type},
            {"resourceName", r.resource_name},
            {"namespace", r.resource_namespace},
            {"recoveryConfig",
             {{"backupID", r.backup_id},
              {"executionID", r.execution_id},
              {"sourceCluster", r.source_cluster},
              {"recoveryType", r.recovery_type},
              {"targetName", r.target_name},
              {"targetNamespace", r.target_namespace}}},
            {"phase", "pending"}}}};
}

bj::value InitialRecoveryStatus(TimePoint now) {
  return {{"phase", kPhasePending},
          {"progress", 0},
          {"message", ""},
          {"steps", bj::array{bj::object{{"name", "Created"}, {"time", FormatRfc3339(now)}}}}};
}

bool IsRecovery(const bj::value& m) { return Label(m, kTypeLabel) == kRecoveryType; }

std::string RecoveryPhase(const bj::value& m) {
  std::string p = json::GetString(m, "status.phase");
  return p.empty() ? kPhasePending : p;
}

bool IsFinishedPhase(const std::string& p) { return p == kPhaseSucceeded || p == kPhaseFailed || p == kPhaseCancelled; }

Result<bj::value> StartRecovery(const bj::value& m, TimePoint now) {
  std::string phase = RecoveryPhase(m);
  if (phase != kPhasePending && phase != kPhaseFailed && phase != kPhaseCancelled) {
    return Status::Conflict("recovery '" + RecoveryId(m) + "' is " + phase +
                            ": only a Pending, Failed or Cancelled recovery can be executed");
  }
  return WithStatus(m, kPhaseRunning, "Started", now, "", 0);
}

Result<bj::value> CancelRecovery(const bj::value& m, TimePoint now) {
  std::string phase = RecoveryPhase(m);
  if (IsFinishedPhase(phase)) {
    return Status::Conflict("recovery '" + RecoveryId(m) + "' already finished (phase " + phase + ")");
  }
  if (phase != kPhasePending && phase != kPhaseRunning) {
    return Status::Conflict("recovery '" + RecoveryId(m) + "' is " + phase +
                            ": only a Pending or Running recovery can be cancelled");
  }
  return WithStatus(m, kPhaseCancelled, "Cancelled", now, "cancelled by user", std::nullopt);
}

Status CheckDeletable(const bj::value& m, bool force) {
  if (force || RecoveryPhase(m) != kPhaseRunning) return Status::Ok();
  return Status::Conflict("recovery '" + RecoveryId(m) + "' is Running: cancel it first, or delete with ?force=true");
}

void SortNewestFirst(std::vector<bj::value>& executions) {
  std::stable_sort(executions.begin(), executions.end(),
                   [](const bj::value& a, const bj::value& b) { return AgeKey(a) > AgeKey(b); });
}

Status CheckExecutionUsable(const bj::value& e, const std::string& backup_id) {
  std::string name = json::GetString(e, "metadata.name");
  std::string owner = Label(e, kBackupIdLabel);
  if (owner.empty()) owner = json::GetString(e, "spec.backupID");
  if (owner != backup_id) {
    return Status::FailedPrecondition("executionId: execution '" + name + "' belongs to backup '" + owner +
                                      "', not to '" + backup_id + "'");
  }
  std::string phase = json::GetString(e, "status.phase", "Pending");
  if (phase != kExecutionCompleted) {
    return Status::FailedPrecondition("executionId: execution '" + name + "' is " + phase +
                                      "; only a Completed execution can be recovered");
  }
  return Status::Ok();
}

Result<bj::value> LatestCompletedExecution(std::vector<bj::value> executions, const std::string& backup_id) {
  SortNewestFirst(executions);
  for (auto& e : executions) {
    if (json::GetString(e, "status.phase") == kExecutionCompleted) return std::move(e);
  }
  std::string detail = executions.empty()
                           ? "it has never run"
                           : std::to_string(executions.size()) + " run(s), the latest '" +
                                 json::GetString(executions.front(), "metadata.name") + "' is " +
                                 json::GetString(executions.front(), "status.phase", "Pending");
  return Status::FailedPrecondition("backupId: backup '" + backup_id +
                                    "' has no completed execution to recover from (" + detail + ")");
}

}  // namespace kbr::backup
