#include <malloc.h>

#include <iostream>
#include <thread>

#include "api/server.h"
#include "cli/cli.h"
#include "core/log.h"

namespace kbr::cli {

namespace {

Status RunServer(const api::ServerConfig& cfg) {
  const auto& stop = StopOnSignal();
  // Long-lived, caching thousands of small objects: a fixed mmap threshold
  // keeps large transient buffers (list pages, responses) out of the heap,
  // and two arenas instead of one per thread keep freed memory reusable, so
  // idle RSS stays close to what the cache holds.
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  mallopt(M_ARENA_MAX, 2);
  ASSIGN_OR_RETURN(auto server, api::ApiServer::Start(cfg));
  while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  spdlog::info("kbr server: shutting down");
  server->Stop();
  return Status::Ok();
}

}  // namespace

void AddServer(CLI::App& app, Runner& run) {
  auto cfg = std::make_shared<api::ServerConfig>();
  auto* cmd = app.add_subcommand("server", "Serve the Backup & Recovery REST API and web UI");
  cmd->add_option("--kubeconfig", cfg->kubeconfig, "Kubeconfig of the Karmada apiserver");
  cmd->add_option("--context", cfg->context, "Kubeconfig context");
  cmd->add_flag("--in-cluster", cfg->in_cluster, "Use the pod's service account");
  cmd->add_option("--listen", cfg->listen, "host:port to listen on")->capture_default_str();
  cmd->add_option("--tls-cert", cfg->tls_cert, "TLS certificate (PEM); serves HTTPS when set");
  cmd->add_option("--tls-key", cfg->tls_key, "TLS private key (PEM)");
  cmd->add_option("--web-dir", cfg->web_dir, "Directory of the built web UI (web/dist)");
  cmd->add_option("--namespace", cfg->ns, "Namespace of kbr's objects")->capture_default_str();
  cmd->add_option("--member-access", cfg->member_access, "proxy | direct")->capture_default_str();
  cmd->callback([&run, cfg] { run = [cfg] { return RunServer(*cfg); }; });
}

}  // namespace kbr::cli
