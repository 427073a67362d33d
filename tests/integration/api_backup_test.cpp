// Backup routes of the REST API against the lab, through a real kbr server:
// the seed's example body and the StatefulMigration it becomes (exact labels
// and spec), list paging/sort/filter, every class of bad input, partial
// updates, optimistic concurrency (stale resourceVersion, 50 concurrent PUTs),
// execute (a Pending CheckpointBackup placed on member1 through a Karmada
// Work, a second click in the same second refused), the pods and statefulsets of member1, auth, and
// deletion of a configuration with its executions.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "api_env.h"
#include "backup/objects.h"
#include "core/json.h"
#include "kube/yaml.h"
#include "lab_env.h"

namespace kbr::testing {
namespace {

namespace bj = boost::json;
namespace res = kube::resources;

constexpr const char* kNs = "karmada-system";
constexpr const char* kBase = "/api/v1/backup";
const kube::Resource kMigrations{"migration.dcnlab.com", "v1alpha1", "statefulmigrations", true};
const kube::Resource kExecutions{"migration.dcnlab.com", "v1alpha1", "checkpointbackups", true};
const kube::Resource kWorks{"work.karmada.io", "v1alpha1", "works", true};

std::vector<std::string> Keys(const bj::value& obj) {
  std::vector<std::string> keys;
  if (obj.is_object()) {
    for (const auto& kv : obj.as_object()) keys.emplace_back(kv.key());
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::string Str(const bj::value& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.as_object().find(key);
  return it != obj.as_object().end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

ApiResponse Call(const std::string& method, const std::string& path, const bj::value& body) {
  return CallApi(method, path, bj::serialize(body));
}

// A registry created through the API (no check: the URL need not answer).
std::string CreateRegistry(const std::string& url) {
  auto r = Call("POST", std::string(kBase) + "/registry?verify=false",
                {{"name", UniqueName("backup-test-registry")}, {"url", url}, {"username", "u"}, {"password", "p"}});
  EXPECT_EQ(r.status, 201) << r.raw;
  return json::GetString(r.data(), "id");
}

const std::string& RegistryId() {
  static const std::string id = CreateRegistry("https://registry.example.com:5000");
  return id;
}

// The seed's example body, adjusted to the lab.
bj::object SeedBody(const std::string& name) {
  return {{"name", name},
          {"cluster", "member1"},
          {"resourceType", "statefulset"},
          {"resourceName", "mysql"},
          {"namespace", "default"},
          {"registryId", RegistryId()},
          {"repository", "backups/mysql"},
          {"schedule", {{"type", "cron"}, {"value", "0 2 * * *"}, {"enabled", true}}}};
}

std::string CreateBackup(bj::object body) {
  auto r = Call("POST", kBase, body);
  EXPECT_EQ(r.status, 201) << r.raw;
  return json::GetString(r.data(), "id");
}

std::string CreateBackup(const std::string& name) { return CreateBackup(SeedBody(name)); }

// What install-controller puts on a member: the namespace and the
// CheckpointBackup CRD, so executions can be propagated there.
void PrepareMember(const std::string& member) {
  static std::once_flag once;
  std::call_once(once, [&] {
    auto m = AdminClient(member);
    ASSERT_TRUE(m);
    bj::value ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kNs}}}};
    auto a = m->Apply(res::kNamespaces, "", ns, "kbr-test");
    ASSERT_TRUE(a.ok()) << a.status().message();
    std::ifstream in(std::string(KBR_SOURCE_DIR) + "/deploy/crds/checkpointbackups.yaml");
    std::stringstream text;
    text << in.rdbuf();
    auto docs = kube::ParseYamlDocuments(text.str(), "checkpointbackups.yaml");
    ASSERT_TRUE(docs.ok() && docs->size() == 1) << docs.status().message();
    auto crd = m->Apply(res::kCrds, "", docs->front(), "kbr-test");
    ASSERT_TRUE(crd.ok()) << crd.status().message();
    ASSERT_TRUE(Eventually([&] { return m->List(kExecutions, kNs).ok(); })) << "CRD not served on " << member;
  });
}

TEST(BackupApiTest, SeedExampleCreatesTheStatefulMigration) {
  std::string name = UniqueName("mysql-daily-backup");
  auto r = Call("POST", kBase, SeedBody(name));
  ASSERT_EQ(r.status, 201) << r.raw;
  EXPECT_EQ(json::GetInt(r.body, "code"), 201);
  const bj::value& d = r.data();
  std::string id = json::GetString(d, "id");
  EXPECT_TRUE(std::regex_match(id, std::regex("mysql-daily-backup-[0-9]+-[0-9]+-[a-z0-9]{5}"))) << id;
  EXPECT_EQ(json::GetString(d, "name"), name);
  EXPECT_EQ(json::GetString(d, "cluster"), "member1");
  EXPECT_EQ(json::GetString(d, "imageRepository"), "registry.example.com:5000/backups/mysql");
  EXPECT_EQ(json::GetString(d, "schedule.cron"), "0 2 * * *");
  EXPECT_EQ(json::GetString(d, "schedule.timeZone"), "UTC");
  std::string next = json::GetString(d, "nextRun");
  EXPECT_TRUE(std::regex_match(next, std::regex(R"(\d{4}-\d\d-\d\dT02:00:00Z)"))) << next;
  EXPECT_FALSE(json::GetString(d, "resourceVersion").empty());

  auto host = AdminClient("karmada");
  auto m = host->Get(kMigrations, kNs, "backup-" + id);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const bj::value& labels = *json::Find(*m, "metadata.labels");
  EXPECT_EQ(Keys(labels), (std::vector<std::string>{"app", "app.kubernetes.io/managed-by", "backup-id",
                                                     "kbr.io/registry-id", "type"}));
  EXPECT_EQ(Str(labels, "app"), "backup-migration");
  EXPECT_EQ(Str(labels, "backup-id"), id);
  EXPECT_EQ(Str(labels, "type"), "backup");
  EXPECT_EQ(Str(labels, "app.kubernetes.io/managed-by"), "kbr");
  EXPECT_EQ(Str(labels, "kbr.io/registry-id"), RegistryId());
  EXPECT_EQ(Str(*json::Find(*m, "metadata.annotations"), "kbr.io/name"), name);
  const bj::value& spec = *json::Find(*m, "spec");
  EXPECT_EQ(Keys(spec), (std::vector<std::string>{"backupType", "imageRepository", "namespace", "phase", "registryID",
                                                   "repository", "resourceName", "resourceType", "schedule",
                                                   "targetCluster"}));
  EXPECT_EQ(json::GetString(spec, "targetCluster"), "member1");
  EXPECT_EQ(json::GetString(spec, "resourceType"), "statefulset");
  EXPECT_EQ(json::GetString(spec, "resourceName"), "mysql");
  EXPECT_EQ(json::GetString(spec, "namespace"), "default");
  EXPECT_EQ(json::GetString(spec, "registryID"), RegistryId());
  EXPECT_EQ(json::GetString(spec, "repository"), "backups/mysql");
  EXPECT_EQ(json::GetString(spec, "imageRepository"), "registry.example.com:5000/backups/mysql");
  EXPECT_EQ(json::GetString(spec, "backupType"), "checkpoint");
  EXPECT_EQ(json::GetString(spec, "phase"), "pending");
  EXPECT_EQ(Keys(*json::Find(spec, "schedule")),
            (std::vector<std::string>{"cron", "enabled", "timeZone", "type", "value"}));
  EXPECT_EQ(json::GetString(spec, "schedule.type"), "cron");
  EXPECT_EQ(json::GetString(spec, "schedule.value"), "0 2 * * *");
  EXPECT_EQ(json::GetString(spec, "schedule.cron"), "0 2 * * *");
  EXPECT_TRUE(json::GetBool(spec, "schedule.enabled"));
  EXPECT_EQ(json::GetString(*m, "status.nextRun"), next);
  EXPECT_EQ(json::GetString(*m, "metadata.resourceVersion"), json::GetString(d, "resourceVersion"));

  // A quick selection in a time zone.
  bj::object sel = SeedBody(UniqueName("sel"));
  sel["schedule"] = {{"type", "selection"}, {"value", "15m"}, {"timeZone", "Europe/Berlin"}};
  auto s = Call("POST", kBase, sel);
  ASSERT_EQ(s.status, 201) << s.raw;
  EXPECT_EQ(json::GetString(s.data(), "schedule.cron"), "*/15 * * * *");
  EXPECT_EQ(json::GetString(s.data(), "schedule.timeZone"), "Europe/Berlin");
  EXPECT_TRUE(json::GetBool(s.data(), "schedule.enabled"));
  // Without a schedule: manual runs only.
  bj::object manual = SeedBody(UniqueName("manual"));
  manual.erase("schedule");
  auto mr = Call("POST", kBase, manual);
  ASSERT_EQ(mr.status, 201) << mr.raw;
  EXPECT_FALSE(json::GetBool(mr.data(), "schedule.enabled", true));
  EXPECT_EQ(json::GetString(mr.data(), "nextRun"), "");
}

TEST(BackupApiTest, ListGetFilterSortAndPage) {
  std::string prefix = UniqueName("lst");
  std::vector<std::string> ids;
  for (const char* suffix : {"a", "b", "c"}) ids.push_back(CreateBackup(prefix + "-" + suffix));
  std::string filter = std::string(kBase) + "?filterBy=name," + prefix;
  ApiResponse all;
  ASSERT_TRUE(Eventually([&] {
    all = CallApi("GET", filter);
    return all.status == 200 && json::GetInt(all.data(), "listMeta.totalItems") == 3;
  })) << all.raw;
  auto sorted = CallApi("GET", filter + "&sortBy=d,name");
  ASSERT_EQ(sorted.status, 200);
  const auto& items = json::Find(sorted.data(), "backups")->as_array();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(json::GetString(items[0], "name"), prefix + "-c");
  EXPECT_EQ(json::GetString(items[2], "name"), prefix + "-a");
  auto page = CallApi("GET", filter + "&sortBy=a,name&page=2&itemsPerPage=2");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(json::GetInt(page.data(), "listMeta.totalItems"), 3);
  ASSERT_EQ(json::Find(page.data(), "backups")->as_array().size(), 1u);
  EXPECT_EQ(json::GetString(json::Find(page.data(), "backups")->as_array()[0], "name"), prefix + "-c");
  auto by_cluster = CallApi("GET", filter + "&filterBy=name," + prefix + ",cluster,member2");
  EXPECT_EQ(json::GetInt(by_cluster.data(), "listMeta.totalItems"), 0) << by_cluster.raw;
  // Only backups: recoveries and other StatefulMigrations are not listed.
  for (const auto& item : json::Find(all.data(), "backups")->as_array()) {
    EXPECT_FALSE(json::GetString(item, "id").empty());
  }

  auto one = CallApi("GET", std::string(kBase) + "/" + ids[1]);
  ASSERT_EQ(one.status, 200) << one.raw;
  EXPECT_EQ(json::GetString(one.data(), "name"), prefix + "-b");
  EXPECT_EQ(json::GetString(one.data(), "registryId"), RegistryId());
  auto missing = CallApi("GET", std::string(kBase) + "/no-such-backup-zzzzz");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.message(), "backup 'no-such-backup-zzzzz' not found");
  auto weird = CallApi("GET", std::string(kBase) + "/Not%2Fan..id");
  EXPECT_EQ(weird.status, 404) << weird.raw;
  for (const char* q : {"?sortBy=x", "?page=0", "?itemsPerPage=abc", "?filterBy=name"}) {
    auto bad = CallApi("GET", std::string(kBase) + q);
    EXPECT_EQ(bad.status, 400) << q << ": " << bad.raw;
  }
}

