// Settings routes: GET /api/v1/backup/settings/clusters and
// GET /settings/clusters/:name — every Karmada Cluster with readiness,
// version, nodes and the state of kbr's agent on it — plus the controller
// install/uninstall/status/logs routes, which answer 501 until the install
// manager exists.
//
// Controller state, from the agent DaemonSet kbr-system/kbr-agent on the
// member (read through MemberAccess as the caller):
//   absent                                           → NotInstalled
//   every scheduled agent pod ready (at least one)   → Healthy, version = image tag
//   none scheduled or not all ready, created < 10 min → Installing
//   otherwise                                        → Degraded, message says why
//   member not Ready or the DaemonSet unreadable     → Unknown, message says why
#include <future>

#include "api/list_query.h"
#include "api/routes.h"
#include "core/ids.h"
#include "core/json.h"
#include "karmada/clusters.h"
#include "karmada/member_access.h"

namespace kbr::api {

namespace bj = boost::json;

namespace {

constexpr const char* kBase = "/api/v1/backup/settings/clusters";
constexpr const char* kAgentNamespace = "kbr-system";
constexpr const char* kAgentDaemonSet = "kbr-agent";
// How long a DaemonSet whose pods are not all ready counts as still installing.
constexpr auto kInstallGrace = std::chrono::minutes(10);

constexpr const char* kNotImplemented =
    "controller installation is not implemented yet; see issue 5 (install-controller, uninstall-controller, "
    "controller-status and controller-logs come with the install manager). GET /api/v1/backup/settings/clusters "
    "shows each cluster's controller state";

struct ControllerState {
  std::string state;
  std::string version;
  std::string message;
};

// "reg:5000/kbr/agent:v0.1.0@sha256:..." → "v0.1.0"; no tag → "latest".
std::string ImageTag(std::string image) {
  if (auto at = image.find('@'); at != std::string::npos) image.resize(at);
  auto colon = image.rfind(':');
  auto slash = image.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return "latest";
  return image.substr(colon + 1);
}

// The agent container's image: the container named like the DaemonSet or
// "agent", else the first.
std::string AgentImage(const bj::value& ds) {
  const bj::value* containers = json::Find(ds, "spec.template.spec.containers");
  if (!containers || !containers->is_array() || containers->as_array().empty()) return "";
  for (const auto& c : containers->as_array()) {
    std::string name = json::GetString(c, "name");
    if (name == kAgentDaemonSet || name == "agent") return json::GetString(c, "image");
  }
  return json::GetString(containers->as_array().front(), "image");
}

ControllerState StateFromDaemonSet(const bj::value& ds, TimePoint now) {
  int64_t desired = json::GetInt(ds, "status.desiredNumberScheduled");
  int64_t ready = json::GetInt(ds, "status.numberReady");
  std::string version = ImageTag(AgentImage(ds));
  TimePoint created{};
  bool recent = ParseRfc3339(json::GetString(ds, "metadata.creationTimestamp"), &created) &&
                now - created < kInstallGrace;
  std::string counts = std::to_string(ready) + " of " + std::to_string(desired) + " agent pods ready";
  if (desired > 0 && ready >= desired) return {"Healthy", version, counts};
  if (recent) {
    return {"Installing", version, desired == 0 ? "waiting for agent pods to be scheduled" : counts};
  }
  if (desired == 0) return {"Degraded", version, "no node runs the agent (0 pods scheduled)"};
  return {"Degraded", version, counts};
}

ControllerState ProbeController(Request& req, Services& s, const karmada::ClusterInfo& c) {
  if (!c.ready) return {"Unknown", "", "cluster is not Ready, so its controller cannot be checked"};
  std::string where = std::string(kAgentNamespace) + "/" + kAgentDaemonSet + " on " + c.name;
  auto access = karmada::NewMemberAccess(s.member_access, *req.caller);
  if (!access.ok()) return {"Unknown", "", access.status().message()};
  auto member = (*access)->ClientFor(c.name);
  if (!member.ok()) return {"Unknown", "", "cannot reach " + c.name + ": " + member.status().message()};
  auto ds = (*member)->Get(kube::resources::kDaemonSets, kAgentNamespace, kAgentDaemonSet);
  if (!ds.ok()) {
    if (ds.status().code() == StatusCode::kNotFound) {
      return {"NotInstalled", "", "the kbr agent DaemonSet " + where + " does not exist"};
    }
    return {"Unknown", "", "cannot read " + where + ": " + ds.status().message()};
  }
  return StateFromDaemonSet(*ds, s.clock->Now());
}

bj::value ClusterView(const karmada::ClusterInfo& c, const ControllerState& st) {
  return bj::object{{"name", c.name},
                    {"ready", c.ready},
                    {"message", c.ready_message},
                    {"kubernetesVersion", c.kubernetes_version},
                    {"syncMode", c.sync_mode},
                    {"apiEndpoint", c.api_endpoint},
                    {"nodeCount", c.nodes_total},
                    {"readyNodeCount", c.nodes_ready},
                    {"createdAt", c.created},
                    {"controller", {{"state", st.state}, {"version", st.version}, {"message", st.message}}}};
}

Reply List(Request& req, Services& s) {
  auto q = ParseListQuery(req.http);
  if (!q.ok()) return Error(q.status());
  auto clusters = karmada::ListClusters(*req.caller);
  if (!clusters.ok()) return Error(clusters.status());
  // Members answer in parallel: one slow member does not add up.
  std::vector<std::future<ControllerState>> probes;
  probes.reserve(clusters->size());
  for (const auto& c : *clusters) {
    probes.push_back(std::async(std::launch::async, [&req, &s, &c] { return ProbeController(req, s, c); }));
  }
  std::vector<bj::value> items;
  for (size_t i = 0; i < clusters->size(); ++i) items.push_back(ClusterView((*clusters)[i], probes[i].get()));
  return Ok(Paginate(std::move(items), *q, "clusters"));
}

Reply Get(Request& req, Services& s) {
  const std::string& name = req.Param("name");
  if (!IsDns1123Subdomain(name)) {
    return Error(Status::NotFound("cluster '" + name.substr(0, 80) + "' not found"));
  }
  auto c = karmada::GetCluster(*req.caller, name);
  if (!c.ok()) return Error(c.status());
  return Ok(ClusterView(*c, ProbeController(req, s, *c)));
}

Reply NotImplemented(Request&) { return Error(Status::Unimplemented(kNotImplemented)); }

}  // namespace

void AddSettingsRoutes(Router& router, Services& s) {
  const std::string base = kBase;
  router.Add({.method = "GET", .pattern = base, .handler = [&s](Request& r) { return List(r, s); },
              .summary = "List Karmada clusters with readiness, version, nodes and kbr controller state",
              .tag = "Settings", .response_schema = "ClusterList", .list = true});
  router.Add({.method = "GET", .pattern = base + "/:name", .handler = [&s](Request& r) { return Get(r, s); },
              .summary = "Get a cluster with its kbr controller state", .tag = "Settings",
              .response_schema = "Cluster"});
  const std::string later = " (not implemented yet: answers 501)";
  router.Add({.method = "POST", .pattern = base + "/install-controller", .handler = NotImplemented,
              .summary = "Install the kbr controller on a cluster" + later, .tag = "Settings",
              .success_status = 501});
  router.Add({.method = "POST", .pattern = base + "/uninstall-controller", .handler = NotImplemented,
              .summary = "Uninstall the kbr controller from a cluster" + later, .tag = "Settings",
              .success_status = 501});
  router.Add({.method = "GET", .pattern = base + "/:name/controller-status", .handler = NotImplemented,
              .summary = "Check the kbr controller on a cluster" + later, .tag = "Settings",
              .success_status = 501});
  router.Add({.method = "GET", .pattern = base + "/:name/controller-logs", .handler = NotImplemented,
              .summary = "Read the kbr controller's logs on a cluster" + later, .tag = "Settings",
              .success_status = 501});
}

}  // namespace kbr::api
