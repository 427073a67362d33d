// Recovery routes of the REST API against the lab: the seed's recovery
// example (a backup created here, with Completed executions, recovered into
// member2) and the exact StatefulMigration it creates; each class of bad
// input (unknown backup, no completed execution, unknown or unready cluster,
// bad enum, invalid names, not JSON) leaving nothing behind; execute, cancel
// and delete with their phase rules and a race of concurrent executes;
// history newest first with bytes and digests; list paging/sort/filter; auth.
//
// Backups and executions are written directly as Kubernetes objects (the
// backup routes are not needed), executions' status with UpdateStatus.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <functional>
#include <set>
#include <thread>

#include "api_env.h"
#include "backup/objects.h"
#include "core/json.h"
#include "karmada/clusters.h"
#include "lab_env.h"

namespace kbr::testing {
namespace {

namespace bj = boost::json;

constexpr const char* kNs = "karmada-system";
constexpr const char* kBase = "/api/v1/backup/recovery";

std::string Str(const bj::value& v, std::string_view path) { return json::GetString(v, path); }

struct Container {
  std::string name, digest;
  int64_t bytes;
};

class RecoveryApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { (void)ApiServerProcess::Get(); }  // installs the CRDs and the namespace

  void SetUp() override {
    host_ = AdminClient("karmada");
    ASSERT_TRUE(host_);
  }

  void TearDown() override {
    for (const auto& name : cleanup_) (void)host_->Delete(backup::kStatefulMigrations, kNs, name);
    for (const auto& name : executions_) (void)host_->Delete(backup::kCheckpointBackups, kNs, name);
    // Other tests count the lab's clusters: wait until Karmada has really
    // removed the extra one (its execution namespace goes first).
    for (const auto& name : clusters_) {
      (void)host_->Delete(karmada::kClusters, "", name);
      EXPECT_TRUE(Eventually(
          [&] { return host_->Get(karmada::kClusters, "", name).status().code() == StatusCode::kNotFound; }, 120))
          << "cluster " << name << " was not removed";
    }
  }

  // The seed's backup StatefulMigration of statefulset database/mysql on member1.
  std::string CreateBackup(const std::string& prefix = "bk") {
    std::string id = UniqueName(prefix);
    bj::value m = {
        {"apiVersion", backup::kApiVersion},
        {"kind", "StatefulMigration"},
        {"metadata",
         {{"name", backup::BackupObjectName(id)},
          {"namespace", kNs},
          {"labels",
           {{"app", "backup-migration"}, {"backup-id", id}, {"type", "backup"}, {backup::kManagedBy, "kbr"}}},
          {"annotations", {{backup::kNameAnnotation, "mysql-daily-backup"}}}}},
        {"spec",
         {{"targetCluster", "member1"},
          {"resourceType", "statefulset"},
          {"resourceName", "mysql"},
          {"namespace", "database"},
          {"registryID", "registry-123"},
          {"repository", "backups/mysql"},
          {"imageRepository", "registry.example.com/backups/mysql"},
          {"backupType", "checkpoint"},
          {"schedule", {{"type", "cron"}, {"value", "0 2 * * *"}, {"cron", "0 2 * * *"}, {"enabled", true}}},
          {"phase", "pending"}}}};
    auto created = host_->Create(backup::kStatefulMigrations, kNs, m);
    EXPECT_TRUE(created.ok()) << created.status().message();
    cleanup_.push_back(backup::BackupObjectName(id));
    return id;
  }

