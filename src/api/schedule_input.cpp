#include "api/schedule_input.h"

#include "api/fields.h"
#include "core/cron.h"
#include "core/schedule.h"

namespace kbr::api {

namespace bj = boost::json;

Result<ScheduleSpec> ReadSchedule(const bj::object* obj, bool required) {
  ScheduleSpec s;
  if (!obj) {
    if (required) return Status::InvalidArgument("schedule: required");
    s.type = "cron";
    s.enabled = false;
    return s;
  }
  Fields f(*obj, "schedule.");
  ASSIGN_OR_RETURN(s.type, f.Enum("type", {"selection", "cron"}, true));
  ASSIGN_OR_RETURN(s.value, f.Required("value", 128));
  ASSIGN_OR_RETURN(s.time_zone, f.Optional("timeZone", "UTC", 64));
  ASSIGN_OR_RETURN(s.enabled, f.OptionalBool("enabled", true));
  if (s.time_zone.empty()) s.time_zone = "UTC";
  if (s.type == "selection") {
    ASSIGN_OR_RETURN(s.cron, SelectionToCron(s.value));
  } else {
    auto parsed = ParseCron(s.value);
    if (!parsed.ok()) return parsed.status().Annotate("schedule.value");
    s.cron = parsed->fields();
  }
  Status tz = ValidateTimeZone(s.time_zone);
  if (!tz.ok()) return Status(tz.code(), "schedule." + tz.message());
  return s;
}

bj::object ScheduleJson(const ScheduleSpec& s) {
  return {{"type", s.type}, {"value", s.value}, {"cron", s.cron}, {"timeZone", s.time_zone}, {"enabled", s.enabled}};
}

Result<std::vector<TimePoint>> NextRunsOf(const ScheduleSpec& s, TimePoint from, int count) {
  ASSIGN_OR_RETURN(CronExpr expr, ParseCron(s.cron));
  return NextRuns(expr, from, s.time_zone, count);
}

std::string DescribeSchedule(const ScheduleSpec& s) {
  auto expr = ParseCron(s.cron);
  if (!expr.ok()) return s.cron;
  return Describe(*expr) + " (" + s.time_zone + ")";
}

}  // namespace kbr::api
