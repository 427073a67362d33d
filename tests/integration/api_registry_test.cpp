// Registry routes of the REST API against the lab: the seed's example body,
// the `registry` alias of `url`, the check against a real docker-registry
// (TLS + htpasswd), the Secret and its propagation, list paging/sort/filter,
// write-only passwords on update, optimistic concurrency, deletion (and its
// refusal while a backup uses the registry), every class of bad input, and
// auth (no token, a read-only token).
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "api_env.h"
#include "local_registry.h"
#include "backup/objects.h"
#include "core/base64.h"
#include "core/http.h"
#include "core/json.h"
#include "karmada/policy.h"
#include "karmada/work.h"
#include "lab/process.h"
#include "lab_env.h"

namespace kbr::testing {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;
namespace res = kube::resources;

constexpr const char* kNs = "karmada-system";
constexpr const char* kBase = "/api/v1/backup/registry";

struct DockerAuth {
  std::string host, username, password, auth;
};

// The single auths entry of a dockerconfigjson Secret.
DockerAuth SecretAuth(const bj::value& secret) {
  DockerAuth a;
  const auto* data = json::Find(secret, "data");
  if (!data || !data->is_object() || !data->as_object().contains(".dockerconfigjson")) return a;
  auto text = Base64Decode(std::string(data->as_object().at(".dockerconfigjson").as_string()));
  if (!text.ok()) return a;
  auto cfg = json::Parse(*text);
  if (!cfg.ok()) return a;
  const auto* auths = json::Find(*cfg, "auths");
  if (!auths || !auths->is_object() || auths->as_object().empty()) return a;
  const auto& kv = *auths->as_object().begin();
  a.host = std::string(kv.key());
  a.username = json::GetString(kv.value(), "username");
  a.password = json::GetString(kv.value(), "password");
  a.auth = json::GetString(kv.value(), "auth");
  return a;
}

std::string Annotation(const bj::value& obj, const std::string& key) {
  const auto* a = json::Find(obj, "metadata.annotations");
  if (!a || !a->is_object()) return "";
  auto it = a->as_object().find(key);
  return it != a->as_object().end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

class RegistryApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ApiServerProcess::Get();
    registry_password_ = "reg-pw-" + Random(12);
    std::string error;
    registry_ = LocalRegistry::Start("kbr", registry_password_, &error).release();
    if (!registry_) ADD_FAILURE() << "local docker-registry: " << error;
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }

  void SetUp() override {
    host_ = AdminClient("karmada");
    ASSERT_TRUE(host_);
  }

  // Removes what the test created, whatever the API did.
  void TearDown() override {
    for (const auto& id : created_) {
      for (const char* member : {"member1", "member2"}) {
        (void)host_->Delete(karmada::kWorks, karmada::ExecutionSpace(member), backup::RegistrySecretName(id));
      }
      (void)host_->Delete(res::kSecrets, kNs, backup::RegistrySecretName(id));
    }
    for (const auto& name : migrations_) (void)host_->Delete(backup::kStatefulMigrations, kNs, name);
  }

  // POST a registry; remembers its id for cleanup.
  ApiResponse Create(const bj::object& body, bool verify = false, const std::string& token = "<admin>") {
    ApiResponse r = CallApi("POST", std::string(kBase) + (verify ? "" : "?verify=false"), bj::serialize(body), token);
    std::string id = json::GetString(r.data(), "id");
    if (!id.empty()) created_.push_back(id);
    return r;
  }

  // A registry with a unique name; its id ("" and a test failure on error).
  std::string CreateRegistry(const std::string& name, const std::string& password = "pw-1") {
    ApiResponse r = Create({{"name", name}, {"url", "https://registry.example.com"}, {"username", "u"},
                            {"password", password}});
    EXPECT_EQ(r.status, 201) << r.raw;
    return json::GetString(r.data(), "id");
  }

  bj::value HostSecret(const std::string& id) {
    auto s = host_->Get(res::kSecrets, kNs, backup::RegistrySecretName(id));
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? *s : bj::value();
  }

  static LocalRegistry* registry_;
  static std::string registry_password_;
  std::unique_ptr<kube::Client> host_;
  std::vector<std::string> created_;
  std::vector<std::string> migrations_;
};

LocalRegistry* RegistryApiTest::registry_ = nullptr;
std::string RegistryApiTest::registry_password_;

