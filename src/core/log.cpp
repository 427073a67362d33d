#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>

namespace kbr {

void InitLogging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("kbr");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%L%$ %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

}  // namespace kbr
