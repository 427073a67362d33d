#include "lab/karmada.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/base64.h"
#include "core/json.h"
#include "backup/manifests.h"
#include "karmada/policy.h"
#include "kube/discovery.h"
#include "kube/yaml.h"
#include "lab/bootstrap.h"
#include "lab/pki.h"
#include "kube/conditions.h"

namespace kbr::lab {
namespace fs = std::filesystem;
namespace bj = boost::json;
namespace res = kube::resources;

namespace {

constexpr const char* kFieldManager = "kbr-lab";
const kube::Resource kClusters{"cluster.karmada.io", "v1alpha1", "clusters", false};

std::string Local(int port) { return "127.0.0.1:" + std::to_string(port); }

std::function<Result<bool>()> UrlOkProbe(const std::string& url, const std::string& ca_file) {
  return [url, ca_file]() -> Result<bool> {
    ASSIGN_OR_RETURN(auto http, http::NewCurlClient({.ca_file = ca_file}));
    ASSIGN_OR_RETURN(auto resp, http->Do({.url = url, .timeout = std::chrono::milliseconds(3000)}));
    return resp.status == 200;
  };
}

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Karmada's CRDs from the module it was built from (charts/karmada/_crds/bases);
// the conversion-webhook patches are not applied: the lab serves each CRD's
// storage version only.
Status InstallCrds(const LabLayout& l, const Binaries& b) {
  ASSIGN_OR_RETURN(auto client, AdminClient(l, kHostCluster));
  std::vector<bj::value> crds;
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(b.karmada_crds_dir + "/bases", ec)) {
    if (entry.path().extension() != ".yaml") continue;
    ASSIGN_OR_RETURN(auto docs, kube::ReadYamlFile(entry.path().string()));
    for (auto& d : docs) {
      if (json::GetString(d, "kind") == "CustomResourceDefinition") crds.push_back(std::move(d));
    }
  }
  if (ec || crds.empty()) {
    return Status::FailedPrecondition("no Karmada CRDs under " + b.karmada_crds_dir + ": run scripts/setup");
  }
  for (const auto& crd : crds) {
    auto applied = client->Apply(res::kCrds, "", crd, kFieldManager);
    if (!applied.ok()) return applied.status();
  }
  return WaitFor(
      [&]() -> Result<bool> {
        for (const auto& crd : crds) {
          ASSIGN_OR_RETURN(auto cur, client->Get(res::kCrds, "", json::GetString(crd, "metadata.name")));
          if (!kube::ConditionTrue(cur, "Established")) return false;
        }
        return true;
      },
      std::chrono::seconds(60), std::chrono::milliseconds(250), "Karmada CRDs to be established");
}

using kube::ConditionTrue;

// The APIService for cluster.karmada.io → an ExternalName Service the host
// apiserver's aggregator resolves to the aggregated apiserver on loopback;
// the webhooks at their loopback URL. Then waits until the APIService is Available.
Status RegisterAggregatedApiAndWebhooks(const LabLayout& l, const Binaries& b, const LabState& st) {
  ASSIGN_OR_RETURN(auto client, AdminClient(l, kHostCluster));
  ASSIGN_OR_RETURN(std::string ca, ReadText(l.Pki("ca.crt")));
  const int agg_port = st.ports.at("karmada-aggregated-apiserver");
  bj::value svc = {{"apiVersion", "v1"},
                   {"kind", "Service"},
                   {"metadata", {{"name", "karmada-aggregated-apiserver"}, {"namespace", "karmada-system"}}},
                   {"spec", {{"type", "ExternalName"}, {"externalName", "127.0.0.1"}}}};
  bj::value apisvc = {
      {"apiVersion", "apiregistration.k8s.io/v1"},
      {"kind", "APIService"},
      {"metadata", {{"name", "v1alpha1.cluster.karmada.io"}}},
      {"spec",
       {{"caBundle", Base64Encode(ca)},
        {"group", "cluster.karmada.io"},
        {"groupPriorityMinimum", 2000},
        {"version", "v1alpha1"},
        {"versionPriority", 10},
        {"service", {{"name", "karmada-aggregated-apiserver"}, {"namespace", "karmada-system"}, {"port", agg_port}}}}}};
  for (const auto& [r, obj] : {std::pair{&res::kServices, svc}, {&res::kApiServices, apisvc}}) {
    auto applied = client->Apply(*r, json::GetString(obj, "metadata.namespace"), obj, kFieldManager);
    if (!applied.ok()) return applied.status();
  }

  // Upstream's webhook configuration, pointed at the webhook on loopback.
  std::string module_dir = fs::path(b.karmada_crds_dir).parent_path().string();
  ASSIGN_OR_RETURN(std::string hooks, ReadText(module_dir + "/webhook-configuration.yaml"));
  const std::string from = "https://karmada-webhook.karmada-system.svc:443/";
  const std::string to = "https://" + Local(st.ports.at("karmada-webhook")) + "/";
  for (size_t p; (p = hooks.find(from)) != std::string::npos;) hooks.replace(p, from.size(), to);
  for (size_t p; (p = hooks.find("{{caBundle}}")) != std::string::npos;) hooks.replace(p, 12, Base64Encode(ca));
  ASSIGN_OR_RETURN(auto docs, kube::ParseYamlDocuments(hooks, "webhook-configuration.yaml"));
  kube::Discovery discovery(*client);
  RETURN_IF_ERROR(kube::ApplyObjects(*client, discovery, docs, kFieldManager));

  return WaitFor(
      [&]() -> Result<bool> {
        ASSIGN_OR_RETURN(auto cur, client->Get(res::kApiServices, "", "v1alpha1.cluster.karmada.io"));
        return ConditionTrue(cur, "Available");
      },
      std::chrono::seconds(60), std::chrono::milliseconds(500), "APIService v1alpha1.cluster.karmada.io to be Available");
}

// What `karmadactl join --cluster-kubeconfig` does in Push mode.
Status JoinMember(const LabLayout& l, const LabState& st, const std::string& member) {
  ASSIGN_OR_RETURN(auto host, AdminClient(l, kHostCluster));
  ASSIGN_OR_RETURN(auto mc, AdminClient(l, member));
  ASSIGN_OR_RETURN(std::string token, WaitForServiceAccountToken(l, member, "karmada-cluster", "karmada-" + member));
  ASSIGN_OR_RETURN(std::string imp_token,
                   WaitForServiceAccountToken(l, member, "karmada-cluster", "karmada-impersonator"));
  ASSIGN_OR_RETURN(std::string ca, ReadText(l.Pki("ca.crt")));
  ASSIGN_OR_RETURN(auto kube_system, mc->Get(res::kNamespaces, "", "kube-system"));
  auto secret = [](const std::string& name, bj::object data) {
    return bj::value{{"apiVersion", "v1"},
                     {"kind", "Secret"},
                     {"metadata", {{"name", name}, {"namespace", "karmada-cluster"}}},
                     {"data", std::move(data)}};
  };
  bj::value cluster = {
      {"apiVersion", "cluster.karmada.io/v1alpha1"},
      {"kind", "Cluster"},
      {"metadata", {{"name", member}}},
      {"spec",
       {{"syncMode", "Push"},
        {"apiEndpoint", "https://" + Local(st.ports.at(member + "-kube-apiserver"))},
        {"id", json::GetString(kube_system, "metadata.uid")},
        {"secretRef", {{"namespace", "karmada-cluster"}, {"name", member}}},
        {"impersonatorSecretRef", {{"namespace", "karmada-cluster"}, {"name", member + "-impersonator"}}}}}};
  for (const auto& [r, obj] :
       {std::pair{&res::kSecrets, secret(member, {{"token", Base64Encode(token)}, {"caBundle", Base64Encode(ca)}})},
        {&res::kSecrets, secret(member + "-impersonator", {{"token", Base64Encode(imp_token)}})},
        {&kClusters, cluster}}) {
    auto applied = host->Apply(*r, json::GetString(obj, "metadata.namespace"), obj, kFieldManager);
    if (!applied.ok()) return applied.status().Annotate("join " + member);
  }
  return Status::Ok();
}

Status WaitClustersReady(const LabLayout& l) {
  ASSIGN_OR_RETURN(auto host, AdminClient(l, kHostCluster));
  return WaitFor(
      [&]() -> Result<bool> {
        for (const auto& m : kMemberClusters) {
          ASSIGN_OR_RETURN(auto c, host->Get(kClusters, "", m));
          if (!ConditionTrue(c, "Ready")) return false;
        }
        return true;
      },
      std::chrono::seconds(90), std::chrono::milliseconds(500), "member clusters to be Ready in Karmada");
}

// kbr's own CRDs on the host, propagated to every member with a
// ClusterPropagationPolicy (executions are propagated to the workload's
// member, where the agents work on them).
Status InstallKbrCrds(const LabLayout& l) {
  ASSIGN_OR_RETURN(auto host, AdminClient(l, kHostCluster));
  std::vector<karmada::ResourceSelector> selectors;
  for (const auto& [path, text] : EmbeddedManifests()) {
    if (path.rfind("crds/", 0) != 0) continue;
    ASSIGN_OR_RETURN(auto docs, kube::ParseYamlDocuments(std::string(text), path));
    for (const auto& crd : docs) {
      auto applied = host->Apply(res::kCrds, "", crd, kFieldManager);
      if (!applied.ok()) return applied.status();
      selectors.push_back({.api_version = "apiextensions.k8s.io/v1",
                           .kind = "CustomResourceDefinition",
                           .name = json::GetString(crd, "metadata.name")});
    }
  }
  auto policy = karmada::ClusterPropagationPolicy({.name = "kbr-crds", .selectors = selectors});
  return host->Apply(karmada::kClusterPropagationPolicies, "", policy, kFieldManager).status();
}

Component KarmadaComponent(const LabLayout& l, const std::string& name, const std::string& binary,
                           std::vector<std::string> args, std::function<Result<bool>()> ready) {
  return {.spec = {.name = name, .binary = binary, .args = std::move(args), .log_file = l.Log(name)},
          .ready = std::move(ready)};
}

}  // namespace