bj::object SeedBody(const std::string& password) {
  return {{"name", "Docker Hub"},
          {"url", "https://index.docker.io/v1/"},
          {"username", "myuser"},
          {"password", password},
          {"description", "Main Docker Hub registry"}};
}

void ExpectNoPassword(const ApiResponse& r, const std::string& password) {
  EXPECT_EQ(r.raw.find(password), std::string::npos) << r.raw;
  EXPECT_EQ(r.raw.find("\"password\""), std::string::npos) << r.raw;
  for (const auto& [k, v] : r.headers) EXPECT_EQ(v.find(password), std::string::npos) << k;
}

TEST_F(RegistryApiTest, SeedExampleBodyWithoutVerify) {
  std::string pw = "mypass-" + Random(10);
  ApiResponse r = Create(SeedBody(pw));
  ASSERT_EQ(r.status, 201) << r.raw;
  EXPECT_EQ(json::GetInt(r.body, "code"), 201);
  const bj::value& d = r.data();
  EXPECT_FALSE(json::GetString(d, "id").empty());
  EXPECT_EQ(json::GetString(d, "name"), "Docker Hub");
  EXPECT_EQ(json::GetString(d, "url"), "https://index.docker.io/v1/");
  EXPECT_EQ(json::GetString(d, "username"), "myuser");
  EXPECT_EQ(json::GetString(d, "description"), "Main Docker Hub registry");
  EXPECT_TRUE(json::GetBool(d, "hasPassword"));
  EXPECT_EQ(json::Find(d, "status"), nullptr) << "verify=false must not check: " << r.raw;
  ExpectNoPassword(r, pw);

  ApiResponse got = CallApi("GET", std::string(kBase) + "/" + json::GetString(d, "id"));
  ASSERT_EQ(got.status, 200) << got.raw;
  EXPECT_TRUE(json::GetBool(got.data(), "hasPassword"));
  ExpectNoPassword(got, pw);
}

TEST_F(RegistryApiTest, SeedExampleBodyWithVerifyReportsUnreachableButCreates) {
  std::string pw = "mypass-" + Random(10);
  ApiResponse r = Create(SeedBody(pw), /*verify=*/true);
  ASSERT_EQ(r.status, 201) << r.raw;
  ExpectNoPassword(r, pw);
  const bj::value* status = json::Find(r.data(), "status");
  ASSERT_NE(status, nullptr) << r.raw;
  std::string message = json::GetString(*status, "message");
  EXPECT_FALSE(json::GetBool(*status, "authenticated")) << r.raw;
  if (!json::GetBool(*status, "reachable")) {
    // The lab has no way out: the check says so and names the host.
    EXPECT_NE(message.find("docker.io"), std::string::npos) << message;
    EXPECT_NE(message.find("unreachable"), std::string::npos) << message;
  }
  EXPECT_FALSE(json::GetString(*status, "checkedAt").empty());
  EXPECT_TRUE(json::GetBool(r.data(), "hasPassword"));
}

TEST_F(RegistryApiTest, RegistryIsAnAliasOfUrl) {
  ApiResponse r = Create({{"name", UniqueName("alias")}, {"registry", "https://harbor.example.com:8443"},
                          {"username", "robot"}, {"password", "x"}});
  ASSERT_EQ(r.status, 201) << r.raw;
  EXPECT_EQ(json::GetString(r.data(), "url"), "https://harbor.example.com:8443");
  DockerAuth a = SecretAuth(HostSecret(json::GetString(r.data(), "id")));
  EXPECT_EQ(a.host, "harbor.example.com:8443");
}

TEST_F(RegistryApiTest, RealRegistryRightPasswordIsReachableAndAuthenticated) {
  ASSERT_TRUE(registry_);
  ApiResponse r = Create({{"name", UniqueName("local")}, {"url", registry_->url()}, {"username", "kbr"},
                          {"password", registry_password_}, {"caBundle", registry_->ca_pem()}},
                         /*verify=*/true);
  ASSERT_EQ(r.status, 201) << r.raw;
  ExpectNoPassword(r, registry_password_);
  const bj::value* st = json::Find(r.data(), "status");
  ASSERT_NE(st, nullptr) << r.raw;
  EXPECT_TRUE(json::GetBool(*st, "reachable")) << r.raw;
  EXPECT_TRUE(json::GetBool(*st, "tlsVerified")) << r.raw;
  EXPECT_TRUE(json::GetBool(*st, "authenticated")) << r.raw;
  EXPECT_TRUE(json::GetBool(r.data(), "hasCaBundle"));

  // The check result is kept: GET shows it too.
  ApiResponse got = CallApi("GET", std::string(kBase) + "/" + json::GetString(r.data(), "id"));
  ASSERT_EQ(got.status, 200) << got.raw;
  EXPECT_TRUE(json::GetBool(got.data(), "status.authenticated")) << got.raw;
}

