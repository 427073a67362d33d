#include "checkpoint/restore.h"

#include <memory>
#include <thread>

#include "checkpoint/block_queue.h"
#include "checkpoint/image_builder.h"
#include "checkpoint/unpack.h"
#include "core/json.h"
#include "registry/digest.h"
#include "registry/reference.h"

namespace kbr::checkpoint {

namespace bj = boost::json;

namespace {

Result<registry::Descriptor> ParseDescriptor(const bj::value* v, const std::string& what) {
  if (!v || !v->is_object()) return Status::InvalidArgument(what + ": missing descriptor");
  registry::Descriptor d;
  d.media_type = json::GetString(*v, "mediaType");
  d.digest = json::GetString(*v, "digest");
  d.size = json::GetInt(*v, "size", -1);
  if (auto s = registry::ValidateDigest(d.digest); !s.ok()) return s.Annotate(what);
  if (d.size < 0) return Status::InvalidArgument(what + ": missing or negative size");
  return d;
}

}  // namespace

Result<CheckpointManifest> FetchCheckpointManifest(registry::Registry& reg, const std::string& repo,
                                                   const std::string& reference) {
  const std::string what = "checkpoint image " + repo + (registry::IsDigest(reference) ? "@" : ":") + reference;
  ASSIGN_OR_RETURN(registry::Manifest m, reg.GetManifest(repo, reference));
  if (m.media_type == registry::kOciIndex || m.media_type == registry::kDockerManifestList) {
    return Status::InvalidArgument(what + ": is an image index, not a checkpoint image manifest");
  }
  ASSIGN_OR_RETURN(bj::value doc, json::Parse(m.body, what + " manifest"));
  if (!doc.is_object()) return Status::InvalidArgument(what + ": manifest is not a JSON object");
  CheckpointManifest out;
  out.digest = m.digest;
  ASSIGN_OR_RETURN(out.config, ParseDescriptor(json::Find(doc, "config"), what + ": config"));
  const bj::value* layers = json::Find(doc, "layers");
  if (!layers || !layers->is_array() || layers->as_array().size() != 1) {
    return Status::InvalidArgument(what + ": a checkpoint image has exactly one layer");
  }
  ASSIGN_OR_RETURN(out.layer, ParseDescriptor(&layers->as_array()[0], what + ": layer"));
  auto c = CompressionOfMediaType(out.layer.media_type);
  if (!c.ok()) return c.status().Annotate(what);
  out.compression = *c;
  if (const bj::value* ann = json::Find(doc, "annotations"); ann && ann->is_object()) {
    for (const auto& kv : ann->as_object()) {
      if (kv.value().is_string()) out.annotations[std::string(kv.key())] = std::string(kv.value().as_string());
    }
  }
  out.is_checkpoint = out.annotations.count(kAnnCrioName) > 0 || out.annotations.count(kAnnCriuContainer) > 0;
  return out;
}

Result<RestoredCheckpoint> RestoreCheckpointImage(registry::Registry& reg, const RestoreOptions& opts, Clock& clock) {
  const auto start = clock.Steady();
  const std::string& repo = opts.repository;
  const std::string what = "restoring " + repo + (registry::IsDigest(opts.reference) ? "@" : ":") + opts.reference;
  RestoredCheckpoint out;
  ASSIGN_OR_RETURN(out.manifest, FetchCheckpointManifest(reg, repo, opts.reference));
  const CheckpointManifest& m = out.manifest;
  if (opts.require_checkpoint_annotations && !m.is_checkpoint) {
    return Status::FailedPrecondition(what + ": the image has no checkpoint annotations (" + kAnnCrioName + ")");
  }

  // The config: its rootfs.diff_ids name the uncompressed layer.
  auto config = reg.FetchBlob(repo, m.config.digest, 4 << 20);
  if (!config.ok()) return config.status().Annotate(what + ": config");
  if (static_cast<int64_t>(config->size()) != m.config.size) {
    return Status::Internal(what + ": config size mismatch: manifest says " + std::to_string(m.config.size) +
                            ", blob has " + std::to_string(config->size()));
  }
  ASSIGN_OR_RETURN(bj::value cfg, json::Parse(*config, what + " config"));
  const bj::value* diff_ids = json::Find(cfg, "rootfs.diff_ids");
  if (!diff_ids || !diff_ids->is_array() || diff_ids->as_array().size() != 1 ||
      !diff_ids->as_array()[0].is_string()) {
    return Status::InvalidArgument(what + ": config must list exactly one rootfs.diff_ids entry");
  }
  const std::string want_diff_id(diff_ids->as_array()[0].as_string());

  // The layer: download → decompress → hash → unpack, in a staging directory.
  // The whole blob is always read, even after a decompression or unpacking
  // error, so that a corrupted blob is reported as the digest mismatch it is.
  ASSIGN_OR_RETURN(auto staging, StagingDir::Create(opts.target_dir));
  ASSIGN_OR_RETURN(auto decompressor, Decompressor::New(m.compression));
  BlockQueue pipe(4, 1 << 20);
  Result<UnpackStats> extracted = Status::Internal("not run");
  std::thread unpacker([&] {
    extracted = ExtractTar([&] { return pipe.Next(); }, staging->path());
    pipe.CloseConsumer();
  });
  registry::Sha256Hasher diff_hasher;
  const ByteSink to_pipe = [&](std::string_view piece) {
    diff_hasher.Update(piece);
    pipe.Write(piece);
    return Status::Ok();
  };
  Status decompress_status;
  auto pulled = reg.PullBlob(
      repo, m.layer.digest,
      [&](std::string_view data) {
        if (decompress_status.ok()) decompress_status = decompressor->Update(data, to_pipe);
        return Status::Ok();
      },
      m.layer.size);
  if (pulled.ok() && decompress_status.ok()) decompress_status = decompressor->Finish();
  const Status stream_status = pulled.ok() ? decompress_status : pulled.status();
  pipe.Close(stream_status.ok() ? Status::Ok() : Status::Internal("the layer download failed"));
  unpacker.join();

  if (!pulled.ok()) return pulled.status().Annotate(what + ": layer " + m.layer.digest);
  if (!decompress_status.ok()) return decompress_status.Annotate(what + ": layer " + m.layer.digest);
  if (!extracted.ok()) return extracted.status().Annotate(what);
  out.diff_id = diff_hasher.Digest();
  if (out.diff_id != want_diff_id) {
    return Status::Internal(what + ": digest mismatch: uncompressed layer is " + out.diff_id +
                            ", the config's diff_id is " + want_diff_id);
  }
  RETURN_IF_ERROR(staging->Commit());
  out.path = staging->target();
  out.compressed_bytes = *pulled;
  out.uncompressed_bytes = diff_hasher.bytes();
  out.entries = extracted->entries;
  out.duration = std::chrono::duration_cast<Duration>(clock.Steady() - start);
  return out;
}

}  // namespace kbr::checkpoint
