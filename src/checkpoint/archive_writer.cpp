#include "checkpoint/archive_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/json.h"

namespace kbr::checkpoint {

namespace bj = boost::json;

namespace {

constexpr size_t kPiece = 1 << 20;

std::string ErrorOf(struct archive* a) {
  const char* e = archive_error_string(a);
  return e ? e : "unknown libarchive error";
}

}  // namespace

Result<std::unique_ptr<CheckpointArchiveWriter>> CheckpointArchiveWriter::Create(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("cannot create '" + path + "': " + std::strerror(errno));
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);  // no padding to a 10 KiB record
  if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
    std::string err = ErrorOf(a);
    archive_write_free(a);
    close(fd);
    return Status::Internal("cannot write '" + path + "': " + err);
  }
  // libarchive does not close a caller's fd; Close() does.
  std::unique_ptr<CheckpointArchiveWriter> w(new CheckpointArchiveWriter(a, path));
  w->buf_.reset(new char[kPiece]);
  w->fd_close_ = fd;
  return w;
}

CheckpointArchiveWriter::~CheckpointArchiveWriter() {
  if (!closed_) (void)Close();
}

Status CheckpointArchiveWriter::Header(const std::string& name, int type, int mode, int64_t size,
                                       const std::string& link) {
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, static_cast<unsigned>(type));
  archive_entry_set_perm(e, static_cast<mode_t>(mode));
  archive_entry_set_size(e, size);
  archive_entry_set_mtime(e, 1700000000, 0);
  if (!link.empty()) archive_entry_set_symlink(e, link.c_str());
  int r = archive_write_header(a_, e);
  archive_entry_free(e);
  if (r < ARCHIVE_WARN) return Status::Internal("writing '" + name + "' to '" + path_ + "': " + ErrorOf(a_));
  return Status::Ok();
}

Status CheckpointArchiveWriter::AddDirectory(const std::string& name, int mode) {
  return Header(name, AE_IFDIR, mode, 0, "");
}

Status CheckpointArchiveWriter::AddFile(const std::string& name, std::string_view data, int mode) {
  RETURN_IF_ERROR(Header(name, AE_IFREG, mode, static_cast<int64_t>(data.size()), ""));
  if (!data.empty() && archive_write_data(a_, data.data(), data.size()) != static_cast<la_ssize_t>(data.size())) {
    return Status::Internal("writing '" + name + "' to '" + path_ + "': " + ErrorOf(a_));
  }
  return Status::Ok();
}

Status CheckpointArchiveWriter::AddStreamedFile(const std::string& name, int64_t size, const Filler& fill, int mode) {
  RETURN_IF_ERROR(Header(name, AE_IFREG, mode, size, ""));
  for (int64_t done = 0; done < size;) {
    size_t n = static_cast<size_t>(std::min<int64_t>(size - done, kPiece));
    RETURN_IF_ERROR(fill(buf_.get(), n));
    if (archive_write_data(a_, buf_.get(), n) != static_cast<la_ssize_t>(n)) {
      return Status::Internal("writing '" + name + "' to '" + path_ + "': " + ErrorOf(a_));
    }
    done += static_cast<int64_t>(n);
  }
  return Status::Ok();
}

Status CheckpointArchiveWriter::AddSymlink(const std::string& name, const std::string& target) {
  return Header(name, AE_IFLNK, 0777, 0, target);
}

Status CheckpointArchiveWriter::Close() {
  if (closed_) return Status::Ok();
  closed_ = true;
  int r = archive_write_close(a_);
  std::string err = r == ARCHIVE_OK ? "" : ErrorOf(a_);
  archive_write_free(a_);
  int c = close(fd_close_);
  if (r != ARCHIVE_OK) return Status::Internal("closing '" + path_ + "': " + err);
  if (c != 0) return Status::Internal("closing '" + path_ + "': " + std::strerror(errno));
  return Status::Ok();
}

std::string ConfigDumpJson(const ConfigDump& d, TimePoint created, TimePoint checkpointed) {
  bj::object o;
  o["id"] = d.id;
  o["name"] = d.name;
  o["rootfsImage"] = d.rootfs_image;
  o["rootfsImageRef"] = d.rootfs_image_ref;
  o["rootfsImageName"] = d.rootfs_image_name;
  o["runtime"] = d.runtime;
  o["createdTime"] = FormatRfc3339(created);
  o["checkpointedTime"] = FormatRfc3339(checkpointed);
  o["restoredTime"] = "0001-01-01T00:00:00Z";
  o["restored"] = false;
  return json::Serialize(o);
}

std::string SpecDumpJson(const CheckpointIdentity& id, const std::vector<std::string>& args,
                         const std::vector<std::string>& bind_mounts) {
  bj::object spec;
  spec["ociVersion"] = "1.0.2-dev";
  bj::object process;
  process["terminal"] = false;
  process["user"] = bj::object{{"uid", 0}, {"gid", 0}};
  bj::array a;
  for (const auto& s : args) a.emplace_back(s);
  process["args"] = std::move(a);
  process["env"] = bj::array{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  process["cwd"] = "/";
  spec["process"] = std::move(process);
  spec["root"] = bj::object{{"path", "/var/lib/containers/storage/overlay/merged"}, {"readonly", false}};
  spec["hostname"] = id.pod;
  bj::array mounts;
  mounts.emplace_back(bj::object{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}});
  for (const auto& m : bind_mounts) {
    mounts.emplace_back(bj::object{{"destination", m},
                                   {"type", "bind"},
                                   {"source", "/var/lib/kubelet/pods/volumes" + m},
                                   {"options", bj::array{"rbind", "rw"}}});
  }
  spec["mounts"] = std::move(mounts);
  spec["annotations"] = bj::object{{"io.kubernetes.pod.name", id.pod},
                                   {"io.kubernetes.pod.namespace", id.namespace_name},
                                   {"io.kubernetes.container.name", id.container},
                                   {"io.kubernetes.cri-o.ContainerType", "container"}};
  spec["linux"] = bj::object{{"namespaces", bj::array{bj::object{{"type", "pid"}}, bj::object{{"type", "mount"}}}}};
  return json::Serialize(spec);
}

Result<std::string> TarInMemory(const std::vector<std::pair<std::string, std::string>>& files) {
  size_t cap = 10240;
  for (const auto& [name, data] : files) cap += 2048 + data.size() + name.size();
  std::string out(cap, '\0');
  size_t used = 0;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);
  if (archive_write_open_memory(a, out.data(), out.size(), &used) != ARCHIVE_OK) {
    archive_write_free(a);
    return Status::Internal("tar in memory: cannot open");
  }
  Status s;
  for (const auto& [name, data] : files) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    archive_entry_set_mtime(e, 1700000000, 0);
    if (archive_write_header(a, e) < ARCHIVE_WARN ||
        (!data.empty() && archive_write_data(a, data.data(), data.size()) < 0)) {
      s = Status::Internal("tar in memory: " + ErrorOf(a));
    }
    archive_entry_free(e);
    if (!s.ok()) break;
  }
  if (archive_write_close(a) != ARCHIVE_OK && s.ok()) s = Status::Internal("tar in memory: " + ErrorOf(a));
  archive_write_free(a);
  RETURN_IF_ERROR(s);
  out.resize(used);
  return out;
}

}  // namespace kbr::checkpoint
