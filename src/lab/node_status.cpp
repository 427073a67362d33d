#include "lab/node_status.h"

#include <sys/utsname.h>

#include "core/json.h"

namespace kbr::lab {
namespace bj = boost::json;

namespace {

constexpr const char* kLoopback = "127.0.0.1";

bj::object Terminated(const Termination& t, const std::string& container_id) {
  bj::object o{{"exitCode", t.exit_code},
               {"reason", t.reason},
               {"startedAt", FormatRfc3339(t.started_at)},
               {"finishedAt", FormatRfc3339(t.finished_at)}};
  if (!container_id.empty()) o["containerID"] = container_id;
  return o;
}

// A condition that keeps the previous lastTransitionTime while its status holds.
bj::object Condition(const bj::value& old_status, const std::string& type, bool status, const std::string& reason,
                     const std::string& message, TimePoint now) {
  std::string s = status ? "True" : "False";
  std::string since = FormatRfc3339(now);
  if (const auto* conds = json::Find(old_status, "conditions"); conds && conds->is_array()) {
    for (const auto& c : conds->as_array()) {
      if (json::GetString(c, "type") == type && json::GetString(c, "status") == s) {
        since = json::GetString(c, "lastTransitionTime", since);
      }
    }
  }
  bj::object o{{"type", type}, {"status", s}, {"lastProbeTime", nullptr}, {"lastTransitionTime", since}};
  if (!reason.empty()) o["reason"] = reason;
  if (!message.empty()) o["message"] = message;
  return o;
}

bj::object ContainerStatusOf(const ContainerView& v) {
  bj::object cs{{"name", v.name}, {"image", v.image}, {"imageID", ""}, {"ready", false}, {"restartCount", 0},
                {"started", false}, {"lastState", bj::object()}};
  if (!v.state) {
    Waiting w = v.waiting.value_or(Waiting{"ContainerCreating", ""});
    bj::object wo{{"reason", w.reason}};
    if (!w.message.empty()) wo["message"] = w.message;
    cs["state"] = bj::object{{"waiting", std::move(wo)}};
    return cs;
  }
  const ContainerState& s = *v.state;
  std::string cid = "kbr-lab://" + s.id;
  cs["imageID"] = s.spec.image_id;
  cs["containerID"] = cid;
  cs["restartCount"] = s.restart_count;
  if (s.running) {
    cs["ready"] = s.ready;
    cs["started"] = true;
    cs["state"] = bj::object{{"running", bj::object{{"startedAt", FormatRfc3339(s.started_at)}}}};
    if (s.last_terminated) cs["lastState"] = bj::object{{"terminated", Terminated(*s.last_terminated, "")}};
  } else if (v.waiting && s.terminated) {
    bj::object wo{{"reason", v.waiting->reason}};
    if (!v.waiting->message.empty()) wo["message"] = v.waiting->message;
    cs["state"] = bj::object{{"waiting", std::move(wo)}};
    cs["lastState"] = bj::object{{"terminated", Terminated(*s.terminated, cid)}};
  } else if (s.terminated) {
    cs["state"] = bj::object{{"terminated", Terminated(*s.terminated, cid)}};
    if (s.last_terminated) cs["lastState"] = bj::object{{"terminated", Terminated(*s.last_terminated, "")}};
  }
  return cs;
}

std::string Arch() {
  utsname u{};
  if (::uname(&u) != 0) return "amd64";
  std::string m = u.machine;
  return m == "x86_64" ? "amd64" : m == "aarch64" ? "arm64" : m;
}

std::string Kernel() {
  utsname u{};
  return ::uname(&u) == 0 ? std::string(u.release) : "";
}

}  // namespace

bool ShouldRestart(const bj::value& pod, const Termination& t) {
  std::string policy = json::GetString(pod, "spec.restartPolicy", "Always");
  if (policy == "Never") return false;
  if (policy == "OnFailure") return t.exit_code != 0;
  return true;
}

std::chrono::seconds RestartBackoff(int restarts) {
  int64_t s = 10;
  for (int i = 0; i < restarts && s < 300; ++i) s *= 2;
  return std::chrono::seconds(std::min<int64_t>(s, 300));
}

bj::value BuildPodStatus(const bj::value& pod, const std::vector<ContainerView>& containers, TimePoint now) {
  bj::value old = bj::object();
  if (const auto* s = json::Find(pod, "status"); s && s->is_object()) old = *s;
  bj::value status = old;
  bj::object& st = status.as_object();

  bool all_started = true, all_ready = true, all_done = true, all_zero = true;
  std::string unready;
  bj::array statuses;
  for (const auto& v : containers) {
    statuses.push_back(ContainerStatusOf(v));
    all_started &= v.state.has_value();
    bool ready = v.state && v.state->running && v.state->ready;
    all_ready &= ready;
    if (!ready) unready += (unready.empty() ? "" : " ") + v.name;
    bool done = v.state && !v.state->running && v.state->terminated && !ShouldRestart(pod, *v.state->terminated);
    all_done &= done;
    if (done) all_zero &= v.state->terminated->exit_code == 0;
  }
  if (containers.empty()) all_done = all_started = false;
  std::string phase = !all_started ? "Pending" : all_done ? (all_zero ? "Succeeded" : "Failed") : "Running";

  std::string not_ready_msg = unready.empty() ? "" : "containers with unready status: [" + unready + "]";
  bool terminal = phase == "Succeeded" || phase == "Failed";
  std::string reason = terminal ? "PodCompleted" : all_ready ? "" : "ContainersNotReady";
  bj::array conds;
  conds.push_back(Condition(old, "PodReadyToStartContainers", !terminal, "", "", now));
  conds.push_back(Condition(old, "Initialized", true, terminal ? "PodCompleted" : "", "", now));
  conds.push_back(Condition(old, "Ready", all_ready && !terminal, reason, terminal ? "" : not_ready_msg, now));
  conds.push_back(
      Condition(old, "ContainersReady", all_ready && !terminal, reason, terminal ? "" : not_ready_msg, now));
  conds.push_back(Condition(old, "PodScheduled", true, "", "", now));

  st["phase"] = phase;
  st["conditions"] = std::move(conds);
  st["hostIP"] = kLoopback;
  st["hostIPs"] = bj::array{bj::object{{"ip", kLoopback}}};
  st["podIP"] = kLoopback;
  st["podIPs"] = bj::array{bj::object{{"ip", kLoopback}}};
  if (json::GetString(old, "startTime").empty()) st["startTime"] = FormatRfc3339(now);
  st["containerStatuses"] = std::move(statuses);
  return status;
}

bj::value NewNodeObject(const NodeIdentity& node) {
  std::string arch = Arch();
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata",
           {{"name", node.name},
            {"labels",
             {{"kubernetes.io/hostname", node.name},
              {"kubernetes.io/os", "linux"},
              {"kubernetes.io/arch", arch},
              {"beta.kubernetes.io/os", "linux"},
              {"beta.kubernetes.io/arch", arch},
              {"lab.kbr.io/node", "true"}}},
            {"annotations",
             {{"node.alpha.kubernetes.io/ttl", "0"},
              {"volumes.kubernetes.io/controller-managed-attach-detach", "true"}}}}},
          {"spec", bj::object()}};
}

