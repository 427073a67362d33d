// Logging: spdlog with one format for every kbr process. Call InitLogging()
// once in main. Never log header values, tokens or passwords: log names and ids.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace kbr {

// level: "debug" | "info" | "warn" | "error"; output goes to stderr.
void InitLogging(const std::string& level = "info");

}  // namespace kbr
