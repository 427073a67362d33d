// The `schedule` object of a backup configuration, validated exactly the same
// way for create/update and for the preview route: type selection|cron,
// value, optional IANA timeZone, enabled (default true). The effective cron
// expression is computed here from the core cron engine (nothing else
// computes cron).
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace kbr::api {

struct ScheduleSpec {
  std::string type;   // selection | cron
  std::string value;  // as given
  std::string cron;   // effective 5-field expression
  std::string time_zone = "UTC";
  bool enabled = true;
};

// `obj` may be nullptr (no schedule given): InvalidArgument "schedule: required"
// when `required`, else a disabled manual schedule. Errors name the field,
// e.g. "schedule.value: minute field '61': value 61 out of range 0-59".
Result<ScheduleSpec> ReadSchedule(const boost::json::object* obj, bool required);

boost::json::object ScheduleJson(const ScheduleSpec& s);

// The next `count` runs strictly after `from` (UTC instants).
Result<std::vector<TimePoint>> NextRunsOf(const ScheduleSpec& s, TimePoint from, int count);

// English description of the schedule ("every 15 minutes (UTC)").
std::string DescribeSchedule(const ScheduleSpec& s);

}  // namespace kbr::api