void SetNodeStatus(bj::value& node, const NodeIdentity& id, TimePoint now) {
  bj::value old = bj::object();
  if (const auto* s = json::Find(node, "status"); s && s->is_object()) old = *s;
  std::string beat = FormatRfc3339(now);
  auto cond = [&](const char* type, bool status, const char* reason, const char* message) {
    bj::object c = Condition(old, type, status, reason, message, now);
    c.erase("lastProbeTime");
    c["lastHeartbeatTime"] = beat;
    return c;
  };
  bj::object resources{{"cpu", "4"}, {"memory", "8Gi"}, {"pods", "110"}, {"ephemeral-storage", "100Gi"}};
  bj::value status = old;
  bj::object& st = status.as_object();
  st["addresses"] = bj::array{bj::object{{"type", "InternalIP"}, {"address", kLoopback}},
                              bj::object{{"type", "Hostname"}, {"address", id.name}}};
  st["capacity"] = resources;
  st["allocatable"] = resources;
  st["daemonEndpoints"] = bj::object{{"kubeletEndpoint", bj::object{{"Port", id.port}}}};
  st["conditions"] =
      bj::array{cond("MemoryPressure", false, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                cond("DiskPressure", false, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                cond("PIDPressure", false, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                cond("Ready", true, "KubeletReady", "kubelet is posting ready status")};
  st["nodeInfo"] = bj::object{{"machineID", id.name},
                              {"systemUUID", id.name},
                              {"bootID", ""},
                              {"kernelVersion", Kernel()},
                              {"osImage", "kbr lab node"},
                              {"containerRuntimeVersion", std::string("kbr-lab://") + KBR_VERSION},
                              {"kubeletVersion", kLabKubeletVersion},
                              {"operatingSystem", "linux"},
                              {"architecture", Arch()}};
  node.as_object()["status"] = std::move(status);
}

std::string FormatMicroTime(TimePoint t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
  std::string base = FormatRfc3339(t);  // ...Z
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(us < 0 ? us + 1000000 : us));
  return base.substr(0, base.size() - 1) + frac + "Z";
}

bj::value RenewLease(const std::optional<bj::value>& existing, const NodeIdentity& node, const std::string& node_uid,
                     TimePoint now) {
  bj::value lease = existing ? *existing
                             : bj::value{{"apiVersion", "coordination.k8s.io/v1"},
                                         {"kind", "Lease"},
                                         {"metadata", {{"name", node.name}, {"namespace", "kube-node-lease"}}}};
  if (!node_uid.empty() && !json::Find(lease, "metadata.ownerReferences")) {
    json::Set(lease, "metadata.ownerReferences",
              bj::array{bj::object{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node.name}, {"uid", node_uid}}});
  }
  json::Set(lease, "spec.holderIdentity", bj::value(node.name));
  json::Set(lease, "spec.leaseDurationSeconds", bj::value(40));
  json::Set(lease, "spec.renewTime", bj::value(FormatMicroTime(now)));
  return lease;
}

}  // namespace kbr::lab
