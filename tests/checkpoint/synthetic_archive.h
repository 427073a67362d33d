// Synthetic checkpoint archives in the real CRI-O layout for tests and
// benchmarks: config.dump, spec.dump, dump.log, stats-dump, bind.mounts,
// checkpoint/ (CRIU image files, pages-*.img holding "memory pages"),
// rootfs-diff.tar. Content is deterministic for a seed.
//
// Memory pages are a realistic mix: a `compressible` fraction of zero pages,
// repeated patterns and text-like heap pages, the rest random bytes.
#pragma once

#include <cstdint>
#include <string>

#include "checkpoint/image_builder.h"
#include "core/status.h"

namespace kbr::checkpoint::testing {

struct SyntheticCheckpoint {
  CheckpointIdentity id{"default", "demo-0", "demo", "exec-1"};
  ConfigDump dump{"4f3c2b1a0d9e8f7a", "demo", "quay.io/kbr/demo:1.0", "sha256:5d41402abc4b2a76b9719d911017c592",
                  "quay.io/kbr/demo:1.0", "runc"};
  int64_t pages_bytes = 8 << 20;  // total of checkpoint/pages-*.img
  double compressible = 0.6;      // fraction of non-random pages
  uint64_t seed = 1;
};

// Writes the archive at path; returns its size in bytes.
Result<int64_t> WriteSyntheticCheckpoint(const std::string& path, const SyntheticCheckpoint& spec);

}  // namespace kbr::checkpoint::testing
