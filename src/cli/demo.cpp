// kbr demo: the lab's stateful demo service (src/demo/demo.h).

#include <memory>

#include "cli/cli.h"
#include "demo/demo.h"

namespace kbr::cli {

namespace {

Status RunDemo(const demo::Options& options) {
  return demo::Run(options, StopOnSignal());
}

}  // namespace

void AddDemo(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<demo::Options>();
  auto* cmd =
      app.add_subcommand("demo", "Run the demo stateful service: a counter and a key/value map kept only in memory");
  cmd->footer(
      "Examples:\n"
      "  kbr demo --listen 127.0.0.1:8080\n"
      "  curl -X POST 127.0.0.1:8080/increment; curl -X PUT --data blue 127.0.0.1:8080/kv/color\n"
      "  kbr demo --listen 127.0.0.1:8081 --restore-from /path/to/unpacked/checkpoint");
  cmd->add_option("--listen", opts->listen, "Address to serve on, <ip>:<port>")->capture_default_str();
  cmd->add_option("--restore-from", opts->restore_from,
                  "Start from the state in an unpacked checkpoint (its checkpoint/pages-1.img)");
  cmd->callback([&run, opts] { run = [opts] { return RunDemo(*opts); }; });
}

}  // namespace kbr::cli