TEST_F(RegistryApiTest, RealRegistryWrongPasswordIsNotAuthenticatedAndSaysWhere) {
  ASSERT_TRUE(registry_);
  std::string wrong = "wrong-" + Random(10);
  ApiResponse r = Create({{"name", UniqueName("local-bad")}, {"url", registry_->url()}, {"username", "kbr"},
                          {"password", wrong}, {"caBundle", registry_->ca_pem()}},
                         /*verify=*/true);
  ASSERT_EQ(r.status, 201) << r.raw;
  ExpectNoPassword(r, wrong);
  const bj::value* st = json::Find(r.data(), "status");
  ASSERT_NE(st, nullptr) << r.raw;
  EXPECT_TRUE(json::GetBool(*st, "reachable")) << r.raw;
  EXPECT_FALSE(json::GetBool(*st, "authenticated")) << r.raw;
  std::string message = json::GetString(*st, "message");
  EXPECT_NE(message.find(registry_->host()), std::string::npos) << message;

  // Without the CA the TLS check fails, again naming the host.
  ApiResponse no_ca = Create({{"name", UniqueName("local-noca")}, {"url", registry_->url()}, {"username", "kbr"},
                              {"password", registry_password_}},
                             /*verify=*/true);
  ASSERT_EQ(no_ca.status, 201) << no_ca.raw;
  EXPECT_FALSE(json::GetBool(no_ca.data(), "status.tlsVerified")) << no_ca.raw;
  EXPECT_FALSE(json::GetBool(no_ca.data(), "status.authenticated")) << no_ca.raw;
  EXPECT_NE(json::GetString(no_ca.data(), "status.message").find(registry_->host()), std::string::npos)
      << no_ca.raw;
}

TEST_F(RegistryApiTest, SecretOnHostHasTheCredentialsAndAPolicy) {
  ASSERT_TRUE(registry_);
  ApiResponse r = Create({{"name", UniqueName("secret")}, {"url", registry_->url()}, {"username", "kbr"},
                          {"password", registry_password_}, {"caBundle", registry_->ca_pem()}});
  ASSERT_EQ(r.status, 201) << r.raw;
  std::string id = json::GetString(r.data(), "id");
  bj::value secret = HostSecret(id);
  EXPECT_EQ(json::GetString(secret, "type"), "kubernetes.io/dockerconfigjson");
  const auto* labels = json::Find(secret, "metadata.labels");
  ASSERT_TRUE(labels && labels->is_object());
  const auto* label = labels->as_object().if_contains(backup::kRegistryIdLabel);
  ASSERT_TRUE(label && label->is_string());
  EXPECT_EQ(label->get_string(), id);
  DockerAuth a = SecretAuth(secret);
  EXPECT_EQ(a.host, registry_->host());
  EXPECT_EQ(a.username, "kbr");
  EXPECT_EQ(a.password, registry_password_);
  EXPECT_EQ(a.auth, Base64Encode("kbr:" + registry_password_));
  // The password is in the Secret's data only, never in its metadata.
  EXPECT_EQ(bj::serialize(secret.at("metadata")).find(registry_password_), std::string::npos);

  // One Work per member places the Secret there.
  for (const char* member : {"member1", "member2"}) {
    auto work = host_->Get(karmada::kWorks, karmada::ExecutionSpace(member), backup::RegistrySecretName(id));
    ASSERT_TRUE(work.ok()) << member << ": " << work.status().message();
    std::string w = bj::serialize(*work);
    EXPECT_NE(w.find("\"Secret\""), std::string::npos) << w;
  }
}

// Karmada copies the Secret to every member within 30 s (through Works:
// Karmada ignores PropagationPolicies in its reserved namespaces).
TEST_F(RegistryApiTest, SecretIsPropagatedToMembers) {
  std::string id = CreateRegistry(UniqueName("prop"), "prop-pw");
  ASSERT_FALSE(id.empty());
  for (const char* member : {"member1", "member2"}) {
    auto m = AdminClient(member);
    ASSERT_TRUE(m);
    bool there = Eventually([&] { return m->Get(res::kSecrets, kNs, backup::RegistrySecretName(id)).ok(); }, 30);
    EXPECT_TRUE(there) << "registry Secret " << backup::RegistrySecretName(id) << " not on " << member
                       << " after 30 s";
    if (there) {
      auto s = m->Get(res::kSecrets, kNs, backup::RegistrySecretName(id));
      EXPECT_EQ(SecretAuth(*s).password, "prop-pw");
    }
  }
}

