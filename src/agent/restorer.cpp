#include "agent/restorer.h"

#include <chrono>
#include <filesystem>
#include <thread>

#include "agent/registry_access.h"
#include "checkpoint/handoff.h"
#include "checkpoint/image_builder.h"
#include "checkpoint/restore.h"
#include "core/json.h"
#include "core/log.h"
#include "core/work_queue.h"
#include "kube/informer.h"
#include "registry/reference.h"

namespace kbr::agent {

namespace bj = boost::json;
namespace fs = std::filesystem;
namespace res = kube::resources;

namespace {

struct Outcome {
  bool transient = false;  // retry later rather than record Failed
  bj::object record;
};

class RestorerImpl final : public Restorer {
 public:
  RestorerImpl(kube::Client& client, RestorerOptions o)
      : client_(client),
        opts_(std::move(o)),
        pods_(client, kube::InformerOptions{.resource = res::kPods,
                                            .label_selector = checkpoint::kRestoreRegistryLabel,
                                            .field_selector = "spec.nodeName=" + opts_.node_name}) {
    auto enqueue = [this](const bj::value& pod) { Enqueue(pod); };
    pods_.AddHandler({.on_add = enqueue, .on_update = [enqueue](const bj::value&, const bj::value& p) { enqueue(p); }});
  }
  ~RestorerImpl() override { Stop(); }

  void Start() override {
    pods_.Start();
    worker_ = std::thread([this] { Work(); });
    spdlog::info("kbr agent on node {}: restoring checkpoints of recovered pods into {}", opts_.node_name,
                 opts_.restore_dir);
  }

  void Resync() override {
    for (const auto& pod : pods_.List()) Enqueue(pod);
  }

  void Stop() override {
    queue_.ShutDown();
    if (worker_.joinable()) worker_.join();
    pods_.Stop();
  }

 private:
  void Enqueue(const bj::value& pod) {
    if (json::GetString(pod, "status.phase", "Pending") != "Pending") return;
    queue_.Add(json::GetString(pod, "metadata.namespace") + "/" + json::GetString(pod, "metadata.name"));
  }

  void Work() {
    while (auto key = queue_.Next()) {
      auto slash = key->find('/');
      if (auto pod = pods_.Get(key->substr(0, slash), key->substr(slash + 1))) RestorePod(*pod);
    }
  }

  void RestorePod(const bj::value& pod) {
    std::string uid = json::GetString(pod, "metadata.uid");
    const bj::value* containers = json::Find(pod, "spec.containers");
    if (uid.empty() || !containers || !containers->is_array()) return;
    for (const auto& c : containers->as_array()) {
      std::string name = json::GetString(c, "name");
      if (!MetadataEntry(pod, "annotations", AnnotationKey(name)).empty()) continue;  // recorded
      // Handed over but not recorded: the agent stopped in between.
      auto handed = checkpoint::ReadHandoff(opts_.restore_dir, uid, name);
      Outcome o = handed.ok() && handed->has_value()
                      ? Outcome{false, Restored((*handed)->image, (*handed)->manifest_digest)}
                      : RestoreContainer(pod, uid, name, json::GetString(c, "image"));
      if (o.transient) {
        spdlog::warn("restore of {}/{} container {}: {} (will retry)", json::GetString(pod, "metadata.namespace"),
                     json::GetString(pod, "metadata.name"), name, json::GetString(o.record, "message"));
        continue;
      }
      Status recorded = Record(pod, name, o.record);
      if (!recorded.ok()) spdlog::warn("restore result of container {}: {}", name, recorded.message());
    }
  }

  static std::string AnnotationKey(const std::string& container) { return checkpoint::kRestoreAnnotationPrefix + container; }

  // metadata.<map>[key] (label and annotation keys contain dots, so no
  // dotted path can name them).
  static std::string MetadataEntry(const bj::value& obj, const std::string& map, const std::string& key) {
    const bj::value* m = json::Find(obj, "metadata." + map);
    const bj::value* v = m && m->is_object() ? m->as_object().if_contains(key) : nullptr;
    return v && v->is_string() ? std::string(v->get_string()) : "";
  }

  static std::string CheckpointedContainer(const checkpoint::CheckpointManifest& m) {
    for (const char* key : {checkpoint::kAnnCrioName, checkpoint::kAnnCriuContainer}) {
      if (auto it = m.annotations.find(key); it != m.annotations.end()) return it->second;
    }
    return "";
  }

  Outcome RestoreContainer(const bj::value& pod, const std::string& uid, const std::string& container,
                           const std::string& image) {
    auto started = std::chrono::steady_clock::now();
    auto failed = [&](const Status& s, bool transient) {
      return Outcome{transient, {{"phase", "Failed"}, {"image", image}, {"message", s.message()}}};
    };
    auto ref = registry::ParseReference(image);
    if (!ref.ok()) return failed(ref.status(), false);
    std::string registry_id = MetadataEntry(pod, "labels", checkpoint::kRestoreRegistryLabel);
    auto reg = OpenRegistry(client_, opts_.ns, registry_id);
    if (!reg.ok()) return failed(reg.status(), reg.status().code() != StatusCode::kInvalidArgument);
    std::string dir = checkpoint::HandoffDir(opts_.restore_dir, uid, container);
    std::error_code ec;
    fs::remove_all(dir, ec);  // a half-unpacked leftover of a crash
    fs::create_directories(fs::path(dir).parent_path(), ec);
    auto restored = checkpoint::RestoreCheckpointImage(
        **reg, {.repository = ref->repository, .reference = ref->ManifestRef(), .target_dir = dir});
    if (!restored.ok()) {
      StatusCode code = restored.status().code();
      return failed(restored.status(), code == StatusCode::kUnavailable || code == StatusCode::kDeadlineExceeded);
    }
    Status handed = checkpoint::WriteHandoff(opts_.restore_dir, uid, container,
                                             {.image = image,
                                              .manifest_digest = restored->manifest.digest,
                                              .checkpoint_container = CheckpointedContainer(restored->manifest)});
    if (!handed.ok()) return failed(handed, true);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    spdlog::info("restored {} for {}/{} container {} ({} bytes in {} ms)", image,
                 json::GetString(pod, "metadata.namespace"), json::GetString(pod, "metadata.name"), container,
                 restored->compressed_bytes, ms.count());
    bj::object record = Restored(image, restored->manifest.digest);
    record["bytes"] = restored->compressed_bytes;
    record["durationMs"] = ms.count();
    return {false, std::move(record)};
  }

  static bj::object Restored(const std::string& image, const std::string& digest) {
    return {{"phase", "Restored"}, {"image", image}, {"digest", digest}, {"message", ""}};
  }

  Status Record(const bj::value& pod, const std::string& container, const bj::object& record) {
    bj::object annotations{{AnnotationKey(container), json::Serialize(record)}};
    bj::object patch{{"metadata", bj::object{{"annotations", std::move(annotations)}}}};
    auto r = client_.Patch(res::kPods, json::GetString(pod, "metadata.namespace"),
                           json::GetString(pod, "metadata.name"), kube::PatchType::kMerge, json::Serialize(patch));
    return r.ok() ? Status::Ok() : r.status();
  }

  kube::Client& client_;
  RestorerOptions opts_;
  kube::Informer pods_;
  WorkQueue queue_;  // "ns/name" of pods to restore
  std::thread worker_;
};

}  // namespace

std::unique_ptr<Restorer> Restorer::New(kube::Client& client, RestorerOptions options) {
  return std::make_unique<RestorerImpl>(client, std::move(options));
}

}  // namespace kbr::agent
