#include "lab/node_pods.h"

#include <filesystem>

#include "core/base64.h"
#include "core/json.h"
#include "core/log.h"
#include "kube/label_selector.h"
#include "lab/node_image.h"

namespace kbr::lab {
namespace bj = boost::json;
namespace res = kube::resources;

namespace {

// A pod the kbr agent restores waits in ContainerCreating, without back-off,
// until the agent hands its checkpoint over (its annotation update, or the
// next resync, reconciles the pod again).
constexpr const char* kWaitingForHandoff = "ContainerCreating";

std::string KeyOf(const std::string& ns, const std::string& name) { return ns + "/" + name; }

const bj::array& ArrayAt(const bj::value& v, std::string_view path) {
  static const bj::array kEmpty;
  const bj::value* a = json::Find(v, path);
  return a && a->is_array() ? a->as_array() : kEmpty;
}

std::vector<std::string> StringList(const bj::value& v, std::string_view path) {
  std::vector<std::string> out;
  for (const auto& s : ArrayAt(v, path)) {
    if (s.is_string()) out.emplace_back(s.get_string());
  }
  return out;
}

}  // namespace

PodController::PodController(kube::Client& client, Runtime& runtime, PodControllerOptions options, Clock& clock)
    : client_(client), runtime_(runtime), options_(std::move(options)), clock_(clock) {}

PodController::~PodController() { Stop(); }

Status PodController::Start() {
  informer_ = std::make_unique<kube::Informer>(client_, kube::InformerOptions{.resource = res::kPods,
                                                                             .field_selector = "spec.nodeName=" +
                                                                                               options_.node_name,
                                                                             .watch_timeout_seconds = 120});
  auto on_obj = [this](const bj::value& pod) {
    Enqueue(KeyOf(json::GetString(pod, "metadata.namespace"), json::GetString(pod, "metadata.name")));
  };
  informer_->AddHandler({.on_add = on_obj,
                         .on_update = [on_obj](const bj::value&, const bj::value& pod) { on_obj(pod); },
                         .on_delete = on_obj});
  informer_->Start();
  if (!informer_->WaitForSync(std::chrono::seconds(30))) {
    return Status::Unavailable("pods of node " + options_.node_name + " not listed within 30s: " +
                               informer_->LastError());
  }
  // Containers of pods that are no longer bound here (deleted while the node was down).
  std::set<std::string> uids;
  for (const auto& p : informer_->List()) uids.insert(json::GetString(p, "metadata.uid"));
  for (const auto& c : runtime_.List()) {
    if (!uids.count(c.spec.pod_uid)) (void)runtime_.Remove(c.spec.pod_uid, c.spec.container, std::chrono::seconds(5));
  }
  worker_ = std::thread([this] { WorkerLoop(); });
  monitor_ = std::thread([this] { MonitorLoop(); });
  return Status::Ok();
}

void PodController::Stop() {
  stop_ = true;
  queue_.ShutDown();
  cv_.notify_all();
  if (informer_) informer_->Stop();
  if (worker_.joinable()) worker_.join();
  if (monitor_.joinable()) monitor_.join();
}

std::optional<bj::value> PodController::GetPod(const std::string& ns, const std::string& name) const {
  return informer_ ? informer_->Get(ns, name) : std::nullopt;
}

std::vector<bj::value> PodController::ListPods() const {
  return informer_ ? informer_->List() : std::vector<bj::value>{};
}

void PodController::Enqueue(const std::string& key) { queue_.Add(key); }

void PodController::WorkerLoop() {
  while (auto key = queue_.Next()) {
    Status s = Reconcile(*key);
    if (!s.ok()) spdlog::warn("pod {}: {} (will retry)", *key, s.message());
  }
}

void PodController::MonitorLoop() {
  int tick = 0;
  while (!stop_) {
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait_for(l, std::chrono::milliseconds(500), [this] { return stop_.load(); });
    }
    if (stop_) return;
    std::set<std::string> changed = runtime_.Poll();
    for (const auto& c : runtime_.List()) {
      if (changed.count(c.spec.pod_uid)) Enqueue(KeyOf(c.spec.pod_namespace, c.spec.pod_name));
    }
    // Every 2 s: a resync of every pod (retries, back-offs, failed writes).
    if (++tick % 4 == 0) {
      for (const auto& p : informer_->List()) {
        Enqueue(KeyOf(json::GetString(p, "metadata.namespace"), json::GetString(p, "metadata.name")));
      }
    }
  }
}