TEST_F(RegistryApiTest, ListPagesSortsAndFilters) {
  const std::string prefix = "pg-" + Random(6);
  std::vector<std::string> names;
  for (int i = 0; i < 12; ++i) {
    char n[64];
    std::snprintf(n, sizeof n, "%s-%02d", prefix.c_str(), i);
    names.push_back(n);
  }
  // Created out of order so that name order is not creation order.
  for (int i : {5, 0, 11, 3, 8, 1, 10, 2, 7, 9, 4, 6}) ASSERT_FALSE(CreateRegistry(names[i]).empty());

  const std::string filter = "filterBy=name," + prefix;
  auto list = [&](const std::string& query) { return CallApi("GET", std::string(kBase) + "?" + query); };
  // Lists come from the cache: wait until it has all twelve.
  ASSERT_TRUE(Eventually([&] { return json::GetInt(list(filter).data(), "listMeta.totalItems") == 12; }, 20));

  auto names_of = [](const ApiResponse& r) {
    std::vector<std::string> out;
    const auto* items = json::Find(r.data(), "registries");
    if (items && items->is_array()) {
      for (const auto& it : items->as_array()) out.push_back(json::GetString(it, "name"));
    }
    return out;
  };

  ApiResponse all = list(filter + "&sortBy=a,name");
  ASSERT_EQ(all.status, 200) << all.raw;
  EXPECT_EQ(names_of(all), names);
  for (const auto& it : all.data().at("registries").as_array()) {
    EXPECT_FALSE(json::GetString(it, "id").empty());
    EXPECT_TRUE(json::GetBool(it, "hasPassword"));
    EXPECT_EQ(bj::serialize(it).find("pw-1"), std::string::npos);
  }

  std::vector<std::string> desc(names.rbegin(), names.rend());
  EXPECT_EQ(names_of(list(filter + "&sortBy=d,name")), desc);

  // Pages of 5: 5, 5, 2, then empty; totalItems always 12; together in order.
  std::vector<std::string> paged;
  for (int page = 1; page <= 4; ++page) {
    ApiResponse r = list(filter + "&sortBy=a,name&itemsPerPage=5&page=" + std::to_string(page));
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(json::GetInt(r.data(), "listMeta.totalItems"), 12);
    auto n = names_of(r);
    EXPECT_EQ(n.size(), page <= 2 ? 5u : page == 3 ? 2u : 0u) << "page " << page;
    paged.insert(paged.end(), n.begin(), n.end());
  }
  EXPECT_EQ(paged, names);
  // page without itemsPerPage: 10 per page.
  EXPECT_EQ(names_of(list(filter + "&sortBy=a,name&page=2")).size(), 2u);

  // Filters: one exact name; a case-insensitive substring; two fields at once.
  ApiResponse one = list("filterBy=name," + names[7]);
  EXPECT_EQ(json::GetInt(one.data(), "listMeta.totalItems"), 1) << one.raw;
  EXPECT_EQ(names_of(one), std::vector<std::string>{names[7]});
  std::string upper = prefix;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(json::GetInt(list("filterBy=name," + upper + "-1").data(), "listMeta.totalItems"), 2);  // -10, -11
  EXPECT_EQ(json::GetInt(list(filter + ",url,example.com").data(), "listMeta.totalItems"), 12);
  EXPECT_EQ(json::GetInt(list(filter + ",url,nowhere.invalid").data(), "listMeta.totalItems"), 0);

  // Sorting by creation time (one-second resolution, so only the order of
  // the timestamps themselves is checked).
  for (const char* dir : {"a", "d"}) {
    ApiResponse r = list(filter + "&sortBy=" + dir + ",creationTimestamp");
    ASSERT_EQ(r.status, 200) << r.raw;
    std::vector<std::string> stamps;
    for (const auto& it : r.data().at("registries").as_array()) stamps.push_back(json::GetString(it, "createdAt"));
    ASSERT_EQ(stamps.size(), 12u);
    EXPECT_TRUE(*dir == 'a' ? std::is_sorted(stamps.begin(), stamps.end())
                            : std::is_sorted(stamps.rbegin(), stamps.rend()))
        << dir;
  }

  // Bad list parameters → 400 naming the parameter.
  for (auto [query, field] : {std::pair{"page=0", "page"}, {"page=abc", "page"}, {"itemsPerPage=-1", "itemsPerPage"},
                              {"itemsPerPage=100000", "itemsPerPage"}, {"sortBy=x,name", "sortBy"},
                              {"sortBy=name", "sortBy"}, {"filterBy=name", "filterBy"}}) {
    ApiResponse r = list(query);
    EXPECT_EQ(r.status, 400) << query << ": " << r.raw;
    EXPECT_NE(r.message().find(field), std::string::npos) << query << ": " << r.raw;
  }
}

