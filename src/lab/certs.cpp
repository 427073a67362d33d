#include "lab/certs.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lab/pki.h"

namespace kbr::lab {
namespace fs = std::filesystem;

namespace {

constexpr int kDays = 3650;

Result<CertKey> LoadPair(const LabLayout& l, const std::string& name) {
  CertKey ck;
  for (auto [file, out] : {std::pair{name + ".crt", &ck.cert_pem}, {name + ".key", &ck.key_pem}}) {
    std::ifstream in(l.Pki(file));
    if (!in) return Status::NotFound(l.Pki(file));
    std::stringstream ss;
    ss << in.rdbuf();
    *out = ss.str();
  }
  return ck;
}

Status SavePair(const LabLayout& l, const std::string& name, const CertKey& ck) {
  RETURN_IF_ERROR(WriteFileAtomic(l.Pki(name + ".crt"), ck.cert_pem, 0644));
  return WriteFileAtomic(l.Pki(name + ".key"), ck.key_pem, 0600);
}

Result<CertKey> EnsureCA(const LabLayout& l, const std::string& name, const std::string& cn) {
  auto existing = LoadPair(l, name);
  if (existing.ok()) return existing;
  ASSIGN_OR_RETURN(CertKey ca, NewCA(cn, kDays));
  RETURN_IF_ERROR(SavePair(l, name, ca));
  return ca;
}

Status EnsureLeaf(const LabLayout& l, const CertKey& ca, const std::string& name, CertSpec spec) {
  if (fs::exists(l.Pki(name + ".crt")) && fs::exists(l.Pki(name + ".key"))) return Status::Ok();
  spec.valid_days = kDays;
  ASSIGN_OR_RETURN(CertKey leaf, IssueCert(ca, spec));
  return SavePair(l, name, leaf);
}

}  // namespace

Status EnsureCertificates(const LabLayout& l) {
  fs::create_directories(l.dir + "/pki");
  ASSIGN_OR_RETURN(CertKey ca, EnsureCA(l, "ca", "kbr-lab-ca"));
  ASSIGN_OR_RETURN(CertKey fp, EnsureCA(l, "front-proxy-ca", "kbr-lab-front-proxy-ca"));
  RETURN_IF_ERROR(EnsureLeaf(l, fp, "front-proxy-client", {.common_name = "front-proxy-client", .client = true}));
  RETURN_IF_ERROR(EnsureLeaf(
      l, ca, "apiserver",
      {.common_name = "kube-apiserver",
       .dns_sans = {"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                    "kubernetes.default.svc.cluster.local", "karmada-apiserver.karmada-system.svc"},
       .ip_sans = {"127.0.0.1", "10.96.0.1"},
       .server = true}));
  RETURN_IF_ERROR(EnsureLeaf(
      l, ca, "admin", {.common_name = "kbr-lab-admin", .organizations = {"system:masters"}, .client = true}));
  RETURN_IF_ERROR(EnsureLeaf(l, ca, "kubelet-client",
                             {.common_name = "kube-apiserver-kubelet-client",
                              .organizations = {"system:masters"},
                              .client = true}));
  RETURN_IF_ERROR(EnsureLeaf(l, ca, "karmada-aggregated-apiserver",
                             {.common_name = "karmada-aggregated-apiserver",
                              .dns_sans = {"localhost", "karmada-aggregated-apiserver.karmada-system.svc",
                                           "karmada-aggregated-apiserver.karmada-system.svc.cluster.local"},
                              .ip_sans = {"127.0.0.1"},
                              .server = true}));
  RETURN_IF_ERROR(EnsureLeaf(l, ca, "karmada-webhook",
                             {.common_name = "karmada-webhook",
                              .dns_sans = {"localhost", "karmada-webhook.karmada-system.svc"},
                              .ip_sans = {"127.0.0.1"},
                              .server = true}));
  for (const std::string& cluster : {std::string(kHostCluster), kMemberClusters[0], kMemberClusters[1]}) {
    std::string key = l.Pki("sa-" + cluster + ".key");
    if (fs::exists(key)) continue;
    ASSIGN_OR_RETURN(std::string priv, NewServiceAccountKey());
    ASSIGN_OR_RETURN(std::string pub, PublicKeyPem(priv));
    RETURN_IF_ERROR(WriteFileAtomic(l.Pki("sa-" + cluster + ".pub"), pub, 0644));
    RETURN_IF_ERROR(WriteFileAtomic(key, priv, 0600));
  }
  return Status::Ok();
}

}  // namespace kbr::lab
