// Images on the lab node: which workload an image runs, registry
// credentials from imagePullSecrets, and pulling + unpacking checkpoint
// images for restore.
//
// The pull is written directly against src/registry (manifest → layers,
// digests verified by the client, diff_ids checked here, decompression by
// media type, untar with libarchive). It is meant to move onto
// src/checkpoint/restore.h once that exists.
//
// Thread-safety: all functions are safe to call concurrently (on different
// destination directories).
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "checkpoint/handoff.h"
#include "registry/registry.h"

namespace kbr::lab {

enum class ImageKind {
  kAgent,  // kbr's own image: "kbr/kbr...", "localhost/kbr..." (not kbr-demo)
  kDemo,   // "kbr/demo...", "localhost/kbr-demo..."
  kOther,
};
// Classifies by name (an optional "docker.io/" prefix is ignored).
ImageKind ClassifyImage(std::string_view image);

// True when the reference names a registry on a loopback host with a port
// (127.0.0.1:<p>, localhost:<p>, [::1]:<p>): the only registries the lab node
// pulls from (the lab has no Internet; other images run without a process).
bool IsLoopbackRegistry(const registry::Reference& ref);

// Credentials for `registry_host` ("127.0.0.1:5000") in a .dockerconfigjson
// document. Keys of "auths" may be written "host", "https://host" or
// "https://host/v2/"; an entry gives username/password or "auth"
// (base64 "user:password"). nullopt when no entry matches; InvalidArgument
// when the document or the matching entry is malformed.
Result<std::optional<registry::Credentials>> CredentialsFromDockerConfig(std::string_view dockerconfigjson,
                                                                         const std::string& registry_host);

// The checkpointed container's name from a manifest's annotations
// (io.kubernetes.cri-o.annotations.checkpoint.name, else
// org.criu.checkpoint.container.name); "" for an ordinary image.
std::string CheckpointContainerName(const boost::json::value& manifest);

struct PulledImage {
  std::string manifest_digest;       // of the image manifest (after index resolution)
  std::string image_id;              // "<registry>/<repository>@<manifest digest>"
  std::string checkpoint_container;  // "" when not a checkpoint image
  std::string dir;                   // checkpoint images: where the layers are unpacked
  boost::json::value config_dump;    // checkpoint images: the parsed config.dump (or null)
};

// Resolves `ref` in `reg` (the first manifest of an index). For a checkpoint
// image it pulls every layer (the client verifies each blob digest), checks
// the uncompressed layer against the config's rootfs.diff_ids, and unpacks
// the layers into `dest_dir` (built beside it and renamed into place, so an
// existing dest_dir is replaced only by a complete unpack). Ordinary images
// are only inspected (manifest), nothing is downloaded.
// Errors: the registry's (NotFound, Unauthenticated, Unavailable, Internal
// for a digest mismatch); Internal "diff_id mismatch ..."; InvalidArgument
// for an unsupported layer media type or an unsafe path in a layer;
// Unavailable when the files cannot be written.
Result<PulledImage> PullImage(registry::Registry& reg, const registry::Reference& ref, const std::string& dest_dir);

// The image the kbr agent pulled, verified and handed over (handoff.h).
PulledImage HandedOverImage(const registry::Reference& ref, const checkpoint::Handoff& h);

// Unpacks the layer blob at `blob_path` into `dir`, decompressing by
// `media_type` (…tar, …tar+gzip / docker …tar.gzip, …tar+zstd). Entries with
// absolute paths or ".." components are rejected (InvalidArgument), symlinks
// are not followed. Returns the sha256 digest of the uncompressed tar.
Result<std::string> UnpackLayer(const std::string& blob_path, const std::string& media_type, const std::string& dir);

}  // namespace kbr::lab
