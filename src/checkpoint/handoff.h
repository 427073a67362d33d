// Hand-off of a restored checkpoint from the kbr agent to the node's
// container runtime (the kubelet side). The agent pulls and verifies a
// checkpoint image and unpacks it into <root>/<pod uid>/<container>/; then it
// writes <root>/<pod uid>/<container>.json, atomically and last, so a
// runtime that finds the record finds a complete checkpoint. The runtime
// owns <root>/<pod uid>/ from then on and removes it with the pod.
#pragma once

#include <optional>
#include <string>

#include "core/status.h"

namespace kbr::checkpoint {

// A pod whose checkpoint the agent restores carries this label (value: the
// kbr registry id whose propagated Secret holds the pull credentials); the
// agent records each container's outcome in annotation
// restore.kbr.io/<container>.
inline constexpr const char* kRestoreRegistryLabel = "kbr.io/restore-registry";
inline constexpr const char* kRestoreAnnotationPrefix = "restore.kbr.io/";

struct Handoff {
  std::string image;                 // the pod's image reference, as written in its spec
  std::string manifest_digest;       // what was pulled and verified
  std::string checkpoint_container;  // the checkpointed container's name
  std::string dir;                   // the unpacked checkpoint (set by ReadHandoff)
};

std::string HandoffDir(const std::string& root, const std::string& pod_uid, const std::string& container);

// Records `h` for the unpacked checkpoint in HandoffDir(...). Unavailable
// when the record cannot be written.
Status WriteHandoff(const std::string& root, const std::string& pod_uid, const std::string& container,
                    const Handoff& h);

// The record for the container, nullopt when there is none (yet);
// InvalidArgument for a malformed record.
Result<std::optional<Handoff>> ReadHandoff(const std::string& root, const std::string& pod_uid,
                                           const std::string& container);

}  // namespace kbr::checkpoint
