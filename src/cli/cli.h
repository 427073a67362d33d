// The kbr command line: builds the CLI11 tree from one file per verb and
// runs the chosen one. A verb returns a Status; Main prints a failure as one
// line "kbr: <message>" on stderr and returns exit code 1 (2 for usage errors).
#pragma once

#include <CLI/CLI.hpp>

#include <atomic>
#include <functional>

#include "core/status.h"

namespace kbr::cli {

int Main(int argc, char** argv);

// Each verb file defines one Add<Verb>(parent, run) that adds its subcommand
// and stores in `run` the function to call when that subcommand is chosen.
using Runner = std::function<Status()>;

// Turns true on SIGTERM or SIGINT. The first call blocks those signals in
// the calling thread (and threads started after it) and starts the waiter:
// call it before starting other threads.
const std::atomic<bool>& StopOnSignal();
void AddVersion(CLI::App& app, Runner& run);
void AddLab(CLI::App& app, Runner& run);
void AddServer(CLI::App& app, Runner& run);
void AddAgent(CLI::App& app, Runner& run);
void AddLabNode(CLI::App& app, Runner& run);
void AddDemo(CLI::App& app, Runner& run);

}  // namespace kbr::cli
