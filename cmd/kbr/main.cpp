// kbr: one binary, subcommands dispatched by the CLI layer (src/cli).
#include "cli/cli.h"

int main(int argc, char** argv) { return kbr::cli::Main(argc, argv); }
