// The status of an execution (CheckpointBackup) as the agents write it: one
// entry per container, merged by (pod, container), and the overall phase
// derived from them. Pure functions; the agent does the I/O.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace kbr::agent {

struct ContainerResult {
  std::string pod;
  std::string container;
  std::string node;
  std::string phase;  // Checkpointing | Pushing | Completed | Failed
  std::string image;
  std::string digest;
  int64_t bytes = 0;
  int64_t duration_ms = 0;
  std::string message;
};

struct ExpectedContainer {
  std::string pod;
  std::string container;
};

// Returns `status` with `r` merged into status.containers (replacing the
// entry of the same pod/container) and phase, bytes, startedAt, completedAt,
// durationMs and message recomputed against `expected` (every container of
// the workload). `now` is RFC 3339.
boost::json::value MergeContainerResult(const boost::json::value& status, const ContainerResult& r,
                                        const std::vector<ExpectedContainer>& expected, const std::string& now);

// The recorded result of one container, if any.
bool FindContainerResult(const boost::json::value& status, const std::string& pod, const std::string& container,
                         ContainerResult* out);

// Overall phase from the container results against `expected`: Failed if any
// failed; Completed if all completed; Pushing/Checkpointing while any is in
// that phase; Pending otherwise.
std::string DerivePhase(const boost::json::value& status, const std::vector<ExpectedContainer>& expected);

}  // namespace kbr::agent
