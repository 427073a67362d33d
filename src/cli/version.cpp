#include <iostream>

#include "cli/cli.h"

namespace kbr::cli {

void AddVersion(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand("version", "Print the kbr version");
  cmd->callback([&run] {
    run = [] {
      std::cout << "kbr " << KBR_VERSION << "\n";
      return Status::Ok();
    };
  });
}

}  // namespace kbr::cli
