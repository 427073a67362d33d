// kbr lab: a complete local Karmada environment built from real upstream
// components (DESIGN.md section 7). All daemons listen on 127.0.0.1 only;
// ports are chosen at first start and kept in <dir>/state.json.
//
// Up is idempotent: it starts what is not running (a crashed component is
// started again), waits for each stage to be ready, and prepares the
// bootstrap objects. It fails with one line naming the component and the tail
// of its log when a component exits or is not ready in time.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/status.h"

namespace kbr::lab {

struct LabOptions {
  std::string dir;  // "" = DefaultLabDir()
};

struct ComponentStatus {
  std::string name;
  int pid = 0;
  bool running = false;
  std::string detail;  // endpoint when running; log tail when crashed
};

Status Up(const LabOptions& options, std::ostream& out);
// Stops every daemon the lab started (by pid), in reverse start order.
// `wipe` also removes the lab directory.
Status Down(const LabOptions& options, bool wipe, std::ostream& out);
// One entry per known component; NotFound if the lab was never started.
Result<std::vector<ComponentStatus>> GetStatus(const LabOptions& options);

}  // namespace kbr::lab
