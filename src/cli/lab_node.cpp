// kbr lab-node: one lab node (the kubelet stand-in, src/lab/node.h). Started
// by `kbr lab up`; hidden from the help because users never run it by hand.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <memory>
#include <thread>

#include "cli/cli.h"
#include "lab/node.h"

namespace kbr::cli {

namespace {

Status RunLabNode(const lab::NodeOptions& options) {
  // SIGTERM/SIGINT shut the node down (its containers are stopped); block
  // them before any thread starts so only the waiter below receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  static std::atomic<bool> stop{false};
  std::thread([set] {
    int sig = 0;
    sigwait(&set, &sig);
    stop = true;
  }).detach();
  return lab::RunNode(options, stop);
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
