// Schedule helpers around the cron engine (core/cron.h): the REST API's quick
// selections and short English descriptions for the UI, API previews and CLI.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/cron.h"
#include "core/status.h"

namespace kbr {

// The REST API's quick selections (`schedule.type: selection`):
//   5m  -> "*/5 * * * *"   15m -> "*/15 * * * *"   30m -> "*/30 * * * *"
//   1h  -> "0 * * * *"     6h  -> "0 */6 * * *"    12h -> "0 */12 * * *"
//   daily -> "0 0 * * *"   weekly -> "0 0 * * 0"
// Exact, case-sensitive match. Otherwise InvalidArgument "schedule.value:
// unknown selection 'x' (expected one of 5m, 15m, 30m, 1h, 6h, 12h, daily, weekly)".
Result<std::string> SelectionToCron(std::string_view value);

// Short English description (wall-clock times of the schedule's zone), e.g.
//   "every minute", "every 15 minutes", "every hour",
//   "at minute 5 past every hour", "every 6 hours", "at 02:00 every day",
//   "at 09:00 and 17:00 every day", "at 00:00 on Sunday",
//   "at 09:00 on Monday through Friday", "at 00:00 on day 1 of the month",
//   "at 00:00 on day 1 of January", "at 00:00 on day 13 of the month or on Friday",
//   "every 15 minutes from 02:00 to 02:59 every day".
// Falls back to "at <fields>" (e.g. "at 7,19 */5 * * *") when it cannot phrase
// the expression simply. Never fails.
std::string Describe(const CronExpr& expr);

}  // namespace kbr