TEST_F(RegistryApiTest, UpdateKeepsOrReplacesThePasswordAndRefusesStaleVersions) {
  std::string id = CreateRegistry(UniqueName("upd"), "first-pw");
  ASSERT_FALSE(id.empty());
  const std::string path = std::string(kBase) + "/" + id;
  ApiResponse got = CallApi("GET", path);
  ASSERT_EQ(got.status, 200) << got.raw;
  std::string rv0 = json::GetString(got.data(), "resourceVersion");
  ASSERT_FALSE(rv0.empty());

  // No password: the old one stays; other fields change.
  ApiResponse u1 = CallApi("PUT", path + "?verify=false",
                           bj::serialize(bj::object{{"description", "changed"}, {"resourceVersion", rv0}}));
  ASSERT_EQ(u1.status, 200) << u1.raw;
  EXPECT_EQ(json::GetString(u1.data(), "description"), "changed");
  EXPECT_TRUE(json::GetBool(u1.data(), "hasPassword"));
  EXPECT_NE(json::GetString(u1.data(), "resourceVersion"), rv0);
  ExpectNoPassword(u1, "first-pw");
  bj::value s1 = HostSecret(id);
  EXPECT_EQ(SecretAuth(s1).password, "first-pw");
  EXPECT_EQ(SecretAuth(s1).username, "u");
  EXPECT_EQ(Annotation(s1, backup::kDescriptionAnnotation), "changed");
  EXPECT_EQ(Annotation(s1, backup::kNameAnnotation), json::GetString(got.data(), "name"));

  // A new password replaces it.
  ApiResponse u2 = CallApi("PUT", path + "?verify=false",
                           bj::serialize(bj::object{{"password", "second-pw"}, {"username", "v"}}));
  ASSERT_EQ(u2.status, 200) << u2.raw;
  ExpectNoPassword(u2, "second-pw");
  bj::value s2 = HostSecret(id);
  EXPECT_EQ(SecretAuth(s2).password, "second-pw");
  EXPECT_EQ(SecretAuth(s2).username, "v");
  EXPECT_EQ(SecretAuth(s2).auth, Base64Encode("v:second-pw"));
  EXPECT_EQ(Annotation(s2, backup::kDescriptionAnnotation), "changed");
  // The creation time survives updates.
  EXPECT_EQ(Annotation(s2, backup::kCreatedAnnotation), Annotation(s1, backup::kCreatedAnnotation));

  // The first resourceVersion is stale now: 409, and nothing changes.
  ApiResponse stale = CallApi("PUT", path + "?verify=false",
                              bj::serialize(bj::object{{"description", "lost"}, {"resourceVersion", rv0}}));
  EXPECT_EQ(stale.status, 409) << stale.raw;
  EXPECT_EQ(json::GetInt(stale.body, "code"), 409);
  EXPECT_NE(stale.message().find(id), std::string::npos) << stale.raw;
  EXPECT_EQ(Annotation(HostSecret(id), backup::kDescriptionAnnotation), "changed");

  // A PUT with a real registry re-checks it.
  if (registry_) {
    ApiResponse u3 = CallApi("PUT", path,
                             bj::serialize(bj::object{{"url", registry_->url()},
                                                      {"username", "kbr"},
                                                      {"password", registry_password_},
                                                      {"caBundle", registry_->ca_pem()}}));
    ASSERT_EQ(u3.status, 200) << u3.raw;
    EXPECT_TRUE(json::GetBool(u3.data(), "status.authenticated")) << u3.raw;
  }
}

