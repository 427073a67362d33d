#include "api/access.h"

#include <openssl/sha.h>

#include "core/json.h"

namespace kbr::api {

namespace bj = boost::json;

namespace {

std::string Sha256(const std::string& s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : d) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace

Status AccessChecker::Check(kube::Client& caller, const std::string& token, const Access& a) {
  std::string key = Sha256(token) + "|" + a.verb + "|" + a.group + "|" + a.resource + "|" + a.ns;
  auto now = clock_.Steady();
  auto describe = [&] {
    return "may not " + a.verb + " " + a.resource + (a.ns.empty() ? "" : " in namespace " + a.ns);
  };
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expires > now) {
      if (it->second.allowed) return Status::Ok();
      return Status::PermissionDenied("forbidden: caller " + describe() + it->second.reason);
    }
  }
  bj::object attrs{{"verb", a.verb}, {"group", a.group}, {"resource", a.resource}};
  if (!a.ns.empty()) attrs["namespace"] = a.ns;
  bj::value review = {{"apiVersion", "authorization.k8s.io/v1"},
                      {"kind", "SelfSubjectAccessReview"},
                      {"spec", {{"resourceAttributes", std::move(attrs)}}}};
  ASSIGN_OR_RETURN(auto answer, caller.Create(kube::resources::kSelfSubjectAccessReviews, "", review));
  bool allowed = json::GetBool(answer, "status.allowed");
  std::string reason = json::GetString(answer, "status.reason");
  if (!reason.empty()) reason = ": " + reason;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (cache_.size() > 10000) cache_.clear();
    cache_[key] = {allowed, reason, now + ttl_};
  }
  if (allowed) return Status::Ok();
  return Status::PermissionDenied("forbidden: caller " + describe() + reason);
}

size_t AccessChecker::CacheSize() const {
  std::lock_guard<std::mutex> l(mu_);
  return cache_.size();
}

}  // namespace kbr::api
