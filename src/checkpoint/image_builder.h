// Checkpoint images: a kubelet checkpoint archive (an uncompressed tar) turned
// into an OCI image (one layer holding the archive's files at "/", a config,
// a manifest carrying the annotations CRI-O and containerd look for) in one
// streaming pass, and pushed to a registry.
//
// The pass: the archive file is read once, front to back; its bytes are
// hashed (diff_id), scanned for config.dump (for the rootfs image name),
// compressed (zstd by default, gzip, or none) and streamed to
// Registry::UploadBlob, which hashes the compressed bytes (layer digest).
// No temporary copy is written. Memory is constant: one read buffer (1 MiB),
// the codec state, plus the registry client's small-blob buffer
// (RegistryOptions::monolithic_max): the archive source can rewind, so the
// layer goes in one streamed PATCH without a chunk buffer (a 1 GiB push
// stays within 32 MiB RSS, bench/push).
//
// Tags: "<pod>-<container>-<execution-id>" is written once and never moved
// (a different image under it is AlreadyExists; the same one is accepted, so
// a retried push is idempotent when `created` is the same); the moving
// "<pod>-<container>-latest" follows the newest push. The registry API has
// no conditional PUT, so "never overwritten" is a HEAD before the PUT: two
// concurrent pushes of different images under one execution tag could race
// (execution ids are unique per run, so only a misuse does that).
//
// Thread-safety: the functions are reentrant; PushCheckpointImage may run
// concurrently with different archives on the same Registry.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "checkpoint/compression.h"
#include "core/clock.h"
#include "core/status.h"
#include "registry/registry.h"