TEST_F(RegistryApiTest, FiftyConcurrentUpdatesLoseNothingSilently) {
  std::string id = CreateRegistry(UniqueName("conc"));
  ASSERT_FALSE(id.empty());
  const std::string path = std::string(kBase) + "/" + id;
  struct Outcome {
    int status = 0;
    std::string base_rv, new_rv, description;
  };
  std::vector<Outcome> out(50);
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&, i] {
      Outcome& o = out[i];
      ApiResponse got = CallApi("GET", path);
      o.base_rv = json::GetString(got.data(), "resourceVersion");
      o.description = "writer-" + std::to_string(i);
      ApiResponse put = CallApi(
          "PUT", path + "?verify=false",
          bj::serialize(bj::object{{"description", o.description}, {"resourceVersion", o.base_rv}}));
      o.status = put.status;
      o.new_rv = json::GetString(put.data(), "resourceVersion");
    });
  }
  for (auto& t : threads) t.join();

  int ok = 0;
  std::set<std::string> success_bases;
  std::map<std::string, std::string> description_by_rv;
  for (const auto& o : out) {
    EXPECT_TRUE(o.status == 200 || o.status == 409) << o.status;
    if (o.status != 200) continue;
    ++ok;
    // Two successes from the same version would mean one overwrote the other.
    EXPECT_TRUE(success_bases.insert(o.base_rv).second) << "two writes succeeded from resourceVersion " << o.base_rv;
    description_by_rv[o.new_rv] = o.description;
  }
  EXPECT_GE(ok, 1);
  bj::value final_secret = HostSecret(id);
  std::string final_rv = json::GetString(final_secret, "metadata.resourceVersion");
  ASSERT_TRUE(description_by_rv.count(final_rv)) << "final version " << final_rv << " is no successful write";
  EXPECT_EQ(Annotation(final_secret, backup::kDescriptionAnnotation), description_by_rv[final_rv]);
  EXPECT_EQ(SecretAuth(final_secret).password, "pw-1");
}

TEST_F(RegistryApiTest, DeleteRemovesSecretAndPolicy) {
  std::string id = CreateRegistry(UniqueName("del"));
  ASSERT_FALSE(id.empty());
  const std::string path = std::string(kBase) + "/" + id;
  ApiResponse d = CallApi("DELETE", path);
  ASSERT_EQ(d.status, 200) << d.raw;
  EXPECT_EQ(json::GetString(d.data(), "id"), id);
  EXPECT_EQ(host_->Get(res::kSecrets, kNs, backup::RegistrySecretName(id)).status().code(), StatusCode::kNotFound);
  // Karmada holds a finalizer on Works: gone (with the member copies) once
  // its execution controller let go.
  for (const char* member : {"member1", "member2"}) {
    EXPECT_TRUE(Eventually([&] {
      return host_->Get(karmada::kWorks, karmada::ExecutionSpace(member), backup::RegistrySecretName(id))
                 .status()
                 .code() == StatusCode::kNotFound;
    }, 15)) << member;
  }
  EXPECT_EQ(CallApi("GET", path).status, 404);
  EXPECT_EQ(CallApi("DELETE", path).status, 404);
  // Gone from the list once the cache has seen the deletion.
  EXPECT_TRUE(Eventually([&] {
    return json::GetInt(CallApi("GET", std::string(kBase) + "?filterBy=id," + id).data(), "listMeta.totalItems") ==
           0;
  }, 10));
}

TEST_F(RegistryApiTest, DeleteOfARegistryInUseIsAConflictNamingTheBackup) {
  std::string id = CreateRegistry(UniqueName("used"));
  ASSERT_FALSE(id.empty());
  std::string backup_id = UniqueName("uses-registry");
  std::string name = backup::BackupObjectName(backup_id);
  bj::value sm = {{"apiVersion", backup::kApiVersion},
                  {"kind", "StatefulMigration"},
                  {"metadata",
                   {{"name", name},
                    {"namespace", kNs},
                    {"labels",
                     {{"app", "backup-migration"},
                      {"backup-id", backup_id},
                      {"type", "backup"},
                      {backup::kRegistryIdLabel, id}}}}},
                  {"spec",
                   {{"targetCluster", "member1"},
                    {"resourceType", "statefulset"},
                    {"resourceName", "mysql"},
                    {"namespace", "default"},
                    {"registryID", id},
                    {"repository", "backups/mysql"},
                    {"backupType", "checkpoint"}}}};
  auto created = host_->Create(backup::kStatefulMigrations, kNs, sm);
  ASSERT_TRUE(created.ok()) << created.status().message();
  migrations_.push_back(name);

  const std::string path = std::string(kBase) + "/" + id;
  ApiResponse d = CallApi("DELETE", path);
  EXPECT_EQ(d.status, 409) << d.raw;
  EXPECT_NE(d.message().find(backup_id), std::string::npos) << d.raw;
  EXPECT_TRUE(host_->Get(res::kSecrets, kNs, backup::RegistrySecretName(id)).ok());
  EXPECT_TRUE(host_->Get(karmada::kWorks, karmada::ExecutionSpace("member1"), backup::RegistrySecretName(id)).ok());

  ASSERT_TRUE(host_->Delete(backup::kStatefulMigrations, kNs, name).ok());
  EXPECT_TRUE(Eventually([&] { return !host_->Get(backup::kStatefulMigrations, kNs, name).ok(); }, 10));
  EXPECT_EQ(CallApi("DELETE", path).status, 200);
}

