#include "core/schedule.h"

#include <bitset>
#include <utility>
#include <vector>

namespace kbr {
namespace {

constexpr const char* kMonthNames[] = {"",     "January", "February",  "March",   "April",    "May",     "June",
                                       "July", "August",  "September", "October", "November", "December"};
constexpr const char* kDayNames[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

template <size_t N>
std::vector<int> Values(const std::bitset<N>& bits, int lo, int hi) {
  std::vector<int> out;
  for (int i = lo; i <= hi; ++i) {
    if (bits[static_cast<size_t>(i)]) out.push_back(i);
  }
  return out;
}

// "a", "a and b", "a, b and c".
std::string JoinAnd(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

std::string Two(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }

// True (and *step set) if values are exactly 0, n, 2n, ... with n > 1 dividing span.
bool EvenStep(const std::vector<int>& values, int span, int* step) {
  if (values.size() < 2 || values[0] != 0) return false;
  int n = values[1];
  if (span % n != 0 || static_cast<int>(values.size()) != span / n) return false;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] != static_cast<int>(i) * n) return false;
  }
  *step = n;
  return true;
}

// "Monday through Friday" for a run of three or more days, else a list.
std::string DaysOfWeek(const std::vector<int>& days) {
  bool run = days.size() >= 3 && days.back() - days.front() + 1 == static_cast<int>(days.size());
  if (run) return std::string(kDayNames[days.front()]) + " through " + kDayNames[days.back()];
  std::vector<std::string> names;
  for (int d : days) names.emplace_back(kDayNames[d]);
  return JoinAnd(names);
}

// The time-of-day phrase; *interval is set for phrases that repeat within a
// day ("every 15 minutes"), which need no "every day". Empty if not phraseable.
std::string TimePhrase(const CronExpr& e, bool* interval) {
  std::vector<int> mins = Values(e.minutes(), 0, 59);
  std::vector<int> hrs = Values(e.hours(), 0, 23);
  const bool all_min = mins.size() == 60;
  const bool all_hr = hrs.size() == 24;
  int n = 0;
  *interval = true;
  if (all_min && all_hr) return "every minute";
  if (all_hr && EvenStep(mins, 60, &n)) return "every " + std::to_string(n) + " minutes";
  if (all_hr && mins.size() == 1) {
    return mins[0] == 0 ? "every hour" : "at minute " + std::to_string(mins[0]) + " past every hour";
  }
  if (mins.size() == 1 && EvenStep(hrs, 24, &n)) {
    std::string every = "every " + std::to_string(n) + " hours";
    return mins[0] == 0 ? every : "at minute " + std::to_string(mins[0]) + " past " + every;
  }
  if (hrs.size() == 1 && (all_min || EvenStep(mins, 60, &n))) {
    std::string from = " from " + Two(hrs[0]) + ":00 to " + Two(hrs[0]) + ":59";
    *interval = false;  // bounded to one hour: say which days
    return (all_min ? "every minute" : "every " + std::to_string(n) + " minutes") + from;
  }
  *interval = false;
  if (mins.size() * hrs.size() <= 4) {
    std::vector<std::string> times;
    for (int h : hrs) {
      for (int m : mins) times.push_back(Two(h) + ":" + Two(m));
    }
    return "at " + JoinAnd(times);
  }
  return "";
}

}  // namespace

Result<std::string> SelectionToCron(std::string_view value) {
  static constexpr std::pair<std::string_view, const char*> kSelections[] = {
      {"5m", "*/5 * * * *"}, {"15m", "*/15 * * * *"}, {"30m", "*/30 * * * *"}, {"1h", "0 * * * *"},
      {"6h", "0 */6 * * *"}, {"12h", "0 */12 * * *"}, {"daily", "0 0 * * *"},  {"weekly", "0 0 * * 0"},
  };
  for (const auto& [name, cron] : kSelections) {
    if (value == name) return std::string(cron);
  }
  return Status::InvalidArgument("schedule.value: unknown selection '" + std::string(value) +
                                 "' (expected one of 5m, 15m, 30m, 1h, 6h, 12h, daily, weekly)");
}

std::string Describe(const CronExpr& e) {
  const std::string fallback = "at " + e.fields();
  bool interval = false;
  std::string time = TimePhrase(e, &interval);
  if (time.empty()) return fallback;

  std::vector<int> months = Values(e.months(), 1, 12);
  std::vector<std::string> month_names;
  for (int m : months) month_names.emplace_back(kMonthNames[m]);
  const bool all_months = months.size() == 12;

  std::string dom;
  if (!e.day_of_month_any()) {
    std::vector<int> days = Values(e.days_of_month(), 1, 31);
    if (days.size() > 7) return fallback;
    std::vector<std::string> nums;
    for (int d : days) nums.push_back(std::to_string(d));
    dom = (days.size() == 1 ? "day " : "days ") + JoinAnd(nums);
  }
  std::string dow = e.day_of_week_any() ? "" : DaysOfWeek(Values(e.days_of_week(), 0, 6));

  std::string out = time;
  if (!dom.empty() && !dow.empty()) {
    out += " on " + dom + " of the month or on " + dow;
    if (!all_months) out += ", in " + JoinAnd(month_names);
    return out;
  }
  if (!dom.empty()) return out + " on " + dom + " of " + (all_months ? "the month" : JoinAnd(month_names));
  if (!dow.empty()) {
    out += " on " + dow;
  } else if (!interval) {
    out += " every day";
  }
  if (!all_months) out += " in " + JoinAnd(month_names);
  return out;
}

}  // namespace kbr
