// The lab node's container runtime stand-in: containers are plain processes
// (started detached with lab/process.h), one JSON record per container under
// NodeLayout::ContainerDir() so that a restarted lab node re-adopts the
// processes still running (checked by pid and command line).
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "lab/node.h"

namespace kbr::lab {

enum class Workload {
  kNone,   // no process: marked running, always ready
  kAgent,  // `kbr agent ...`
  kDemo,   // `kbr demo --listen 127.0.0.1:<port> [--restore-from <dir>]`
};
const char* WorkloadName(Workload w);

struct LaunchSpec {
  std::string pod_namespace;
  std::string pod_name;
  std::string pod_uid;
  std::string container;
  std::string image;       // as in the pod spec
  std::string image_id;    // what the status reports as imageID
  std::string base_image;  // the rootfs image (for a restored checkpoint: the original one)
  Workload workload = Workload::kNone;
  std::vector<std::string> args;  // kAgent: argv after the binary ("agent", ...)
  std::vector<std::string> env;   // KEY=VAL for the process
  std::string restore_dir;        // kDemo: unpacked checkpoint to restore from
};

struct Termination {
  int exit_code = 0;
  std::string reason;  // "Completed", "Error", "Unknown" (exit not observed)
  TimePoint started_at;
  TimePoint finished_at;
};

struct ContainerState {
  std::string id;  // 64 hex characters, new for every start
  LaunchSpec spec;
  int pid = 0;   // 0 for kNone
  int port = 0;  // kDemo: where it serves
  std::string checkpoint_token;  // kDemo: its control-channel token (never logged)
  std::string log_path;
  std::vector<std::string> argv;  // what was executed (argv[0] = binary)
  TimePoint started_at;
  int restart_count = 0;
  bool running = false;
  bool ready = false;
  std::optional<Termination> terminated;       // set when !running
  std::optional<Termination> last_terminated;  // the previous run, if any
};

class Runtime {
 public:
  Runtime(NodeLayout layout, std::string kbr_binary, Clock& clock = SystemClock());

  // Loads the container records; a container whose pid still runs the
  // recorded command line is adopted as running, others are reported
  // terminated (exit code 137, reason ContainerStatusUnknown).
  void Recover();

  // Starts the container's process. When the container ran before, this is
  // a restart: restart_count + 1 and the last run becomes last_terminated.
  // Errors: those of StartDetached (NotFound, FailedPrecondition, Unavailable),
  // Unavailable when no port is free.
  Result<ContainerState> Start(const LaunchSpec& spec);

  // Stops the process (SIGTERM, then SIGKILL after `grace`) and forgets the
  // container and its record. OK when it is unknown.
  Status Remove(const std::string& pod_uid, const std::string& container, std::chrono::milliseconds grace);

  std::optional<ContainerState> Get(const std::string& pod_uid, const std::string& container) const;
  // By pod namespace/name (the kubelet API addresses containers this way).
  std::optional<ContainerState> Find(const std::string& ns, const std::string& pod,
                                     const std::string& container) const;
  std::vector<ContainerState> List() const;

  // Notices processes that exited (exit code when it is our child) and demo
  // containers that became ready (GET /healthz). Returns the pod uids whose
  // containers changed.
  std::set<std::string> Poll();

  // Stops every process (node shutdown); records are kept so the containers
  // show as restarted when the node comes back.
  void StopAll(std::chrono::milliseconds grace);

 private:
  Status SaveRecord(const ContainerState& c) const;
  std::string RecordPath(const std::string& pod_uid, const std::string& container) const;

  NodeLayout layout_;
  std::string kbr_binary_;
  Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, ContainerState> containers_;  // GUARDED_BY(mu_), key "<uid>/<container>"
  std::set<int> children_;                            // GUARDED_BY(mu_): pids we started (waitpid works)
};

}  // namespace kbr::lab
