// kube::Client against a real kube-apiserver (member1 of the lab): CRUD and
// the typed errors a caller branches on, a CRD with a status subresource,
// paging through 2,500 objects, server-side apply, selectors, a client built
// the way a Karmada Cluster's secretRef describes a member, RBAC denial, and
// the faults a user meets first (nothing listening, wrong CA, bad token).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "core/base64.h"
#include "core/json.h"
#include "lab/process.h"
#include "lab_env.h"

namespace kbr::testing {
namespace {

namespace bj = boost::json;
namespace res = kube::resources;
using std::chrono::milliseconds;
using std::chrono::seconds;

const kube::Resource kWidgets{"test.kbr.io", "v1", "widgets", true};

bj::value Meta(const std::string& ns, const std::string& name, bj::object labels = {}) {
  bj::object m{{"name", name}, {"namespace", ns}};
  if (!labels.empty()) m["labels"] = std::move(labels);
  return m;
}
bj::value ConfigMap(const std::string& ns, const std::string& name, bj::object data, bj::object labels = {}) {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", Meta(ns, name, std::move(labels))},
          {"data", std::move(data)}};
}
bj::value Secret(const std::string& ns, const std::string& name, const std::string& password) {
  return {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", Meta(ns, name)}, {"type", "Opaque"},
          {"data", {{"password", Base64Encode(password)}}}};
}
std::string Decoded(const bj::value& obj, const std::string& key) {
  const bj::value* data = json::Find(obj, "data");
  if (!data || !data->is_object() || !data->as_object().contains(key)) return "";
  auto d = Base64Decode(data->as_object().at(key).as_string());
  return d.ok() ? *d : "";
}
std::string Rv(const bj::value& obj) { return json::GetString(obj, "metadata.resourceVersion"); }
std::set<std::string> Names(const std::vector<bj::value>& items) {
  std::set<std::string> out;
  for (const auto& i : items) out.insert(json::GetString(i, "metadata.name"));
  return out;
}

// Each test gets its own namespace on member1, deleted afterwards.
class KubeClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    c_ = AdminClient("member1");
    ASSERT_TRUE(c_);
    ns_ = UniqueName("kc");
    auto created = c_->Create(res::kNamespaces, "", {{"apiVersion", "v1"}, {"kind", "Namespace"},
                                                     {"metadata", {{"name", ns_}}}});
    ASSERT_TRUE(created.ok()) << created.status().message();
  }
  void TearDown() override {
    if (c_) (void)c_->Delete(res::kNamespaces, "", ns_);
  }
  std::unique_ptr<kube::Client> c_;
  std::string ns_;
};