  // The execution <backup>-<stamp> in `phase`, with one image per container.
  std::string CreateExecution(const std::string& backup_id, const std::string& stamp, const std::string& phase,
                              const std::vector<Container>& containers = {}) {
    std::string name = backup_id + "-" + stamp;
    bj::value e = {{"apiVersion", backup::kApiVersion},
                   {"kind", "CheckpointBackup"},
                   {"metadata", {{"name", name}, {"namespace", kNs}, {"labels", {{"backup-id", backup_id}}}}},
                   {"spec",
                    {{"backupID", backup_id},
                     {"cluster", "member1"},
                     {"resourceType", "statefulset"},
                     {"resourceName", "mysql"},
                     {"namespace", "database"},
                     {"trigger", "manual"}}}};
    auto created = host_->Create(backup::kCheckpointBackups, kNs, e);
    EXPECT_TRUE(created.ok()) << created.status().message();
    if (!created.ok()) return name;
    executions_.push_back(name);
    bj::array cs;
    int64_t total = 0;
    for (const auto& c : containers) {
      cs.push_back({{"pod", "mysql-0"},
                    {"container", c.name},
                    {"node", "member1-node-0"},
                    {"image", "registry.example.com/backups/mysql:mysql-0-" + c.name + "-" + name},
                    {"digest", c.digest},
                    {"bytes", c.bytes},
                    {"durationMs", 1200}});
      total += c.bytes;
    }
    std::string day = stamp.substr(0, 4) + "-" + stamp.substr(4, 2) + "-" + stamp.substr(6, 2);
    std::string time = stamp.substr(8, 2) + ":" + stamp.substr(10, 2) + ":" + stamp.substr(12, 2);
    created->as_object()["status"] = bj::object{{"phase", phase},
                                                {"startedAt", day + "T" + time + "Z"},
                                                {"completedAt", day + "T" + time + "Z"},
                                                {"durationMs", 4200},
                                                {"bytes", total},
                                                {"containers", std::move(cs)}};
    auto updated = host_->UpdateStatus(backup::kCheckpointBackups, kNs, *created);
    EXPECT_TRUE(updated.ok()) << updated.status().message();
    return name;
  }

  // A backup with one Completed execution.
  std::string BackupWithCompletedRun() {
    std::string id = CreateBackup();
    CreateExecution(id, "20261127100000", "Completed", {{"mysql", "sha256:" + std::string(64, 'a'), 1000}});
    return id;
  }

  // POST /recovery; remembers the object for cleanup.
  ApiResponse CreateRecovery(const bj::object& body, const std::string& token = "<admin>") {
    ApiResponse r = CallApi("POST", kBase, bj::serialize(body), token);
    std::string id = Str(r.data(), "id");
    if (r.status == 201 && !id.empty()) cleanup_.push_back(backup::RecoveryObjectName(id));
    return r;
  }

  bj::object SeedBody(const std::string& backup_id) {
    return {{"name", "mysql-restore-dev"},
            {"backupId", backup_id},
            {"targetCluster", "member2"},
            {"recoveryType", "migrate"},
            {"targetNamespace", "development"}};
  }

  // Recoveries of `backup_id` as the apiserver has them.
  size_t RecoveriesOf(const std::string& backup_id) {
    auto l = host_->ListAll(backup::kStatefulMigrations, kNs,
                            {.label_selector = "type=recovery,backup-id=" + backup_id});
    EXPECT_TRUE(l.ok());
    return l.ok() ? l->size() : 0;
  }

  // Sets the recovery's status phase directly, as the controller would.
  void SetPhase(const std::string& id, const std::string& phase) {
    auto m = host_->Get(backup::kStatefulMigrations, kNs, backup::RecoveryObjectName(id));
    ASSERT_TRUE(m.ok());
    json::Set(*m, "status.phase", bj::value(phase));
    json::Set(*m, "status.progress", bj::value(100));
    auto u = host_->UpdateStatus(backup::kStatefulMigrations, kNs, *m);
    ASSERT_TRUE(u.ok()) << u.status().message();
  }

