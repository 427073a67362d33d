// Kubelet API authentication and authorization of the lab node: the
// webhook mode of the real kubelet (TokenReview, SubjectAccessReview).
#include <map>
#include <mutex>

#include "core/json.h"
#include "core/log.h"
#include "lab/node_api.h"
#include "registry/digest.h"

namespace kbr::lab {
namespace bj = boost::json;

namespace {

const kube::Resource kTokenReviews{"authentication.k8s.io", "v1", "tokenreviews", false};
const kube::Resource kSubjectAccessReviews{"authorization.k8s.io", "v1", "subjectaccessreviews", false};
constexpr auto kCacheTtl = std::chrono::seconds(10);

class ApiserverAuth final : public KubeletAuth {
 public:
  ApiserverAuth(kube::Client& client, std::string node, Clock& clock)
      : client_(client), node_(std::move(node)), clock_(clock) {}

  Status Authorize(const http::ServerRequest& req, const RequestAttributes& attrs) override {
    // The server verified this certificate against the lab CA, which issues
    // only the lab's own identities (the apiservers' kubelet client, admin).
    if (!req.client_cert_cn.empty()) return Status::Ok();
    std::string auth = req.Header("authorization");
    if (auth.size() <= 7 || auth.compare(0, 7, "Bearer ") != 0) {
      return Status::Unauthenticated("no client certificate or bearer token");
    }
    std::string token = auth.substr(7);
    std::string key = registry::DigestOf(token) + "|" + attrs.verb + "|" + attrs.subresource;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (auto it = cache_.find(key); it != cache_.end() && clock_.Now() < it->second.expires) {
        return it->second.decision;
      }
    }
    Status decision = Decide(token, attrs);
    if (decision.code() != StatusCode::kUnavailable) {
      std::lock_guard<std::mutex> l(mu_);
      if (cache_.size() > 1000) cache_.clear();
      cache_[key] = {decision, clock_.Now() + kCacheTtl};
    }
    return decision;
  }

 private:
  struct Entry {
    Status decision;
    TimePoint expires;
  };

  Status Decide(const std::string& token, const RequestAttributes& attrs) {
    bj::value review = {{"apiVersion", "authentication.k8s.io/v1"},
                        {"kind", "TokenReview"},
                        {"spec", {{"token", token}}}};
    auto reviewed = client_.Create(kTokenReviews, "", review);
    if (!reviewed.ok()) return Status::Unavailable("token review failed: " + reviewed.status().message());
    if (!json::GetBool(*reviewed, "status.authenticated")) {
      return Status::Unauthenticated("token rejected by the apiserver");
    }
    const bj::value* user = json::Find(*reviewed, "status.user");
    std::string username = user ? json::GetString(*user, "username") : "";
    bj::object spec{{"user", username},
                    {"resourceAttributes",
                     {{"verb", attrs.verb},
                      {"resource", "nodes"},
                      {"subresource", attrs.subresource},
                      {"name", node_},
                      {"version", "v1"}}}};
    if (user) {
      for (const char* f : {"groups", "uid", "extra"}) {
        if (const auto* v = json::Find(*user, f)) spec[f] = *v;
      }
    }
    bj::value sar = {{"apiVersion", "authorization.k8s.io/v1"}, {"kind", "SubjectAccessReview"}, {"spec", spec}};
    auto decided = client_.Create(kSubjectAccessReviews, "", sar);
    if (!decided.ok()) return Status::Unavailable("access review failed: " + decided.status().message());
    if (json::GetBool(*decided, "status.allowed")) return Status::Ok();
    spdlog::info("kubelet API: {} denied {} nodes/{}", username, attrs.verb, attrs.subresource);
    return Status::PermissionDenied("Forbidden (user=" + username + ", verb=" + attrs.verb +
                                    ", resource=nodes, subresource=" + attrs.subresource + ")");
  }

  kube::Client& client_;
  std::string node_;
  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, Entry> cache_;  // GUARDED_BY(mu_)
};

}  // namespace

RequestAttributes AttributesFor(const http::ServerRequest& req) {
  static const std::map<std::string, std::string> kVerbs = {
      {"GET", "get"}, {"HEAD", "get"}, {"POST", "create"}, {"PUT", "update"}, {"PATCH", "patch"}, {"DELETE", "delete"}};
  auto it = kVerbs.find(req.method);
  std::string verb = it == kVerbs.end() ? "*" : it->second;
  std::string sub = req.path.rfind("/checkpoint/", 0) == 0 ? "checkpoint" : "proxy";
  return {verb, sub};
}

std::unique_ptr<KubeletAuth> NewApiserverAuth(kube::Client& client, std::string node_name, Clock& clock) {
  return std::make_unique<ApiserverAuth>(client, std::move(node_name), clock);
}

}  // namespace kbr::lab
