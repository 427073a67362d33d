// Cron: the one cron engine of kbr. The REST API (validation and preview), the
// controller's scheduler and the CLI all use these functions; nothing else in
// kbr computes cron. Quick selections and English descriptions are in
// core/schedule.h.
//
// Syntax (ParseCron): five whitespace-separated fields
//   minute (0-59)  hour (0-23)  day-of-month (1-31)  month (1-12 or JAN-DEC)
//   day-of-week (0-7 or SUN-SAT; 0 and 7 are Sunday)
// Each field is a comma-separated list of items; an item is `*`, a value `5`, a
// range `1-5`, or either with a step: `*/15`, `10-50/10`, `5/10` (= `5-<max>/10`).
// Names are three letters, case-insensitive, allowed wherever a number is
// (`MON-FRI`, `JAN,JUL`). Macros (case-insensitive, the whole expression):
//   @yearly @annually = "0 0 1 1 *"   @monthly = "0 0 1 * *"
//   @weekly = "0 0 * * 0"   @daily @midnight = "0 0 * * *"   @hourly = "0 * * * *"
//
// Day rule (classic cron): a day-of-month or day-of-week field is
// "unrestricted" when one of its list items is a plain `*` (or `*/1`). When
// both are restricted, a day matching EITHER fires (`0 0 13 * 5` fires on the
// 13th and on every Friday); otherwise both must match. Note `*/2` counts as
// restricted (as in Kubernetes CronJob), unlike Vixie cron's quirk.
//
// Time zones and DST (NextRun): the expression is evaluated on the wall clock
// of an IANA zone. Every matching wall-clock minute fires exactly once:
//  - a wall time inside a spring-forward gap fires at the first valid instant
//    after the gap (the transition); several gap times, and the wall time at
//    the end of the gap, collapse into that one run. `*/15 2 * * *` in
//    America/New_York on the spring-forward day fires once, at 03:00 EDT.
//  - a wall time that occurs twice (fall-back) fires at its first occurrence
//    only. `30 1 * * *` in America/New_York fires at 01:30 EDT, not again at
//    01:30 EST; `*/30 * * * *` fires at 01:00 and 01:30 EDT, then next at
//    02:00 EST (nothing during the repeated hour 01:00-01:59 EST).
//
// Errors are InvalidArgument with a message naming the field and problem, e.g.
//   "minute field '61': value 61 out of range 0-59". Messages carry no
// request-level prefix; callers annotate ("schedule.value: ...").
//
// Thread safety: CronExpr is immutable after ParseCron and safe to share
// between threads; all functions here are thread-safe.
#pragma once

#include <bitset>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace kbr {

class CronExpr;

// Parses a cron expression (syntax above). Leading/trailing whitespace is ignored.
// Returns the expression, or InvalidArgument (<field> is minute, hour,
// day-of-month, month or day-of-week; <text> is that whole field):
//   "expected 5 fields (minute hour day-of-month month day-of-week), got N"
//   "<field> field '<text>': value V out of range MIN-MAX"
//   "<field> field '<text>': unknown name 'FOO'"         (month, day-of-week)
//   "<field> field '<text>': invalid value 'x'"          (not a number)
//   "<field> field '<text>': empty list element"
//   "<field> field '<text>': range start A is after end B"
//   "<field> field '<text>': step must be at least 1"
//   "<field> field '<text>': step S out of range 1-N"    (N = size of the field)
//   "<field> field '<text>': invalid step 'x'"
//   "<field> field '<text>': invalid range '-5'"
//   "unknown macro '@x' (expected one of @hourly, ...)"
//   "macro '@daily' must be the whole expression, got N more field(s)"
//   "cron expression is too long (N characters, at most 256)"
// A syntactically valid expression that can never fire (`0 0 30 2 *`) parses;
// NextRun reports it.
Result<CronExpr> ParseCron(std::string_view expr);

// A parsed expression. Immutable; cheap to copy; only ParseCron makes one
// (hold an std::optional<CronExpr> where it may be absent).
class CronExpr {
 public:
  // The expression as given to ParseCron, trimmed ("@daily", "*/15 * * * *").
  const std::string& source() const { return source_; }
  // The five fields after macro expansion, space-separated ("0 0 * * *").
  const std::string& fields() const { return fields_; }

  // Matching sets. minutes: bit m (0-59); hours: bit h (0-23); days_of_month:
  // bit d (1-31); months: bit m (1-12); days_of_week: bit d (0-6, 0 = Sunday).
  const std::bitset<60>& minutes() const { return minutes_; }
  const std::bitset<24>& hours() const { return hours_; }
  const std::bitset<32>& days_of_month() const { return dom_; }
  const std::bitset<13>& months() const { return months_; }
  const std::bitset<7>& days_of_week() const { return dow_; }
  // True when the field is unrestricted (see "Day rule" above).
  bool day_of_month_any() const { return dom_any_; }
  bool day_of_week_any() const { return dow_any_; }

  // Whether a civil day fires (month, day rule). REQUIRES valid ymd/weekday.
  bool MatchesDay(int month, int day_of_month, int weekday) const;

 private:
  friend Result<CronExpr> ParseCron(std::string_view expr);
  CronExpr() = default;

  std::string source_;
  std::string fields_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> dom_;
  std::bitset<13> months_;
  std::bitset<7> dow_;
  bool dom_any_ = false;
  bool dow_any_ = false;
};

// OK if `time_zone` names an IANA zone known to the system tz database ("" and
// "UTC" are always valid and need no database). Otherwise InvalidArgument
// "timeZone: unknown time zone 'Mars/Base'", or FailedPrecondition
// "timeZone: time zone database unavailable: ..." if it cannot be read.
Status ValidateTimeZone(const std::string& time_zone);

// The first fire time strictly after `after`, evaluated on the wall clock of
// `time_zone` ("" means UTC), with the DST rules above. Fire times are whole
// minutes. Skips by month/day/hour; cost is bounded independently of the gap.
// Returns the instant, or:
//   InvalidArgument "timeZone: unknown time zone '<tz>'"
//   InvalidArgument "cron expression '<fields>' never fires" (e.g. `0 0 30 2 *`;
//     decided exactly; satisfiable expressions always fire within 8 years)
//   InvalidArgument "cron expression '<fields>': no fire time before year 2262"
//     (TimePoint cannot represent later instants)
//   FailedPrecondition if the tz database cannot be read.
Result<TimePoint> NextRun(const CronExpr& expr, TimePoint after, const std::string& time_zone = "UTC");

// The next `count` fire times after `after`, ascending (each strictly after
// the previous). count == 0 gives an empty vector. Errors as NextRun, plus
// InvalidArgument "count N out of range 0-1000".
Result<std::vector<TimePoint>> NextRuns(const CronExpr& expr, TimePoint after, const std::string& time_zone,
                                        int count);

}  // namespace kbr
