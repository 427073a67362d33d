#include "api_env.h"

#include <gtest/gtest.h>

#include <mutex>

#include "core/json.h"
#include "lab/bootstrap.h"
#include "lab/process.h"
#include "lab_env.h"

namespace kbr::testing {

namespace bj = boost::json;

const bj::value& ApiResponse::data() const {
  static const bj::value kNull;
  const bj::value* d = json::Find(body, "data");
  return d ? *d : kNull;
}

std::string ApiResponse::message() const { return json::GetString(body, "message"); }

ApiServerProcess& ApiServerProcess::Get() {
  static ApiServerProcess* server = [] {
    auto* s = new ApiServerProcess();
    auto port = lab::FreePort();
    EXPECT_TRUE(port.ok());
    s->port_ = port.ok() ? *port : 0;
    s->log_file_ = Lab().layout.Path("logs/kbr-server-" + std::to_string(::getpid()) + ".log");
    lab::ProcessSpec spec{.name = "kbr-server",
                          .binary = Lab().kbr_binary,
                          .args = {"server", "--kubeconfig", Lab().layout.Kubeconfig("karmada"), "--listen",
                                   "127.0.0.1:" + std::to_string(s->port_)},
                          .log_file = s->log_file_};
    auto pid = lab::StartDetached(spec);
    EXPECT_TRUE(pid.ok()) << pid.status().message();
    s->pid_ = pid.ok() ? *pid : 0;
    auto http = http::NewCurlClient({});
    Status ready = lab::WaitFor(
        [&]() -> Result<bool> {
          auto r = (*http)->Do({.url = s->base_url() + "/readyz", .timeout = std::chrono::milliseconds(2000)});
          if (!r.ok()) return r.status();
          return r->status == 200;
        },
        std::chrono::seconds(60), std::chrono::milliseconds(200), "kbr server /readyz");
    EXPECT_TRUE(ready.ok()) << ready.message();
    std::atexit([] { (void)lab::Stop(Get().pid_, std::chrono::seconds(5)); });
    return s;
  }();
  return *server;
}

ApiServerProcess::~ApiServerProcess() = default;

ApiResponse CallApi(const std::string& method, const std::string& path, const std::string& body,
                    const std::string& token) {
  static auto client = http::NewCurlClient({});
  http::Request req{.method = method, .url = ApiServerProcess::Get().base_url() + path, .body = body};
  std::string tok = token == "<admin>" ? AdminToken() : token;
  if (!tok.empty()) req.headers.emplace_back("Authorization", "Bearer " + tok);
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  ApiResponse out;
  auto resp = (*client)->Do(req);
  if (!resp.ok()) {
    ADD_FAILURE() << method << " " << path << ": " << resp.status().message();
    return out;
  }
  out.status = resp->status;
  out.raw = resp->body;
  out.headers = resp->headers;
  auto parsed = json::Parse(resp->body);
  if (parsed.ok()) out.body = std::move(*parsed);
  return out;
}

std::string ReadOnlyToken() {
  static std::once_flag once;
  static std::string token;
  std::call_once(once, [] {
    auto host = AdminClient("karmada");
    namespace res = kube::resources;
    const std::string ns = "karmada-system", name = "kbr-test-reader";
    bj::value sa = {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", name}, {"namespace", ns}}}};
    bj::value secret = {{"apiVersion", "v1"},
                        {"kind", "Secret"},
                        {"type", "kubernetes.io/service-account-token"},
                        {"metadata",
                         {{"name", name},
                          {"namespace", ns},
                          {"annotations", {{"kubernetes.io/service-account.name", name}}}}}};
    bj::value role = {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                      {"kind", "ClusterRole"},
                      {"metadata", {{"name", name}}},
                      {"rules",
                       {{{"apiGroups", {"", "migration.dcnlab.com", "cluster.karmada.io"}},
                         {"resources", {"secrets", "statefulmigrations", "checkpointbackups", "clusters"}},
                         {"verbs", {"get", "list", "watch"}}}}}};
    bj::value binding = {
        {"apiVersion", "rbac.authorization.k8s.io/v1"},
        {"kind", "ClusterRoleBinding"},
        {"metadata", {{"name", name}}},
        {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", name}}},
        {"subjects", {{{"kind", "ServiceAccount"}, {"name", name}, {"namespace", ns}}}}};
    for (auto [r, obj] : {std::pair{&res::kServiceAccounts, sa}, {&res::kSecrets, secret},
                          {&res::kClusterRoles, role}, {&res::kClusterRoleBindings, binding}}) {
      auto applied = host->Apply(*r, json::GetString(obj, "metadata.namespace"), obj, "kbr-test");
      EXPECT_TRUE(applied.ok()) << applied.status().message();
    }
    auto t = lab::WaitForServiceAccountToken(Lab().layout, "karmada", ns, name);
    EXPECT_TRUE(t.ok()) << t.status().message();
    if (t.ok()) token = *t;
  });
  return token;
}

}  // namespace kbr::testing
