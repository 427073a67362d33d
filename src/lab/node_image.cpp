#include "lab/node_image.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/base64.h"
#include "core/json.h"
#include "registry/digest.h"

namespace kbr::lab {
namespace fs = std::filesystem;
namespace bj = boost::json;

namespace {
// The parsed config.dump of an unpacked checkpoint (null when missing).
bj::value ReadConfigDump(const std::string& dir) {
  std::ifstream in(dir + "/config.dump");
  std::stringstream ss;
  ss << in.rdbuf();
  auto cfg = json::Parse(ss.str(), "config.dump");
  return cfg.ok() ? *cfg : bj::value();
}
}  // namespace

PulledImage HandedOverImage(const registry::Reference& ref, const checkpoint::Handoff& h) {
  return {.manifest_digest = h.manifest_digest,
          .image_id = ref.registry + "/" + ref.repository + "@" + h.manifest_digest,
          .checkpoint_container = h.checkpoint_container,
          .dir = h.dir,
          .config_dump = ReadConfigDump(h.dir)};
}

ImageKind ClassifyImage(std::string_view image) {
  if (image.rfind("docker.io/", 0) == 0) image.remove_prefix(10);
  auto starts = [&](std::string_view p) { return image.rfind(p, 0) == 0; };
  if (starts("kbr/demo") || starts("localhost/kbr-demo")) return ImageKind::kDemo;
  if (starts("kbr/kbr") || starts("localhost/kbr")) return ImageKind::kAgent;
  return ImageKind::kOther;
}

bool IsLoopbackRegistry(const registry::Reference& ref) {
  const std::string& h = ref.registry;
  for (const char* host : {"127.0.0.1:", "localhost:", "[::1]:"}) {
    if (h.rfind(host, 0) == 0 && h.size() > std::string_view(host).size()) return true;
  }
  return false;
}

Result<std::optional<registry::Credentials>> CredentialsFromDockerConfig(std::string_view doc,
                                                                         const std::string& registry_host) {
  ASSIGN_OR_RETURN(bj::value v, json::Parse(doc, ".dockerconfigjson"));
  const bj::value* auths = json::Find(v, "auths");
  if (!auths || !auths->is_object()) return Status::InvalidArgument(".dockerconfigjson: no \"auths\" object");
  for (const auto& [key, entry] : auths->as_object()) {
    auto ep = registry::ParseEndpoint(std::string(key));
    if (!ep.ok() || ep->host != registry_host) continue;
    registry::Credentials c{json::GetString(entry, "username"), json::GetString(entry, "password")};
    if (c.username.empty() && !json::GetString(entry, "auth").empty()) {
      ASSIGN_OR_RETURN(std::string raw, Base64Decode(json::GetString(entry, "auth")));
      auto colon = raw.find(':');
      if (colon == std::string::npos) {
        return Status::InvalidArgument(".dockerconfigjson: \"auth\" of " + registry_host + " is not user:password");
      }
      c = {raw.substr(0, colon), raw.substr(colon + 1)};
    }
    return std::optional<registry::Credentials>(c);
  }
  return std::optional<registry::Credentials>();
}

std::string CheckpointContainerName(const bj::value& manifest) {
  for (const char* key : {"io.kubernetes.cri-o.annotations.checkpoint.name", "org.criu.checkpoint.container.name"}) {
    if (const auto* a = json::Find(manifest, "annotations"); a && a->is_object()) {
      if (auto it = a->as_object().find(key); it != a->as_object().end() && it->value().is_string()) {
        return std::string(it->value().get_string());
      }
    }
  }
  return "";
}

namespace {

// One libarchive reader over a file with the filter the media type names.
struct Reader {
  archive* a = archive_read_new();
  ~Reader() { archive_read_free(a); }
  std::string Error() const {
    const char* m = archive_error_string(a);
    return m ? m : "libarchive error";
  }
};

Status OpenLayer(Reader& r, const std::string& path, const std::string& media_type, bool raw) {
  bool gzip = media_type.ends_with("+gzip") || media_type.ends_with(".tar.gzip");
  bool zstd = media_type.ends_with("+zstd");
  bool plain = media_type.ends_with(".tar") || media_type.ends_with("layer.v1.tar");
  if (!gzip && !zstd && !plain) return Status::InvalidArgument("unsupported layer media type '" + media_type + "'");
  if (gzip) archive_read_support_filter_gzip(r.a);
  if (zstd) archive_read_support_filter_zstd(r.a);
  if (raw) {
    archive_read_support_format_raw(r.a);
  } else {
    archive_read_support_format_tar(r.a);
  }
  if (archive_read_open_filename(r.a, path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return Status::InvalidArgument("layer '" + path + "' (" + media_type + "): " + r.Error());
  }
  return Status::Ok();
}

// sha256 of the uncompressed stream.
Result<std::string> DiffId(const std::string& path, const std::string& media_type) {
  Reader r;
  RETURN_IF_ERROR(OpenLayer(r, path, media_type, true));
  archive_entry* e = nullptr;
  registry::Sha256Hasher h;
  if (archive_read_next_header(r.a, &e) == ARCHIVE_OK) {
    char buf[1 << 16];
    la_ssize_t n;
    while ((n = archive_read_data(r.a, buf, sizeof buf)) > 0) h.Update(std::string_view(buf, n));
    if (n < 0) return Status::InvalidArgument("layer '" + path + "': " + r.Error());
  }
  return h.Digest();
}

bool SafeRelative(const std::string& p) {
  if (p.empty() || p.front() == '/') return false;
  for (const auto& part : fs::path(p)) {
    if (part == "..") return false;
  }
  return true;
}

}  // namespace

Result<std::string> UnpackLayer(const std::string& blob_path, const std::string& media_type, const std::string& dir) {
  ASSIGN_OR_RETURN(std::string diff_id, DiffId(blob_path, media_type));
  Reader r;
  RETURN_IF_ERROR(OpenLayer(r, blob_path, media_type, false));
  archive* disk = archive_write_disk_new();
  archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                           ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  Status s;
  archive_entry* e = nullptr;
  int rc;
  while ((rc = archive_read_next_header(r.a, &e)) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    while (name.rfind("./", 0) == 0) name = name.substr(2);
    if (name.empty()) continue;
    if (!SafeRelative(name)) {
      s = Status::InvalidArgument("layer entry '" + name + "' escapes the unpack directory");
      break;
    }
    if (const char* link = archive_entry_hardlink(e)) {
      if (!SafeRelative(link)) {
        s = Status::InvalidArgument("layer hard link '" + std::string(link) + "' escapes the unpack directory");
        break;
      }
      archive_entry_set_hardlink(e, (dir + "/" + link).c_str());
    }
    archive_entry_set_pathname(e, (dir + "/" + name).c_str());
    if (archive_write_header(disk, e) != ARCHIVE_OK) {
      s = Status::Unavailable("unpacking '" + name + "': " + std::string(archive_error_string(disk)));
      break;
    }
    const void* buf;
    size_t size;
    la_int64_t offset;
    while ((rc = archive_read_data_block(r.a, &buf, &size, &offset)) == ARCHIVE_OK) {
      if (archive_write_data_block(disk, buf, size, offset) != ARCHIVE_OK) break;
    }
    archive_write_finish_entry(disk);
  }
  if (s.ok() && rc != ARCHIVE_EOF && rc != ARCHIVE_OK) s = Status::InvalidArgument("layer: " + r.Error());
  archive_write_close(disk);
  archive_write_free(disk);
  RETURN_IF_ERROR(s);
  return diff_id;
}

Result<PulledImage> PullImage(registry::Registry& reg, const registry::Reference& ref, const std::string& dest_dir) {
  ASSIGN_OR_RETURN(registry::Manifest m, reg.GetManifest(ref.repository, ref.ManifestRef()));
  ASSIGN_OR_RETURN(bj::value doc, json::Parse(m.body, "manifest of " + ref.String()));
  if (m.media_type == registry::kOciIndex || m.media_type == registry::kDockerManifestList) {
    const bj::value* first = json::Find(doc, "manifests");
    if (!first || !first->is_array() || first->as_array().empty()) {
      return Status::NotFound("image index " + ref.String() + " lists no manifests");
    }
    std::string digest = json::GetString(first->as_array()[0], "digest");
    ASSIGN_OR_RETURN(m, reg.GetManifest(ref.repository, digest));
    ASSIGN_OR_RETURN(doc, json::Parse(m.body, "manifest of " + ref.String()));
  }
  PulledImage out;
  out.manifest_digest = m.digest;
  out.image_id = ref.registry + "/" + ref.repository + "@" + m.digest;
  out.checkpoint_container = CheckpointContainerName(doc);
  if (out.checkpoint_container.empty()) return out;

  std::vector<std::string> diff_ids;
  std::string config_digest = json::GetString(doc, "config.digest");
  if (!config_digest.empty()) {
    ASSIGN_OR_RETURN(std::string config, reg.FetchBlob(ref.repository, config_digest));
    ASSIGN_OR_RETURN(bj::value cfg, json::Parse(config, "image config of " + ref.String()));
    if (const auto* ids = json::Find(cfg, "rootfs.diff_ids"); ids && ids->is_array()) {
      for (const auto& id : ids->as_array()) diff_ids.push_back(id.is_string() ? std::string(id.get_string()) : "");
    }
  }
  const bj::value* layers = json::Find(doc, "layers");
  if (!layers || !layers->is_array() || layers->as_array().empty()) {
    return Status::InvalidArgument("checkpoint image " + ref.String() + " has no layers");
  }
  std::error_code ec;
  std::string staging = dest_dir + ".unpack-" + std::to_string(::getpid());
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) return Status::Unavailable("cannot create '" + staging + "': " + ec.message());
  auto cleanup = [&] { fs::remove_all(staging, ec); };
  size_t i = 0;
  for (const auto& layer : layers->as_array()) {
    std::string digest = json::GetString(layer, "digest");
    std::string media = json::GetString(layer, "mediaType");
    std::string blob = staging + ".layer";
    std::FILE* f = std::fopen(blob.c_str(), "wb");
    if (!f) {
      cleanup();
      return Status::Unavailable("cannot write '" + blob + "'");
    }
    auto pulled = reg.PullBlob(
        ref.repository, digest,
        [f](std::string_view chunk) {
          return std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size() ? Status::Ok()
                                                                                : Status::Unavailable("write failed");
        },
        json::GetInt(layer, "size", -1));
    std::fclose(f);
    Result<std::string> diff = pulled.ok() ? UnpackLayer(blob, media, staging) : Result<std::string>(pulled.status());
    fs::remove(blob, ec);
    if (!diff.ok()) {
      cleanup();
      return diff.status();
    }
    if (i < diff_ids.size() && diff_ids[i] != *diff) {
      cleanup();
      return Status::Internal("layer " + digest + " of " + ref.String() + ": diff_id mismatch: expected " +
                              diff_ids[i] + ", got " + *diff);
    }
    ++i;
  }
  out.config_dump = ReadConfigDump(staging);
  fs::remove_all(dest_dir, ec);
  fs::create_directories(fs::path(dest_dir).parent_path(), ec);
  fs::rename(staging, dest_dir, ec);
  if (ec) {
    cleanup();
    return Status::Unavailable("cannot move unpacked image to '" + dest_dir + "': " + ec.message());
  }
  out.dir = dest_dir;
  return out;
}

}  // namespace kbr::lab
