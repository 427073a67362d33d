#include "karmada/member_access.h"

#include "core/base64.h"
#include "core/json.h"
#include "karmada/clusters.h"

namespace kbr::karmada {

namespace {

class ProxyAccess final : public MemberAccess {
 public:
  explicit ProxyAccess(kube::Client& host) : host_(host) {}
  Result<std::unique_ptr<kube::Client>> ClientFor(const std::string& cluster) override {
    return host_.WithPathPrefix(kClusters.ObjectPath("", cluster) + "/proxy");
  }

 private:
  kube::Client& host_;
};

class DirectAccess final : public MemberAccess {
 public:
  explicit DirectAccess(kube::Client& host) : host_(host) {}
  Result<std::unique_ptr<kube::Client>> ClientFor(const std::string& cluster) override {
    auto c = host_.Get(kClusters, "", cluster);
    if (!c.ok()) {
      if (c.status().code() == StatusCode::kNotFound) return Status::NotFound("cluster '" + cluster + "' not found");
      return c.status();
    }
    std::string endpoint = json::GetString(*c, "spec.apiEndpoint");
    std::string ns = json::GetString(*c, "spec.secretRef.namespace");
    std::string name = json::GetString(*c, "spec.secretRef.name");
    if (endpoint.empty() || name.empty()) {
      return Status::FailedPrecondition("cluster '" + cluster + "' has no apiEndpoint/secretRef (Pull mode?)");
    }
    ASSIGN_OR_RETURN(auto secret, host_.Get(kube::resources::kSecrets, ns, name));
    kube::ClusterConfig cfg;
    cfg.server = endpoint;
    ASSIGN_OR_RETURN(cfg.bearer_token, Base64Decode(json::GetString(secret, "data.token")));
    ASSIGN_OR_RETURN(cfg.tls.ca_data, Base64Decode(json::GetString(secret, "data.caBundle")));
    cfg.tls.insecure_skip_verify = json::GetBool(*c, "spec.insecureSkipTLSVerification");
    return kube::Client::New(cfg);
  }

 private:
  kube::Client& host_;
};

}  // namespace

std::unique_ptr<MemberAccess> NewProxyMemberAccess(kube::Client& host) { return std::make_unique<ProxyAccess>(host); }
std::unique_ptr<MemberAccess> NewDirectMemberAccess(kube::Client& host) {
  return std::make_unique<DirectAccess>(host);
}

Result<std::unique_ptr<MemberAccess>> NewMemberAccess(const std::string& mode, kube::Client& host) {
  if (mode == "proxy") return NewProxyMemberAccess(host);
  if (mode == "direct") return NewDirectMemberAccess(host);
  return Status::InvalidArgument("member access mode '" + mode + "': expected proxy or direct");
}

}  // namespace kbr::karmada