  std::unique_ptr<kube::Client> host_;
  std::vector<std::string> cleanup_, executions_, clusters_;
};

TEST_F(RecoveryApiTest, SeedExampleCreatesExactlyTheSeedObject) {
  std::string id = CreateBackup();
  CreateExecution(id, "20261127090000", "Completed", {{"mysql", "sha256:" + std::string(64, '1'), 10}});
  std::string latest_ok =
      CreateExecution(id, "20261127100000", "Completed", {{"mysql", "sha256:" + std::string(64, '2'), 20}});
  CreateExecution(id, "20261127110000", "Failed");  // newer, but not usable

  ApiResponse r = CreateRecovery(SeedBody(id));
  ASSERT_EQ(r.status, 201) << r.raw;
  EXPECT_EQ(json::GetInt(r.body, "code"), 201);
  const bj::value& v = r.data();
  std::string rid = Str(v, "id");
  EXPECT_EQ(rid.rfind("mysql-restore-dev-", 0), 0u) << rid;
  EXPECT_EQ(rid.size(), std::string("mysql-restore-dev-").size() + 5);
  EXPECT_EQ(Str(v, "name"), "mysql-restore-dev");
  EXPECT_EQ(Str(v, "backupId"), id);
  EXPECT_EQ(Str(v, "executionId"), latest_ok);
  EXPECT_EQ(Str(v, "sourceCluster"), "member1");
  EXPECT_EQ(Str(v, "targetCluster"), "member2");
  EXPECT_EQ(Str(v, "recoveryType"), "migrate");
  EXPECT_EQ(Str(v, "targetName"), "mysql");
  EXPECT_EQ(Str(v, "targetNamespace"), "development");
  EXPECT_EQ(Str(v, "phase"), "Pending");
  EXPECT_EQ(json::GetInt(v, "progress", -1), 0);
  ASSERT_TRUE(json::Find(v, "steps") && json::Find(v, "steps")->is_array());
  ASSERT_EQ(json::Find(v, "steps")->as_array().size(), 1u);
  EXPECT_EQ(Str(json::Find(v, "steps")->as_array()[0], "name"), "Created");
  EXPECT_FALSE(Str(json::Find(v, "steps")->as_array()[0], "time").empty());

  auto cr = host_->Get(backup::kStatefulMigrations, kNs, "recovery-" + rid);
  ASSERT_TRUE(cr.ok()) << cr.status().message();
  bj::value labels = {{"app", "recovery-migration"},
                      {"recovery-id", rid},
                      {"backup-id", id},
                      {"type", "recovery"},
                      {"app.kubernetes.io/managed-by", "kbr"}};
  EXPECT_EQ(*json::Find(*cr, "metadata.labels"), labels);
  EXPECT_EQ(json::Find(*cr, "metadata.annotations")->as_object().at("kbr.io/name").as_string(), "mysql-restore-dev");
  bj::value spec = {{"targetCluster", "member2"},
                    {"resourceType", "statefulset"},
                    {"resourceName", "mysql"},
                    {"namespace", "database"},
                    {"recoveryConfig",
                     {{"backupID", id},
                      {"executionID", latest_ok},
                      {"sourceCluster", "member1"},
                      {"recoveryType", "migrate"},
                      {"targetName", "mysql"},
                      {"targetNamespace", "development"}}},
                    {"phase", "pending"}};
  EXPECT_EQ(*json::Find(*cr, "spec"), spec);
  EXPECT_EQ(Str(*cr, "status.phase"), "Pending");
  EXPECT_EQ(json::GetInt(*cr, "status.progress", -1), 0);

  ApiResponse got = CallApi("GET", std::string(kBase) + "/" + rid);
  ASSERT_EQ(got.status, 200) << got.raw;
  EXPECT_EQ(Str(got.data(), "executionId"), latest_ok);
  EXPECT_EQ(Str(got.data(), "phase"), "Pending");
  ApiResponse missing = CallApi("GET", std::string(kBase) + "/nope-" + rid);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.message(), "recovery 'nope-" + rid + "' not found");
}