struct BadInput {
  std::string what;
  std::function<void(bj::object&)> mutate;
  int status;
  std::string message;  // expected substring
};

TEST(BackupApiTest, EveryClassOfBadInputNamesTheField) {
  const std::vector<BadInput> cases = {
      {"wrong type", [](bj::object& b) { b["name"] = 5; }, 400, "name: must be a string"},
      {"unknown enum", [](bj::object& b) { b["resourceType"] = "deployment"; }, 400,
       "resourceType: 'deployment' is not one of pod, statefulset"},
      {"missing cluster", [](bj::object& b) { b.erase("cluster"); }, 400, "cluster: required"},
      {"missing resourceName", [](bj::object& b) { b.erase("resourceName"); }, 400, "resourceName: required"},
      {"missing registryId", [](bj::object& b) { b.erase("registryId"); }, 400, "registryId: required"},
      {"empty name", [](bj::object& b) { b["name"] = ""; }, 400, "name: required"},
      {"over-long name", [](bj::object& b) { b["name"] = std::string(254, 'x'); }, 400,
       "name: at most 253 characters"},
      {"over-long description", [](bj::object& b) { b["description"] = std::string(2000, 'x'); }, 400,
       "description: at most 1024"},
      {"invalid namespace", [](bj::object& b) { b["namespace"] = "Bad_NS"; }, 400,
       "namespace: 'Bad_NS' is not a valid name"},
      {"invalid resourceName", [](bj::object& b) { b["resourceName"] = "my_db"; }, 400,
       "resourceName: 'my_db' is not a valid name"},
      {"invalid repository", [](bj::object& b) { b["repository"] = "Backups//x"; }, 400, "repository 'Backups//x'"},
      {"unknown registry", [](bj::object& b) { b["registryId"] = "no-such-registry"; }, 422,
       "registryId: registry 'no-such-registry' not found"},
      {"unknown cluster", [](bj::object& b) { b["cluster"] = "no-such-cluster"; }, 422,
       "cluster: cluster 'no-such-cluster' not found"},
      {"schedule not an object", [](bj::object& b) { b["schedule"] = "daily"; }, 400, "schedule: must be an object"},
      {"bad schedule type", [](bj::object& b) { b["schedule"].as_object()["type"] = "hourly"; }, 400,
       "schedule.type: 'hourly' is not one of selection, cron"},
      {"missing schedule value", [](bj::object& b) { b["schedule"].as_object().erase("value"); }, 400,
       "schedule.value: required"},
      {"bad cron", [](bj::object& b) { b["schedule"].as_object()["value"] = "61 * * * *"; }, 400,
       "schedule.value: "},
      {"cron that never fires", [](bj::object& b) { b["schedule"].as_object()["value"] = "0 0 30 2 *"; }, 400,
       "never fires"},
      {"unknown selection",
       [](bj::object& b) { b["schedule"] = {{"type", "selection"}, {"value", "7m"}}; }, 400,
       "schedule.value: unknown selection '7m'"},
      {"bad time zone", [](bj::object& b) { b["schedule"].as_object()["timeZone"] = "Mars/Base"; }, 400,
       "schedule.timeZone: unknown time zone 'Mars/Base'"},
      {"enabled not a bool", [](bj::object& b) { b["schedule"].as_object()["enabled"] = "yes"; }, 400,
       "schedule.enabled: must be true or false"},
  };
  std::set<std::string> names;
  for (const auto& c : cases) {
    bj::object body = SeedBody(UniqueName("bad"));
    c.mutate(body);
    if (body.contains("name") && body["name"].is_string()) names.insert(std::string(body["name"].as_string()));
    auto r = Call("POST", kBase, body);
    EXPECT_EQ(r.status, c.status) << c.what << ": " << r.raw;
    EXPECT_EQ(json::GetInt(r.body, "code"), c.status) << c.what;
    EXPECT_NE(r.message().find(c.message), std::string::npos) << c.what << ": " << r.message();
  }
  // Bodies that are not a JSON object at all, or malformed in odd ways: never a 5xx.
  for (const std::string& raw : std::vector<std::string>{"not json", "[1,2]", "null", "\"x\"", "{", "{}",
                                                         "{\"schedule\":[]}",
                                "{\"name\":{\"a\":1}}", std::string(100, '[') + std::string(100, ']'),
                                "{\"name\":\"" + std::string(1 << 20, 'y') + "\"}"}) {
    auto r = CallApi("POST", kBase, raw);
    EXPECT_EQ(r.status, 400) << raw.substr(0, 40) << ": " << r.raw.substr(0, 200);
  }
  auto not_json = CallApi("POST", kBase, "not json");
  EXPECT_NE(not_json.message().find("body"), std::string::npos) << not_json.message();
  // Nothing was created by any refused request.
  auto host = AdminClient("karmada");
  auto list = host->ListAll(kMigrations, kNs, {.label_selector = "type=backup"});
  ASSERT_TRUE(list.ok());
  for (const auto& m : *list) {
    const auto* ann = json::Find(m, "metadata.annotations");
    std::string name = ann ? Str(*ann, "kbr.io/name") : "";
    EXPECT_EQ(names.count(name), 0u) << "a refused request left " << json::GetString(m, "metadata.name");
  }
}

