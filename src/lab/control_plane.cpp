#include <filesystem>

#include "kube/kubeconfig.h"
#include "lab/component.h"
#include "lab/pki.h"

namespace kbr::lab {

namespace {

std::string ApiserverName(const std::string& cluster) {
  return cluster == kHostCluster ? "karmada-apiserver" : cluster + "-kube-apiserver";
}

Component Etcd(const LabLayout& l, const Binaries& b, int client_port, int peer_port) {
  std::string client = "http://127.0.0.1:" + std::to_string(client_port);
  std::string peer = "http://127.0.0.1:" + std::to_string(peer_port);
  Component c;
  c.spec = {.name = "etcd",
            .binary = b.etcd,
            .args = {"--name=lab", "--data-dir=" + l.Path("etcd"), "--listen-client-urls=" + client,
                     "--advertise-client-urls=" + client, "--listen-peer-urls=" + peer,
                     "--initial-advertise-peer-urls=" + peer, "--initial-cluster=lab=" + peer,
                     // A lab: durability across power loss is not worth the fsync latency.
                     "--unsafe-no-fsync=true", "--quota-backend-bytes=4294967296", "--log-level=warn"},
            .log_file = l.Log("etcd")};
  c.ready = [client]() -> Result<bool> {
    ASSIGN_OR_RETURN(auto http, http::NewCurlClient({}));
    auto resp = http->Do({.url = client + "/health", .timeout = std::chrono::milliseconds(2000)});
    if (!resp.ok()) return resp.status();
    return resp->status == 200 && resp->body.find("true") != std::string::npos;
  };
  return c;
}

Component Apiserver(const LabLayout& l, const Binaries& b, const std::string& cluster, int port, int etcd_port) {
  std::vector<std::string> args = {
      "--etcd-servers=http://127.0.0.1:" + std::to_string(etcd_port),
      "--etcd-prefix=/" + cluster,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      "--secure-port=" + std::to_string(port),
      "--tls-cert-file=" + l.Pki("apiserver.crt"),
      "--tls-private-key-file=" + l.Pki("apiserver.key"),
      "--client-ca-file=" + l.Pki("ca.crt"),
      "--service-account-key-file=" + l.Pki("sa-" + cluster + ".pub"),
      "--service-account-signing-key-file=" + l.Pki("sa-" + cluster + ".key"),
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      "--service-cluster-ip-range=10.96.0.0/16",
      "--authorization-mode=Node,RBAC",
      "--allow-privileged=true",
      "--requestheader-client-ca-file=" + l.Pki("front-proxy-ca.crt"),
      "--requestheader-allowed-names=front-proxy-client",
      "--requestheader-username-headers=X-Remote-User",
      "--requestheader-group-headers=X-Remote-Group",
      "--requestheader-extra-headers-prefix=X-Remote-Extra-",
      "--proxy-client-cert-file=" + l.Pki("front-proxy-client.crt"),
      "--proxy-client-key-file=" + l.Pki("front-proxy-client.key"),
      "--kubelet-client-certificate=" + l.Pki("kubelet-client.crt"),
      "--kubelet-client-key=" + l.Pki("kubelet-client.key"),
      "--kubelet-certificate-authority=" + l.Pki("ca.crt"),
      "--kubelet-preferred-address-types=InternalIP",
      // Endpoints may not hold loopback addresses; nothing in the lab needs
      // the in-cluster "kubernetes" Service endpoints.
      "--endpoint-reconciler-type=none",
      "--profiling=false",
  };
  if (cluster == kHostCluster) {
    args.push_back("--disable-admission-plugins=StorageObjectInUseProtection,ServiceAccount");
  }
  return {.spec = {.name = ApiserverName(cluster), .binary = b.kube_apiserver, .args = args,
                   .log_file = l.Log(ApiserverName(cluster))},
          .ready = HttpOkProbe(l, cluster, "/readyz")};
}

Component ControllerManager(const LabLayout& l, const Binaries& b, const std::string& cluster, int port) {
  std::string kc = l.Kubeconfig(cluster);
  std::string controllers =
      cluster == kHostCluster
          ? "namespace,garbagecollector,serviceaccount-token,ttl-after-finished,bootstrapsigner,tokencleaner,"
            "csrcleaner,csrsigning,clusterrole-aggregation"
          : "*";
  std::string name = cluster + "-kube-controller-manager";
  return {.spec = {.name = name,
                   .binary = b.kube_controller_manager,
                   .args = {"--kubeconfig=" + kc, "--authentication-kubeconfig=" + kc,
                            "--authorization-kubeconfig=" + kc, "--bind-address=127.0.0.1",
                            "--secure-port=" + std::to_string(port), "--leader-elect=false",
                            "--controllers=" + controllers,
                            "--service-account-private-key-file=" + l.Pki("sa-" + cluster + ".key"),
                            "--root-ca-file=" + l.Pki("ca.crt"),
                            "--cluster-signing-cert-file=" + l.Pki("ca.crt"),
                            "--cluster-signing-key-file=" + l.Pki("ca.key"),
                            "--use-service-account-credentials=false",
                            "--cert-dir=" + l.Path("run/" + name)},
                   .log_file = l.Log(name)},
          .ready = [] { return Result<bool>(true); }};
}

Component Scheduler(const LabLayout& l, const Binaries& b, const std::string& cluster, int port) {
  std::string kc = l.Kubeconfig(cluster);
  std::string name = cluster + "-kube-scheduler";
  return {.spec = {.name = name,
                   .binary = b.kube_scheduler,
                   .args = {"--kubeconfig=" + kc, "--authentication-kubeconfig=" + kc,
                            "--authorization-kubeconfig=" + kc, "--bind-address=127.0.0.1",
                            "--secure-port=" + std::to_string(port), "--leader-elect=false",
                            "--cert-dir=" + l.Path("run/" + name)},
                   .log_file = l.Log(name)},
          .ready = [] { return Result<bool>(true); }};
}

}  // namespace

Result<std::unique_ptr<kube::Client>> AdminClient(const LabLayout& layout, const std::string& cluster) {
  ASSIGN_OR_RETURN(auto cfg, kube::LoadKubeconfig(layout.Kubeconfig(cluster)));
  return kube::Client::New(cfg, {.timeout = std::chrono::milliseconds(10000), .max_read_attempts = 1});
}

std::function<Result<bool>()> HttpOkProbe(const LabLayout& layout, const std::string& cluster,
                                          const std::string& path) {
  return [layout, cluster, path]() -> Result<bool> {
    ASSIGN_OR_RETURN(auto client, AdminClient(layout, cluster));
    ASSIGN_OR_RETURN(auto resp, client->Raw("GET", path));
    return resp.status == 200;
  };
}

Result<std::vector<Stage>> ControlPlaneStages(const LabLayout& l, LabState& state, const Binaries& b) {
  std::vector<std::string> clusters = {kHostCluster, kMemberClusters[0], kMemberClusters[1]};
  ASSIGN_OR_RETURN(int etcd_port, PortFor(state, "etcd"));
  ASSIGN_OR_RETURN(int etcd_peer, PortFor(state, "etcd-peer"));
  std::vector<Stage> stages;
  stages.push_back({"etcd", {Etcd(l, b, etcd_port, etcd_peer)}});

  Stage apiservers{"kube-apiservers", {}};
  for (const auto& c : clusters) {
    ASSIGN_OR_RETURN(int port, PortFor(state, ApiserverName(c)));
    apiservers.components.push_back(Apiserver(l, b, c, port, etcd_port));
    kube::ClusterConfig cfg;
    cfg.server = "https://127.0.0.1:" + std::to_string(port);
    cfg.tls.ca_file = l.Pki("ca.crt");
    cfg.tls.cert_file = l.Pki("admin.crt");
    cfg.tls.key_file = l.Pki("admin.key");
    RETURN_IF_ERROR(WriteFileAtomic(l.Kubeconfig(c), kube::RenderKubeconfig(c, cfg), 0600));
  }
  stages.push_back(std::move(apiservers));

  Stage controllers{"controller-managers and schedulers", {}};
  for (const auto& c : clusters) {
    ASSIGN_OR_RETURN(int port, PortFor(state, c + "-kube-controller-manager"));
    controllers.components.push_back(ControllerManager(l, b, c, port));
    if (c == kHostCluster) continue;
    ASSIGN_OR_RETURN(int sport, PortFor(state, c + "-kube-scheduler"));
    controllers.components.push_back(Scheduler(l, b, c, sport));
  }
  stages.push_back(std::move(controllers));
  return stages;
}

}  // namespace kbr::lab
