#include "kube/discovery.h"

#include "core/json.h"

namespace kbr::kube {

Result<Resource> Discovery::ResourceFor(const std::string& api_version, const std::string& kind) {
  {
    std::lock_guard<std::mutex> l(mu_);
    auto gv = by_group_version_.find(api_version);
    if (gv != by_group_version_.end()) {
      auto it = gv->second.find(kind);
      if (it != gv->second.end()) return it->second;
    }
  }
  auto slash = api_version.find('/');
  std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  std::string version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
  std::string path = group.empty() ? "/api/" + version : "/apis/" + api_version;
  auto list = client_.RawGet(path);
  if (!list.ok()) {
    if (list.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("no resource of kind " + kind + " in apiVersion " + api_version);
    }
    return list.status();
  }
  std::map<std::string, Resource> kinds;
  if (const auto* rs = json::Find(*list, "resources"); rs && rs->is_array()) {
    for (const auto& r : rs->as_array()) {
      std::string name = json::GetString(r, "name");
      if (name.find('/') != std::string::npos) continue;  // subresources
      kinds[json::GetString(r, "kind")] = Resource{group, version, name, json::GetBool(r, "namespaced")};
    }
  }
  std::lock_guard<std::mutex> l(mu_);
  by_group_version_[api_version] = kinds;
  auto it = kinds.find(kind);
  if (it == kinds.end()) return Status::NotFound("no resource of kind " + kind + " in apiVersion " + api_version);
  return it->second;
}

Result<Resource> Discovery::ResourceFor(const boost::json::value& obj) {
  return ResourceFor(json::GetString(obj, "apiVersion"), json::GetString(obj, "kind"));
}

void Discovery::Invalidate() {
  std::lock_guard<std::mutex> l(mu_);
  by_group_version_.clear();
}

Status ApplyObjects(Client& client, Discovery& discovery, const std::vector<boost::json::value>& objs,
                    const std::string& field_manager) {
  for (const auto& obj : objs) {
    ASSIGN_OR_RETURN(Resource r, discovery.ResourceFor(obj));
    auto applied = client.Apply(r, json::GetString(obj, "metadata.namespace"), obj, field_manager);
    if (!applied.ok()) return applied.status();
  }
  return Status::Ok();
}

}  // namespace kbr::kube