TEST(BackupApiTest, PartialUpdateKeepsAbsentFieldsAndStaleVersionIsAConflict) {
  auto created = Call("POST", kBase, SeedBody(UniqueName("upd")));
  ASSERT_EQ(created.status, 201) << created.raw;
  std::string id = json::GetString(created.data(), "id");
  std::string rv0 = json::GetString(created.data(), "resourceVersion");
  std::string path = std::string(kBase) + "/" + id;

  auto r1 = Call("PUT", path, {{"description", "changed"}, {"resourceVersion", rv0}});
  ASSERT_EQ(r1.status, 200) << r1.raw;
  EXPECT_EQ(json::GetString(r1.data(), "description"), "changed");
  EXPECT_EQ(json::GetString(r1.data(), "cluster"), "member1");
  EXPECT_EQ(json::GetString(r1.data(), "schedule.value"), "0 2 * * *");
  EXPECT_EQ(json::GetString(r1.data(), "nextRun"), json::GetString(created.data(), "nextRun"));
  std::string rv1 = json::GetString(r1.data(), "resourceVersion");
  EXPECT_NE(rv1, rv0);

  // The old version is stale now.
  auto stale = Call("PUT", path, {{"description", "lost?"}, {"resourceVersion", rv0}});
  EXPECT_EQ(stale.status, 409) << stale.raw;
  EXPECT_NE(stale.message().find("resourceVersion " + rv0 + " is stale"), std::string::npos) << stale.message();

  // A partial schedule is merged over the stored one.
  auto r2 = Call("PUT", path, {{"schedule", {{"enabled", false}}}, {"resourceVersion", rv1}});
  ASSERT_EQ(r2.status, 200) << r2.raw;
  EXPECT_FALSE(json::GetBool(r2.data(), "schedule.enabled", true));
  EXPECT_EQ(json::GetString(r2.data(), "schedule.value"), "0 2 * * *");
  EXPECT_EQ(json::GetString(r2.data(), "nextRun"), "");
  EXPECT_EQ(json::GetString(r2.data(), "description"), "changed");

  // Changing the repository recomputes imageRepository; no version = last writer wins.
  auto r3 = Call("PUT", path,
                 {{"repository", "team/other"},
                  {"schedule", {{"type", "selection"}, {"value", "daily"}, {"enabled", true}}}});
  ASSERT_EQ(r3.status, 200) << r3.raw;
  EXPECT_EQ(json::GetString(r3.data(), "imageRepository"), "registry.example.com:5000/team/other");
  EXPECT_EQ(json::GetString(r3.data(), "schedule.cron"), "0 0 * * *");
  EXPECT_TRUE(std::regex_match(json::GetString(r3.data(), "nextRun"), std::regex(R"(.*T00:00:00Z)")));
  auto host = AdminClient("karmada");
  auto m = host->Get(kMigrations, kNs, "backup-" + id);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(json::GetString(*m, "spec.repository"), "team/other");
  EXPECT_EQ(json::GetString(*m, "spec.imageRepository"), "registry.example.com:5000/team/other");
  EXPECT_EQ(json::GetString(*m, "spec.targetCluster"), "member1");
  EXPECT_EQ(json::GetString(*m, "spec.schedule.type"), "selection");
  EXPECT_EQ(Str(*json::Find(*m, "metadata.annotations"), "kbr.io/description"), "changed");
  EXPECT_EQ(json::GetString(*m, "status.nextRun"), json::GetString(r3.data(), "nextRun"));

  // Validation on update is the same as on create.
  auto bad = Call("PUT", path, {{"resourceType", "vm"}});
  EXPECT_EQ(bad.status, 400) << bad.raw;
  auto noreg = Call("PUT", path, {{"registryId", "no-such-registry"}});
  EXPECT_EQ(noreg.status, 422) << noreg.raw;
  EXPECT_EQ(noreg.message(), "registryId: registry 'no-such-registry' not found");
  auto nocluster = Call("PUT", path, {{"cluster", "nowhere"}});
  EXPECT_EQ(nocluster.status, 422) << nocluster.raw;
  auto badjson = CallApi("PUT", path, "{oops");
  EXPECT_EQ(badjson.status, 400);
  auto missing = Call("PUT", std::string(kBase) + "/no-such-backup-zzzzz", {{"description", "x"}});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.message(), "backup 'no-such-backup-zzzzz' not found");
}

