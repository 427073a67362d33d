#include "backup/recovery_object.h"

#include <gtest/gtest.h>

#include "backup/objects.h"
#include "core/json.h"

namespace kbr::backup {
namespace {

namespace bj = boost::json;

TimePoint At(const std::string& rfc3339) {
  TimePoint t;
  EXPECT_TRUE(ParseRfc3339(rfc3339, &t)) << rfc3339;
  return t;
}

bj::value Backup(const std::string& id, const std::string& type = "statefulset") {
  return {{"apiVersion", kApiVersion},
          {"kind", "StatefulMigration"},
          {"metadata",
           {{"name", BackupObjectName(id)},
            {"labels", {{"app", "backup-migration"}, {"backup-id", id}, {"type", "backup"}}}}},
          {"spec",
           {{"targetCluster", "member1"},
            {"resourceType", type},
            {"resourceName", "mysql"},
            {"namespace", "database"},
            {"registryID", "reg-1"}}}};
}

bj::value Execution(const std::string& backup_id, const std::string& stamp, const std::string& phase,
                    const std::string& created = "2026-11-27T10:00:00Z") {
  bj::value e = {{"metadata",
                  {{"name", backup_id + "-" + stamp},
                   {"creationTimestamp", created},
                   {"labels", {{"backup-id", backup_id}}}}},
                 {"spec", {{"backupID", backup_id}}}};
  if (!phase.empty()) e.as_object()["status"] = bj::object{{"phase", phase}};
  return e;
}

bj::value Recovery(const std::string& phase) {
  bj::value m = {{"metadata",
                  {{"name", "recovery-r1"},
                   {"resourceVersion", "42"},
                   {"labels", {{"recovery-id", "r1"}, {"type", "recovery"}}}}},
                 {"spec", {{"targetCluster", "member2"}}}};
  if (!phase.empty()) {
    m.as_object()["status"] = bj::object{
        {"phase", phase}, {"progress", 30}, {"steps", bj::array{bj::object{{"name", "Created"}, {"time", "t0"}}}}};
  }
  return m;
}

RecoveryRequest SeedRequest() {
  return {.name = "mysql-restore-dev",
          .backup_id = "b1",
          .target_cluster = "member2",
          .recovery_type = "migrate",
          .target_namespace = "development"};
}

TEST(RecoveryObjectTest, MigrationHasExactlyTheSeedLabelsAndSpec) {
  auto spec = PlanRecovery(SeedRequest(), Backup("b1"), "b1-20261127100000", "mysql-restore-dev-x7k2p");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  bj::value m = RecoveryMigration(*spec, "karmada-system");
  EXPECT_EQ(json::GetString(m, "apiVersion"), "migration.dcnlab.com/v1alpha1");
  EXPECT_EQ(json::GetString(m, "kind"), "StatefulMigration");
  EXPECT_EQ(json::GetString(m, "metadata.name"), "recovery-mysql-restore-dev-x7k2p");
  EXPECT_EQ(json::GetString(m, "metadata.namespace"), "karmada-system");
  bj::value labels = {{"app", "recovery-migration"},
                      {"recovery-id", "mysql-restore-dev-x7k2p"},
                      {"backup-id", "b1"},
                      {"type", "recovery"},
                      {"app.kubernetes.io/managed-by", "kbr"}};
  EXPECT_EQ(*json::Find(m, "metadata.labels"), labels);
  bj::value annotations = {{"kbr.io/name", "mysql-restore-dev"}};
  EXPECT_EQ(*json::Find(m, "metadata.annotations"), annotations);
  bj::value expected_spec = {{"targetCluster", "member2"},
                             {"resourceType", "statefulset"},
                             {"resourceName", "mysql"},
                             {"namespace", "database"},
                             {"recoveryConfig",
                              {{"backupID", "b1"},
                               {"executionID", "b1-20261127100000"},
                               {"sourceCluster", "member1"},
                               {"recoveryType", "migrate"},
                               {"targetName", "mysql"},
                               {"targetNamespace", "development"}}},
                             {"phase", "pending"}};
  EXPECT_EQ(*json::Find(m, "spec"), expected_spec);
  EXPECT_TRUE(IsRecovery(m));
  EXPECT_FALSE(IsRecovery(Backup("b1")));
}

TEST(RecoveryObjectTest, PlanDefaultsAndValidatesTargets) {
  RecoveryRequest req = SeedRequest();
  req.target_namespace = "";
  auto spec = PlanRecovery(req, Backup("b1"), "e", "id");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->target_namespace, "database");
  EXPECT_EQ(spec->target_name, "mysql");

