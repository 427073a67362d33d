// Backup configurations and their runs as Kubernetes objects (DESIGN.md
// section 3):
//  - the StatefulMigration backup-<id> with exactly the seed's labels
//    (app: backup-migration, backup-id, type: backup) plus
//    app.kubernetes.io/managed-by: kbr and kbr.io/registry-id (registry delete
//    finds its users by it), annotations kbr.io/name and kbr.io/description,
//    and the seed's spec fields;
//  - the CheckpointBackup <backup-id>-<UTC yyyymmddhhmmss> recording one run,
//    and the Karmada Work of the same name placing a copy of it on the
//    workload's cluster, where the agent picks it up (see ExecutionWork);
//  - the views of member-cluster workloads that GET
//    /api/v1/backup/clusters/:cluster/resources lists.
// Builders are pure functions; GetBackup reads through the given client.
#pragma once

#include <boost/json/value.hpp>

#include <string>

#include "core/status.h"
#include "karmada/work.h"
#include "kube/client.h"

namespace kbr::backup {

inline constexpr const char* kBackupApp = "backup-migration";  // the seed's `app` label value
inline constexpr const char* kBackupType = "backup";            // the seed's `type` label value
inline constexpr const char* kCheckpointBackupKind = "CheckpointBackup";
using karmada::kWorks;

// spec.schedule of a backup. An absent schedule is a disabled one (manual runs only).
struct BackupSchedule {
  std::string type = "cron";  // selection | cron
  std::string value;          // as the user gave it
  std::string cron;           // the effective 5-field expression
  std::string time_zone = "UTC";
  bool enabled = false;
};

struct BackupConfig {
  std::string id;
  std::string name;  // display name (annotation)
  std::string description;
  std::string cluster;        // spec.targetCluster
  std::string resource_type;  // pod | statefulset
  std::string resource_name;
  std::string ns;  // the workload's namespace (spec.namespace)
  std::string registry_id;
  std::string repository;
  std::string image_repository;  // <registry host>/<repository>
  BackupSchedule schedule;
  std::string phase = "pending";  // spec.phase, as the seed writes it
};

// "<registry host>/<repository>", the host as registry::ParseEndpoint reads
// `registry_url` ("https://127.0.0.1:5000/" → "127.0.0.1:5000",
// "https://index.docker.io/v1/" → "registry-1.docker.io").
// InvalidArgument when the URL does not parse.
Result<std::string> ImageRepository(const std::string& registry_url, const std::string& repository);

// The StatefulMigration backup-<c.id> in namespace `ns` (no resourceVersion).
// REQUIRES: c.id, c.registry_id are DNS-1123 labels.
boost::json::value BackupMigration(const BackupConfig& c, const std::string& ns);

// Reads a config back from its StatefulMigration. InvalidArgument when the
// object is not a backup (no backup-id label or type label other than backup).
Result<BackupConfig> BackupFromMigration(const boost::json::value& migration);

// The backup-<id> StatefulMigration as `client` sees it. NotFound
// "backup '<id>' not found" when absent, not a backup, or `id` is not a
// valid id (never sent to the apiserver then); other errors as the apiserver
// reports them (PermissionDenied, Unavailable, ...).
Result<boost::json::value> GetBackup(kube::Client& client, const std::string& ns, const std::string& id);

// The CheckpointBackup `name` for a run of `c`: labels backup-id and
// managed-by; spec {backupID, cluster, resourceType, resourceName, namespace,
// registryID, imageRepository, trigger}; no status (the caller writes
// status.phase Pending through the status subresource).
// `trigger` is manual | schedule; `scheduled_time` (RFC 3339) only for schedule.
boost::json::value ExecutionObject(const BackupConfig& c, const std::string& name, const std::string& ns,
                                   const std::string& trigger, const std::string& scheduled_time = "");

using karmada::ExecutionSpace;

// The Work that places a copy of `execution` (the CheckpointBackup as the
// apiserver returned it from create) on `cluster`: named like the execution,
// in ExecutionSpace(cluster), labelled backup-id and managed-by.
// (Why a Work and not a PropagationPolicy: see karmada/work.h.)
boost::json::value ExecutionWork(const boost::json::value& execution, const std::string& cluster);

// {kind: "pod", name, namespace, status: <phase>, node, containers[],
//  replicas: 1, readyReplicas: 0|1, createdAt}
boost::json::value PodResourceView(const boost::json::value& pod);
// {kind: "statefulset", name, namespace, status: "<ready>/<replicas>", node: "",
//  containers[], replicas, readyReplicas, createdAt}
boost::json::value StatefulSetResourceView(const boost::json::value& sts);

}  // namespace kbr::backup