Result<std::vector<Stage>> KarmadaStages(const LabLayout& l, LabState& st, const Binaries& b) {
  std::string kc = l.Kubeconfig(kHostCluster);
  ASSIGN_OR_RETURN(int agg, PortFor(st, "karmada-aggregated-apiserver"));
  ASSIGN_OR_RETURN(int hook, PortFor(st, "karmada-webhook"));
  ASSIGN_OR_RETURN(int hook_health, PortFor(st, "karmada-webhook-health"));
  ASSIGN_OR_RETURN(int hook_metrics, PortFor(st, "karmada-webhook-metrics"));
  ASSIGN_OR_RETURN(int cm_health, PortFor(st, "karmada-controller-manager"));
  ASSIGN_OR_RETURN(int cm_metrics, PortFor(st, "karmada-controller-manager-metrics"));
  ASSIGN_OR_RETURN(int sched_health, PortFor(st, "karmada-scheduler"));
  ASSIGN_OR_RETURN(int sched_metrics, PortFor(st, "karmada-scheduler-metrics"));
  const int etcd = st.ports.at("etcd");
  std::string hook_certs = l.Path("run/karmada-webhook");

  Stage serving{"karmada aggregated-apiserver and webhook", {}};
  serving.prepare = [l, b, hook_certs]() -> Status {
    RETURN_IF_ERROR(BootstrapHost(l));
    RETURN_IF_ERROR(InstallCrds(l, b));
    std::error_code ec;
    fs::create_directories(hook_certs, ec);
    fs::copy_file(l.Pki("karmada-webhook.crt"), hook_certs + "/tls.crt", fs::copy_options::overwrite_existing, ec);
    fs::copy_file(l.Pki("karmada-webhook.key"), hook_certs + "/tls.key", fs::copy_options::overwrite_existing, ec);
    if (ec) return Status::Unavailable("cannot prepare webhook certificates: " + ec.message());
    return Status::Ok();
  };
  serving.components.push_back(KarmadaComponent(
      l, "karmada-aggregated-apiserver", b.karmada_aggregated_apiserver,
      {"--kubeconfig=" + kc, "--authentication-kubeconfig=" + kc, "--authorization-kubeconfig=" + kc,
       "--etcd-servers=http://" + Local(etcd), "--etcd-prefix=/karmada-aggregated", "--bind-address=127.0.0.1",
       "--secure-port=" + std::to_string(agg), "--tls-cert-file=" + l.Pki("karmada-aggregated-apiserver.crt"),
       "--tls-private-key-file=" + l.Pki("karmada-aggregated-apiserver.key"),
       "--cert-dir=" + l.Path("run/karmada-aggregated-apiserver")},
      UrlOkProbe("https://" + Local(agg) + "/readyz", l.Pki("ca.crt"))));
  serving.components.push_back(KarmadaComponent(
      l, "karmada-webhook", b.karmada_webhook,
      {"--kubeconfig=" + kc, "--bind-address=127.0.0.1", "--secure-port=" + std::to_string(hook),
       "--cert-dir=" + hook_certs, "--health-probe-bind-address=" + Local(hook_health),
       "--metrics-bind-address=" + Local(hook_metrics)},
      // The webhook answers readiness on its serving port, not the probe port.
      UrlOkProbe("https://" + Local(hook) + "/readyz/", l.Pki("ca.crt"))));

  Stage controllers{"karmada controller-manager and scheduler", {}};
  controllers.prepare = [l, b, &st]() { return RegisterAggregatedApiAndWebhooks(l, b, st); };
  controllers.components.push_back(KarmadaComponent(
      l, "karmada-controller-manager", b.karmada_controller_manager,
      {"--kubeconfig=" + kc, "--cluster-status-update-frequency=10s", "--leader-elect=false",
       "--metrics-bind-address=" + Local(cm_metrics),
       "--health-probe-bind-address=" + Local(cm_health)},
      UrlOkProbe("http://" + Local(cm_health) + "/healthz", "")));
  controllers.components.push_back(KarmadaComponent(
      l, "karmada-scheduler", b.karmada_scheduler,
      {"--kubeconfig=" + kc, "--leader-elect=false", "--enable-scheduler-estimator=false",
       "--metrics-bind-address=" + Local(sched_metrics), "--health-probe-bind-address=" + Local(sched_health)},
      UrlOkProbe("http://" + Local(sched_health) + "/healthz", "")));

  Stage join{"members joined (Push mode)", {}};
  join.prepare = [l, &st]() -> Status {
    for (const auto& m : kMemberClusters) {
      RETURN_IF_ERROR(BootstrapMember(l, m));
      RETURN_IF_ERROR(JoinMember(l, st, m));
    }
    RETURN_IF_ERROR(WaitClustersReady(l));
    return InstallKbrCrds(l);
  };
  std::vector<Stage> stages;
  stages.push_back(std::move(serving));
  stages.push_back(std::move(controllers));
  stages.push_back(std::move(join));
  return stages;
}

}  // namespace kbr::lab