TEST(BackupApiTest, FiftyConcurrentPutsLoseNothing) {
  std::string id = CreateBackup(UniqueName("conc"));
  std::string path = std::string(kBase) + "/" + id;
  auto host = AdminClient("karmada");

  // Round 1: each writer reads the version itself, then writes with it.
  // Every write is either applied (200) or refused (409); no two applied
  // writes were based on the same version (that would be a lost update).
  struct Outcome {
    int status = 0;
    std::string read_rv, new_rv, description;
  };
  std::vector<Outcome> outcomes(50);
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < 50; ++i) {
      threads.emplace_back([&, i] {
        auto cur = host->Get(kMigrations, kNs, "backup-" + id);
        if (!cur.ok()) return;
        Outcome& o = outcomes[i];
        o.read_rv = json::GetString(*cur, "metadata.resourceVersion");
        o.description = "writer-" + std::to_string(i);
        auto r = Call("PUT", path, {{"description", o.description}, {"resourceVersion", o.read_rv}});
        o.status = r.status;
        o.new_rv = json::GetString(r.data(), "resourceVersion");
      });
    }
    for (auto& t : threads) t.join();
  }
  std::set<std::string> based_on;
  std::map<std::string, std::string> by_new_rv;
  int ok = 0, conflicts = 0;
  for (const auto& o : outcomes) {
    EXPECT_TRUE(o.status == 200 || o.status == 409) << o.status;
    if (o.status == 200) {
      ++ok;
      EXPECT_TRUE(based_on.insert(o.read_rv).second) << "two writes applied on version " << o.read_rv;
      by_new_rv[o.new_rv] = o.description;
    } else if (o.status == 409) {
      ++conflicts;
    }
  }
  EXPECT_GE(ok, 1);
  EXPECT_EQ(ok + conflicts, 50);
  auto final_obj = host->Get(kMigrations, kNs, "backup-" + id);
  ASSERT_TRUE(final_obj.ok());
  std::string final_rv = json::GetString(*final_obj, "metadata.resourceVersion");
  ASSERT_EQ(by_new_rv.count(final_rv), 1u) << "the stored version is not one an applied write returned";
  EXPECT_EQ(Str(*json::Find(*final_obj, "metadata.annotations"), "kbr.io/description"), by_new_rv[final_rv]);

  // Round 2: 50 writers each add their token with read-modify-write through
  // the API, retrying on 409; in the end every token is there.
  (void)Call("PUT", path, {{"description", ""}});
  std::atomic<int> puts{0}, refused{0};
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < 50; ++i) {
      threads.emplace_back([&, i] {
        std::string token = "w" + std::to_string(i) + ";";
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        while (std::chrono::steady_clock::now() < deadline) {
          auto cur = CallApi("GET", path);
          if (cur.status != 200) continue;
          std::string desc = json::GetString(cur.data(), "description");
          auto r = Call("PUT", path,
                        {{"description", desc + token},
                         {"resourceVersion", json::GetString(cur.data(), "resourceVersion")}});
          ++puts;
          if (r.status == 200) return;
          EXPECT_EQ(r.status, 409) << r.raw;
          ++refused;
          std::this_thread::sleep_for(std::chrono::milliseconds(5 + i % 7));
        }
        ADD_FAILURE() << "writer " << i << " never got its update in";
      });
    }
    for (auto& t : threads) t.join();
  }
  auto after = host->Get(kMigrations, kNs, "backup-" + id);
  ASSERT_TRUE(after.ok());
  std::string desc = Str(*json::Find(*after, "metadata.annotations"), "kbr.io/description");
  for (int i = 0; i < 50; ++i) {
    EXPECT_NE(desc.find("w" + std::to_string(i) + ";"), std::string::npos) << "update of writer " << i << " lost";
  }
  EXPECT_EQ(desc.size(), std::string("w0;").size() * 10 + std::string("w10;").size() * 40);
  std::cout << "round 2: " << puts << " PUTs, " << refused << " refused with 409\n";
}

