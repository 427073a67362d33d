#include "checkpoint/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

namespace kbr::checkpoint {

namespace fs = std::filesystem;

namespace {

// Splits a relative path into components, dropping "" and ".".
std::vector<std::string_view> Components(std::string_view p) {
  std::vector<std::string_view> out;
  while (!p.empty()) {
    size_t slash = p.find('/');
    std::string_view c = p.substr(0, slash);
    if (!c.empty() && c != ".") out.push_back(c);
    if (slash == std::string_view::npos) break;
    p.remove_prefix(slash + 1);
  }
  return out;
}

Result<std::string> NormalizeRelative(std::string_view what, std::string_view p) {
  if (p.empty()) return Status::InvalidArgument(std::string(what) + ": empty path");
  if (p[0] == '/') return Status::InvalidArgument(std::string(what) + " '" + std::string(p) + "': absolute path");
  std::string out;
  for (std::string_view c : Components(p)) {
    if (c == "..") {
      return Status::InvalidArgument(std::string(what) + " '" + std::string(p) + "': '..' escapes the target");
    }
    if (!out.empty()) out.push_back('/');
    out.append(c);
  }
  return out;
}

struct ReadCtx {
  const TarReader* read;
  Status error;
};

la_ssize_t ReadCallback(struct archive* a, void* p, const void** buf) {
  auto* ctx = static_cast<ReadCtx*>(p);
  auto r = (*ctx->read)();
  if (!r.ok()) {
    ctx->error = r.status();
    archive_set_error(a, EIO, "%s", r.status().message().c_str());
    return -1;
  }
  *buf = r->data();
  return static_cast<la_ssize_t>(r->size());
}

struct ArchiveDeleter {
  void operator()(struct archive* a) const {
    if (a) archive_free(a);
  }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveDeleter>;

std::string ErrorOf(struct archive* a) {
  const char* e = archive_error_string(a);
  return e ? e : "unknown libarchive error";
}

}  // namespace

Result<CheckedEntry> CheckEntry(std::string_view path, EntryKind kind, std::string_view link) {
  const std::string what = "archive entry '" + std::string(path) + "'";
  if (kind == EntryKind::kOther) {
    return Status::InvalidArgument(what + ": unsupported type (devices, FIFOs and sockets are not allowed)");
  }
  CheckedEntry out;
  ASSIGN_OR_RETURN(out.path, NormalizeRelative("archive entry", path));
  if (kind == EntryKind::kHardlink) {
    ASSIGN_OR_RETURN(out.link, NormalizeRelative(what + ": hard link target", link));
    if (out.link.empty()) return Status::InvalidArgument(what + ": hard link to the target root");
  } else if (kind == EntryKind::kSymlink) {
    if (link.empty()) return Status::InvalidArgument(what + ": empty symlink target");
    if (link[0] == '/') {
      return Status::InvalidArgument(what + ": symlink to the absolute path '" + std::string(link) + "'");
    }
    // Resolve lexically from the link's own directory.
    auto comps = Components(out.path);
    int depth = comps.empty() ? 0 : static_cast<int>(comps.size()) - 1;
    for (std::string_view c : Components(link)) {
      depth += c == ".." ? -1 : 1;
      if (depth < 0) {
        return Status::InvalidArgument(what + ": symlink target '" + std::string(link) + "' escapes the target");
      }
    }
    out.link = std::string(link);
  }
  if (out.path.empty() && kind != EntryKind::kDirectory) {
    return Status::InvalidArgument(what + ": names the target root");
  }
  return out;
}

Result<UnpackStats> ExtractTar(const TarReader& read, const std::string& dir) {
  ReadCtx ctx{&read, Status::Ok()};
  ArchivePtr in(archive_read_new());
  ArchivePtr out(archive_write_disk_new());
  if (!in || !out) return Status::Internal("libarchive: out of memory");
  archive_read_support_format_tar(in.get());
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                                ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  auto read_error = [&](const std::string& what) -> Status {
    if (!ctx.error.ok()) return ctx.error;
    return Status::InvalidArgument("malformed checkpoint layer: " + what + ": " + ErrorOf(in.get()));
  };
  if (archive_read_open(in.get(), &ctx, nullptr, ReadCallback, nullptr) != ARCHIVE_OK) {
    return read_error("opening the tar stream");
  }
  UnpackStats stats;
  for (;;) {
    struct archive_entry* entry = nullptr;
    int r = archive_read_next_header(in.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return read_error("reading an entry header");
    const char* name = archive_entry_pathname(entry);
    const char* hardlink = archive_entry_hardlink(entry);
    EntryKind kind = EntryKind::kOther;
    if (hardlink) {
      kind = EntryKind::kHardlink;
    } else {
      switch (archive_entry_filetype(entry)) {
        case AE_IFREG: kind = EntryKind::kFile; break;
        case AE_IFDIR: kind = EntryKind::kDirectory; break;
        case AE_IFLNK: kind = EntryKind::kSymlink; break;
        default: break;
      }
    }
    const char* symlink = kind == EntryKind::kSymlink ? archive_entry_symlink(entry) : nullptr;
    ASSIGN_OR_RETURN(CheckedEntry checked,
                     CheckEntry(name ? name : "", kind, hardlink ? hardlink : (symlink ? symlink : "")));
    if (checked.path.empty()) continue;  // "./": the target itself
    const std::string full = dir + "/" + checked.path;
    archive_entry_set_pathname(entry, full.c_str());
    if (kind == EntryKind::kHardlink) archive_entry_set_hardlink(entry, (dir + "/" + checked.link).c_str());
    archive_entry_set_perm(entry, archive_entry_perm(entry) & 0777);
    if (archive_write_header(out.get(), entry) < ARCHIVE_WARN) {
      return Status::InvalidArgument("unpacking '" + checked.path + "': " + ErrorOf(out.get()));
    }
    if (archive_entry_size(entry) > 0 && kind != EntryKind::kDirectory && kind != EntryKind::kSymlink) {
      for (;;) {
        const void* buf = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        r = archive_read_data_block(in.get(), &buf, &size, &offset);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) return read_error("reading '" + checked.path + "'");
        if (archive_write_data_block(out.get(), buf, size, offset) < ARCHIVE_WARN) {
          return Status::Internal("writing '" + full + "': " + ErrorOf(out.get()));
        }
        stats.file_bytes += static_cast<int64_t>(size);
      }
    }
    if (archive_write_finish_entry(out.get()) < ARCHIVE_WARN) {
      return Status::Internal("finishing '" + full + "': " + ErrorOf(out.get()));
    }
    ++stats.entries;
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK) {
    return Status::Internal("finishing extraction into '" + dir + "': " + ErrorOf(out.get()));
  }
  return stats;
}

Result<std::unique_ptr<StagingDir>> StagingDir::Create(const std::string& target_dir) {
  fs::path target(target_dir);
  std::string name = target.filename().string();
  if (name.empty() && target.has_parent_path()) {  // "dir/" → "dir"
    target = target.parent_path();
    name = target.filename().string();
  }
  if (name.empty() || name == "." || name == "..") {
    return Status::InvalidArgument("restore target '" + target_dir + "' must name a new directory");
  }
  std::error_code ec;
  fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  fs::path canon = fs::canonical(parent, ec);
  if (ec || !fs::is_directory(canon)) {
    return Status::NotFound("restore target '" + target_dir + "': parent directory does not exist");
  }
  const std::string final_path = (canon / name).string();
  if (fs::symlink_status(final_path, ec).type() != fs::file_type::not_found) {
    return Status::AlreadyExists("restore target '" + final_path + "' already exists");
  }
  std::string tmpl = (canon / ("." + name + ".kbr-partial-XXXXXX")).string();
  if (!mkdtemp(tmpl.data())) {
    return Status::Internal("cannot create a staging directory in '" + canon.string() + "': " + std::strerror(errno));
  }
  return std::unique_ptr<StagingDir>(new StagingDir(tmpl, final_path));
}

StagingDir::~StagingDir() {
  if (committed_) return;
  std::error_code ec;
  // Directories restored read-only would stop remove_all; make them writable first.
  for (auto it = fs::recursive_directory_iterator(path_, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
  }
  fs::remove_all(path_, ec);
}

Status StagingDir::Commit() {
  if (rename(path_.c_str(), target_.c_str()) != 0) {
    int err = errno;
    if (err == EEXIST || err == ENOTEMPTY) {
      return Status::AlreadyExists("restore target '" + target_ + "' appeared while unpacking");
    }
    return Status::Internal("renaming '" + path_ + "' to '" + target_ + "': " + std::strerror(err));
  }
  committed_ = true;
  return Status::Ok();
}

Result<UnpackStats> UnpackTarFile(const std::string& tar_path, const std::string& target_dir) {
  int fd = open(tar_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string msg = "cannot open '" + tar_path + "': " + std::strerror(err);
    return err == ENOENT ? Status::NotFound(msg) : Status::Internal(msg);
  }
  std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* f) { close(*f); });
  ASSIGN_OR_RETURN(auto staging, StagingDir::Create(target_dir));
  std::unique_ptr<char[]> buf(new char[1 << 20]);
  TarReader reader = [&]() -> Result<std::string_view> {
    for (;;) {
      ssize_t n = read(fd, buf.get(), 1 << 20);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::Internal("reading '" + tar_path + "': " + std::strerror(errno));
      return std::string_view(buf.get(), static_cast<size_t>(n));
    }
  };
  ASSIGN_OR_RETURN(UnpackStats stats, ExtractTar(reader, staging->path()));
  RETURN_IF_ERROR(staging->Commit());
  return stats;
}

}  // namespace kbr::checkpoint