  struct Case {
    std::string type, target_name, target_ns, error_prefix;
  };
  std::vector<Case> cases = {
      {"statefulset", "mysql-copy", "dev", ""},
      {"statefulset", "mysql.copy", "dev", "targetName: 'mysql.copy' is not a valid name"},
      {"pod", "mysql.copy", "dev", ""},
      {"pod", "Mysql", "dev", "targetName: 'Mysql' is not a valid pod name"},
      {"statefulset", std::string(64, 'a'), "dev", "targetName: "},
      {"pod", "ok", "Dev_NS", "targetNamespace: 'Dev_NS' is not a valid name"},
      {"pod", "ok", std::string(64, 'n'), "targetNamespace: "},
  };
  for (const auto& c : cases) {
    req.target_name = c.target_name;
    req.target_namespace = c.target_ns;
    auto r = PlanRecovery(req, Backup("b1", c.type), "e", "id");
    if (c.error_prefix.empty()) {
      EXPECT_TRUE(r.ok()) << c.type << " " << c.target_name << ": " << r.status().message();
    } else {
      ASSERT_FALSE(r.ok()) << c.type << " " << c.target_name;
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(r.status().message().rfind(c.error_prefix, 0), 0u) << r.status().message();
    }
  }

  bj::value broken = Backup("b1");
  broken.as_object()["spec"].as_object().erase("resourceName");
  auto r = PlanRecovery(SeedRequest(), broken, "e", "id");
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message().rfind("backupId: backup 'b1'", 0), 0u) << r.status().message();
}

TEST(RecoveryObjectTest, InitialStatusIsPendingWithACreatedStep) {
  bj::value s = InitialRecoveryStatus(At("2026-11-27T11:12:31Z"));
  EXPECT_EQ(json::GetString(s, "phase"), "Pending");
  EXPECT_EQ(json::GetInt(s, "progress", -1), 0);
  ASSERT_EQ(json::Find(s, "steps")->as_array().size(), 1u);
  EXPECT_EQ(json::GetString(s.as_object().at("steps").as_array()[0], "name"), "Created");
  EXPECT_EQ(json::GetString(s.as_object().at("steps").as_array()[0], "time"), "2026-11-27T11:12:31Z");
}

TEST(RecoveryObjectTest, ExecuteOnlyFromPendingFailedOrCancelled) {
  TimePoint now = At("2026-11-27T12:00:00Z");
  for (const std::string phase : {"", "Pending", "Failed", "Cancelled"}) {
    auto r = StartRecovery(Recovery(phase), now);
    ASSERT_TRUE(r.ok()) << phase << ": " << r.status().message();
    EXPECT_EQ(json::GetString(*r, "status.phase"), "Running");
    EXPECT_EQ(json::GetInt(*r, "status.progress", -1), 0);
    EXPECT_EQ(json::GetString(*r, "metadata.resourceVersion"), "42");  // for UpdateStatus
    const auto& steps = json::Find(*r, "status.steps")->as_array();
    EXPECT_EQ(json::GetString(steps.back(), "name"), "Started");
    EXPECT_EQ(json::GetString(steps.back(), "time"), "2026-11-27T12:00:00Z");
    EXPECT_EQ(steps.size(), phase.empty() ? 1u : 2u);  // earlier steps kept
  }
  for (const std::string phase : {"Running", "Succeeded"}) {
    auto r = StartRecovery(Recovery(phase), now);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kConflict);
    EXPECT_EQ(r.status().message(), "recovery 'r1' is " + phase +
                                        ": only a Pending, Failed or Cancelled recovery can be executed");
  }
}

