#include "cli/cli.h"

#include <iostream>

#include "core/log.h"

namespace kbr::cli {

int Main(int argc, char** argv) {
  CLI::App app{"kbr: backup, recovery and migration of stateful workloads across Karmada clusters"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "debug | info | warn | error")->capture_default_str();
  Runner run;
  AddVersion(app, run);
  AddLab(app, run);
  AddServer(app, run);
  AddAgent(app, run);
  AddLabNode(app, run);
  AddDemo(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  InitLogging(log_level);
  if (!run) return 0;
  Status s = run();
  if (!s.ok()) {
    std::cerr << "kbr: " << s.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace kbr::cli
