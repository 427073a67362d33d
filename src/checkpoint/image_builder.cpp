#include "checkpoint/image_builder.h"

#include <algorithm>

#include "checkpoint/tar_scan.h"
#include "core/json.h"
#include "registry/digest.h"
#include "registry/reference.h"

namespace kbr::checkpoint {

namespace bj = boost::json;

namespace {

constexpr int kMaxTag = 128;

bool TagChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

Status CheckTagPart(std::string_view what, std::string_view v) {
  if (v.empty()) return Status::InvalidArgument(std::string(what) + " is empty");
  if (!std::all_of(v.begin(), v.end(), TagChar)) {
    return Status::InvalidArgument(std::string(what) + " '" + std::string(v) +
                                   "' has characters an image tag cannot hold (allowed: A-Z a-z 0-9 _ . -)");
  }
  return Status::Ok();
}

// Feeds the tar scanner and reports progress.
class ArchiveObserver final : public ByteObserver {
 public:
  ArchiveObserver(TarMemberScanner& scanner, const std::function<void(int64_t)>& progress)
      : scanner_(scanner), progress_(progress) {}
  void Update(std::string_view data) override {
    scanner_.Update(data);
    seen_ += static_cast<int64_t>(data.size());
    if (progress_) progress_(seen_);
  }
  void Restart() override {
    scanner_.Restart();
    seen_ = 0;
  }

 private:
  TarMemberScanner& scanner_;
  const std::function<void(int64_t)>& progress_;
  int64_t seen_ = 0;
};

bj::object DescriptorJson(const registry::Descriptor& d) {
  bj::object o;
  o["mediaType"] = d.media_type;
  o["digest"] = d.digest;
  o["size"] = d.size;
  return o;
}

}  // namespace

Result<ConfigDump> ParseConfigDump(std::string_view text) {
  ASSIGN_OR_RETURN(bj::value doc, json::Parse(text, "config.dump"));
  if (!doc.is_object()) return Status::InvalidArgument("config.dump: not a JSON object");
  ConfigDump d;
  d.id = json::GetString(doc, "id");
  d.name = json::GetString(doc, "name");
  d.rootfs_image = json::GetString(doc, "rootfsImage");
  d.rootfs_image_ref = json::GetString(doc, "rootfsImageRef");
  d.rootfs_image_name = json::GetString(doc, "rootfsImageName");
  d.runtime = json::GetString(doc, "runtime");
  return d;
}

std::map<std::string, std::string> CheckpointAnnotations(const CheckpointIdentity& id, const ConfigDump& dump,
                                                         const std::string& created, const std::string& arch) {
  std::map<std::string, std::string> a;
  a[kAnnCrioName] = id.container;
  a[kAnnCriuContainer] = id.container;
  a[kAnnCriuPod] = id.pod;
  a[kAnnCriuNamespace] = id.namespace_name;
  a[kAnnCriuEngine] = "kbr";
  a[kAnnCriuEngineVersion] = KBR_VERSION;
  a[kAnnCriuHostArch] = arch;
  a[kAnnCreated] = created;
  if (!id.execution_id.empty()) a[kAnnExecution] = id.execution_id;
  // CRI-O records the resolved name; fall back to what the user wrote.
  std::string image_name = !dump.rootfs_image_name.empty() ? dump.rootfs_image_name : dump.rootfs_image;
  if (!image_name.empty()) {
    a[kAnnCrioRootfsImageName] = image_name;
    a[kAnnCriuRootfsImageName] = image_name;
  }
  if (!dump.rootfs_image.empty()) a[kAnnCrioRawImageName] = dump.rootfs_image;
  if (!dump.rootfs_image_ref.empty()) {
    a[kAnnCrioRootfsImageId] = dump.rootfs_image_ref;
    a[kAnnCriuRootfsImageId] = dump.rootfs_image_ref;
  }
  if (!dump.runtime.empty()) a[kAnnCriuRuntime] = dump.runtime;
  return a;
}

Result<std::string> CheckpointTag(std::string_view pod, std::string_view container, std::string_view suffix) {
  RETURN_IF_ERROR(CheckTagPart("pod name", pod));
  RETURN_IF_ERROR(CheckTagPart("container name", container));
  RETURN_IF_ERROR(CheckTagPart("tag suffix", suffix));
  if (suffix.size() > 100) return Status::InvalidArgument("tag suffix '" + std::string(suffix) + "' is too long");
  if (pod[0] == '.' || pod[0] == '-') {
    return Status::InvalidArgument("pod name '" + std::string(pod) + "' cannot start an image tag");
  }
  std::string head = std::string(pod) + "-" + std::string(container);
  std::string tag = head + "-" + std::string(suffix);
  if (static_cast<int>(tag.size()) <= kMaxTag) return tag;
  const std::string hash = registry::DigestOf(head).substr(7, 8);
  size_t keep = kMaxTag - suffix.size() - 1 - hash.size() - 1;
  head = head.substr(0, keep);
  while (!head.empty() && (head.back() == '-' || head.back() == '.')) head.pop_back();
  return head + "-" + hash + "-" + std::string(suffix);
}

Result<std::string> ExecutionTag(const CheckpointIdentity& id) {
  if (id.execution_id == "latest") {
    return Status::InvalidArgument("execution id 'latest' would collide with the moving latest tag");
  }
  return CheckpointTag(id.pod, id.container, id.execution_id);
}

Result<std::string> LatestTag(const CheckpointIdentity& id) { return CheckpointTag(id.pod, id.container, "latest"); }

std::string HostArchitecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "unknown";
#endif
}

