#include <iostream>

#include "cli/cli.h"
#include "lab/lab.h"

namespace kbr::cli {

namespace {

Status PrintStatus(const lab::LabOptions& o) {
  ASSIGN_OR_RETURN(auto components, lab::GetStatus(o));
  int down = 0;
  std::printf("%-36s %-8s %-9s %s\n", "COMPONENT", "PID", "STATE", "DETAIL");
  for (const auto& c : components) {
    std::string state = c.running ? "running" : (c.pid > 0 ? "crashed" : "stopped");
    down += c.running ? 0 : 1;
    std::printf("%-36s %-8d %-9s %s\n", c.name.c_str(), c.pid, state.c_str(), c.detail.c_str());
  }
  if (down) return Status::Unavailable(std::to_string(down) + " lab component(s) not running");
  return Status::Ok();
}

}  // namespace

void AddLab(CLI::App& app, Runner& run) {
  auto* lab = app.add_subcommand("lab", "Run a local Karmada lab: host + member1 + member2 from upstream binaries");
  lab->require_subcommand(1);
  auto opts = std::make_shared<lab::LabOptions>();
  auto add_dir = [opts](CLI::App* cmd) {
    cmd->add_option("--dir", opts->dir, "Lab directory (default ~/.kbr/lab)");
  };

  auto* up = lab->add_subcommand("up", "Start (or complete) the lab; idempotent");
  add_dir(up);
  up->callback([&run, opts] { run = [opts] { return lab::Up(*opts, std::cout); }; });

  auto* down = lab->add_subcommand("down", "Stop every lab process");
  auto wipe = std::make_shared<bool>(false);
  down->add_flag("--wipe", *wipe, "Also delete the lab directory (data, certificates, kubeconfigs)");
  add_dir(down);
  down->callback([&run, opts, wipe] { run = [opts, wipe] { return lab::Down(*opts, *wipe, std::cout); }; });

  auto* status = lab->add_subcommand("status", "Show each lab component (exit 1 if one is not running)");
  add_dir(status);
  status->callback([&run, opts] { run = [opts] { return PrintStatus(*opts); }; });
}

}  // namespace kbr::cli