TEST_F(RecoveryApiTest, ExplicitExecutionAndTargetName) {
  std::string id = CreateBackup();
  std::string old_ok = CreateExecution(id, "20261127090000", "Completed", {{"mysql", "sha256:" + std::string(64, '3'), 5}});
  std::string failed = CreateExecution(id, "20261127100000", "Failed");
  std::string other = BackupWithCompletedRun();

  bj::object body = SeedBody(id);
  body["executionId"] = old_ok;
  body["targetName"] = "mysql-copy";
  body["recoveryType"] = "restore";
  body["targetCluster"] = "member1";
  body.erase("targetNamespace");
  ApiResponse ok = CreateRecovery(body);
  ASSERT_EQ(ok.status, 201) << ok.raw;
  EXPECT_EQ(Str(ok.data(), "executionId"), old_ok);
  EXPECT_EQ(Str(ok.data(), "targetName"), "mysql-copy");
  EXPECT_EQ(Str(ok.data(), "targetNamespace"), "database");  // the backup's namespace by default
  EXPECT_EQ(Str(ok.data(), "recoveryType"), "restore");

  body["executionId"] = failed;
  ApiResponse not_completed = CreateRecovery(body);
  EXPECT_EQ(not_completed.status, 422) << not_completed.raw;
  EXPECT_EQ(not_completed.message(),
            "executionId: execution '" + failed + "' is Failed; only a Completed execution can be recovered");

  body["executionId"] = other + "-20261127100000";
  ApiResponse foreign = CreateRecovery(body);
  EXPECT_EQ(foreign.status, 422) << foreign.raw;
  EXPECT_EQ(foreign.message(), "executionId: execution '" + other + "-20261127100000' belongs to backup '" + other +
                                   "', not to '" + id + "'");

  body["executionId"] = id + "-20200101000000";
  ApiResponse unknown = CreateRecovery(body);
  EXPECT_EQ(unknown.status, 404) << unknown.raw;
  EXPECT_EQ(unknown.message(), "executionId: execution '" + id + "-20200101000000' not found");
  EXPECT_EQ(RecoveriesOf(id), 1u);
}

TEST_F(RecoveryApiTest, EachErrorClassNamesItsFieldAndLeavesNothingBehind) {
  std::string id = BackupWithCompletedRun();
  std::string never_ran = CreateBackup();
  std::string only_failed = CreateBackup();
  CreateExecution(only_failed, "20261127100000", "Failed");
  CreateExecution(only_failed, "20261127110000", "Pushing");

  // An unready cluster: a Pull-mode Cluster no agent ever reports for.
  std::string unready = UniqueName("ghost");
  bj::value cluster = {{"apiVersion", "cluster.karmada.io/v1alpha1"},
                       {"kind", "Cluster"},
                       {"metadata", {{"name", unready}}},
                       {"spec", {{"syncMode", "Pull"}}}};
  auto created = host_->Create(karmada::kClusters, "", cluster);
  ASSERT_TRUE(created.ok()) << created.status().message();
  clusters_.push_back(unready);

  struct Case {
    std::string what;
    std::function<void(bj::object&)> edit;
    int status;
    std::string message;  // exact, or a prefix when it ends in "*"
  };
  std::vector<Case> cases = {
      {"unknown backup", [](bj::object& b) { b["backupId"] = "no-such-backup"; }, 404,
       "backupId: backup 'no-such-backup' not found"},
      {"backup never ran", [&](bj::object& b) { b["backupId"] = never_ran; }, 422,
       "backupId: backup '" + never_ran + "' has no completed execution to recover from (it has never run)"},
      {"no completed run", [&](bj::object& b) { b["backupId"] = only_failed; }, 422,
       "backupId: backup '" + only_failed + "' has no completed execution to recover from (2 run(s), the latest '" +
           only_failed + "-20261127110000' is Pushing)"},
      {"unknown cluster", [](bj::object& b) { b["targetCluster"] = "member9"; }, 404,
       "targetCluster: cluster 'member9' not found"},
      {"unready cluster", [&](bj::object& b) { b["targetCluster"] = unready; }, 422,
       "targetCluster: cluster '" + unready + "' is not Ready*"},
      {"bad recoveryType", [](bj::object& b) { b["recoveryType"] = "copy"; }, 400,
       "recoveryType: 'copy' is not one of restore, migrate"},
      {"missing recoveryType", [](bj::object& b) { b.erase("recoveryType"); }, 400, "recoveryType: required"},
      {"invalid targetNamespace", [](bj::object& b) { b["targetNamespace"] = "Dev_NS"; }, 400,
       "targetNamespace: 'Dev_NS' is not a valid name*"},
      {"long targetNamespace", [](bj::object& b) { b["targetNamespace"] = std::string(64, 'n'); }, 400,
       "targetNamespace: *"},
      {"invalid targetName", [](bj::object& b) { b["targetName"] = "My SQL"; }, 400, "targetName: 'My SQL' *"},
      {"statefulset name with a dot", [](bj::object& b) { b["targetName"] = "mysql.copy"; }, 400,
       "targetName: 'mysql.copy' is not a valid name*"},
      {"missing name", [](bj::object& b) { b.erase("name"); }, 400, "name: required"},
      {"missing backupId", [](bj::object& b) { b.erase("backupId"); }, 400, "backupId: required"},
      {"backupId not a string", [](bj::object& b) { b["backupId"] = 5; }, 400, "backupId: must be a string"},
      {"backupId with a slash", [](bj::object& b) { b["backupId"] = "../x"; }, 400, "backupId: '../x' *"},
      {"targetCluster not a name", [](bj::object& b) { b["targetCluster"] = "a/b"; }, 400, "targetCluster: 'a/b' *"},
      {"bad executionId", [](bj::object& b) { b["executionId"] = "X_1"; }, 400, "executionId: 'X_1' *"},
  };
  for (const auto& c : cases) {
    bj::object body = SeedBody(id);
    c.edit(body);
    ApiResponse r = CreateRecovery(body);
    EXPECT_EQ(r.status, c.status) << c.what << ": " << r.raw;
    EXPECT_EQ(json::GetInt(r.body, "code"), c.status) << c.what;
    if (!c.message.empty() && c.message.back() == '*') {
      std::string prefix = c.message.substr(0, c.message.size() - 1);
      EXPECT_EQ(r.message().rfind(prefix, 0), 0u) << c.what << ": " << r.message();
    } else {
      EXPECT_EQ(r.message(), c.message) << c.what;
    }
  }
  for (const std::string& raw : {std::string("not json"), std::string("[1,2]"), std::string("{\"name\":")}) {
    ApiResponse r = CallApi("POST", kBase, raw);
    EXPECT_EQ(r.status, 400) << raw << ": " << r.raw;
    EXPECT_EQ(r.message().rfind("body: ", 0), 0u) << r.message();
  }
  ApiResponse empty = CallApi("POST", kBase, "");
  EXPECT_EQ(empty.status, 400) << empty.raw;
  for (const auto& b : {id, never_ran, only_failed}) EXPECT_EQ(RecoveriesOf(b), 0u) << b;
}