TEST_F(RegistryApiTest, UnknownIdIsNotFound) {
  const std::string path = std::string(kBase) + "/no-such-registry-" + Random(5);
  for (const char* method : {"GET", "DELETE"}) {
    ApiResponse r = CallApi(method, path);
    EXPECT_EQ(r.status, 404) << method << " " << r.raw;
    EXPECT_EQ(json::GetInt(r.body, "code"), 404);
    EXPECT_NE(r.message().find("no-such-registry"), std::string::npos) << r.raw;
  }
  ApiResponse put = CallApi("PUT", path + "?verify=false", R"({"description":"x"})");
  EXPECT_EQ(put.status, 404) << put.raw;
}

TEST_F(RegistryApiTest, BadInputsAre400NamingTheField) {
  const std::string marker = "bad-" + Random(6);
  const std::string name = marker + "-name";
  struct Case {
    std::string body, field;
  };
  std::vector<Case> cases = {
      {"this is not json", "body"},
      {"{\"name\": ", "body"},
      {"[1, 2, 3]", "body"},
      {"\"just a string\"", "body"},
      {"", "body"},
      {R"({"url":"https://r.example.com","username":"u","password":"p"})", "name"},
      {R"({"name":42,"url":"https://r.example.com"})", "name"},
      {R"({"name":")" + name + R"("})", "url"},
      {R"({"name":")" + name + R"(","url":"ftp://r.example.com"})", "url"},
      {R"({"name":")" + name + R"(","url":"https://r.example.com/some/path"})", "url"},
      {R"({"name":")" + name + R"(","url":"https://bad host:99999"})", "url"},
      {R"({"name":")" + name + R"(","url":123})", "url"},
      {R"({"name":")" + name + R"(","registry":"not a url at all"})", "registry"},
      {R"({"name":")" + name + R"(","url":"https://r.example.com","description":")" + std::string(1025, 'd') +
           "\"}",
       "description"},
      {R"({"name":")" + name + R"(","url":"https://r.example.com","caBundle":"not a PEM"})", "caBundle"},
      {R"({"name":")" + name + R"(","url":"https://r.example.com","insecureSkipVerify":"yes"})",
       "insecureSkipVerify"},
      {R"({"name":")" + name + R"(","url":"https://r.example.com","username":["a"]})", "username"},
      {R"({"name":")" + name + R"(","url":"https://r.example.com","password":{"p":1}})", "password"},
      {R"({"name":")" + std::string(300, 'n') + R"(","url":"https://r.example.com"})", "name"},
  };
  for (const auto& c : cases) {
    ApiResponse r = CallApi("POST", std::string(kBase) + "?verify=false", c.body);
    std::string shown = c.body.substr(0, 80);
    EXPECT_EQ(r.status, 400) << shown << " → " << r.raw;
    EXPECT_EQ(json::GetInt(r.body, "code"), 400) << shown;
    EXPECT_NE(r.message().find(c.field), std::string::npos)
        << shown << ": message should name '" << c.field << "': " << r.message();
    std::string id = json::GetString(r.data(), "id");
    if (!id.empty()) created_.push_back(id);
  }
  // Bad input on update too.
  std::string id = CreateRegistry(UniqueName("bad-upd"));
  ASSERT_FALSE(id.empty());
  for (auto [body, field] : {std::pair{R"({"insecureSkipVerify":"no"})", "insecureSkipVerify"},
                             {R"({"url":"gopher://x"})", "url"}, {"[]", "body"}, {"nope", "body"},
                             {R"({"resourceVersion":7})", "resourceVersion"}}) {
    ApiResponse r = CallApi("PUT", std::string(kBase) + "/" + id + "?verify=false", body);
    EXPECT_EQ(r.status, 400) << body << " → " << r.raw;
    EXPECT_NE(r.message().find(field), std::string::npos) << body << ": " << r.message();
  }
  // Nothing was created by any rejected body.
  auto secrets = host_->ListAll(res::kSecrets, kNs, {.label_selector = backup::kRegistryIdLabel});
  ASSERT_TRUE(secrets.ok());
  for (const auto& s : *secrets) {
    EXPECT_EQ(Annotation(s, backup::kNameAnnotation).find(marker), std::string::npos)
        << "created from a bad body: " << json::GetString(s, "metadata.name");
  }
}

TEST_F(RegistryApiTest, BodyOverEightMiBIs413) {
  std::string big = R"({"name":"big","url":"https://r.example.com","description":")" +
                    std::string(9 << 20, 'x') + "\"}";
  ApiResponse r = CallApi("POST", std::string(kBase) + "?verify=false", big);
  EXPECT_EQ(r.status, 413) << r.raw.substr(0, 300);
  std::string id = json::GetString(r.data(), "id");
  if (!id.empty()) created_.push_back(id);
  // The server is fine afterwards.
  EXPECT_EQ(CallApi("GET", kBase).status, 200);
}

TEST_F(RegistryApiTest, NoTokenIs401) {
  for (auto [method, path, body] :
       {std::tuple{"GET", std::string(kBase), std::string()},
        {"POST", std::string(kBase), std::string(R"({"name":"x","url":"https://r.example.com"})")},
        {"GET", std::string(kBase) + "/anything", std::string()},
        {"PUT", std::string(kBase) + "/anything", std::string(R"({"description":"x"})")},
        {"DELETE", std::string(kBase) + "/anything", std::string()}}) {
    ApiResponse r = CallApi(method, path, body, "");
    EXPECT_EQ(r.status, 401) << method << " " << path << ": " << r.raw;
    EXPECT_EQ(json::GetInt(r.body, "code"), 401);
    EXPECT_NE(r.message().find("Bearer"), std::string::npos) << r.raw;
  }
  // A token the apiserver does not know is refused too.
  ApiResponse bad = CallApi("GET", kBase, "", "not-a-real-token");
  EXPECT_EQ(bad.status, 401) << bad.raw;
}

TEST_F(RegistryApiTest, ReadOnlyTokenCanListButNotWrite) {
  std::string token = ReadOnlyToken();
  ASSERT_FALSE(token.empty());
  std::string id = CreateRegistry(UniqueName("ro"));
  ASSERT_FALSE(id.empty());

  ApiResponse list = CallApi("GET", kBase, "", token);
  EXPECT_EQ(list.status, 200) << list.raw;
  ApiResponse get = CallApi("GET", std::string(kBase) + "/" + id, "", token);
  EXPECT_EQ(get.status, 200) << get.raw;

  const std::string name = UniqueName("ro-create");
  ApiResponse create =
      Create({{"name", name}, {"url", "https://r.example.com"}, {"username", "u"}, {"password", "p"}}, false, token);
  EXPECT_EQ(create.status, 403) << create.raw;
  EXPECT_EQ(json::GetInt(create.body, "code"), 403);
  // The apiserver's reason: who may not do what.
  EXPECT_NE(create.message().find("kbr-test-reader"), std::string::npos) << create.raw;
  EXPECT_NE(create.message().find("secrets"), std::string::npos) << create.raw;
  auto secrets = host_->ListAll(res::kSecrets, kNs, {.label_selector = backup::kRegistryIdLabel});
  ASSERT_TRUE(secrets.ok());
  for (const auto& s : *secrets) EXPECT_NE(Annotation(s, backup::kNameAnnotation), name);

  ApiResponse put = CallApi("PUT", std::string(kBase) + "/" + id + "?verify=false", R"({"description":"x"})", token);
  EXPECT_EQ(put.status, 403) << put.raw;
  ApiResponse del = CallApi("DELETE", std::string(kBase) + "/" + id, "", token);
  EXPECT_EQ(del.status, 403) << del.raw;
  EXPECT_TRUE(host_->Get(res::kSecrets, kNs, backup::RegistrySecretName(id)).ok());
}

}  // namespace
}  // namespace kbr::testing
