#include "backup/objects.h"

#include <date/date.h>

#include "core/json.h"

namespace kbr::backup {

namespace bj = boost::json;

namespace {

std::string Annotation(const bj::value& obj, const std::string& key) {
  if (const auto* a = json::Find(obj, "metadata.annotations"); a && a->is_object()) {
    auto it = a->as_object().find(key);
    if (it != a->as_object().end() && it->value().is_string()) return std::string(it->value().get_string());
  }
  return "";
}

std::string Label(const bj::value& obj, const std::string& key) {
  if (const auto* l = json::Find(obj, "metadata.labels"); l && l->is_object()) {
    auto it = l->as_object().find(key);
    if (it != l->as_object().end() && it->value().is_string()) return std::string(it->value().get_string());
  }
  return "";
}

// Secret data keys may contain dots ("ca.crt"), which json::Find would split.
bool HasDataKey(const bj::value& secret, const std::string& key) {
  const auto* data = json::Find(secret, "data");
  return data && data->is_object() && data->as_object().contains(key);
}

bj::value CopyOr(const bj::value& obj, std::string_view path, bj::value fallback) {
  const bj::value* v = json::Find(obj, path);
  return v ? *v : fallback;
}

}  // namespace

bj::value RegistryView(const bj::value& s) {
  std::string name = Annotation(s, kNameAnnotation);
  std::string id = Label(s, kRegistryIdLabel);
  bj::object v{{"id", id},
               {"name", name.empty() ? id : name},
               {"url", Annotation(s, kUrlAnnotation)},
               {"username", Annotation(s, kUsernameAnnotation)},
               {"description", Annotation(s, kDescriptionAnnotation)},
               {"hasPassword", Annotation(s, kHasPasswordAnnotation) == "true"},
               {"insecureSkipVerify", Annotation(s, kInsecureAnnotation) == "true"},
               {"hasCaBundle", HasDataKey(s, kCaBundleKey)},
               {"createdAt", json::GetString(s, "metadata.creationTimestamp")},
               {"updatedAt", Annotation(s, kUpdatedAnnotation)},
               {"resourceVersion", json::GetString(s, "metadata.resourceVersion")}};
  std::string check = Annotation(s, kCheckAnnotation);
  if (!check.empty()) {
    auto parsed = json::Parse(check);
    if (parsed.ok()) v["status"] = *parsed;
  }
  return v;
}

bj::value BackupView(const bj::value& m) {
  std::string name = Annotation(m, kNameAnnotation);
  std::string id = Label(m, kBackupIdLabel);
  return bj::object{{"id", id},
                    {"name", name.empty() ? id : name},
                    {"description", Annotation(m, kDescriptionAnnotation)},
                    {"cluster", json::GetString(m, "spec.targetCluster")},
                    {"resourceType", json::GetString(m, "spec.resourceType")},
                    {"resourceName", json::GetString(m, "spec.resourceName")},
                    {"namespace", json::GetString(m, "spec.namespace")},
                    {"registryId", json::GetString(m, "spec.registryID")},
                    {"repository", json::GetString(m, "spec.repository")},
                    {"imageRepository", json::GetString(m, "spec.imageRepository")},
                    {"backupType", json::GetString(m, "spec.backupType", "checkpoint")},
                    {"schedule", CopyOr(m, "spec.schedule", bj::object{})},
                    {"phase", json::GetString(m, "status.phase", json::GetString(m, "spec.phase", "pending"))},
                    {"nextRun", json::GetString(m, "status.nextRun")},
                    {"lastExecution", CopyOr(m, "status.lastExecution", nullptr)},
                    {"message", json::GetString(m, "status.message")},
                    {"createdAt", json::GetString(m, "metadata.creationTimestamp")},
                    {"resourceVersion", json::GetString(m, "metadata.resourceVersion")}};
}

bj::value RecoveryView(const bj::value& m) {
  std::string name = Annotation(m, kNameAnnotation);
  std::string id = Label(m, kRecoveryIdLabel);
  return bj::object{{"id", id},
                    {"name", name.empty() ? id : name},
                    {"backupId", json::GetString(m, "spec.recoveryConfig.backupID")},
                    {"executionId", json::GetString(m, "spec.recoveryConfig.executionID")},
                    {"sourceCluster", json::GetString(m, "spec.recoveryConfig.sourceCluster")},
                    {"targetCluster", json::GetString(m, "spec.targetCluster")},
                    {"recoveryType", json::GetString(m, "spec.recoveryConfig.recoveryType")},
                    {"targetName", json::GetString(m, "spec.recoveryConfig.targetName")},
                    {"targetNamespace", json::GetString(m, "spec.recoveryConfig.targetNamespace")},
                    {"resourceType", json::GetString(m, "spec.resourceType")},
                    {"resourceName", json::GetString(m, "spec.resourceName")},
                    {"namespace", json::GetString(m, "spec.namespace")},
                    {"phase", json::GetString(m, "status.phase", "Pending")},
                    {"progress", json::GetInt(m, "status.progress", 0)},
                    {"steps", CopyOr(m, "status.steps", bj::array{})},
                    {"message", json::GetString(m, "status.message")},
                    {"createdAt", json::GetString(m, "metadata.creationTimestamp")},
                    {"resourceVersion", json::GetString(m, "metadata.resourceVersion")}};
}

bool IsBackupView(const bj::value& view) { return view.is_object() && view.as_object().contains("backupType"); }

bool IsRecoveryView(const bj::value& view) { return view.is_object() && view.as_object().contains("recoveryType"); }

bj::value ExecutionView(const bj::value& e) {
  return bj::object{{"id", json::GetString(e, "metadata.name")},
                    {"backupId", json::GetString(e, "spec.backupID")},
                    {"cluster", json::GetString(e, "spec.cluster")},
                    {"trigger", json::GetString(e, "spec.trigger", "manual")},
                    {"phase", json::GetString(e, "status.phase", "Pending")},
                    {"createdAt", json::GetString(e, "metadata.creationTimestamp")},
                    {"startedAt", json::GetString(e, "status.startedAt")},
                    {"completedAt", json::GetString(e, "status.completedAt")},
                    {"durationMs", json::GetInt(e, "status.durationMs")},
                    {"bytes", json::GetInt(e, "status.bytes")},
                    {"containers", CopyOr(e, "status.containers", bj::array{})},
                    {"message", json::GetString(e, "status.message")}};
}

std::string ExecutionName(const std::string& backup_id, std::chrono::system_clock::time_point t) {
  return backup_id + "-" + date::format("%Y%m%d%H%M%S", std::chrono::floor<std::chrono::seconds>(t));
}

}  // namespace kbr::backup
