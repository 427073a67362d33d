// AccessChecker: decides whether a caller may read what the server's informer
// cache holds, by asking the apiserver as the caller (SelfSubjectAccessReview)
// and remembering the answer per (token, verb, resource, namespace) for a
// short TTL — so a cached read never shows what RBAC hides, and the apiserver
// is not asked on every request. Tokens are kept only as SHA-256 hashes.
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "kube/client.h"

namespace kbr::api {

struct Access {
  std::string verb;      // "list", "get", ...
  std::string group;     // "migration.dcnlab.com"
  std::string resource;  // "statefulmigrations"
  std::string ns;        // "" for cluster-wide
};

class AccessChecker {
 public:
  explicit AccessChecker(Clock& clock = SystemClock(), Duration ttl = Duration(10000)) : clock_(clock), ttl_(ttl) {}

  // OK when allowed; PermissionDenied "<user> may not <verb> <resource> in
  // <ns>: <reason>" when denied; Unauthenticated for a bad token; other
  // errors as the apiserver reports them (not cached).
  Status Check(kube::Client& caller, const std::string& token, const Access& access);

  size_t CacheSize() const;

 private:
  struct Entry {
    bool allowed;
    std::string reason;
    std::chrono::steady_clock::time_point expires;
  };
  Clock& clock_;
  Duration ttl_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> cache_;  // GUARDED_BY(mu_)
};

}  // namespace kbr::api