void PodController::RemoveContainersOf(const std::string& uid, std::chrono::milliseconds grace) {
  for (const auto& c : runtime_.List()) {
    if (c.spec.pod_uid != uid) continue;
    Status s = runtime_.Remove(uid, c.spec.container, grace);
    if (!s.ok()) spdlog::warn("stopping container {}: {}", c.spec.container, s.message());
  }
  std::error_code ec;  // unpacked checkpoint images of the pod, its or the agent's
  std::filesystem::remove_all(options_.layout.PodImagesDir(uid), ec);
  std::filesystem::remove_all(options_.layout.RestoreDir() + "/" + uid, ec);
  for (auto it = retries_.begin(); it != retries_.end();) {
    it = it->first.rfind(uid + "/", 0) == 0 ? retries_.erase(it) : std::next(it);
  }
}

Status PodController::Reconcile(const std::string& key) {
  auto slash = key.find('/');
  auto pod = informer_->Get(key.substr(0, slash), key.substr(slash + 1));
  if (!pod) {
    if (auto it = uid_of_.find(key); it != uid_of_.end()) {
      RemoveContainersOf(it->second, std::chrono::seconds(5));
      written_.erase(it->second);
      uid_of_.erase(it);
    }
    return Status::Ok();
  }
  std::string uid = json::GetString(*pod, "metadata.uid");
  if (auto it = uid_of_.find(key); it != uid_of_.end() && it->second != uid) {
    RemoveContainersOf(it->second, std::chrono::seconds(5));  // same name, new pod
    written_.erase(it->second);
  }
  uid_of_[key] = uid;
  if (json::Find(*pod, "metadata.deletionTimestamp")) return DeletePod(*pod);
  std::string phase = json::GetString(*pod, "status.phase");
  bool has_containers = false;
  for (const auto& c : runtime_.List()) has_containers |= c.spec.pod_uid == uid;
  if ((phase == "Succeeded" || phase == "Failed") && !has_containers) return Status::Ok();

  std::vector<ContainerView> views;
  for (const auto& container : ArrayAt(*pod, "spec.containers")) {
    ContainerView v{json::GetString(container, "name"), json::GetString(container, "image")};
    v.waiting = EnsureContainer(*pod, container);
    v.state = runtime_.Get(uid, v.name);
    views.push_back(std::move(v));
  }
  bj::value status = BuildPodStatus(*pod, views, clock_.Now());
  if (auto it = written_.find(uid); it == written_.end() || it->second != status) {
    bj::value updated = *pod;
    updated.as_object()["status"] = status;
    auto r = client_.UpdateStatus(res::kPods, json::GetString(*pod, "metadata.namespace"), updated);
    if (!r.ok()) return r.status();
    written_[uid] = status;
  }
  return PublishDemoPort(*pod);
}

std::optional<Waiting> PodController::EnsureContainer(const bj::value& pod, const bj::value& container) {
  const std::string uid = json::GetString(pod, "metadata.uid");
  const std::string name = json::GetString(container, "name");
  const std::string rkey = uid + "/" + name;
  const TimePoint now = clock_.Now();
  auto state = runtime_.Get(uid, name);
  if (state && (state->running || !state->terminated)) return std::nullopt;
  if (state) {  // terminated
    if (!ShouldRestart(pod, *state->terminated)) return std::nullopt;
    auto backoff = RestartBackoff(state->restart_count);
    if (now < state->terminated->finished_at + backoff) {
      return Waiting{"CrashLoopBackOff", "back-off " + std::to_string(backoff.count()) +
                                             "s restarting failed container=" + name + " pod=" +
                                             json::GetString(pod, "metadata.name") + "_" +
                                             json::GetString(pod, "metadata.namespace") + "(" + uid + ")"};
    }
    auto started = runtime_.Start(state->spec);
    if (!started.ok()) return Waiting{"CreateContainerError", started.status().message()};
    return std::nullopt;
  }
  auto retry = retries_.find(rkey);
  if (retry != retries_.end() && now < retry->second.next_attempt) {
    Waiting w = retry->second.waiting;
    if (w.reason == "ErrImagePull") w.reason = "ImagePullBackOff";
    return w;
  }
  Prepared p = Prepare(pod, container);
  if (p.spec) {
    auto started = runtime_.Start(*p.spec);
    if (started.ok()) {
      retries_.erase(rkey);
      return std::nullopt;
    }
    p.waiting = {"CreateContainerError", started.status().message()};
  }
  if (p.waiting.reason == kWaitingForHandoff) {  // not a failure: looked at again on the next reconcile
    retries_.erase(rkey);
    return p.waiting;
  }
  Retry& r = retries_[rkey];
  r.waiting = p.waiting;
  r.next_attempt = now + RestartBackoff(r.attempts++);
  spdlog::warn("pod {}/{} container {}: {}: {}", json::GetString(pod, "metadata.namespace"),
               json::GetString(pod, "metadata.name"), name, p.waiting.reason, p.waiting.message);
  return p.waiting;
}

