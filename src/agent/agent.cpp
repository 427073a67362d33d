#include "agent/agent.h"

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "agent/execution_status.h"
#include "agent/registry_access.h"
#include "agent/restorer.h"
#include "backup/objects.h"
#include "checkpoint/image_builder.h"
#include "checkpoint/kubelet_client.h"
#include "core/json.h"
#include "core/log.h"
#include "kube/informer.h"
#include "kube/kubeconfig.h"
#include "registry/registry.h"

namespace kbr::agent {

namespace bj = boost::json;
namespace res = kube::resources;

namespace {

// One container of one execution to back up on this node.
struct Task {
  std::string execution;
  std::string pod;
  std::string container;
  std::string ns;  // the workload's namespace
};

bool Terminal(const std::string& phase) { return phase == "Completed" || phase == "Failed"; }

class AgentImpl final : public Agent {
 public:
  explicit AgentImpl(AgentOptions o) : opts_(std::move(o)) {}

  Status Init() {
    kube::ClusterConfig cfg;
    if (opts_.kubeconfig.empty()) {
      ASSIGN_OR_RETURN(cfg, kube::InClusterConfig());
    } else {
      ASSIGN_OR_RETURN(cfg, kube::LoadKubeconfig(opts_.kubeconfig));
    }
    cluster_config_ = cfg;
    ASSIGN_OR_RETURN(client_, kube::Client::New(cfg));
    ASSIGN_OR_RETURN(compression_, checkpoint::ParseCompression(opts_.compression));
    executions_ = std::make_unique<kube::Informer>(
        *client_, kube::InformerOptions{.resource = backup::kCheckpointBackups, .ns = opts_.ns});
    auto enqueue = [this](const bj::value& obj) { Enqueue(json::GetString(obj, "metadata.name")); };
    executions_->AddHandler({.on_add = enqueue,
                             .on_update = [enqueue](const bj::value&, const bj::value& o) { enqueue(o); }});
    if (!opts_.restore_dir.empty()) {
      restorer_ = Restorer::New(*client_, {.node_name = opts_.node_name, .ns = opts_.ns,
                                           .restore_dir = opts_.restore_dir});
    }
    return Status::Ok();
  }

  Status Run(const std::function<bool()>& cancelled) override {
    executions_->Start();
    if (restorer_) restorer_->Start();
    std::vector<std::thread> workers;
    for (int i = 0; i < std::max(1, opts_.max_parallel_pushes); ++i) workers.emplace_back([this] { Work(); });
    spdlog::info("kbr agent on node {} watching {}/checkpointbackups", opts_.node_name, opts_.ns);
    // Resync: retries executions whose work failed transiently.
    while (!cancelled()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      if (++ticks_ % 60 == 0) {
        for (const auto& e : executions_->List()) Enqueue(json::GetString(e, "metadata.name"));
        if (restorer_) restorer_->Resync();
      }
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers) t.join();
    if (restorer_) restorer_->Stop();
    executions_->Stop();
    return Status::Ok();
  }

 private:
  // Plans the containers of an execution that run on this node.
  void Enqueue(const std::string& name) {
    auto exec = executions_->Get(opts_.ns, name);
    if (!exec || Terminal(json::GetString(*exec, "status.phase"))) return;
    auto pods = WorkloadPods(*exec);
    if (!pods.ok()) {
      spdlog::warn("execution {}: {}", name, pods.status().message());
      return;
    }
    const bj::value status = json::Find(*exec, "status") ? *json::Find(*exec, "status") : bj::value(bj::object{});
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& pod : *pods) {
      if (json::GetString(pod, "spec.nodeName") != opts_.node_name) continue;
      std::string pod_name = json::GetString(pod, "metadata.name");
      for (const auto& c : json::Find(pod, "spec.containers")->as_array()) {
        Task t{name, pod_name, json::GetString(c, "name"), json::GetString(pod, "metadata.namespace")};
        std::string key = t.execution + "/" + t.pod + "/" + t.container;
        ContainerResult r;
        bool recorded = FindContainerResult(status, t.pod, t.container, &r);
        if (recorded && r.phase == "Failed") continue;
        if (in_flight_.count(key)) continue;
        if (recorded && r.phase == "Completed" && verified_.count(key)) continue;
        in_flight_.insert(key);
        queue_.push_back(std::move(t));
      }
    }
    cv_.notify_all();
  }

