#include "backup/backup_object.h"

#include <gtest/gtest.h>

#include "backup/objects.h"
#include "core/json.h"

namespace kbr::backup {
namespace {

namespace bj = boost::json;

BackupConfig SeedExample() {
  BackupConfig c;
  c.id = "mysql-daily-backup-x7k2p";
  c.name = "mysql-daily-backup";
  c.description = "nightly";
  c.cluster = "prod-cluster";
  c.resource_type = "statefulset";
  c.resource_name = "mysql";
  c.ns = "database";
  c.registry_id = "docker-hub-ab12c";
  c.repository = "backups/mysql";
  c.image_repository = "registry-1.docker.io/backups/mysql";
  c.schedule = {.type = "cron", .value = "0 2 * * *", .cron = "0 2 * * *", .time_zone = "UTC", .enabled = true};
  return c;
}

std::vector<std::string> Keys(const bj::value& obj) {
  std::vector<std::string> keys;
  for (const auto& kv : obj.as_object()) keys.emplace_back(kv.key());
  std::sort(keys.begin(), keys.end());
  return keys;
}

TEST(BackupObjectTest, MigrationHasExactlyTheSeedLabelsPlusOurs) {
  bj::value m = BackupMigration(SeedExample(), "karmada-system");
  EXPECT_EQ(json::GetString(m, "apiVersion"), "migration.dcnlab.com/v1alpha1");
  EXPECT_EQ(json::GetString(m, "kind"), "StatefulMigration");
  EXPECT_EQ(json::GetString(m, "metadata.name"), "backup-mysql-daily-backup-x7k2p");
  EXPECT_EQ(json::GetString(m, "metadata.namespace"), "karmada-system");
  const bj::value& labels = *json::Find(m, "metadata.labels");
  EXPECT_EQ(Keys(labels), (std::vector<std::string>{"app", "app.kubernetes.io/managed-by", "backup-id",
                                                     "kbr.io/registry-id", "type"}));
  EXPECT_EQ(json::GetString(labels, "app"), "backup-migration");
  EXPECT_EQ(json::GetString(labels, "type"), "backup");
  EXPECT_EQ(labels.as_object().at("backup-id").as_string(), "mysql-daily-backup-x7k2p");
  EXPECT_EQ(labels.as_object().at("kbr.io/registry-id").as_string(), "docker-hub-ab12c");
  EXPECT_EQ(labels.as_object().at("app.kubernetes.io/managed-by").as_string(), "kbr");
  const bj::value& ann = *json::Find(m, "metadata.annotations");
  EXPECT_EQ(ann.as_object().at("kbr.io/name").as_string(), "mysql-daily-backup");
  EXPECT_EQ(ann.as_object().at("kbr.io/description").as_string(), "nightly");
}

TEST(BackupObjectTest, MigrationSpecIsTheSeeds) {
  bj::value m = BackupMigration(SeedExample(), "karmada-system");
  const bj::value& spec = *json::Find(m, "spec");
  EXPECT_EQ(Keys(spec), (std::vector<std::string>{"backupType", "imageRepository", "namespace", "phase", "registryID",
                                                   "repository", "resourceName", "resourceType", "schedule",
                                                   "targetCluster"}));
  EXPECT_EQ(json::GetString(spec, "targetCluster"), "prod-cluster");
  EXPECT_EQ(json::GetString(spec, "resourceType"), "statefulset");
  EXPECT_EQ(json::GetString(spec, "resourceName"), "mysql");
  EXPECT_EQ(json::GetString(spec, "namespace"), "database");
  EXPECT_EQ(json::GetString(spec, "registryID"), "docker-hub-ab12c");
  EXPECT_EQ(json::GetString(spec, "repository"), "backups/mysql");
  EXPECT_EQ(json::GetString(spec, "imageRepository"), "registry-1.docker.io/backups/mysql");
  EXPECT_EQ(json::GetString(spec, "backupType"), "checkpoint");
  EXPECT_EQ(json::GetString(spec, "phase"), "pending");
  EXPECT_EQ(Keys(*json::Find(spec, "schedule")),
            (std::vector<std::string>{"cron", "enabled", "timeZone", "type", "value"}));
  EXPECT_EQ(json::GetString(spec, "schedule.type"), "cron");
  EXPECT_EQ(json::GetString(spec, "schedule.value"), "0 2 * * *");
  EXPECT_EQ(json::GetString(spec, "schedule.cron"), "0 2 * * *");
  EXPECT_TRUE(json::GetBool(spec, "schedule.enabled"));
  EXPECT_EQ(json::GetString(spec, "schedule.timeZone"), "UTC");
}

TEST(BackupObjectTest, ConfigRoundTripsThroughTheMigration) {
  BackupConfig in = SeedExample();
  in.schedule = {.type = "selection", .value = "daily", .cron = "0 0 * * *", .time_zone = "Europe/Berlin",
                 .enabled = false};
  bj::value m = BackupMigration(in, "karmada-system");
  auto out = BackupFromMigration(m);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->id, in.id);
  EXPECT_EQ(out->name, in.name);
  EXPECT_EQ(out->description, in.description);
  EXPECT_EQ(out->cluster, in.cluster);
  EXPECT_EQ(out->resource_type, in.resource_type);
  EXPECT_EQ(out->resource_name, in.resource_name);
  EXPECT_EQ(out->ns, in.ns);
  EXPECT_EQ(out->registry_id, in.registry_id);
  EXPECT_EQ(out->repository, in.repository);
  EXPECT_EQ(out->image_repository, in.image_repository);
  EXPECT_EQ(out->schedule.type, "selection");
  EXPECT_EQ(out->schedule.value, "daily");
  EXPECT_EQ(out->schedule.cron, "0 0 * * *");
  EXPECT_EQ(out->schedule.time_zone, "Europe/Berlin");
  EXPECT_FALSE(out->schedule.enabled);
  EXPECT_EQ(out->phase, "pending");
  // The view the API returns reads the same object.
  bj::value view = BackupView(m);
  EXPECT_EQ(json::GetString(view, "id"), in.id);
  EXPECT_EQ(json::GetString(view, "registryId"), in.registry_id);
  EXPECT_EQ(json::GetString(view, "schedule.timeZone"), "Europe/Berlin");
}

TEST(BackupObjectTest, RecoveriesAndForeignObjectsAreNotBackups) {
  bj::value recovery = {{"metadata",
                         {{"name", "recovery-r1"},
                          {"labels", {{"type", "recovery"}, {"backup-id", "b1"}, {"recovery-id", "r1"}}}}}};
  EXPECT_EQ(BackupFromMigration(recovery).status().code(), StatusCode::kInvalidArgument);
  bj::value unlabelled = {{"metadata", {{"name", "backup-x"}}}};
  EXPECT_EQ(BackupFromMigration(unlabelled).status().code(), StatusCode::kInvalidArgument);
}

TEST(BackupObjectTest, ImageRepositoryIsRegistryHostPlusRepository) {
  struct Case {
    std::string url, repository, want;
  } cases[] = {
      {"https://127.0.0.1:5000", "backups/mysql", "127.0.0.1:5000/backups/mysql"},
      {"https://127.0.0.1:5000/", "a", "127.0.0.1:5000/a"},
      {"http://localhost:5000/v2/", "team/app", "localhost:5000/team/app"},
      {"registry.example.com", "x/y/z", "registry.example.com/x/y/z"},
      {"https://index.docker.io/v1/", "backups/mysql", "registry-1.docker.io/backups/mysql"},
      {"docker.io", "me/db", "registry-1.docker.io/me/db"},
  };
  for (const auto& c : cases) {
    auto got = ImageRepository(c.url, c.repository);
    ASSERT_TRUE(got.ok()) << c.url << ": " << got.status().message();
    EXPECT_EQ(*got, c.want) << c.url;
  }
  EXPECT_EQ(ImageRepository("ftp://x", "a").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ImageRepository("", "a").status().code(), StatusCode::kInvalidArgument);
}

TEST(BackupObjectTest, ExecutionNameIsBackupIdPlusUtcSecond) {
  using namespace std::chrono;
  sys_seconds t = sys_days{year{2026} / 11 / 27} + hours{11} + minutes{2} + seconds{3};
  EXPECT_EQ(ExecutionName("mysql-daily-backup-x7k2p", t), "mysql-daily-backup-x7k2p-20261127110203");
  // Sub-second parts are dropped: two clicks in one second get one name.
  EXPECT_EQ(ExecutionName("b", t + milliseconds(999)), "b-20261127110203");
  EXPECT_EQ(ExecutionName("b", t + milliseconds(1000)), "b-20261127110204");
  // A 40-character id still gives a valid object name (<= 63 as a label value too).
  std::string id(40, 'a');
  EXPECT_LE(ExecutionName(id, t).size(), 63u);
}

TEST(BackupObjectTest, ExecutionRecordCarriesTheBackupsTarget) {
  bj::value e = ExecutionObject(SeedExample(), "mysql-daily-backup-x7k2p-20261127110203", "karmada-system", "manual");
  EXPECT_EQ(json::GetString(e, "kind"), "CheckpointBackup");
  EXPECT_EQ(json::GetString(e, "apiVersion"), "migration.dcnlab.com/v1alpha1");
  EXPECT_EQ(json::GetString(e, "metadata.name"), "mysql-daily-backup-x7k2p-20261127110203");
  EXPECT_EQ(Keys(*json::Find(e, "metadata.labels")),
            (std::vector<std::string>{"app.kubernetes.io/managed-by", "backup-id"}));
  EXPECT_EQ(Keys(*json::Find(e, "spec")),
            (std::vector<std::string>{"backupID", "cluster", "imageRepository", "namespace", "registryID",
                                      "resourceName", "resourceType", "trigger"}));
  EXPECT_EQ(json::GetString(e, "spec.backupID"), "mysql-daily-backup-x7k2p");
  EXPECT_EQ(json::GetString(e, "spec.cluster"), "prod-cluster");
  EXPECT_EQ(json::GetString(e, "spec.imageRepository"), "registry-1.docker.io/backups/mysql");
  EXPECT_EQ(json::GetString(e, "spec.trigger"), "manual");
  EXPECT_EQ(json::Find(e, "status"), nullptr);
  bj::value scheduled = ExecutionObject(SeedExample(), "n", "ns", "schedule", "2026-11-27T02:00:00Z");
  EXPECT_EQ(json::GetString(scheduled, "spec.scheduledTime"), "2026-11-27T02:00:00Z");
  // The execution view reads it as Pending before any status is written.
  EXPECT_EQ(json::GetString(ExecutionView(e), "phase"), "Pending");
}

TEST(BackupObjectTest, ExecutionWorkPlacesACopyOnTheBackupsCluster) {
  // The execution as the apiserver returns it from create.
  bj::value e = ExecutionObject(SeedExample(), "b-20261127110203", "karmada-system", "manual");
  json::Set(e, "metadata.uid", bj::value("0f3c-uid"));
  json::Set(e, "metadata.resourceVersion", bj::value("42"));
  json::Set(e, "metadata.creationTimestamp", bj::value("2026-11-27T11:02:03Z"));
  bj::value w = ExecutionWork(e, "member1");
  EXPECT_EQ(json::GetString(w, "apiVersion"), "work.karmada.io/v1alpha1");
  EXPECT_EQ(json::GetString(w, "kind"), "Work");
  EXPECT_EQ(json::GetString(w, "metadata.name"), "b-20261127110203");
  EXPECT_EQ(json::GetString(w, "metadata.namespace"), "karmada-es-member1");
  EXPECT_EQ(ExecutionSpace("member2"), "karmada-es-member2");
  EXPECT_EQ(json::GetString(w, "metadata.labels.backup-id"), "mysql-daily-backup-x7k2p");
  EXPECT_EQ(bj::serialize(*json::Find(w, "metadata.finalizers")), R"(["karmada.io/execution-controller"])");
  const auto& manifests = json::Find(w, "spec.workload.manifests")->as_array();
  ASSERT_EQ(manifests.size(), 1u);
  const bj::value& m = manifests[0];
  EXPECT_EQ(json::GetString(m, "kind"), "CheckpointBackup");
  EXPECT_EQ(json::GetString(m, "apiVersion"), "migration.dcnlab.com/v1alpha1");
  EXPECT_EQ(json::GetString(m, "metadata.name"), "b-20261127110203");
  EXPECT_EQ(json::GetString(m, "metadata.namespace"), "karmada-system");
  // Server-set fields stay on the host; Karmada owns the copy.
  EXPECT_EQ(Keys(*json::Find(m, "metadata")), (std::vector<std::string>{"annotations", "labels", "name", "namespace"}));
  EXPECT_EQ(Keys(*json::Find(m, "metadata.labels")),
            (std::vector<std::string>{"app.kubernetes.io/managed-by", "backup-id", "karmada.io/managed"}));
  EXPECT_EQ(json::Find(m, "metadata.labels")->as_object().at("karmada.io/managed").as_string(), "true");
  EXPECT_EQ(json::Find(m, "metadata.annotations")->as_object().at("resourcetemplate.karmada.io/uid").as_string(),
            "0f3c-uid");
  EXPECT_EQ(*json::Find(m, "spec"), *json::Find(e, "spec"));
}

TEST(BackupObjectTest, WorkloadViews) {
  bj::value pod = {{"metadata", {{"name", "db-0"}, {"namespace", "data"}, {"creationTimestamp", "2026-01-01T00:00:00Z"}}},
                   {"spec", {{"nodeName", "node-a"}, {"containers", {{{"name", "mysql"}}, {{"name", "sidecar"}}}}}},
                   {"status",
                    {{"phase", "Running"},
                     {"conditions", {{{"type", "Ready"}, {"status", "True"}}, {{"type", "Initialized"}, {"status", "True"}}}}}}};
  bj::value v = PodResourceView(pod);
  EXPECT_EQ(json::GetString(v, "kind"), "pod");
  EXPECT_EQ(json::GetString(v, "name"), "db-0");
  EXPECT_EQ(json::GetString(v, "namespace"), "data");
  EXPECT_EQ(json::GetString(v, "status"), "Running");
  EXPECT_EQ(json::GetString(v, "node"), "node-a");
  EXPECT_EQ(bj::serialize(*json::Find(v, "containers")), R"(["mysql","sidecar"])");
  EXPECT_EQ(json::GetInt(v, "readyReplicas"), 1);
  EXPECT_EQ(json::GetString(v, "createdAt"), "2026-01-01T00:00:00Z");
  bj::value pending = {{"metadata", {{"name", "p"}}}, {"spec", {{"containers", bj::array{}}}}};
  EXPECT_EQ(json::GetString(PodResourceView(pending), "status"), "Unknown");
  EXPECT_EQ(json::GetInt(PodResourceView(pending), "readyReplicas"), 0);

  bj::value sts = {{"metadata", {{"name", "db"}, {"namespace", "data"}}},
                   {"spec", {{"replicas", 3}, {"template", {{"spec", {{"containers", {{{"name", "mysql"}}}}}}}}}},
                   {"status", {{"readyReplicas", 2}}}};
  bj::value s = StatefulSetResourceView(sts);
  EXPECT_EQ(json::GetString(s, "kind"), "statefulset");
  EXPECT_EQ(json::GetString(s, "status"), "2/3");
  EXPECT_EQ(json::GetInt(s, "replicas"), 3);
  EXPECT_EQ(json::GetInt(s, "readyReplicas"), 2);
  EXPECT_EQ(bj::serialize(*json::Find(s, "containers")), R"(["mysql"])");
  bj::value fresh = {{"metadata", {{"name", "new"}}}, {"spec", bj::object{}}};
  EXPECT_EQ(json::GetString(StatefulSetResourceView(fresh), "status"), "0/1");
}

}  // namespace
}  // namespace kbr::backup
