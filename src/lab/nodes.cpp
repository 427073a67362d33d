#include "lab/nodes.h"

#include "core/http.h"
#include "core/json.h"
#include "kube/conditions.h"
#include "lab/node_certs.h"

namespace kbr::lab {

namespace {

bool NodeReady(const LabLayout& l, const LabNodeInfo& n) {
  auto client = AdminClient(l, n.cluster);
  if (!client.ok()) return false;
  auto node = (*client)->Get(kube::resources::kNodes, "", n.name);
  if (!node.ok()) return false;
  return kube::ConditionTrue(*node, "Ready");
}

}  // namespace

const std::vector<LabNodeInfo>& LabNodes() {
  static const std::vector<LabNodeInfo> nodes = {{"member1-node1", "member1"}, {"member2-node1", "member2"}};
  return nodes;
}

Result<std::vector<Stage>> NodeStages(const LabLayout& l, LabState& state, const Binaries& b) {
  Stage stage{"lab nodes", {}};
  for (const auto& n : LabNodes()) {
    ASSIGN_OR_RETURN(int port, PortFor(state, n.name));
    Component c;
    c.spec = {.name = n.name,
              .binary = b.kbr,
              .args = {"lab-node", "--dir", l.dir, "--node", n.name, "--cluster", n.cluster, "--port",
                       std::to_string(port)},
              .log_file = l.Log(n.name)};
    c.ready = [l, n, port]() -> Result<bool> {
      ASSIGN_OR_RETURN(auto http, http::NewCurlClient({.ca_file = l.Pki("ca.crt")}));
      ASSIGN_OR_RETURN(auto resp, http->Do({.url = "https://127.0.0.1:" + std::to_string(port) + "/healthz",
                                            .timeout = std::chrono::milliseconds(2000)}));
      return resp.status == 200 && NodeReady(l, n);
    };
    stage.components.push_back(std::move(c));
  }
  stage.prepare = [l]() -> Status {
    for (const auto& n : LabNodes()) RETURN_IF_ERROR(EnsureNodeCertificate(l, n.name));
    return Status::Ok();
  };
  return std::vector<Stage>{std::move(stage)};
}

}  // namespace kbr::lab