PodController::Prepared PodController::Prepare(const bj::value& pod, const bj::value& container) {
  LaunchSpec s;
  s.pod_namespace = json::GetString(pod, "metadata.namespace");
  s.pod_name = json::GetString(pod, "metadata.name");
  s.pod_uid = json::GetString(pod, "metadata.uid");
  s.container = json::GetString(container, "name");
  s.image = json::GetString(container, "image");
  s.base_image = s.image;
  s.image_id = "kbr-lab://" + s.image;
  for (const auto& e : ArrayAt(container, "env")) {
    std::string name = json::GetString(e, "name");
    std::string field = json::GetString(e, "valueFrom.fieldRef.fieldPath");
    std::string value = json::GetString(e, "value");
    if (field == "spec.nodeName") value = options_.node_name;
    if (field == "metadata.name") value = s.pod_name;
    if (field == "metadata.namespace") value = s.pod_namespace;
    if (field == "metadata.uid") value = s.pod_uid;
    if (field == "status.podIP" || field == "status.hostIP") value = "127.0.0.1";
    if (!name.empty()) s.env.push_back(name + "=" + value);
  }
  for (const std::string& e : {"NODE_NAME=" + options_.node_name, "KUBECONFIG=" + options_.kubeconfig,
                               "POD_NAME=" + s.pod_name, "POD_NAMESPACE=" + s.pod_namespace}) {
    s.env.push_back(e);
  }
  switch (ClassifyImage(s.image)) {
    case ImageKind::kDemo:
      s.workload = Workload::kDemo;
      return {s, {}};
    case ImageKind::kAgent: {
      s.workload = Workload::kAgent;
      std::vector<std::string> args = StringList(container, "command");
      if (!args.empty() && std::filesystem::path(args[0]).filename() == "kbr") args.erase(args.begin());
      for (auto& a : StringList(container, "args")) args.push_back(a);
      if (args.empty() || args[0] != "agent") args.insert(args.begin(), "agent");
      s.args = std::move(args);
      return {s, {}};
    }
    case ImageKind::kOther: break;
  }
  auto ref = registry::ParseReference(s.image);
  if (!ref.ok() || !IsLoopbackRegistry(*ref)) return {s, {}};  // no process
  auto pulled = PrepareFromRegistry(pod, s);
  if (pulled.ok()) return {*pulled, {}};
  if (pulled.status().code() == StatusCode::kNotFound && kube::LabelsOf(pod).count(checkpoint::kRestoreRegistryLabel)) {
    return {std::nullopt, {kWaitingForHandoff, pulled.status().message()}};
  }
  bool create_error = pulled.status().code() == StatusCode::kFailedPrecondition;
  return {std::nullopt, {create_error ? "CreateContainerError" : "ErrImagePull", pulled.status().message()}};
}

Result<LaunchSpec> PodController::PrepareFromRegistry(const bj::value& pod, LaunchSpec s) {
  ASSIGN_OR_RETURN(registry::Reference ref, registry::ParseReference(s.image));
  PulledImage img;
  if (kube::LabelsOf(pod).count(checkpoint::kRestoreRegistryLabel)) {
    ASSIGN_OR_RETURN(img, TakeHandedOver(ref, s));
  } else {
    ASSIGN_OR_RETURN(img, Pull(pod, ref, s));
  }
  s.image_id = img.image_id;
  if (img.checkpoint_container.empty()) return s;  // an ordinary image: no process
  std::string base = json::GetString(img.config_dump, "rootfsImageName");
  if (ClassifyImage(base) != ImageKind::kDemo) {
    return Status::FailedPrecondition("checkpoint image " + s.image + " restores a container of image '" + base +
                                      "'; lab nodes restore only the demo workload");
  }
  s.workload = Workload::kDemo;
  s.base_image = base;
  s.restore_dir = img.dir;
  spdlog::info("checkpoint image {} ({}) for {}/{}: restoring container '{}' from {}", s.image, img.manifest_digest,
               s.pod_namespace, s.pod_name, img.checkpoint_container, img.dir);
  return s;
}