TEST(BackupApiTest, ExecuteRecordsAPendingRunPropagatedToTheCluster) {
  PrepareMember("member1");
  bj::object body = SeedBody(UniqueName("exec"));
  body["schedule"].as_object()["enabled"] = false;  // manual runs still allowed
  std::string id = CreateBackup(body);
  ASSERT_FALSE(id.empty());
  auto r = CallApi("POST", std::string(kBase) + "/" + id + "/execute");
  ASSERT_EQ(r.status, 202) << r.raw;
  std::string exec = json::GetString(r.data(), "executionId");
  EXPECT_TRUE(std::regex_match(exec, std::regex(id + R"(-\d{14})"))) << exec;
  EXPECT_EQ(json::GetString(r.data(), "phase"), "Pending");
  EXPECT_EQ(json::GetString(r.data(), "backupId"), id);

  auto host = AdminClient("karmada");
  auto e = host->Get(kExecutions, kNs, exec);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(json::GetString(*e, "status.phase"), "Pending");
  EXPECT_EQ(json::GetString(*e, "spec.backupID"), id);
  EXPECT_EQ(json::GetString(*e, "spec.cluster"), "member1");
  EXPECT_EQ(json::GetString(*e, "spec.resourceType"), "statefulset");
  EXPECT_EQ(json::GetString(*e, "spec.resourceName"), "mysql");
  EXPECT_EQ(json::GetString(*e, "spec.namespace"), "default");
  EXPECT_EQ(json::GetString(*e, "spec.registryID"), RegistryId());
  EXPECT_EQ(json::GetString(*e, "spec.imageRepository"), "registry.example.com:5000/backups/mysql");
  EXPECT_EQ(json::GetString(*e, "spec.trigger"), "manual");
  EXPECT_EQ(Str(*json::Find(*e, "metadata.labels"), "backup-id"), id);
  EXPECT_EQ(Str(*json::Find(*e, "metadata.labels"), "app.kubernetes.io/managed-by"), "kbr");
  // Placed on member1 by a Work in its execution namespace (Karmada does not
  // propagate objects of karmada-system through policies).
  auto work = host->Get(kWorks, "karmada-es-member1", exec);
  ASSERT_TRUE(work.ok()) << work.status().message();
  EXPECT_EQ(json::GetString(json::Find(*work, "spec.workload.manifests")->as_array()[0], "metadata.name"), exec);

  auto m1 = AdminClient("member1");
  EXPECT_TRUE(Eventually([&] {
    auto copy = m1->Get(kExecutions, kNs, exec);
    return copy.ok() && json::GetString(*copy, "spec.backupID") == id;
  })) << "execution not propagated to member1";

  ApiResponse got;
  EXPECT_TRUE(Eventually([&] {
    got = CallApi("GET", std::string(kBase) + "/" + id);
    return json::GetString(got.data(), "lastExecution.id") == exec;
  })) << got.raw;
  EXPECT_EQ(json::GetString(got.data(), "lastExecution.phase"), "Pending");

  // Two clicks in one second: the second is refused, not a duplicate run.
  bool seen_conflict = false;
  for (int attempt = 0; attempt < 5 && !seen_conflict; ++attempt) {
    // Start right after a second boundary, so no earlier run holds this second.
    auto now = std::chrono::system_clock::now();
    std::this_thread::sleep_until(std::chrono::ceil<std::chrono::seconds>(now) + std::chrono::milliseconds(20));
    ApiResponse a, b;
    std::thread t1([&] { a = CallApi("POST", std::string(kBase) + "/" + id + "/execute"); });
    std::thread t2([&] { b = CallApi("POST", std::string(kBase) + "/" + id + "/execute"); });
    t1.join();
    t2.join();
    for (const auto* x : {&a, &b}) EXPECT_TRUE(x->status == 202 || x->status == 409) << x->raw;
    if (a.status == 202 && b.status == 202) {
      EXPECT_NE(json::GetString(a.data(), "executionId"), json::GetString(b.data(), "executionId"));
      continue;  // the clicks straddled a second; try again
    }
    if (a.status != 202 && b.status != 202) {
      ADD_FAILURE() << "neither click started a run: " << a.raw << " / " << b.raw;
      break;
    }
    const ApiResponse& refused = a.status == 409 ? a : b;
    EXPECT_TRUE(std::regex_search(refused.message(),
                                  std::regex("an execution of backup '" + id +
                                             R"(' started at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ already exists)")))
        << refused.message();
    seen_conflict = true;
  }
  EXPECT_TRUE(seen_conflict);

  auto missing = CallApi("POST", std::string(kBase) + "/no-such-backup-zzzzz/execute");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.message(), "backup 'no-such-backup-zzzzz' not found");
}