TEST(RecoveryObjectTest, CancelOnlyWhilePendingOrRunning) {
  TimePoint now = At("2026-11-27T12:00:00Z");
  for (const std::string phase : {"", "Pending", "Running"}) {
    auto r = CancelRecovery(Recovery(phase), now);
    ASSERT_TRUE(r.ok()) << phase;
    EXPECT_EQ(json::GetString(*r, "status.phase"), "Cancelled");
    EXPECT_EQ(json::GetString(json::Find(*r, "status.steps")->as_array().back(), "name"), "Cancelled");
    if (!phase.empty()) {
      EXPECT_EQ(json::GetInt(*r, "status.progress"), 30);  // progress kept as it was
    }
  }
  for (const std::string phase : {"Succeeded", "Failed", "Cancelled"}) {
    auto r = CancelRecovery(Recovery(phase), now);
    EXPECT_EQ(r.status().code(), StatusCode::kConflict);
    EXPECT_EQ(r.status().message(), "recovery 'r1' already finished (phase " + phase + ")");
  }
  EXPECT_EQ(CancelRecovery(Recovery("Weird"), now).status().code(), StatusCode::kConflict);
}

TEST(RecoveryObjectTest, DeleteRefusedWhileRunningUnlessForced) {
  EXPECT_TRUE(CheckDeletable(Recovery("Pending"), false).ok());
  EXPECT_TRUE(CheckDeletable(Recovery("Succeeded"), false).ok());
  Status s = CheckDeletable(Recovery("Running"), false);
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_EQ(s.message(), "recovery 'r1' is Running: cancel it first, or delete with ?force=true");
  EXPECT_TRUE(CheckDeletable(Recovery("Running"), true).ok());
}

TEST(RecoveryObjectTest, ExecutionsSortNewestFirst) {
  std::vector<bj::value> es = {Execution("b", "20261127100000", "Completed", "2026-11-27T10:00:00Z"),
                               Execution("b", "20261127120000", "Failed", "2026-11-27T12:00:00Z"),
                               Execution("b", "20261127110001", "Completed", "2026-11-27T11:00:00Z"),
                               Execution("b", "20261127110000", "Completed", "2026-11-27T11:00:00Z")};
  SortNewestFirst(es);
  std::vector<std::string> names;
  for (const auto& e : es) names.push_back(json::GetString(e, "metadata.name"));
  EXPECT_EQ(names, (std::vector<std::string>{"b-20261127120000", "b-20261127110001", "b-20261127110000",
                                             "b-20261127100000"}));
}

TEST(RecoveryObjectTest, LatestCompletedExecution) {
  std::vector<bj::value> es = {Execution("b", "20261127100000", "Completed", "2026-11-27T10:00:00Z"),
                               Execution("b", "20261127110000", "Completed", "2026-11-27T11:00:00Z"),
                               Execution("b", "20261127120000", "Failed", "2026-11-27T12:00:00Z")};
  auto latest = LatestCompletedExecution(es, "b");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(json::GetString(*latest, "metadata.name"), "b-20261127110000");

  auto none = LatestCompletedExecution({Execution("b", "20261127120000", "Failed")}, "b");
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(none.status().message(),
            "backupId: backup 'b' has no completed execution to recover from (1 run(s), the latest "
            "'b-20261127120000' is Failed)");
  auto never = LatestCompletedExecution({}, "b");
  EXPECT_EQ(never.status().message(),
            "backupId: backup 'b' has no completed execution to recover from (it has never run)");
  auto pending = LatestCompletedExecution({Execution("b", "20261127120000", "")}, "b");
  EXPECT_NE(pending.status().message().find("is Pending"), std::string::npos);
}

TEST(RecoveryObjectTest, RequestedExecutionMustBelongAndBeCompleted) {
  EXPECT_TRUE(CheckExecutionUsable(Execution("b", "20261127100000", "Completed"), "b").ok());
  Status other = CheckExecutionUsable(Execution("c", "20261127100000", "Completed"), "b");
  EXPECT_EQ(other.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(other.message(), "executionId: execution 'c-20261127100000' belongs to backup 'c', not to 'b'");
  Status failed = CheckExecutionUsable(Execution("b", "20261127100000", "Pushing"), "b");
  EXPECT_EQ(failed.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(failed.message(),
            "executionId: execution 'b-20261127100000' is Pushing; only a Completed execution can be recovered");
}

}  // namespace
}  // namespace kbr::backup
