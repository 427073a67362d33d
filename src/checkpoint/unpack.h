// Safe extraction of a checkpoint layer (a tar stream) into a new directory,
// with libarchive.
//
// Rules every entry must pass (else the whole extraction fails):
//   - a relative path: no leading "/", no ".." component (a "./" prefix and
//     "." components are fine; the archive root "./" itself is skipped);
//   - a regular file, directory, symlink or hard link: device nodes, FIFOs
//     and sockets are refused;
//   - a symlink's target is relative and, resolved from the link's
//     directory, stays inside the extraction root;
//   - a hard link's target obeys the path rules;
//   - nothing is written through a symlink created by an earlier entry
//     (libarchive's SECURE_SYMLINKS / SECURE_NODOTDOT also apply).
// Permission bits are kept without setuid/setgid/sticky; owners, ACLs and
// xattrs are not restored.
//
// All-or-nothing: StagingDir extracts into "<parent>/.<name>.kbr-partial-XXXXXX"
// and renames it to the target only on Commit(); otherwise it is removed.
//
// Thread-safety: functions are reentrant; a StagingDir is used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace kbr::checkpoint {

enum class EntryKind { kFile, kDirectory, kSymlink, kHardlink, kOther };

struct CheckedEntry {
  std::string path;  // normalized relative path; "" for the archive root itself
  std::string link;  // hard link: normalized target; symlink: the target as given
};

// Applies the rules above to one entry. InvalidArgument naming the entry
// and the rule it breaks.
Result<CheckedEntry> CheckEntry(std::string_view path, EntryKind kind, std::string_view link_target);

// Yields the next piece of tar bytes (valid until the next call); an empty
// view at the end of the stream. An error aborts the extraction with it.
using TarReader = std::function<Result<std::string_view>()>;

struct UnpackStats {
  int64_t entries = 0;     // entries extracted (the root entry not counted)
  int64_t file_bytes = 0;  // bytes written to regular files
};

// Extracts the tar `read` yields into `dir`, which must exist, be empty and
// have no symlink in its path (use StagingDir). Stops at the end-of-archive
// marker; it may not consume bytes after it. Errors: the reader's error;
// InvalidArgument for a rule violation or a malformed tar; Internal when
// writing to disk fails. On error `dir` may hold a partial tree.
Result<UnpackStats> ExtractTar(const TarReader& read, const std::string& dir);

// A fresh directory beside a target directory that does not exist yet.
class StagingDir {
 public:
  // REQUIRES: target_dir's parent exists. Errors: AlreadyExists when
  // target_dir exists; NotFound when its parent does not; InvalidArgument
  // for an empty target or one ending in "." / ".."; Internal when mkdtemp fails.
  static Result<std::unique_ptr<StagingDir>> Create(const std::string& target_dir);
  ~StagingDir();  // removes the staging directory unless committed
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;

  const std::string& path() const { return path_; }      // where to extract (canonical, absolute)
  const std::string& target() const { return target_; }  // canonical, absolute target path
  // Renames the staging directory to the target (mode 0700). AlreadyExists
  // when the target appeared meanwhile (the staging directory is removed).
  Status Commit();

 private:
  StagingDir(std::string path, std::string target) : path_(std::move(path)), target_(std::move(target)) {}
  std::string path_;
  std::string target_;
  bool committed_ = false;
};

// Extracts a tar file into target_dir (which must not exist) through a
// StagingDir. Errors: those of StagingDir::Create and ExtractTar; NotFound
// when the tar file does not exist. On error nothing is left behind.
Result<UnpackStats> UnpackTarFile(const std::string& tar_path, const std::string& target_dir);

}  // namespace kbr::checkpoint
