// Discovery: maps an object's apiVersion + kind to its REST resource (plural,
// namespaced) by asking the apiserver, as kubectl's RESTMapper does; answers
// are cached per group-version. Thread-safe.
#pragma once

#include <boost/json/value.hpp>

#include <map>
#include <mutex>
#include <string>

#include "kube/client.h"

namespace kbr::kube {

class Discovery {
 public:
  explicit Discovery(Client& client) : client_(client) {}

  // NotFound "no resource of kind K in apiVersion V" when the server does not
  // serve it (e.g. its CRD is not installed yet); a failed lookup is not cached.
  Result<Resource> ResourceFor(const std::string& api_version, const std::string& kind);
  Result<Resource> ResourceFor(const boost::json::value& obj);
  // Forgets cached group-versions (after installing CRDs).
  void Invalidate();

 private:
  Client& client_;
  std::mutex mu_;
  std::map<std::string, std::map<std::string, Resource>> by_group_version_;  // GUARDED_BY(mu_)
};

// Server-side applies each object (resolving its resource by discovery).
Status ApplyObjects(Client& client, Discovery& discovery, const std::vector<boost::json::value>& objs,
                    const std::string& field_manager);

}  // namespace kbr::kube