  // Every pod of the execution's workload (on any node), from the apiserver.
  Result<std::vector<bj::value>> WorkloadPods(const bj::value& exec) {
    std::string ns = json::GetString(exec, "spec.namespace");
    std::string name = json::GetString(exec, "spec.resourceName");
    if (json::GetString(exec, "spec.resourceType") == "pod") {
      ASSIGN_OR_RETURN(auto pod, client_->Get(res::kPods, ns, name));
      return std::vector<bj::value>{pod};
    }
    ASSIGN_OR_RETURN(auto all, client_->ListAll(res::kPods, ns));
    std::vector<bj::value> out;
    for (auto& p : all) {
      const auto* owners = json::Find(p, "metadata.ownerReferences");
      if (!owners || !owners->is_array()) continue;
      for (const auto& o : owners->as_array()) {
        if (json::GetString(o, "kind") == "StatefulSet" && json::GetString(o, "name") == name) {
          out.push_back(std::move(p));
          break;
        }
      }
    }
    return out;
  }

  std::vector<ExpectedContainer> Expected(const std::vector<bj::value>& pods) {
    std::vector<ExpectedContainer> out;
    for (const auto& p : pods) {
      for (const auto& c : json::Find(p, "spec.containers")->as_array()) {
        out.push_back({json::GetString(p, "metadata.name"), json::GetString(c, "name")});
      }
    }
    return out;
  }

  void Work() {
    while (true) {
      Task t;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [this] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        t = std::move(queue_.front());
        queue_.pop_front();
      }
      std::string key = t.execution + "/" + t.pod + "/" + t.container;
      bool verified = Process(t);
      std::lock_guard<std::mutex> l(mu_);
      in_flight_.erase(key);
      if (verified) verified_.insert(key);
    }
  }

  // Writes one container's result (read-modify-write with retries on Conflict).
  Status Record(const Task& t, ContainerResult r) {
    r.pod = t.pod;
    r.container = t.container;
    r.node = opts_.node_name;
    for (int attempt = 0; attempt < 8; ++attempt) {
      ASSIGN_OR_RETURN(auto exec, client_->Get(backup::kCheckpointBackups, opts_.ns, t.execution));
      ASSIGN_OR_RETURN(auto pods, WorkloadPods(exec));
      const bj::value* cur = json::Find(exec, "status");
      bj::value merged = MergeContainerResult(cur ? *cur : bj::value(bj::object{}), r, Expected(pods),
                                              FormatRfc3339(SystemClock().Now()));
      exec.as_object()["status"] = merged;
      auto updated = client_->UpdateStatus(backup::kCheckpointBackups, opts_.ns, exec);
      if (updated.ok()) return Status::Ok();
      if (updated.status().code() != StatusCode::kConflict) return updated.status();
    }
    return Status::Conflict("execution " + t.execution + ": status kept changing; will retry");
  }

  Result<std::unique_ptr<registry::Registry>> RegistryFor(const bj::value& exec) {
    return OpenRegistry(*client_, opts_.ns, json::GetString(exec, "spec.registryID"));
  }

  Result<std::unique_ptr<checkpoint::KubeletClient>> KubeletFor() {
    checkpoint::KubeletOptions k;
    k.host = opts_.kubelet_host;
    k.port = opts_.kubelet_port;
    if (k.host.empty() || k.port == 0) {
      ASSIGN_OR_RETURN(auto node, client_->Get(res::kNodes, "", opts_.node_name));
      if (k.port == 0) k.port = static_cast<int>(json::GetInt(node, "status.daemonEndpoints.kubeletEndpoint.Port"));
      if (const auto* addrs = json::Find(node, "status.addresses"); k.host.empty() && addrs && addrs->is_array()) {
        for (const auto& a : addrs->as_array()) {
          if (json::GetString(a, "type") == "InternalIP") k.host = json::GetString(a, "address");
        }
      }
    }
    k.token = cluster_config_.bearer_token;
    k.tls = cluster_config_.tls;  // a client certificate, when the kubeconfig has one
    k.tls.ca_file = opts_.kubelet_ca_file;
    k.tls.ca_data.clear();
    k.tls.insecure_skip_verify = opts_.kubelet_insecure;
    return checkpoint::KubeletClient::New(k);
  }

