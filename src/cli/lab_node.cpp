// kbr lab-node: one lab node (the kubelet stand-in, src/lab/node.h). Started
// by `kbr lab up`; hidden from the help because users never run it by hand.

#include <memory>

#include "cli/cli.h"
#include "lab/node.h"

namespace kbr::cli {

namespace {

Status RunLabNode(const lab::NodeOptions& options) {
  return lab::RunNode(options, StopOnSignal());
}

}  // namespace

void AddLabNode(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<lab::NodeOptions>();
  auto* cmd = app.add_subcommand("lab-node", "Run one lab node (kubelet stand-in); started by `kbr lab up`");
  cmd->group("");  // hidden
  cmd->add_option("--dir", opts->lab_dir, "Lab directory")->required();
  cmd->add_option("--node", opts->node_name, "Node name, e.g. member1-node1")->required();
  cmd->add_option("--cluster", opts->cluster, "Member cluster it registers with, e.g. member1")->required();
  cmd->add_option("--port", opts->port, "Kubelet API port on 127.0.0.1")->required();
  cmd->add_option("--kbr-binary", opts->kbr_binary, "Binary for agent and demo containers (default: this one)");
  cmd->callback([&run, opts] { run = [opts] { return RunLabNode(*opts); }; });
}

}  // namespace kbr::cli