TEST(BackupApiTest, ExecuteForAClusterThatLeftKarmadaLeavesNothingBehind) {
  // A backup whose cluster has since been unjoined (written directly: the API
  // refuses unknown clusters).
  std::string id = CreateBackup(UniqueName("gone"));
  auto host = AdminClient("karmada");
  auto m = host->Get(kMigrations, kNs, "backup-" + id);
  ASSERT_TRUE(m.ok());
  json::Set(*m, "spec.targetCluster", bj::value("unjoined-cluster"));
  ASSERT_TRUE(host->Update(kMigrations, kNs, *m).ok());
  auto r = CallApi("POST", std::string(kBase) + "/" + id + "/execute");
  EXPECT_EQ(r.status, 422) << r.raw;
  EXPECT_NE(r.message().find("cluster 'unjoined-cluster', which is not in Karmada"), std::string::npos) << r.message();
  auto left = host->ListAll(kExecutions, kNs, {.label_selector = "backup-id=" + id});
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty()) << "a half-created execution was left behind";
}

TEST(BackupApiTest, ResourcesOfAMemberCluster) {
  auto m1 = AdminClient("member1");
  std::string ns = UniqueName("res");
  bj::value nsobj = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
  ASSERT_TRUE(m1->Create(res::kNamespaces, "", nsobj).ok());
  bj::value pod = {{"apiVersion", "v1"},
                   {"kind", "Pod"},
                   {"metadata", {{"name", "solo"}, {"namespace", ns}}},
                   {"spec",
                    {{"containers",
                      {{{"name", "app"}, {"image", "busybox"}}, {{"name", "side"}, {"image", "busybox"}}}}}}};
  bj::value sts = {{"apiVersion", "apps/v1"},
                   {"kind", "StatefulSet"},
                   {"metadata", {{"name", "db"}, {"namespace", ns}}},
                   {"spec",
                    {{"replicas", 2},
                     {"serviceName", "db"},
                     {"selector", {{"matchLabels", {{"app", "db"}}}}},
                     {"template",
                      {{"metadata", {{"labels", {{"app", "db"}}}}},
                       {"spec", {{"containers", {{{"name", "mysql"}, {"image", "mysql:8"}}}}}}}}}}};
  ASSERT_TRUE(m1->Create(res::kPods, ns, pod).ok());
  ASSERT_TRUE(m1->Create(res::kStatefulSets, ns, sts).ok());

  std::string base = std::string(kBase) + "/clusters/member1/resources?namespace=" + ns;
  auto all = CallApi("GET", base);
  ASSERT_EQ(all.status, 200) << all.raw;
  const auto& items = json::Find(all.data(), "resources")->as_array();
  const bj::value* solo = nullptr;
  const bj::value* db = nullptr;
  for (const auto& it : items) {
    EXPECT_EQ(json::GetString(it, "namespace"), ns);
    if (json::GetString(it, "name") == "solo") solo = &it;
    if (json::GetString(it, "name") == "db") db = &it;
  }
  ASSERT_TRUE(solo && db) << all.raw;
  EXPECT_EQ(json::GetString(*solo, "kind"), "pod");
  EXPECT_EQ(bj::serialize(*json::Find(*solo, "containers")), R"(["app","side"])");
  EXPECT_FALSE(json::GetString(*solo, "status").empty());
  EXPECT_FALSE(json::GetString(*solo, "createdAt").empty());
  EXPECT_EQ(json::GetString(*db, "kind"), "statefulset");
  EXPECT_EQ(json::GetInt(*db, "replicas"), 2);
  EXPECT_EQ(json::GetString(*db, "status"), std::to_string(json::GetInt(*db, "readyReplicas")) + "/2");
  EXPECT_EQ(bj::serialize(*json::Find(*db, "containers")), R"(["mysql"])");
  EXPECT_EQ(json::GetInt(all.data(), "listMeta.totalItems"), static_cast<int64_t>(items.size()));

  auto only_sets = CallApi("GET", base + "&type=statefulset");
  ASSERT_EQ(only_sets.status, 200);
  ASSERT_EQ(json::Find(only_sets.data(), "resources")->as_array().size(), 1u) << only_sets.raw;
  EXPECT_EQ(json::GetString(json::Find(only_sets.data(), "resources")->as_array()[0], "name"), "db");
  auto only_pods = CallApi("GET", base + "&type=pod");
  ASSERT_EQ(only_pods.status, 200);
  for (const auto& it : json::Find(only_pods.data(), "resources")->as_array()) {
    EXPECT_EQ(json::GetString(it, "kind"), "pod");
  }
  auto paged = CallApi("GET", base + "&itemsPerPage=1&sortBy=a,name&filterBy=kind,pod");
  ASSERT_EQ(paged.status, 200);
  EXPECT_EQ(json::Find(paged.data(), "resources")->as_array().size(), 1u);
  auto other_ns =
      CallApi("GET", std::string(kBase) + "/clusters/member1/resources?namespace=kube-system&type=statefulset");
  ASSERT_EQ(other_ns.status, 200);
  for (const auto& it : json::Find(other_ns.data(), "resources")->as_array()) {
    EXPECT_NE(json::GetString(it, "name"), "db");
  }

  auto unknown = CallApi("GET", std::string(kBase) + "/clusters/nowhere/resources");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.message(), "cluster 'nowhere' not found");
  auto bad_type = CallApi("GET", std::string(kBase) + "/clusters/member1/resources?type=vm");
  EXPECT_EQ(bad_type.status, 400);
  EXPECT_EQ(bad_type.message(), "type: 'vm' is not one of pod, statefulset");
  auto bad_ns = CallApi("GET", std::string(kBase) + "/clusters/member1/resources?namespace=Bad_NS");
  EXPECT_EQ(bad_ns.status, 400);
  EXPECT_NE(bad_ns.message().find("namespace: 'Bad_NS'"), std::string::npos);
  (void)m1->Delete(res::kNamespaces, "", ns);
}

