// Restore side of checkpoint images: read a checkpoint image's manifest
// (annotations, descriptors) and pull + verify + unpack its layer into a
// directory, ready to hand to the container runtime.
//
// Verification: the manifest's digest (against the digest reference, or the
// registry's Docker-Content-Digest for a tag), the config blob and the layer
// blob (the registry client hashes every byte it hands out), the layer's
// size, and the decompressed stream against the config's rootfs.diff_ids.
//
// Streaming: the layer is decompressed and unpacked while it downloads (a
// second thread runs libarchive behind a bounded 4 MiB queue), into a
// staging directory that is renamed to the target only when every check
// passed. On any error the staging directory is removed and the target does
// not exist. The whole blob is read even after a decompression or unpacking
// error, so a blob corrupted in storage or transit is reported as the digest
// mismatch it is rather than as a broken stream.
//
// Thread-safety: reentrant; concurrent restores into different targets are fine.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "checkpoint/compression.h"
#include "core/clock.h"
#include "core/status.h"
#include "registry/registry.h"

namespace kbr::checkpoint {

struct CheckpointManifest {
  std::string digest;  // verified manifest digest
  registry::Descriptor config;
  registry::Descriptor layer;
  Compression compression = Compression::kNone;
  std::map<std::string, std::string> annotations;
  // True when the annotations mark a checkpoint image (the CRI-O
  // checkpoint.name or org.criu.checkpoint.container.name annotation).
  bool is_checkpoint = false;
};

// GETs and parses the manifest of repo@reference (a tag or a digest).
// Errors: the Registry's (NotFound for an unknown tag, Internal "digest
// mismatch" for a body that does not match); InvalidArgument when it is an
// index / list, or not exactly one tar layer of a known compression, or
// malformed JSON.
Result<CheckpointManifest> FetchCheckpointManifest(registry::Registry& reg, const std::string& repo,
                                                   const std::string& reference);

// For a full image reference ("host/repo:tag@sha256:...", as
// PushedCheckpoint::image_ref) use registry::ParseReference and pass its
// repository and ManifestRef() (the digest when there is one).
struct RestoreOptions {
  std::string repository;  // "team/checkpoints"
  std::string reference;   // tag or "sha256:..." manifest digest
  std::string target_dir;  // must not exist; its parent must
  // false: the image need not carry checkpoint annotations.
  bool require_checkpoint_annotations = true;
};

struct RestoredCheckpoint {
  std::string path;  // canonical absolute target directory (mode 0700)
  CheckpointManifest manifest;
  std::string diff_id;
  int64_t compressed_bytes = 0;
  int64_t uncompressed_bytes = 0;
  int64_t entries = 0;
  Duration duration{0};
};

// Pulls, verifies and unpacks the image's layer into opts.target_dir.
// Errors:
//   AlreadyExists / NotFound / InvalidArgument - see StagingDir::Create;
//   FailedPrecondition - the image lacks checkpoint annotations (when required);
//   Internal "... digest mismatch ..." - a manifest, config or layer blob, or
//       the decompressed layer (diff_id), does not match its digest;
//   InvalidArgument - a corrupt compressed stream or tar, or an unsafe entry
//       (see unpack.h);
//   the Registry's errors otherwise.
Result<RestoredCheckpoint> RestoreCheckpointImage(registry::Registry& reg, const RestoreOptions& opts,
                                                  Clock& clock = SystemClock());

}  // namespace kbr::checkpoint
