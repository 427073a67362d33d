#include "backup/backup_object.h"

#include "karmada/work.h"

#include "backup/objects.h"
#include "core/ids.h"
#include "core/json.h"
#include "registry/reference.h"
#include "kube/conditions.h"

namespace kbr::backup {

namespace bj = boost::json;

namespace {

std::string StringIn(const bj::value* obj, const char* key) {
  if (!obj || !obj->is_object()) return "";
  auto it = obj->as_object().find(key);
  return it != obj->as_object().end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

bj::array ContainerNames(const bj::value* containers) {
  bj::array names;
  if (containers && containers->is_array()) {
    for (const auto& c : containers->as_array()) names.push_back(bj::value(json::GetString(c, "name")));
  }
  return names;
}

}  // namespace

Result<std::string> ImageRepository(const std::string& registry_url, const std::string& repository) {
  auto endpoint = registry::ParseEndpoint(registry_url);
  if (!endpoint.ok()) return endpoint.status().Annotate("registry url '" + registry_url + "'");
  return endpoint->host + "/" + repository;
}

bj::value BackupMigration(const BackupConfig& c, const std::string& ns) {
  const BackupSchedule& s = c.schedule;
  return {{"apiVersion", kApiVersion},
          {"kind", "StatefulMigration"},
          {"metadata",
           {{"name", BackupObjectName(c.id)},
            {"namespace", ns},
            {"labels",
             {{kAppLabel, kBackupApp},
              {kBackupIdLabel, c.id},
              {kTypeLabel, kBackupType},
              {kManagedBy, "kbr"},
              {kRegistryIdLabel, c.registry_id}}},
            {"annotations", {{kNameAnnotation, c.name}, {kDescriptionAnnotation, c.description}}}}},
          {"spec",
           {{"targetCluster", c.cluster},
            {"resourceType", c.resource_type},
            {"resourceName", c.resource_name},
            {"namespace", c.ns},
            {"registryID", c.registry_id},
            {"repository", c.repository},
            {"imageRepository", c.image_repository},
            {"backupType", "checkpoint"},
            {"schedule",
             {{"type", s.type},
              {"value", s.value},
              {"cron", s.cron},
              {"enabled", s.enabled},
              {"timeZone", s.time_zone}}},
            {"phase", c.phase}}}};
}

Result<BackupConfig> BackupFromMigration(const bj::value& m) {
  const bj::value* labels = json::Find(m, "metadata.labels");
  const bj::value* ann = json::Find(m, "metadata.annotations");
  BackupConfig c;
  c.id = StringIn(labels, kBackupIdLabel);
  std::string type = StringIn(labels, kTypeLabel);
  if (c.id.empty() || (!type.empty() && type != kBackupType)) {
    return Status::InvalidArgument("StatefulMigration '" + json::GetString(m, "metadata.name") + "' is not a backup");
  }
  c.name = StringIn(ann, kNameAnnotation);
  if (c.name.empty()) c.name = c.id;
  c.description = StringIn(ann, kDescriptionAnnotation);
  c.cluster = json::GetString(m, "spec.targetCluster");
  c.resource_type = json::GetString(m, "spec.resourceType");
  c.resource_name = json::GetString(m, "spec.resourceName");
  c.ns = json::GetString(m, "spec.namespace");
  c.registry_id = json::GetString(m, "spec.registryID");
  c.repository = json::GetString(m, "spec.repository");
  c.image_repository = json::GetString(m, "spec.imageRepository");
  c.phase = json::GetString(m, "spec.phase", "pending");
  c.schedule.type = json::GetString(m, "spec.schedule.type", "cron");
  c.schedule.value = json::GetString(m, "spec.schedule.value");
  c.schedule.cron = json::GetString(m, "spec.schedule.cron");
  c.schedule.time_zone = json::GetString(m, "spec.schedule.timeZone", "UTC");
  c.schedule.enabled = json::GetBool(m, "spec.schedule.enabled", false);
  return c;
}

Result<bj::value> GetBackup(kube::Client& client, const std::string& ns, const std::string& id) {
  Status not_found = Status::NotFound("backup '" + id + "' not found");
  if (!IsDns1123Label(id, 63)) return not_found;
  auto m = client.Get(kStatefulMigrations, ns, BackupObjectName(id));
  if (!m.ok()) return m.status().code() == StatusCode::kNotFound ? not_found : m.status();
  if (!BackupFromMigration(*m).ok()) return not_found;
  return m;
}

bj::value ExecutionObject(const BackupConfig& c, const std::string& name, const std::string& ns,
                          const std::string& trigger, const std::string& scheduled_time) {
  bj::object spec{{"backupID", c.id},
                  {"cluster", c.cluster},
                  {"resourceType", c.resource_type},
                  {"resourceName", c.resource_name},
                  {"namespace", c.ns},
                  {"registryID", c.registry_id},
                  {"imageRepository", c.image_repository},
                  {"trigger", trigger}};
  if (!scheduled_time.empty()) spec["scheduledTime"] = scheduled_time;
  return {{"apiVersion", kApiVersion},
          {"kind", kCheckpointBackupKind},
          {"metadata",
           {{"name", name}, {"namespace", ns}, {"labels", {{kBackupIdLabel, c.id}, {kManagedBy, "kbr"}}}}},
          {"spec", std::move(spec)}};
}


bj::value ExecutionWork(const bj::value& execution, const std::string& cluster) {
  std::string backup_id = StringIn(json::Find(execution, "metadata.labels"), kBackupIdLabel);
  bj::value copy = execution;
  // The execution's spec only: its status is written on the member.
  copy.as_object().erase("status");
  return karmada::WorkFor(copy, cluster, {{kManagedBy, "kbr"}, {kBackupIdLabel, backup_id}});
}

bj::value PodResourceView(const bj::value& pod) {
  bool ready = kube::ConditionTrue(pod, "Ready");
  return bj::object{{"kind", "pod"},
                    {"name", json::GetString(pod, "metadata.name")},
                    {"namespace", json::GetString(pod, "metadata.namespace")},
                    {"status", json::GetString(pod, "status.phase", "Unknown")},
                    {"node", json::GetString(pod, "spec.nodeName")},
                    {"containers", ContainerNames(json::Find(pod, "spec.containers"))},
                    {"replicas", 1},
                    {"readyReplicas", ready ? 1 : 0},
                    {"createdAt", json::GetString(pod, "metadata.creationTimestamp")}};
}

bj::value StatefulSetResourceView(const bj::value& sts) {
  int64_t replicas = json::GetInt(sts, "spec.replicas", 1);
  int64_t ready = json::GetInt(sts, "status.readyReplicas", 0);
  return bj::object{{"kind", "statefulset"},
                    {"name", json::GetString(sts, "metadata.name")},
                    {"namespace", json::GetString(sts, "metadata.namespace")},
                    {"status", std::to_string(ready) + "/" + std::to_string(replicas)},
                    {"node", ""},
                    {"containers", ContainerNames(json::Find(sts, "spec.template.spec.containers"))},
                    {"replicas", replicas},
                    {"readyReplicas", ready},
                    {"createdAt", json::GetString(sts, "metadata.creationTimestamp")}};
}

}  // namespace kbr::backup