  // Checkpoint → push → verify → record. Returns true when the container's
  // image is verified in the registry.
  bool Process(const Task& t) {
    auto exec = client_->Get(backup::kCheckpointBackups, opts_.ns, t.execution);
    if (!exec.ok() || Terminal(json::GetString(*exec, "status.phase"))) return false;
    std::string image_repo = json::GetString(*exec, "spec.imageRepository");
    std::string repo = image_repo.substr(image_repo.find('/') + 1);
    auto reg = RegistryFor(*exec);
    auto fail = [&](const Status& s) {
      spdlog::warn("execution {} {}/{}: {}", t.execution, t.pod, t.container, s.message());
      // Transient faults are retried at the next resync; others end the run.
      if (s.retryable()) return false;
      (void)Record(t, {.phase = "Failed", .message = s.message()});
      return false;
    };
    if (!reg.ok()) return fail(reg.status());

    const bj::value* st = json::Find(*exec, "status");
    ContainerResult prev;
    if (st && FindContainerResult(*st, t.pod, t.container, &prev) && prev.phase == "Completed") {
      // Trust a recorded result only if the registry really has the image.
      auto head = (*reg)->StatManifest(repo, prev.digest);
      if (head.ok() && head->has_value()) return true;
      spdlog::warn("execution {}: image {} recorded but missing in the registry; redoing", t.execution, prev.image);
    }
    auto t0 = std::chrono::steady_clock::now();
    if (Status s = Record(t, {.phase = "Checkpointing"}); !s.ok()) return fail(s);
    auto kubelet = KubeletFor();
    if (!kubelet.ok()) return fail(kubelet.status());
    auto archives = (*kubelet)->Checkpoint(
        {.namespace_name = t.ns, .pod = t.pod, .container = t.container, .timeout_seconds = opts_.checkpoint_timeout_seconds});
    if (!archives.ok()) return fail(archives.status());
    if (Status s = Record(t, {.phase = "Pushing"}); !s.ok()) return fail(s);
    checkpoint::CheckpointImageSpec spec;
    spec.archive_path = archives->front();
    spec.repository = repo;
    spec.identity = {t.ns, t.pod, t.container, t.execution};
    spec.compression = compression_;
    TimePoint created;
    if (ParseRfc3339(json::GetString(*exec, "metadata.creationTimestamp"), &created)) spec.created = created;
    auto pushed = checkpoint::PushCheckpointImage(**reg, spec);
    if (!pushed.ok()) return fail(pushed.status());
    auto head = (*reg)->StatManifest(repo, pushed->manifest_digest);
    if (!head.ok() || !head->has_value()) {
      return fail(Status::Unavailable("pushed image " + pushed->image_ref + " is not in the registry (HEAD)"));
    }
    std::error_code ec;
    for (const auto& a : *archives) std::filesystem::remove(a, ec);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    Status recorded = Record(t, {.phase = "Completed",
                                 .image = pushed->image_ref,
                                 .digest = pushed->manifest_digest,
                                 .bytes = pushed->compressed_bytes,
                                 .duration_ms = ms});
    if (!recorded.ok()) return fail(recorded);
    spdlog::info("execution {}: {}/{} pushed as {} ({} bytes, {} ms)", t.execution, t.pod, t.container,
                 pushed->image_ref, pushed->compressed_bytes, ms);
    return true;
  }

  AgentOptions opts_;
  kube::ClusterConfig cluster_config_;
  std::unique_ptr<kube::Client> client_;
  checkpoint::Compression compression_{};
  std::unique_ptr<kube::Informer> executions_;
  std::unique_ptr<Restorer> restorer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;          // GUARDED_BY(mu_)
  std::set<std::string> in_flight_;  // GUARDED_BY(mu_): one checkpoint per container at a time
  std::set<std::string> verified_;   // GUARDED_BY(mu_)
  bool stop_ = false;                // GUARDED_BY(mu_)
  int ticks_ = 0;
};

}  // namespace

Result<std::unique_ptr<Agent>> Agent::New(const AgentOptions& options) {
  if (options.node_name.empty()) return Status::InvalidArgument("--node: required (the node this agent runs on)");
  auto a = std::make_unique<AgentImpl>(options);
  RETURN_IF_ERROR(a->Init());
  return std::unique_ptr<Agent>(std::move(a));
}

}  // namespace kbr::agent