// Pods restored by the kbr agent: the agent pulls and verifies; the node
// waits for its hand-off (NotFound until then) rather than pulling too.
Result<PulledImage> PodController::TakeHandedOver(const registry::Reference& ref, const LaunchSpec& s) {
  ASSIGN_OR_RETURN(auto handed, checkpoint::ReadHandoff(options_.layout.RestoreDir(), s.pod_uid, s.container));
  if (!handed) {
    return Status::NotFound("waiting for the kbr agent on " + options_.node_name + " to restore " + s.image +
                               " (the pod has label " + checkpoint::kRestoreRegistryLabel + ")");
  }
  if (handed->image != s.image) {
    return Status::FailedPrecondition("the kbr agent restored " + handed->image + ", not " + s.image);
  }
  return HandedOverImage(ref, *handed);
}

Result<PulledImage> PodController::Pull(const bj::value& pod, const registry::Reference& ref, const LaunchSpec& s) {
  registry::Credentials creds;
  for (const auto& secret_ref : ArrayAt(pod, "spec.imagePullSecrets")) {
    auto secret = client_.Get(res::kSecrets, s.pod_namespace, json::GetString(secret_ref, "name"));
    if (!secret.ok() || json::GetString(*secret, "type") != "kubernetes.io/dockerconfigjson") continue;
    const bj::value* data = json::Find(*secret, "data");
    const bj::value* encoded = data && data->is_object() ? data->as_object().if_contains(".dockerconfigjson") : nullptr;
    if (!encoded || !encoded->is_string()) continue;
    auto doc = Base64Decode(encoded->get_string());
    if (!doc.ok()) continue;
    auto found = CredentialsFromDockerConfig(*doc, ref.registry);
    if (found.ok() && found->has_value()) {
      creds = **found;
      break;
    }
  }
  ASSIGN_OR_RETURN(auto reg, registry::NewRegistry({.url = "https://" + ref.registry,
                                                    .credentials = creds,
                                                    .tls = {.ca_file = options_.ca_file},
                                                    .max_attempts = 3}));
  return PullImage(*reg, ref, options_.layout.ImageDir(s.pod_uid, s.container));
}

Status PodController::DeletePod(const bj::value& pod) {
  std::string uid = json::GetString(pod, "metadata.uid");
  int64_t grace = std::min<int64_t>(json::GetInt(pod, "metadata.deletionGracePeriodSeconds", 30), 10);
  RemoveContainersOf(uid, std::chrono::seconds(std::max<int64_t>(grace, 1)));
  std::string ns = json::GetString(pod, "metadata.namespace");
  std::string name = json::GetString(pod, "metadata.name");
  bj::object body{{"kind", "DeleteOptions"},
                  {"apiVersion", "v1"},
                  {"gracePeriodSeconds", 0},
                  {"preconditions", bj::object{{"uid", uid}}}};
  ASSIGN_OR_RETURN(auto resp, client_.Raw("DELETE", res::kPods.ObjectPath(ns, name), json::Serialize(body)));
  // 404: already gone; 409: the precondition names an older pod of that name.
  if (resp.status >= 400 && resp.status != 404 && resp.status != 409) {
    return Status::Unavailable("delete pod " + ns + "/" + name + ": HTTP " + std::to_string(resp.status));
  }
  spdlog::info("pod {}/{} deleted", ns, name);
  written_.erase(uid);
  return Status::Ok();
}

Status PodController::PublishDemoPort(const bj::value& pod) {
  std::string uid = json::GetString(pod, "metadata.uid");
  std::string port;
  for (const auto& c : ArrayAt(pod, "spec.containers")) {
    auto st = runtime_.Get(uid, json::GetString(c, "name"));
    if (st && st->running && st->spec.workload == Workload::kDemo) {
      port = std::to_string(st->port);
      break;
    }
  }
  const bj::value* annotations = json::Find(pod, "metadata.annotations");
  std::string current;
  if (annotations && annotations->is_object()) {
    if (auto it = annotations->as_object().find(kDemoPortAnnotation); it != annotations->as_object().end()) {
      current = it->value().is_string() ? std::string(it->value().get_string()) : "";
    }
  }
  if (port.empty() || port == current) return Status::Ok();
  bj::object patch{{"metadata", bj::object{{"annotations", bj::object{{kDemoPortAnnotation, port}}}}}};
  return client_
      .Patch(res::kPods, json::GetString(pod, "metadata.namespace"), json::GetString(pod, "metadata.name"),
             kube::PatchType::kMerge, json::Serialize(patch))
      .status();
}

}  // namespace kbr::lab