TEST_F(RecoveryApiTest, ExecuteCancelAndDeleteFollowThePhaseRules) {
  std::string id = BackupWithCompletedRun();
  ApiResponse c = CreateRecovery(SeedBody(id));
  ASSERT_EQ(c.status, 201) << c.raw;
  std::string rid = Str(c.data(), "id");
  const std::string at = std::string(kBase) + "/" + rid;

  ApiResponse run = CallApi("POST", at + "/execute");
  ASSERT_EQ(run.status, 202) << run.raw;
  EXPECT_EQ(Str(run.data(), "phase"), "Running");
  const auto& steps = json::Find(run.data(), "steps")->as_array();
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(Str(steps[1], "name"), "Started");
  auto cr = host_->Get(backup::kStatefulMigrations, kNs, "recovery-" + rid);
  ASSERT_TRUE(cr.ok());
  EXPECT_EQ(Str(*cr, "status.phase"), "Running");
  EXPECT_EQ(Str(*cr, "spec.phase"), "pending");  // the spec is the user's intent, untouched

  ApiResponse again = CallApi("POST", at + "/execute");
  EXPECT_EQ(again.status, 409) << again.raw;
  EXPECT_EQ(again.message(),
            "recovery '" + rid + "' is Running: only a Pending, Failed or Cancelled recovery can be executed");
  ApiResponse del_running = CallApi("DELETE", at);
  EXPECT_EQ(del_running.status, 409) << del_running.raw;
  EXPECT_EQ(del_running.message(), "recovery '" + rid + "' is Running: cancel it first, or delete with ?force=true");

  ApiResponse cancel = CallApi("POST", at + "/cancel");
  ASSERT_EQ(cancel.status, 200) << cancel.raw;
  EXPECT_EQ(Str(cancel.data(), "phase"), "Cancelled");
  EXPECT_EQ(Str(json::Find(cancel.data(), "steps")->as_array().back(), "name"), "Cancelled");
  ApiResponse cancel_again = CallApi("POST", at + "/cancel");
  EXPECT_EQ(cancel_again.status, 409);
  EXPECT_EQ(cancel_again.message(), "recovery '" + rid + "' already finished (phase Cancelled)");

  ApiResponse retry = CallApi("POST", at + "/execute");  // a cancelled recovery may be run again
  ASSERT_EQ(retry.status, 202) << retry.raw;
  EXPECT_EQ(Str(retry.data(), "phase"), "Running");
  ApiResponse bad_force = CallApi("DELETE", at + "?force=yes");
  EXPECT_EQ(bad_force.status, 400);
  ApiResponse forced = CallApi("DELETE", at + "?force=true");
  ASSERT_EQ(forced.status, 200) << forced.raw;
  EXPECT_EQ(Str(forced.data(), "id"), rid);
  EXPECT_EQ(host_->Get(backup::kStatefulMigrations, kNs, "recovery-" + rid).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(CallApi("GET", at).status, 404);
  EXPECT_EQ(CallApi("POST", at + "/execute").status, 404);
  EXPECT_EQ(CallApi("POST", at + "/cancel").status, 404);
  EXPECT_EQ(CallApi("DELETE", at).status, 404);
}

TEST_F(RecoveryApiTest, FinishedRecoveriesCannotBeCancelled) {
  std::string id = BackupWithCompletedRun();
  ApiResponse c = CreateRecovery(SeedBody(id));
  ASSERT_EQ(c.status, 201) << c.raw;
  std::string rid = Str(c.data(), "id");
  const std::string at = std::string(kBase) + "/" + rid;
  SetPhase(rid, "Succeeded");

  ApiResponse cancel = CallApi("POST", at + "/cancel");
  EXPECT_EQ(cancel.status, 409) << cancel.raw;
  EXPECT_EQ(cancel.message(), "recovery '" + rid + "' already finished (phase Succeeded)");
  ApiResponse run = CallApi("POST", at + "/execute");
  EXPECT_EQ(run.status, 409) << run.raw;
  EXPECT_EQ(run.message(),
            "recovery '" + rid + "' is Succeeded: only a Pending, Failed or Cancelled recovery can be executed");
  EXPECT_TRUE(Eventually([&] {
    ApiResponse g = CallApi("GET", at);
    return g.status == 200 && Str(g.data(), "phase") == "Succeeded" && json::GetInt(g.data(), "progress") == 100;
  }));

  SetPhase(rid, "Failed");  // a failed recovery may be retried
  ApiResponse retry = CallApi("POST", at + "/execute");
  EXPECT_EQ(retry.status, 202) << retry.raw;
  EXPECT_EQ(json::GetInt(retry.data(), "progress", -1), 0);
  SetPhase(rid, "Succeeded");
  ApiResponse del = CallApi("DELETE", at);
  EXPECT_EQ(del.status, 200) << del.raw;
}

TEST_F(RecoveryApiTest, ConcurrentExecutesStartItOnce) {
  std::string id = BackupWithCompletedRun();
  ApiResponse c = CreateRecovery(SeedBody(id));
  ASSERT_EQ(c.status, 201) << c.raw;
  std::string at = std::string(kBase) + "/" + Str(c.data(), "id") + "/execute";
  std::atomic<int> accepted{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      int s = CallApi("POST", at).status;
      (s == 202 ? accepted : s == 409 ? refused : other)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(refused, 7);
  EXPECT_EQ(other, 0);
  auto cr = host_->Get(backup::kStatefulMigrations, kNs, "recovery-" + Str(c.data(), "id"));
  ASSERT_TRUE(cr.ok());
  EXPECT_EQ(json::Find(*cr, "status.steps")->as_array().size(), 2u);  // Created, Started: once
}

TEST_F(RecoveryApiTest, HistoryListsExecutionsNewestFirst) {
  std::string id = CreateBackup();
  std::string d1 = "sha256:" + std::string(64, 'b'), d2 = "sha256:" + std::string(64, 'c');
  std::string e1 = CreateExecution(id, "20261127080000", "Completed", {{"mysql", d1, 111}, {"sidecar", d2, 222}});
  std::string e2 = CreateExecution(id, "20261127090000", "Failed");
  std::string e3 = CreateExecution(id, "20261127100000", "Completed", {{"mysql", d2, 333}});
  std::string other = BackupWithCompletedRun();  // not in this history

  const std::string path = std::string(kBase) + "/backup/" + id + "/history";
  ApiResponse h;
  ASSERT_TRUE(Eventually([&] {
    h = CallApi("GET", path);
    if (h.status != 200 || json::GetInt(h.data(), "listMeta.totalItems") != 3) return false;
    const auto& items = h.data().as_object().at("executions").as_array();  // statuses written after create
    return Str(items[0], "phase") == "Completed" && Str(items[1], "phase") == "Failed" &&
           Str(items[2], "phase") == "Completed";
  })) << h.raw;
  const auto& runs = h.data().as_object().at("executions").as_array();
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(Str(runs[0], "id"), e3);
  EXPECT_EQ(Str(runs[1], "id"), e2);
  EXPECT_EQ(Str(runs[2], "id"), e1);
  EXPECT_EQ(Str(runs[1], "phase"), "Failed");
  EXPECT_EQ(Str(runs[2], "backupId"), id);
  EXPECT_EQ(Str(runs[2], "phase"), "Completed");
  EXPECT_EQ(Str(runs[2], "startedAt"), "2026-11-27T08:00:00Z");
  EXPECT_FALSE(Str(runs[2], "createdAt").empty());
  EXPECT_EQ(json::GetInt(runs[2], "durationMs"), 4200);
  EXPECT_EQ(json::GetInt(runs[2], "bytes"), 333);
  const auto& containers = runs[2].as_object().at("containers").as_array();
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(Str(containers[0], "digest"), d1);
  EXPECT_EQ(json::GetInt(containers[0], "bytes"), 111);
  EXPECT_EQ(Str(containers[1], "digest"), d2);
  EXPECT_EQ(Str(containers[1], "image"), "registry.example.com/backups/mysql:mysql-0-sidecar-" + e1);
  EXPECT_EQ(json::GetInt(runs[0], "bytes"), 333);

  ApiResponse page = CallApi("GET", path + "?itemsPerPage=2&page=2");
  ASSERT_EQ(page.status, 200) << page.raw;
  EXPECT_EQ(json::GetInt(page.data(), "listMeta.totalItems"), 3);
  ASSERT_EQ(page.data().as_object().at("executions").as_array().size(), 1u);
  EXPECT_EQ(Str(page.data().as_object().at("executions").as_array()[0], "id"), e1);
  ApiResponse failed = CallApi("GET", path + "?filterBy=phase,failed");
  ASSERT_EQ(failed.status, 200);
  EXPECT_EQ(json::GetInt(failed.data(), "listMeta.totalItems"), 1);

  std::string fresh = CreateBackup();  // exists, never ran
  ApiResponse none = CallApi("GET", std::string(kBase) + "/backup/" + fresh + "/history");
  ASSERT_EQ(none.status, 200) << none.raw;
  EXPECT_EQ(json::GetInt(none.data(), "listMeta.totalItems", -1), 0);
  EXPECT_TRUE(none.data().as_object().at("executions").as_array().empty());

  ApiResponse missing = CallApi("GET", std::string(kBase) + "/backup/no-such-backup/history");
  EXPECT_EQ(missing.status, 404) << missing.raw;
  EXPECT_EQ(missing.message(), "backup 'no-such-backup' not found");
  EXPECT_EQ(CallApi("GET", std::string(kBase) + "/backup/Bad_Id/history").status, 404);
}

TEST_F(RecoveryApiTest, ListPagesSortsAndFilters) {
  std::string id = BackupWithCompletedRun();
  std::string tag = UniqueName("lst");
  std::vector<std::string> ids;
  for (const char* suffix : {"b", "c", "a"}) {
    bj::object body = SeedBody(id);
    body["name"] = tag + "-" + suffix;
    ApiResponse r = CreateRecovery(body);
    ASSERT_EQ(r.status, 201) << r.raw;
    ids.push_back(Str(r.data(), "id"));
  }
  auto names = [](const ApiResponse& r) {
    std::vector<std::string> out;
    for (const auto& item : r.data().as_object().at("recoveries").as_array()) out.push_back(Str(item, "name"));
    return out;
  };
  const std::string filter = std::string(kBase) + "?filterBy=name," + tag;
  ApiResponse all;
  ASSERT_TRUE(Eventually([&] {
    all = CallApi("GET", filter);
    return all.status == 200 && json::GetInt(all.data(), "listMeta.totalItems") == 3;
  })) << all.raw;
  for (const auto& item : all.data().as_object().at("recoveries").as_array()) {
    EXPECT_EQ(Str(item, "backupId"), id);
    EXPECT_EQ(Str(item, "phase"), "Pending");
  }

  ApiResponse asc = CallApi("GET", filter + "&sortBy=a,name");
  ASSERT_EQ(asc.status, 200);
  EXPECT_EQ(names(asc), (std::vector<std::string>{tag + "-a", tag + "-b", tag + "-c"}));
  ApiResponse desc_page = CallApi("GET", filter + "&sortBy=d,name&itemsPerPage=2&page=1");
  EXPECT_EQ(names(desc_page), (std::vector<std::string>{tag + "-c", tag + "-b"}));
  EXPECT_EQ(json::GetInt(desc_page.data(), "listMeta.totalItems"), 3);
  ApiResponse page2 = CallApi("GET", filter + "&sortBy=d,name&itemsPerPage=2&page=2");
  EXPECT_EQ(names(page2), (std::vector<std::string>{tag + "-a"}));
  ApiResponse by_backup = CallApi("GET", std::string(kBase) + "?filterBy=backupId," + id + ",name," + tag + "-c");
  EXPECT_EQ(names(by_backup), (std::vector<std::string>{tag + "-c"}));

  // Executing one shows in the list (from the cache) once the watch delivers it.
  ASSERT_EQ(CallApi("POST", std::string(kBase) + "/" + ids[0] + "/execute").status, 202);
  EXPECT_TRUE(Eventually([&] {
    ApiResponse r = CallApi("GET", filter + ",phase,running");
    return r.status == 200 && json::GetInt(r.data(), "listMeta.totalItems") == 1;
  }));

  EXPECT_EQ(CallApi("GET", std::string(kBase) + "?sortBy=up,name").status, 400);
  EXPECT_EQ(CallApi("GET", std::string(kBase) + "?page=0").status, 400);
  EXPECT_EQ(CallApi("GET", std::string(kBase) + "?itemsPerPage=x").status, 400);
}

TEST_F(RecoveryApiTest, ReadOnlyTokenReadsButCannotWrite) {
  std::string id = BackupWithCompletedRun();
  ApiResponse c = CreateRecovery(SeedBody(id));
  ASSERT_EQ(c.status, 201) << c.raw;
  std::string rid = Str(c.data(), "id");
  const std::string at = std::string(kBase) + "/" + rid;
  std::string reader = ReadOnlyToken();
  ASSERT_FALSE(reader.empty());

  EXPECT_EQ(CallApi("GET", kBase, "", reader).status, 200);
  EXPECT_EQ(CallApi("GET", at, "", reader).status, 200);
  EXPECT_EQ(CallApi("GET", std::string(kBase) + "/backup/" + id + "/history", "", reader).status, 200);

  ApiResponse create = CreateRecovery(SeedBody(id), reader);
  EXPECT_EQ(create.status, 403) << create.raw;
  EXPECT_NE(create.message().find("forbidden"), std::string::npos) << create.message();
  EXPECT_EQ(CallApi("POST", at + "/execute", "", reader).status, 403);
  EXPECT_EQ(CallApi("POST", at + "/cancel", "", reader).status, 403);
  EXPECT_EQ(CallApi("DELETE", at, "", reader).status, 403);
  EXPECT_EQ(RecoveriesOf(id), 1u);

  for (auto [method, path] : {std::pair{"GET", std::string(kBase)}, {"POST", std::string(kBase)},
                              {"GET", at}, {"POST", at + "/execute"}, {"POST", at + "/cancel"}, {"DELETE", at},
                              {"GET", std::string(kBase) + "/backup/" + id + "/history"}}) {
    ApiResponse r = CallApi(method, path, method == std::string("POST") ? "{}" : "", "");
    EXPECT_EQ(r.status, 401) << method << " " << path;
  }
}

}  // namespace
}  // namespace kbr::testing
