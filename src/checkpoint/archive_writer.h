// CheckpointArchiveWriter: writes a checkpoint archive (uncompressed pax tar)
// in CRI-O's layout with libarchive: config.dump, spec.dump, checkpoint/
// (CRIU image files), rootfs-diff.tar, stats-dump, ... Used by the lab
// kubelet stand-in, tests and benchmarks to produce archives the real
// restore path understands. Entries are streamed to the file; memory stays
// constant however large the files are.
//
// Thread-safety: none; one writer per archive.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoint/image_builder.h"
#include "core/clock.h"
#include "core/status.h"

struct archive;

namespace kbr::checkpoint {

class CheckpointArchiveWriter {
 public:
  // Creates (truncates) the file at path with mode 0600, like the kubelet's
  // archives. Internal when it cannot be created.
  static Result<std::unique_ptr<CheckpointArchiveWriter>> Create(const std::string& path);
  ~CheckpointArchiveWriter();  // closes (a non-closed archive is left truncated-valid)

  // Fills `buf` with exactly `len` bytes of the next part of a streamed file.
  using Filler = std::function<Status(char* buf, size_t len)>;

  Status AddDirectory(const std::string& name, int mode = 0755);
  Status AddFile(const std::string& name, std::string_view data, int mode = 0644);
  // A regular file of `size` bytes produced by `fill` in pieces of at most 1 MiB.
  Status AddStreamedFile(const std::string& name, int64_t size, const Filler& fill, int mode = 0644);
  Status AddSymlink(const std::string& name, const std::string& target);
  // Writes the end-of-archive marker and closes the file.
  Status Close();

 private:
  explicit CheckpointArchiveWriter(struct archive* a, std::string path) : a_(a), path_(std::move(path)) {}
  Status Header(const std::string& name, int type, int mode, int64_t size, const std::string& link);
  struct archive* a_;
  std::string path_;
  int fd_close_ = -1;
  bool closed_ = false;
  std::unique_ptr<char[]> buf_;
};

// config.dump JSON as CRI-O writes it (id, name, rootfsImage,
// rootfsImageRef, rootfsImageName, runtime, createdTime, checkpointedTime).
std::string ConfigDumpJson(const ConfigDump& d, TimePoint created, TimePoint checkpointed);

// A minimal OCI runtime spec (spec.dump) for a container running `args`,
// with the pod's CRI-O annotations and the given bind mounts (destinations).
std::string SpecDumpJson(const CheckpointIdentity& id, const std::vector<std::string>& args,
                         const std::vector<std::string>& bind_mounts);

// A small uncompressed tar held in memory (for rootfs-diff.tar): each pair
// is (path, contents) of a regular file.
Result<std::string> TarInMemory(const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace kbr::checkpoint
