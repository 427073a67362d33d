#include <cstdlib>

#include "agent/agent.h"
#include "cli/cli.h"

namespace kbr::cli {

namespace {

Status RunAgent(agent::AgentOptions o) {
  if (o.node_name.empty() && std::getenv("NODE_NAME")) o.node_name = std::getenv("NODE_NAME");
  if (o.kubeconfig.empty() && std::getenv("KUBECONFIG") && !std::getenv("KUBERNETES_SERVICE_HOST")) {
    o.kubeconfig = std::getenv("KUBECONFIG");
  }
  const auto& stop = StopOnSignal();
  ASSIGN_OR_RETURN(auto a, agent::Agent::New(o));
  return a->Run([&stop] { return stop.load(); });
}

}  // namespace

void AddAgent(CLI::App& app, Runner& run) {
  auto o = std::make_shared<agent::AgentOptions>();
  auto* cmd = app.add_subcommand("agent", "Run the node agent: checkpoint containers of this node and push them");
  cmd->add_option("--node", o->node_name, "This node's name (default $NODE_NAME)");
  cmd->add_option("--kubeconfig", o->kubeconfig, "Member cluster kubeconfig (default: in-cluster, or $KUBECONFIG)");
  cmd->add_option("--namespace", o->ns, "Namespace of the execution objects")->capture_default_str();
  cmd->add_option("--max-parallel-pushes", o->max_parallel_pushes, "Pushes at once on this node")->capture_default_str();
  cmd->add_option("--compression", o->compression, "zstd | gzip | none")->capture_default_str();
  cmd->add_option("--kubelet-host", o->kubelet_host, "Kubelet address (default: the Node's InternalIP)");
  cmd->add_option("--kubelet-port", o->kubelet_port, "Kubelet port (default: the Node's kubelet endpoint)");
  cmd->add_option("--kubelet-ca", o->kubelet_ca_file, "CA bundle of the kubelet's serving certificate");
  cmd->add_flag("--kubelet-insecure", o->kubelet_insecure, "Do not verify the kubelet's certificate");
  cmd->add_option("--restore-dir", o->restore_dir,
                  "Restore checkpoints of recovered pods on this node and hand them to the runtime here");
  cmd->callback([&run, o] { run = [o] { return RunAgent(*o); }; });
}

}  // namespace kbr::cli