TEST_F(KubeClientTest, SecretCrudWithTypedErrors) {
  auto created = c_->Create(res::kSecrets, ns_, Secret(ns_, "db", "s3cret"));
  ASSERT_TRUE(created.ok()) << created.status().message();
  auto again = c_->Create(res::kSecrets, ns_, Secret(ns_, "db", "other"));
  ASSERT_EQ(again.status().code(), StatusCode::kAlreadyExists) << again.status().ToString();
  EXPECT_NE(again.status().message().find("create secrets " + ns_ + "/db"), std::string::npos)
      << again.status().message();

  auto got = c_->Get(res::kSecrets, ns_, "db");
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(Decoded(*got, "password"), "s3cret");

  bj::value changed = *got;
  json::Set(changed, "data.password", bj::string(Base64Encode("rotated")));
  auto updated = c_->Update(res::kSecrets, ns_, changed);
  ASSERT_TRUE(updated.ok()) << updated.status().message();
  EXPECT_EQ(Decoded(*updated, "password"), "rotated");
  EXPECT_NE(Rv(*updated), Rv(*got));
  // The first read's resourceVersion is stale now.
  auto stale = c_->Update(res::kSecrets, ns_, changed);
  EXPECT_EQ(stale.status().code(), StatusCode::kConflict) << stale.status().ToString();

  auto merged = c_->Patch(res::kSecrets, ns_, "db", kube::PatchType::kMerge,
                          R"({"metadata":{"labels":{"tier":"db"}},"data":{"user":")" + Base64Encode("admin") + "\"}}");
  ASSERT_TRUE(merged.ok()) << merged.status().message();
  EXPECT_EQ(json::GetString(*merged, "metadata.labels.tier"), "db");
  EXPECT_EQ(Decoded(*merged, "user"), "admin");
  EXPECT_EQ(Decoded(*merged, "password"), "rotated");

  auto patched = c_->Patch(res::kSecrets, ns_, "db", kube::PatchType::kJson,
                           R"([{"op":"test","path":"/metadata/labels/tier","value":"db"},)"
                           R"({"op":"remove","path":"/data/user"}])");
  ASSERT_TRUE(patched.ok()) << patched.status().message();
  EXPECT_EQ(Decoded(*patched, "user"), "");
  auto failed_test = c_->Patch(res::kSecrets, ns_, "db", kube::PatchType::kJson,
                               R"([{"op":"test","path":"/metadata/labels/tier","value":"web"}])");
  EXPECT_FALSE(failed_test.ok());

  Status wrong_uid = c_->Delete(res::kSecrets, ns_, "db", {.precondition_uid = "00000000-0000-0000-0000-000000000000"});
  EXPECT_EQ(wrong_uid.code(), StatusCode::kConflict) << wrong_uid.ToString();
  ASSERT_TRUE(c_->Get(res::kSecrets, ns_, "db").ok()) << "a failed precondition must not delete";

  Status deleted = c_->Delete(res::kSecrets, ns_, "db", {.propagation_policy = "Background",
                                                          .precondition_uid = json::GetString(*got, "metadata.uid")});
  ASSERT_TRUE(deleted.ok()) << deleted.message();
  auto gone = c_->Get(res::kSecrets, ns_, "db");
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound) << gone.status().ToString();
  EXPECT_EQ(c_->Delete(res::kSecrets, ns_, "db").code(), StatusCode::kNotFound);
}

TEST_F(KubeClientTest, InvalidObjectNamesTheField) {
  auto bad = c_->Create(res::kSecrets, ns_, Secret(ns_, "Bad_Name", "x"));
  ASSERT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().ToString();
  bool on_name = false;
  for (const auto& cause : bad.status().causes()) on_name |= cause.field == "metadata.name";
  EXPECT_TRUE(on_name) << bad.status().message();
  EXPECT_NE(bad.status().message().find("Bad_Name"), std::string::npos) << bad.status().message();
}

bj::value WidgetCrd() {
  bj::value int_prop = {{"type", "integer"}};
  bj::value schema = {
      {"type", "object"},
      {"properties",
       {{"spec", {{"type", "object"}, {"properties", {{"size", int_prop}}}}},
        {"status", {{"type", "object"}, {"properties", {{"phase", {{"type", "string"}}}, {"observed", int_prop}}}}}}}};
  return {{"apiVersion", "apiextensions.k8s.io/v1"},
          {"kind", "CustomResourceDefinition"},
          {"metadata", {{"name", "widgets.test.kbr.io"}}},
          {"spec",
           {{"group", "test.kbr.io"},
            {"scope", "Namespaced"},
            {"names", {{"plural", "widgets"}, {"singular", "widget"}, {"kind", "Widget"}, {"listKind", "WidgetList"}}},
            {"versions", bj::array{{{"name", "v1"}, {"served", true}, {"storage", true},
                                    {"subresources", {{"status", bj::object{}}}},
                                    {"schema", {{"openAPIV3Schema", schema}}}}}}}}};
}

