// The Kubernetes objects kbr keeps its state in (DESIGN.md section 3) and the
// API views of them. A view is the JSON the REST API returns; it never
// contains a password or token.
//
//  Registry  Secret kbr-registry-<id> (kubernetes.io/dockerconfigjson) +
//            PropagationPolicy of the same name
//  Backup    StatefulMigration backup-<id>
//  Execution CheckpointBackup <backup-id>-<UTC yyyymmddhhmmss>
//  Recovery  StatefulMigration recovery-<id>
#pragma once

#include <boost/json/value.hpp>

#include <chrono>
#include <string>

#include "kube/resource.h"

namespace kbr::backup {

inline const kube::Resource kStatefulMigrations{"migration.dcnlab.com", "v1alpha1", "statefulmigrations", true};
inline const kube::Resource kCheckpointBackups{"migration.dcnlab.com", "v1alpha1", "checkpointbackups", true};
inline constexpr const char* kApiVersion = "migration.dcnlab.com/v1alpha1";
inline constexpr const char* kDefaultNamespace = "karmada-system";

// Labels and annotations.
inline constexpr const char* kManagedBy = "app.kubernetes.io/managed-by";
inline constexpr const char* kRegistryIdLabel = "kbr.io/registry-id";
inline constexpr const char* kBackupIdLabel = "backup-id";  // the seed's label
inline constexpr const char* kRecoveryIdLabel = "recovery-id";
inline constexpr const char* kTypeLabel = "type";  // backup | recovery
inline constexpr const char* kAppLabel = "app";    // backup-migration | recovery-migration
inline constexpr const char* kNameAnnotation = "kbr.io/name";
inline constexpr const char* kDescriptionAnnotation = "kbr.io/description";
inline constexpr const char* kUrlAnnotation = "kbr.io/url";
inline constexpr const char* kUsernameAnnotation = "kbr.io/username";
inline constexpr const char* kInsecureAnnotation = "kbr.io/insecure-skip-verify";
inline constexpr const char* kCreatedAnnotation = "kbr.io/created";
inline constexpr const char* kUpdatedAnnotation = "kbr.io/updated";
inline constexpr const char* kHasPasswordAnnotation = "kbr.io/has-password";
inline constexpr const char* kCheckAnnotation = "kbr.io/last-check";  // JSON of the last registry check
// Secret keys besides .dockerconfigjson.
inline constexpr const char* kCaBundleKey = "ca.crt";

inline std::string RegistrySecretName(const std::string& id) { return "kbr-registry-" + id; }
inline std::string BackupObjectName(const std::string& id) { return "backup-" + id; }
inline std::string RecoveryObjectName(const std::string& id) { return "recovery-" + id; }

// {id, name, url, username, description, hasPassword, insecureSkipVerify,
//  hasCaBundle, createdAt, updatedAt, resourceVersion, status?}
boost::json::value RegistryView(const boost::json::value& secret);

// Which view a StatefulMigration's view is (the server caches views only).
bool IsBackupView(const boost::json::value& view);    // has backupType
bool IsRecoveryView(const boost::json::value& view);  // has recoveryType

// {id, name, cluster, resourceType, resourceName, namespace, registryId,
//  repository, imageRepository, backupType, schedule{type,value,cron,timeZone,
//  enabled}, phase, nextRun, lastExecution, message, createdAt, resourceVersion}
boost::json::value BackupView(const boost::json::value& migration);

// {id, name, backupId, executionId, sourceCluster, targetCluster,
//  recoveryType, targetName, targetNamespace, resourceType, resourceName,
//  namespace, phase, progress, steps, message, createdAt, resourceVersion}
boost::json::value RecoveryView(const boost::json::value& migration);

// {id, backupId, cluster, trigger, phase, createdAt, startedAt, completedAt,
//  durationMs, bytes, containers[{pod,container,node,image,digest,bytes,
//  durationMs,phase,message}], message}
boost::json::value ExecutionView(const boost::json::value& execution);

// The execution object's name for a run of `backup_id` at `t`:
// "<backup-id>-<yyyymmddhhmmss>" (UTC).
std::string ExecutionName(const std::string& backup_id, std::chrono::system_clock::time_point t);

}  // namespace kbr::backup
