#include "lab/node_registration.h"

#include "core/json.h"

namespace kbr::lab {
namespace bj = boost::json;
namespace res = kube::resources;

namespace {

Status WriteStatus(kube::Client& client, const NodeIdentity& node, Clock& clock) {
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(bj::value obj, client.Get(res::kNodes, "", node.name));
    SetNodeStatus(obj, node, clock.Now());
    auto updated = client.UpdateStatus(res::kNodes, "", obj);
    if (updated.ok() || updated.status().code() != StatusCode::kConflict || attempt >= 1) {
      return updated.status();
    }
  }
}

Status RenewNodeLease(kube::Client& client, const NodeIdentity& node, const std::string& uid, Clock& clock) {
  for (int attempt = 0;; ++attempt) {
    auto existing = client.Get(res::kLeases, "kube-node-lease", node.name);
    if (!existing.ok() && existing.status().code() != StatusCode::kNotFound) return existing.status();
    std::optional<bj::value> current;
    if (existing.ok()) current = *existing;
    bj::value lease = RenewLease(current, node, uid, clock.Now());
    auto written = current ? client.Update(res::kLeases, "kube-node-lease", lease)
                           : client.Create(res::kLeases, "kube-node-lease", lease);
    if (written.ok()) return Status::Ok();
    StatusCode code = written.status().code();
    if ((code != StatusCode::kConflict && code != StatusCode::kAlreadyExists) || attempt >= 1) {
      return written.status();
    }
  }
}

}  // namespace

Result<std::string> RegisterNode(kube::Client& client, const NodeIdentity& node, Clock& clock) {
  auto existing = client.Get(res::kNodes, "", node.name);
  if (!existing.ok()) {
    if (existing.status().code() != StatusCode::kNotFound) return existing.status();
    auto created = client.Create(res::kNodes, "", NewNodeObject(node));
    if (!created.ok() && created.status().code() != StatusCode::kAlreadyExists) return created.status();
  }
  RETURN_IF_ERROR(WriteStatus(client, node, clock));
  ASSIGN_OR_RETURN(bj::value obj, client.Get(res::kNodes, "", node.name));
  return json::GetString(obj, "metadata.uid");
}

Status Heartbeat(kube::Client& client, const NodeIdentity& node, const std::string& node_uid, Clock& clock) {
  RETURN_IF_ERROR(RenewNodeLease(client, node, node_uid, clock).Annotate("renew lease"));
  return WriteStatus(client, node, clock).Annotate("node status");
}

}  // namespace kbr::lab