TEST(BackupApiTest, AuthNoTokenAndReadOnlyToken) {
  std::string id = CreateBackup(UniqueName("auth"));
  std::string path = std::string(kBase) + "/" + id;
  auto none = CallApi("GET", kBase, "", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(CallApi("POST", kBase, bj::serialize(SeedBody("x")), "").status, 401);

  std::string ro = ReadOnlyToken();
  ASSERT_FALSE(ro.empty());
  auto list = CallApi("GET", kBase, "", ro);
  EXPECT_EQ(list.status, 200) << list.raw;
  ApiResponse get;
  EXPECT_TRUE(Eventually([&] {
    get = CallApi("GET", path, "", ro);
    return get.status == 200;
  })) << get.raw;
  auto create = CallApi("POST", kBase, bj::serialize(SeedBody(UniqueName("ro"))), ro);
  EXPECT_EQ(create.status, 403) << create.raw;
  EXPECT_NE(create.message().find("forbidden"), std::string::npos) << create.message();
  EXPECT_NE(create.message().find("kbr-test-reader"), std::string::npos) << create.message();
  auto update = CallApi("PUT", path, R"({"description":"ro"})", ro);
  EXPECT_EQ(update.status, 403) << update.raw;
  auto exec = CallApi("POST", path + "/execute", "", ro);
  EXPECT_EQ(exec.status, 403) << exec.raw;
  auto del = CallApi("DELETE", path, "", ro);
  EXPECT_EQ(del.status, 403) << del.raw;
  EXPECT_EQ(CallApi("GET", path).status, 200);  // still there
}

TEST(BackupApiTest, DeleteRemovesTheConfigurationAndItsExecutions) {
  PrepareMember("member1");
  std::string registry = CreateRegistry("http://localhost:5000/");
  bj::object body = SeedBody(UniqueName("del"));
  body["registryId"] = registry;
  std::string id = CreateBackup(body);
  ASSERT_FALSE(id.empty());
  auto r = CallApi("POST", std::string(kBase) + "/" + id + "/execute");
  ASSERT_EQ(r.status, 202) << r.raw;
  std::string exec = json::GetString(r.data(), "executionId");
  auto m1 = AdminClient("member1");
  EXPECT_TRUE(Eventually([&] { return m1->Get(kExecutions, kNs, exec).ok(); })) << "not placed on member1";

  // The registry is in use (found by the kbr.io/registry-id label).
  auto in_use = CallApi("DELETE", std::string(kBase) + "/registry/" + registry);
  EXPECT_EQ(in_use.status, 409) << in_use.raw;
  EXPECT_NE(in_use.message().find(id), std::string::npos) << in_use.message();

  auto del = CallApi("DELETE", std::string(kBase) + "/" + id);
  ASSERT_EQ(del.status, 200) << del.raw;
  EXPECT_EQ(json::GetInt(del.data(), "executionsDeleted"), 1);
  auto host = AdminClient("karmada");
  EXPECT_EQ(host->Get(kMigrations, kNs, "backup-" + id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(host->Get(kExecutions, kNs, exec).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Eventually(
      [&] { return host->Get(kWorks, "karmada-es-member1", exec).status().code() == StatusCode::kNotFound; }));
  EXPECT_TRUE(Eventually([&] { return m1->Get(kExecutions, kNs, exec).status().code() == StatusCode::kNotFound; }))
      << "the copy on member1 was not removed";
  EXPECT_TRUE(Eventually([&] { return CallApi("GET", std::string(kBase) + "/" + id).status == 404; }));
  auto again = CallApi("DELETE", std::string(kBase) + "/" + id);
  EXPECT_EQ(again.status, 404);
  EXPECT_EQ(again.message(), "backup '" + id + "' not found");
  // Now the registry is free.
  EXPECT_EQ(CallApi("DELETE", std::string(kBase) + "/registry/" + registry).status, 200);
}

}  // namespace
}  // namespace kbr::testing
