// Recoveries as Kubernetes objects (DESIGN.md section 3): the
// StatefulMigration recovery-<id> with exactly the seed's labels
// (app: recovery-migration, recovery-id, backup-id, type: recovery) plus
// app.kubernetes.io/managed-by, the display name in kbr.io/name, and
//   spec {targetCluster, resourceType, resourceName, namespace,
//         recoveryConfig{backupID, executionID, sourceCluster, recoveryType,
//                        targetName, targetNamespace}, phase: pending}
// Live state is in the status subresource:
//   status {phase Pending|Running|Succeeded|Failed|Cancelled, progress 0-100,
//           steps [{name, time, message?}], message}
//
// Everything here is pure (no I/O): the API handlers read objects, call these
// functions and write what they return. Thread-compatible.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace kbr::backup {

inline constexpr const char* kRecoveryApp = "recovery-migration";
inline constexpr const char* kRecoveryType = "recovery";

// Recovery phases (status.phase).
inline constexpr const char* kPhasePending = "Pending";
inline constexpr const char* kPhaseRunning = "Running";
inline constexpr const char* kPhaseSucceeded = "Succeeded";
inline constexpr const char* kPhaseFailed = "Failed";
inline constexpr const char* kPhaseCancelled = "Cancelled";
// The execution phase a recovery can start from.
inline constexpr const char* kExecutionCompleted = "Completed";

// What a recovery is made of once its inputs are resolved against the backup.
struct RecoverySpec {
  std::string id;    // DNS-1123 label (core/ids.h NewId)
  std::string name;  // display name, kept in the kbr.io/name annotation
  std::string backup_id;
  std::string execution_id;  // the CheckpointBackup restored from
  std::string source_cluster;
  std::string target_cluster;
  std::string recovery_type;  // restore | migrate
  std::string target_name;
  std::string target_namespace;
  // The backed-up workload (copied from the backup's spec).
  std::string resource_type;  // pod | statefulset
  std::string resource_name;
  std::string resource_namespace;
};

// The user's request, as read from POST /recovery (already syntax-checked).
struct RecoveryRequest {
  std::string name;
  std::string backup_id;
  std::string execution_id;  // "" = the latest completed execution
  std::string target_cluster;
  std::string recovery_type;
  std::string target_name;       // "" = the backup's resourceName
  std::string target_namespace;  // "" = the backup's namespace
};

// The spec of a recovery of `backup` (a backup StatefulMigration) for
// `request`, restoring `execution_id`, with id `id`. Defaults targetName and
// targetNamespace from the backup. InvalidArgument naming the field when the
// resolved target name is not a valid name for the resource type (a
// statefulset name must be a DNS-1123 label of at most 63 characters, a pod
// name a DNS-1123 subdomain), or FailedPrecondition "backupId: ..." when the
// backup object lacks the workload it backs up.
Result<RecoverySpec> PlanRecovery(const RecoveryRequest& request, const boost::json::value& backup,
                                  const std::string& execution_id, const std::string& id);

// The StatefulMigration for `spec` in namespace `ns`, without status (the
// apiserver ignores status on create; write InitialRecoveryStatus after).
boost::json::value RecoveryMigration(const RecoverySpec& spec, const std::string& ns);

// status {phase: Pending, progress: 0, steps: [{name: Created, time}], message: ""}.
boost::json::value InitialRecoveryStatus(TimePoint now);

// True when the object is a recovery (label type=recovery).
bool IsRecovery(const boost::json::value& migration);
// status.phase, "Pending" when absent.
std::string RecoveryPhase(const boost::json::value& migration);
// Succeeded, Failed or Cancelled.
bool IsFinishedPhase(const std::string& phase);

// The object with its status moved to Running (progress 0, a "Started" step,
// message cleared), metadata kept (resourceVersion included) for an
// UpdateStatus. Conflict "recovery 'x' is <phase>: only a Pending, Failed or
// Cancelled recovery can be executed" from any other phase.
Result<boost::json::value> StartRecovery(const boost::json::value& migration, TimePoint now);
// The object with its status moved to Cancelled (a "Cancelled" step).
// Conflict "recovery 'x' already finished (phase <phase>)" when finished.
Result<boost::json::value> CancelRecovery(const boost::json::value& migration, TimePoint now);
// OK unless the recovery is Running and !force: Conflict "recovery 'x' is
// Running: cancel it first, or delete with ?force=true".
Status CheckDeletable(const boost::json::value& migration, bool force);

// The executions (CheckpointBackups) of one backup sorted newest first: by
// metadata.creationTimestamp, then by name (which ends in the run's UTC time).
void SortNewestFirst(std::vector<boost::json::value>& executions);

// OK when `execution` belongs to `backup_id` and is Completed;
// FailedPrecondition naming executionId otherwise.
Status CheckExecutionUsable(const boost::json::value& execution, const std::string& backup_id);

// The newest Completed execution among `executions` (those of `backup_id`);
// FailedPrecondition "backupId: backup 'x' has no completed execution ..."
// when there is none.
Result<boost::json::value> LatestCompletedExecution(std::vector<boost::json::value> executions,
                                                    const std::string& backup_id);

}  // namespace kbr::backup