bool Established(const bj::value& crd) {
  const bj::value* conds = json::Find(crd, "status.conditions");
  if (!conds || !conds->is_array()) return false;
  for (const auto& c : conds->as_array()) {
    if (json::GetString(c, "type") == "Established" && json::GetString(c, "status") == "True") return true;
  }
  return false;
}

TEST_F(KubeClientTest, CustomResourceStatusSubresourceAndStaleUpdate) {
  auto crd = c_->Apply(res::kCrds, "", WidgetCrd(), "kbr-it");
  ASSERT_TRUE(crd.ok()) << crd.status().message();
  Status est = lab::WaitFor(
      [&]() -> Result<bool> {
        ASSIGN_OR_RETURN(auto got, c_->Get(res::kCrds, "", "widgets.test.kbr.io"));
        return Established(got);
      },
      seconds(30), milliseconds(200), "CRD widgets.test.kbr.io to be Established");
  ASSERT_TRUE(est.ok()) << est.message();

  bj::value widget = {{"apiVersion", "test.kbr.io/v1"}, {"kind", "Widget"}, {"metadata", Meta(ns_, "w1")},
                      {"spec", {{"size", 3}}}};
  Result<bj::value> created = Status::Internal("not tried");
  // Established can precede the REST endpoint by a moment.
  Status served = lab::WaitFor(
      [&]() -> Result<bool> {
        created = c_->Create(kWidgets, ns_, widget);
        if (created.ok()) return true;
        if (created.status().code() == StatusCode::kNotFound) return false;
        return created.status();
      },
      seconds(30), milliseconds(200), "widgets to be served");
  ASSERT_TRUE(served.ok()) << served.message();
  EXPECT_EQ(json::Find(*created, "status"), nullptr);

  bj::value with_status = *created;
  json::Set(with_status, "status", bj::object{{"phase", "Ready"}, {"observed", 3}});
  json::Set(with_status, "spec.size", 99);  // ignored: the status endpoint only writes status
  auto st = c_->UpdateStatus(kWidgets, ns_, with_status);
  ASSERT_TRUE(st.ok()) << st.status().message();
  EXPECT_EQ(json::GetString(*st, "status.phase"), "Ready");
  EXPECT_EQ(json::GetInt(*st, "spec.size"), 3);

  // An update through the main endpoint cannot change status.
  bj::value spec_change = *st;
  json::Set(spec_change, "spec.size", 5);
  json::Set(spec_change, "status.phase", "Hacked");
  auto up = c_->Update(kWidgets, ns_, spec_change);
  ASSERT_TRUE(up.ok()) << up.status().message();
  EXPECT_EQ(json::GetInt(*up, "spec.size"), 5);
  EXPECT_EQ(json::GetString(*up, "status.phase"), "Ready");

  // `created` carries a resourceVersion from before both writes.
  json::Set(*created, "spec.size", 7);
  auto stale = c_->Update(kWidgets, ns_, *created);
  ASSERT_EQ(stale.status().code(), StatusCode::kConflict) << stale.status().ToString();
  EXPECT_NE(stale.status().message().find("w1"), std::string::npos) << stale.status().message();
  auto stale_status = c_->UpdateStatus(kWidgets, ns_, with_status);
  EXPECT_EQ(stale_status.status().code(), StatusCode::kConflict) << stale_status.status().ToString();

  ASSERT_TRUE(c_->Delete(kWidgets, ns_, "w1").ok());
  (void)c_->Delete(res::kCrds, "", "widgets.test.kbr.io");
}