namespace kbr::checkpoint {

// Manifest annotations (CRI-O detects a checkpoint image by the first alone).
inline constexpr const char* kAnnCrioName = "io.kubernetes.cri-o.annotations.checkpoint.name";
inline constexpr const char* kAnnCrioRootfsImageName = "io.kubernetes.cri-o.annotations.checkpoint.rootfsImageName";
inline constexpr const char* kAnnCrioRootfsImageId = "io.kubernetes.cri-o.annotations.checkpoint.rootfsImageID";
inline constexpr const char* kAnnCrioRawImageName = "io.kubernetes.cri-o.annotations.checkpoint.rawImageName";
inline constexpr const char* kAnnCriuContainer = "org.criu.checkpoint.container.name";
inline constexpr const char* kAnnCriuPod = "org.criu.checkpoint.pod.name";
inline constexpr const char* kAnnCriuNamespace = "org.criu.checkpoint.pod.namespace";
inline constexpr const char* kAnnCriuRootfsImageName = "org.criu.checkpoint.rootfsImageName";
inline constexpr const char* kAnnCriuRootfsImageId = "org.criu.checkpoint.rootfsImageID";
inline constexpr const char* kAnnCriuRuntime = "org.criu.checkpoint.runtime.name";
inline constexpr const char* kAnnCriuEngine = "org.criu.checkpoint.engine.name";
inline constexpr const char* kAnnCriuEngineVersion = "org.criu.checkpoint.engine.version";
inline constexpr const char* kAnnCriuHostArch = "org.criu.checkpoint.host.arch";
inline constexpr const char* kAnnCreated = "org.opencontainers.image.created";
inline constexpr const char* kAnnExecution = "io.kbr.checkpoint.execution-id";

// What config.dump (CRI-O's ContainerConfig) says about the container.
struct ConfigDump {
  std::string id;
  std::string name;
  std::string rootfs_image;       // "rootfsImage": as the user wrote it
  std::string rootfs_image_ref;   // "rootfsImageRef": the image ID
  std::string rootfs_image_name;  // "rootfsImageName": the resolved name
  std::string runtime;            // "runtime"
};
// Parses config.dump JSON; missing fields stay empty. InvalidArgument when
// it is not a JSON object.
Result<ConfigDump> ParseConfigDump(std::string_view json);

// Who was checkpointed, for annotations and tags.
struct CheckpointIdentity {
  std::string namespace_name;
  std::string pod;
  std::string container;
  std::string execution_id;
};

// The manifest annotations for a checkpoint (both the CRI-O and the
// org.criu.checkpoint.* set; rootfs fields only when config.dump had them).
// `created` is RFC 3339; `arch` the OCI architecture ("amd64").
std::map<std::string, std::string> CheckpointAnnotations(const CheckpointIdentity& id, const ConfigDump& dump,
                                                         const std::string& created, const std::string& arch);

// "<pod>-<container>-<suffix>" as a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}).
// When longer than 128 characters the "<pod>-<container>" part is cut and
// followed by "-" and 8 hex digits of its sha256, so distinct long names keep
// distinct tags; the suffix is always kept whole. InvalidArgument when a part
// is empty or has characters a tag cannot hold, or the suffix is longer than
// 100 characters.
Result<std::string> CheckpointTag(std::string_view pod, std::string_view container, std::string_view suffix);
// CheckpointTag(pod, container, execution_id); InvalidArgument for the
// execution id "latest" (that is the moving tag).
Result<std::string> ExecutionTag(const CheckpointIdentity& id);
Result<std::string> LatestTag(const CheckpointIdentity& id);

// The OCI architecture of this build ("amd64", "arm64", ...).
std::string HostArchitecture();

struct CheckpointImageSpec {
  std::string archive_path;  // the kubelet's uncompressed checkpoint tar; only read
  std::string repository;    // "team/checkpoints" on the registry
  CheckpointIdentity identity;
  Compression compression = Compression::kZstd;
  int compression_level = 0;  // 0: kbr's default (zstd 1, gzip 6)
  // Image creation time. Pass the execution's time so that a retried push of
  // the same archive produces the same digests; unset: clock.Now().
  std::optional<TimePoint> created;
  std::string architecture;  // "" → HostArchitecture()
  // Added to the manifest annotations; kbr's own keys win on conflict.
  std::map<std::string, std::string> extra_annotations;
  // Called after each block read from the archive with the uncompressed
  // bytes read so far (restarts from 0 if the upload starts over). With
  // compression it runs on the compressing worker thread.
  std::function<void(int64_t)> progress;
};

struct PushedCheckpoint {
  std::string image_ref;  // "<registry host>/<repository>:<tag>@<manifest digest>"
  std::string tag;        // the execution tag
  std::string latest_tag;
  std::string manifest_digest;
  std::string config_digest;
  std::string layer_digest;
  std::string diff_id;
  std::string layer_media_type;
  int64_t compressed_bytes = 0;    // layer blob size
  int64_t uncompressed_bytes = 0;  // archive size
  Duration duration{0};
  std::map<std::string, std::string> annotations;
  bool tag_existed = false;  // the execution tag already named this manifest
};

// Builds the image from spec.archive_path and pushes it (layer, config,
// manifest under the execution tag, then the latest tag).
// Errors:
//   InvalidArgument    - a bad repository, names, execution id or level;
//   NotFound / PermissionDenied - the archive cannot be opened;
//   FailedPrecondition - the archive changed size while being read;
//   AlreadyExists      - the execution tag names a different manifest (it is
//                        left alone; the latest tag is not moved);
//   the Registry's errors (Unauthenticated, Unavailable, ...) otherwise.
// On error the blobs already uploaded stay in the registry (unreferenced;
// the registry's garbage collection removes them).
Result<PushedCheckpoint> PushCheckpointImage(registry::Registry& reg, const CheckpointImageSpec& spec,
                                             Clock& clock = SystemClock());

// The config and manifest JSON (exposed for tests; byte-stable for the same inputs).
std::string BuildImageConfig(const std::string& diff_id, const std::string& created, const std::string& arch,
                             const CheckpointIdentity& id);
std::string BuildImageManifest(const registry::Descriptor& config, const registry::Descriptor& layer,
                               const std::map<std::string, std::string>& annotations);

}  // namespace kbr::checkpoint
