// Checkpoint archives of the lab node, in the layout CRI-O writes for the
// kubelet checkpoint API (see notes/checkpoint-format.md): an uncompressed tar
//   config.dump      {id, name, rootfsImage, rootfsImageRef, rootfsImageName,
//                     runtime "kbr-lab", createdTime, checkpointedTime}
//   spec.dump        the container's OCI runtime spec (process args/env, mounts,
//                    annotations naming pod, namespace and container)
//   checkpoint/      the process image files, named like CRIU's:
//                    inventory.img, core-<pid>.img, pagemap-1.img (placeholders
//                    describing the process) and pages-1.img (the demo's state,
//                    demo::EncodeImage)
//   rootfs-diff.tar  an empty tar (the lab's containers change no files)
//   stats-dump       JSON with the dump's timings and sizes
//   dump.log         what the dump did
// written to <dir>/checkpoint-<pod>_<namespace>-<container>-<RFC 3339>.tar
// (dir 0700, file 0600; written to a temporary name and renamed, so a reader
// never sees a partial archive).
#pragma once

#include <boost/json/value.hpp>

#include <chrono>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "lab/node_runtime.h"

namespace kbr::lab {

struct DumpStats {
  std::chrono::microseconds freezing{0};  // asking the process for its image
  std::chrono::microseconds memdump{0};   // receiving it
  std::chrono::microseconds memwrite{0};  // writing the archive
  int64_t pages = 0;                      // 4 KiB pages the image occupies
};

struct ArchiveInput {
  ContainerState container;  // the runtime's view of the container
  std::string node_name;
  std::string pages;         // the process image (checkpoint/pages-1.img)
  DumpStats stats;
  TimePoint checkpointed_at;
};

// config.dump and spec.dump of `in` (exposed for tests).
boost::json::value ConfigDump(const ArchiveInput& in);
boost::json::value SpecDump(const ArchiveInput& in);

// The archive file name the kubelet uses.
std::string ArchiveName(const std::string& pod, const std::string& ns, const std::string& container,
                        TimePoint at);

// Writes the archive for `in` under `dir` (created 0700 if missing) and
// returns its path. Unavailable (naming the path) when it cannot be written.
Result<std::string> WriteCheckpointArchive(const ArchiveInput& in, const std::string& dir);

// Asks a demo container for its process image over its control channel
// (demo.h), within `timeout`. FailedPrecondition when the container is not a
// running demo; Unavailable / DeadlineExceeded when the process does not answer.
Result<std::string> DumpDemoProcess(const ContainerState& c, std::chrono::seconds timeout, DumpStats* stats);

}  // namespace kbr::lab