TEST_F(KubeClientTest, ListsThousandsOfObjectsInPages) {
  constexpr int kTotal = 2500;
  std::atomic<int> next{0}, failures{0};
  std::string first_error;
  std::mutex mu;
  std::vector<std::thread> pool;
  for (int t = 0; t < 8; ++t) {
    pool.emplace_back([&] {
      for (int i; (i = next++) < kTotal;) {
        auto r = c_->Create(res::kConfigMaps, ns_, ConfigMap(ns_, "cm-" + std::to_string(i), {{"i", std::to_string(i)}}));
        if (r.ok()) continue;
        std::lock_guard<std::mutex> l(mu);
        if (failures++ == 0) first_error = r.status().message();
      }
    });
  }
  for (auto& t : pool) t.join();
  ASSERT_EQ(failures.load(), 0) << first_error;

  // Page by hand: every page holds at most the limit, the last one has no continue token.
  kube::ListOptions opts{.limit = 500};
  std::set<std::string> seen;
  int pages = 0;
  do {
    auto page = c_->List(res::kConfigMaps, ns_, opts);
    ASSERT_TRUE(page.ok()) << page.status().message();
    ASSERT_LE(page->items.size(), 500u);
    if (!page->continue_token.empty()) {
      EXPECT_EQ(page->items.size(), 500u);
    }
    for (const auto& n : Names(page->items)) {
      EXPECT_TRUE(seen.insert(n).second) << "listed twice: " << n;
    }
    opts.continue_token = page->continue_token;
    ++pages;
  } while (!opts.continue_token.empty());
  // 2,500 ConfigMaps plus the namespace's kube-root-ca.crt (if already there).
  EXPECT_GE(pages, 5);
  EXPECT_LE(pages, 6);

  auto all = c_->ListAll(res::kConfigMaps, ns_, {.label_selector = ""}, 500);
  ASSERT_TRUE(all.ok()) << all.status().message();
  auto names = Names(*all);
  names.erase("kube-root-ca.crt");
  EXPECT_EQ(names.size(), static_cast<size_t>(kTotal));
  EXPECT_TRUE(names.count("cm-0") && names.count("cm-2499"));
}

TEST_F(KubeClientTest, ServerSideApplyIsIdempotentAndReportsConflicts) {
  bj::value desired = ConfigMap(ns_, "applied", {{"mode", "fast"}, {"replicas", "3"}}, {{"app", "kbr"}});
  auto first = c_->Apply(res::kConfigMaps, ns_, desired, "kbr-a", /*force=*/false);
  ASSERT_TRUE(first.ok()) << first.status().message();
  auto second = c_->Apply(res::kConfigMaps, ns_, desired, "kbr-a", /*force=*/false);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(Rv(*second), Rv(*first)) << "re-applying the same object must not write";

  bj::value theirs = ConfigMap(ns_, "applied", {{"mode", "safe"}});
  auto conflict = c_->Apply(res::kConfigMaps, ns_, theirs, "kbr-b", /*force=*/false);
  ASSERT_EQ(conflict.status().code(), StatusCode::kConflict) << conflict.status().ToString();
  EXPECT_NE(conflict.status().message().find("kbr-a"), std::string::npos) << conflict.status().message();
  EXPECT_EQ(json::GetString(*c_->Get(res::kConfigMaps, ns_, "applied"), "data.mode"), "fast");

  auto forced = c_->Apply(res::kConfigMaps, ns_, theirs, "kbr-b", /*force=*/true);
  ASSERT_TRUE(forced.ok()) << forced.status().message();
  EXPECT_EQ(json::GetString(*forced, "data.mode"), "safe");
  EXPECT_EQ(json::GetString(*forced, "data.replicas"), "3");  // still kbr-a's
  // kbr-a lost "mode": applying without it no longer conflicts.
  bj::value without_mode = ConfigMap(ns_, "applied", {{"replicas", "4"}}, {{"app", "kbr"}});
  auto a_again = c_->Apply(res::kConfigMaps, ns_, without_mode, "kbr-a", /*force=*/false);
  ASSERT_TRUE(a_again.ok()) << a_again.status().message();
  EXPECT_EQ(json::GetString(*a_again, "data.mode"), "safe");
  EXPECT_EQ(json::GetString(*a_again, "data.replicas"), "4");
}