std::string BuildImageConfig(const std::string& diff_id, const std::string& created, const std::string& arch,
                             const CheckpointIdentity& id) {
  bj::object cfg;
  cfg["created"] = created;
  cfg["architecture"] = arch;
  cfg["os"] = "linux";
  cfg["config"] = bj::object();
  bj::object rootfs;
  rootfs["type"] = "layers";
  rootfs["diff_ids"] = bj::array{bj::value(diff_id)};
  cfg["rootfs"] = std::move(rootfs);
  bj::object hist;
  hist["created"] = created;
  hist["created_by"] = "kbr checkpoint " + id.namespace_name + "/" + id.pod + "/" + id.container;
  hist["comment"] = "container checkpoint archive";
  cfg["history"] = bj::array{bj::value(std::move(hist))};
  return json::Serialize(cfg);
}

std::string BuildImageManifest(const registry::Descriptor& config, const registry::Descriptor& layer,
                               const std::map<std::string, std::string>& annotations) {
  bj::object m;
  m["schemaVersion"] = 2;
  m["mediaType"] = registry::kOciManifest;
  m["config"] = DescriptorJson(config);
  m["layers"] = bj::array{bj::value(DescriptorJson(layer))};
  bj::object ann;
  for (const auto& [k, v] : annotations) ann[k] = v;
  m["annotations"] = std::move(ann);
  return json::Serialize(m);
}

Result<PushedCheckpoint> PushCheckpointImage(registry::Registry& reg, const CheckpointImageSpec& spec, Clock& clock) {
  const auto start = clock.Steady();
  const CheckpointIdentity& id = spec.identity;
  RETURN_IF_ERROR(registry::ValidateRepository(spec.repository));
  if (id.namespace_name.empty()) return Status::InvalidArgument("checkpoint image: namespace is empty");
  ASSIGN_OR_RETURN(std::string tag, ExecutionTag(id));
  ASSIGN_OR_RETURN(std::string latest, LatestTag(id));
  const std::string what = "checkpoint image " + spec.repository + ":" + tag;

  // 1. The layer: one pass over the archive.
  TarMemberScanner scanner({"config.dump"});
  ArchiveObserver observer(scanner, spec.progress);
  CompressingFileSource::Options so;
  so.compression = spec.compression;
  so.level = spec.compression_level;
  so.hash_uncompressed = spec.compression != Compression::kNone;
  so.observer = &observer;
  ASSIGN_OR_RETURN(auto source, CompressingFileSource::Open(spec.archive_path, so));
  auto up = reg.UploadBlob(spec.repository, *source);
  if (!up.ok()) return up.status().Annotate(what + ": layer");
  PushedCheckpoint out;
  out.tag = tag;
  out.latest_tag = latest;
  out.layer_digest = up->digest;
  out.compressed_bytes = up->size;
  out.uncompressed_bytes = source->uncompressed_bytes();
  out.diff_id = spec.compression == Compression::kNone ? up->digest : source->diff_id();
  out.layer_media_type = LayerMediaType(spec.compression);

  // 2. config.dump, picked up during the pass (absent or malformed: no rootfs annotations).
  ConfigDump dump;
  if (auto text = scanner.Member("config.dump")) {
    if (auto parsed = ParseConfigDump(*text); parsed.ok()) dump = std::move(parsed).value();
  }

  // 3. Config and manifest.
  const std::string created = FormatRfc3339(spec.created.value_or(clock.Now()));
  const std::string arch = spec.architecture.empty() ? HostArchitecture() : spec.architecture;
  const std::string config = BuildImageConfig(out.diff_id, created, arch, id);
  registry::StringSource config_source(config);
  registry::UploadOptions config_opts;
  config_opts.digest = registry::DigestOf(config);
  auto cup = reg.UploadBlob(spec.repository, config_source, config_opts);
  if (!cup.ok()) return cup.status().Annotate(what + ": config");
  out.config_digest = cup->digest;

  out.annotations = spec.extra_annotations;
  for (auto& [k, v] : CheckpointAnnotations(id, dump, created, arch)) out.annotations[k] = v;
  const std::string manifest = BuildImageManifest(
      {registry::kOciConfig, out.config_digest, static_cast<int64_t>(config.size())},
      {out.layer_media_type, out.layer_digest, out.compressed_bytes}, out.annotations);
  out.manifest_digest = registry::DigestOf(manifest);

  // 4. The execution tag, written once.
  ASSIGN_OR_RETURN(auto existing, reg.StatManifest(spec.repository, tag));
  if (existing && existing->digest.empty()) {  // no Docker-Content-Digest: read it
    ASSIGN_OR_RETURN(registry::Manifest m, reg.GetManifest(spec.repository, tag));
    existing->digest = m.digest;
  }
  if (existing && existing->digest != out.manifest_digest) {
    return Status::AlreadyExists(what + " already names " + existing->digest + "; not overwriting it with " +
                                 out.manifest_digest);
  }
  if (existing) {
    out.tag_existed = true;
  } else {
    auto put = reg.PutManifest(spec.repository, tag, registry::kOciManifest, manifest);
    if (!put.ok()) return put.status().Annotate(what + ": manifest");
  }
  // 5. The moving tag.
  auto put_latest = reg.PutManifest(spec.repository, latest, registry::kOciManifest, manifest);
  if (!put_latest.ok()) return put_latest.status().Annotate(what + ": tag " + latest);

  out.image_ref = reg.endpoint().host + "/" + spec.repository + ":" + tag + "@" + out.manifest_digest;
  out.duration = std::chrono::duration_cast<Duration>(clock.Steady() - start);
  return out;
}

}  // namespace kbr::checkpoint