TEST_F(KubeClientTest, LabelAndFieldSelectors) {
  for (auto [name, tier] : {std::pair{"web-1", "web"}, {"web-2", "web"}, {"db-1", "db"}, {"plain", ""}}) {
    bj::object labels;
    if (*tier) labels["tier"] = tier;
    ASSERT_TRUE(c_->Create(res::kConfigMaps, ns_, ConfigMap(ns_, name, {}, labels)).ok());
  }
  auto names = [&](kube::ListOptions o) {
    auto l = c_->List(res::kConfigMaps, ns_, o);
    EXPECT_TRUE(l.ok()) << l.status().message();
    auto n = l.ok() ? Names(l->items) : std::set<std::string>{};
    n.erase("kube-root-ca.crt");
    return n;
  };
  EXPECT_EQ(names({.label_selector = "tier=web"}), (std::set<std::string>{"web-1", "web-2"}));
  EXPECT_EQ(names({.label_selector = "tier in (web,db)"}), (std::set<std::string>{"web-1", "web-2", "db-1"}));
  EXPECT_EQ(names({.label_selector = "tier,tier!=web"}), (std::set<std::string>{"db-1"}));
  EXPECT_EQ(names({.label_selector = "!tier"}), (std::set<std::string>{"plain"}));
  EXPECT_EQ(names({.field_selector = "metadata.name=web-2"}), (std::set<std::string>{"web-2"}));
  EXPECT_EQ(names({.label_selector = "tier=web", .field_selector = "metadata.name!=web-1"}),
            (std::set<std::string>{"web-2"}));
  auto bad = c_->List(res::kConfigMaps, ns_, {.field_selector = "data.x=1"});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().ToString();
}

// The shape of a Karmada Cluster: apiEndpoint + the join ServiceAccount's
// token and ca.crt from its secretRef; no kubeconfig, no client certificate.
TEST_F(KubeClientTest, ClientFromEndpointTokenAndCaBundleReachesTheMember) {
  auto secret = c_->Get(res::kSecrets, "karmada-cluster", "karmada-member1");
  ASSERT_TRUE(secret.ok()) << secret.status().message();
  kube::ClusterConfig cfg;
  cfg.server = c_->server();
  cfg.bearer_token = Decoded(*secret, "token");
  cfg.tls.ca_data = Decoded(*secret, "ca.crt");
  ASSERT_FALSE(cfg.bearer_token.empty());
  ASSERT_NE(cfg.tls.ca_data.find("BEGIN CERTIFICATE"), std::string::npos);
  auto member = kube::Client::New(cfg);
  ASSERT_TRUE(member.ok()) << member.status().message();
  auto ns = (*member)->List(res::kNamespaces, "");
  ASSERT_TRUE(ns.ok()) << ns.status().message();
  EXPECT_TRUE(Names(ns->items).count(ns_));
  EXPECT_TRUE(Names(ns->items).count("karmada-cluster"));
}

TEST_F(KubeClientTest, ReadOnlyTokenIsDeniedWritesAndRevokedTokenIsRejected) {
  bj::value sa = {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", Meta(ns_, "reader")}};
  ASSERT_TRUE(c_->Create(res::kServiceAccounts, ns_, sa).ok());
  bj::value binding = {{"apiVersion", "rbac.authorization.k8s.io/v1"}, {"kind", "RoleBinding"},
                       {"metadata", Meta(ns_, "reader-view")},
                       {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", "view"}}},
                       {"subjects", bj::array{{{"kind", "ServiceAccount"}, {"name", "reader"}, {"namespace", ns_}}}}};
  ASSERT_TRUE(c_->Create(res::kRoleBindings, ns_, binding).ok());
  auto tr = c_->Raw("POST", res::kServiceAccounts.ObjectPath(ns_, "reader") + "/token",
                    R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":600}})");
  ASSERT_TRUE(tr.ok()) << tr.status().message();
  ASSERT_EQ(tr->status, 201) << tr->body;
  std::string token = json::GetString(*json::Parse(tr->body), "status.token");
  ASSERT_FALSE(token.empty());

  auto reader = c_->WithBearerToken(token);
  ASSERT_TRUE(reader.ok());
  auto list = (*reader)->List(res::kConfigMaps, ns_);
  EXPECT_TRUE(list.ok()) << list.status().message();
  auto denied = (*reader)->Create(res::kConfigMaps, ns_, ConfigMap(ns_, "nope", {}));
  ASSERT_EQ(denied.status().code(), StatusCode::kPermissionDenied) << denied.status().ToString();
  EXPECT_NE(denied.status().message().find("system:serviceaccount:" + ns_ + ":reader"), std::string::npos)
      << denied.status().message();
  auto other_ns = (*reader)->List(res::kSecrets, "karmada-cluster");
  EXPECT_EQ(other_ns.status().code(), StatusCode::kPermissionDenied) << other_ns.status().ToString();

  // Deleting the ServiceAccount revokes its bound tokens.
  ASSERT_TRUE(c_->Delete(res::kServiceAccounts, ns_, "reader").ok());
  Status revoked = lab::WaitFor(
      [&]() -> Result<bool> {
        return (*reader)->List(res::kConfigMaps, ns_).status().code() == StatusCode::kUnauthenticated;
      },
      seconds(40), milliseconds(250), "the revoked token to be rejected");
  EXPECT_TRUE(revoked.ok()) << revoked.message();
}

TEST(KubeClientFaultTest, NothingListeningIsUnavailableQuickly) {
  auto port = lab::FreePort();
  ASSERT_TRUE(port.ok());
  kube::ClusterConfig cfg{.server = "https://127.0.0.1:" + std::to_string(*port)};
  auto c = kube::Client::New(cfg, {.timeout = seconds(2), .max_read_attempts = 2});
  ASSERT_TRUE(c.ok());
  auto t0 = std::chrono::steady_clock::now();
  auto r = (*c)->Get(res::kNamespaces, "", "default");
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("127.0.0.1:" + std::to_string(*port)), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos) << "one line: " << r.status().message();
  EXPECT_EQ(r.status().message().rfind("get namespaces default", 0), 0u) << r.status().message();
  EXPECT_LT(took, seconds(3));
  auto w = (*c)->Create(res::kConfigMaps, "default", ConfigMap("default", "x", {}));
  EXPECT_EQ(w.status().code(), StatusCode::kUnavailable) << w.status().ToString();
}

TEST(KubeClientFaultTest, WrongCaIsATlsFailure) {
  auto cfg = kube::LoadKubeconfig(Lab().layout.Kubeconfig("member1"));
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  cfg->tls.ca_data.clear();
  cfg->tls.ca_file = Lab().layout.Pki("front-proxy-ca.crt");  // a CA, but not the apiserver's
  auto c = kube::Client::New(*cfg, {.timeout = seconds(5), .max_read_attempts = 1});
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto r = (*c)->Get(res::kNamespaces, "", "default");
  ASSERT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("TLS"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("CA"), std::string::npos) << r.status().message();
  // Which server failed matters when kbr talks to several clusters.
  std::string host = cfg->server.substr(cfg->server.find("://") + 3);
  EXPECT_NE(r.status().message().find(host), std::string::npos) << r.status().message();
}

TEST(KubeClientFaultTest, InvalidTokenIsUnauthenticated) {
  auto admin = AdminClient("member1");
  ASSERT_TRUE(admin);
  auto c = admin->WithBearerToken("not-a-real-token");
  ASSERT_TRUE(c.ok());
  auto r = (*c)->List(res::kNamespaces, "");
  ASSERT_EQ(r.status().code(), StatusCode::kUnauthenticated) << r.status().ToString();
  EXPECT_NE(r.status().message().find("Unauthorized"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace kbr::testing
