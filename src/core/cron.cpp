#include "core/cron.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <exception>

namespace kbr {
namespace {

constexpr size_t kMaxExprLength = 256;
constexpr int kMaxPreviewCount = 1000;
// A satisfiable expression fires within 8 years (Feb 29 across 2100); 9 leaves margin.
constexpr int kSearchDays = 366 * 9;

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDowNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct FieldSpec {
  const char* name;
  int min;
  int max;           // largest value accepted (7 for day-of-week)
  int implicit_max;  // end of `*` and `N/step` (6 for day-of-week)
  const char* const* names;  // three-letter names or nullptr
  int names_count;
  int names_base;  // value of names[0]
};

constexpr std::array<FieldSpec, 5> kFields = {{
    {"minute", 0, 59, 59, nullptr, 0, 0},
    {"hour", 0, 23, 23, nullptr, 0, 0},
    {"day-of-month", 1, 31, 31, nullptr, 0, 0},
    {"month", 1, 12, 12, kMonthNames, 12, 1},
    {"day-of-week", 0, 7, 6, kDowNames, 7, 0},
}};

struct Macro {
  const char* name;
  const char* fields;
};
constexpr Macro kMacros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},  {"@midnight", "0 0 * * *"}, {"@hourly", "0 * * * *"},
};

struct FieldSet {
  uint64_t bits = 0;
  bool any = false;  // some item is a plain `*` (or `*/1`)
};

bool AllOf(std::string_view s, int (*pred)(int)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [pred](char c) { return pred(static_cast<unsigned char>(c)); });
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

Status FieldError(const FieldSpec& f, std::string_view field, const std::string& problem) {
  return Status::InvalidArgument(std::string(f.name) + " field '" + std::string(field) + "': " + problem);
}

// One value of a field: a number in [min, max] or a three-letter name.
Result<int> ParseValue(const FieldSpec& f, std::string_view field, std::string_view tok) {
  if (AllOf(tok, isdigit)) {
    if (tok.size() > 6) {
      return FieldError(f, field, "value " + std::string(tok) + " out of range " + std::to_string(f.min) + "-" +
                                      std::to_string(f.max));
    }
    int v = std::stoi(std::string(tok));
    if (v < f.min || v > f.max) {
      return FieldError(f, field, "value " + std::to_string(v) + " out of range " + std::to_string(f.min) + "-" +
                                      std::to_string(f.max));
    }
    return v;
  }
  if (f.names != nullptr && AllOf(tok, isalpha)) {
    std::string up = Upper(tok);
    for (int i = 0; i < f.names_count; ++i) {
      if (up == f.names[i]) return i + f.names_base;
    }
    return FieldError(f, field, "unknown name '" + std::string(tok) + "'");
  }
  return FieldError(f, field, "invalid value '" + std::string(tok) + "'");
}

Result<FieldSet> ParseField(const FieldSpec& f, std::string_view text) {
  FieldSet out;
  const int span = f.implicit_max - f.min + 1;
  size_t pos = 0;
  while (true) {
    size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (item.empty()) return FieldError(f, text, "empty list element");
    std::string_view base = item;
    int step = 1;
    bool has_step = false;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      base = item.substr(0, slash);
      std::string_view st = item.substr(slash + 1);
      if (!AllOf(st, isdigit)) return FieldError(f, text, "invalid step '" + std::string(st) + "'");
      step = st.size() > 6 ? span + 1 : std::stoi(std::string(st));
      if (step < 1) return FieldError(f, text, "step must be at least 1");
      if (step > span) {
        return FieldError(f, text, "step " + std::string(st) + " out of range 1-" + std::to_string(span));
      }
      has_step = true;
    }
    int lo = 0;
    int hi = 0;
    if (base == "*") {
      lo = f.min;
      hi = f.implicit_max;
      out.any = out.any || step == 1;
    } else if (size_t dash = base.find('-'); dash != std::string_view::npos) {
      std::string_view a = base.substr(0, dash);
      std::string_view b = base.substr(dash + 1);
      if (a.empty() || b.empty()) return FieldError(f, text, "invalid range '" + std::string(base) + "'");
      ASSIGN_OR_RETURN(lo, ParseValue(f, text, a));
      ASSIGN_OR_RETURN(hi, ParseValue(f, text, b));
      if (lo > hi) {
        return FieldError(f, text,
                          "range start " + std::to_string(lo) + " is after end " + std::to_string(hi));
      }
    } else {
      if (base.empty()) return FieldError(f, text, "invalid value ''");
      ASSIGN_OR_RETURN(lo, ParseValue(f, text, base));
      hi = has_step ? std::max(lo, f.implicit_max) : lo;
    }
    for (int v = lo; v <= hi; v += step) out.bits |= uint64_t{1} << (f.max == 7 && v == 7 ? 0 : v);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::vector<std::string_view> SplitFields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// Whether any day of the selected months can match. Only the AND rule with an
// unrestricted day-of-week and restricted day-of-month can fail (`0 0 30 2 *`).
bool NeverFires(const CronExpr& e) {
  if (e.day_of_month_any() || !e.day_of_week_any()) return false;
  static constexpr int kMaxDays[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (int m = 1; m <= 12; ++m) {
    if (!e.months()[m]) continue;
    for (int d = 1; d <= kMaxDays[m]; ++d) {
      if (e.days_of_month()[d]) return false;
    }
  }
  return true;
}

// nullptr means UTC (no tz database needed).
Result<const date::time_zone*> LocateZone(const std::string& name) {
  if (name.empty() || name == "UTC") return static_cast<const date::time_zone*>(nullptr);
  try {
    (void)date::get_tzdb();
  } catch (const std::exception& ex) {
    return Status::FailedPrecondition(std::string("timeZone: time zone database unavailable: ") + ex.what());
  }
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return Status::InvalidArgument("timeZone: unknown time zone '" + name + "'");
  }
}

// The instant a wall-clock minute fires at (see the DST rules in cron.h).
date::sys_seconds FireInstant(const date::time_zone* tz, date::local_seconds wall) {
  if (tz == nullptr) return date::sys_seconds{wall.time_since_epoch()};
  date::local_info info = tz->get_info(wall);
  if (info.result == date::local_info::nonexistent) return info.second.begin;
  return date::sys_seconds{wall.time_since_epoch()} - info.first.offset;  // unique, or first occurrence
}

Result<TimePoint> NextRunIn(const CronExpr& e, TimePoint after, const date::time_zone* tz) {
  using std::chrono::hours;
  using std::chrono::minutes;
  if (NeverFires(e)) return Status::InvalidArgument("cron expression '" + e.fields() + "' never fires");
  // Fire instants are whole seconds: f > after  <=>  f > floor(after).
  const date::sys_seconds after_s = date::floor<std::chrono::seconds>(after);
  const date::local_seconds wall = tz == nullptr ? date::local_seconds{after_s.time_since_epoch()}
                                                 : tz->to_local(after_s);
  // FireInstant is non-decreasing in wall time and FireInstant(wall) <= after,
  // so no earlier wall minute can fire after `after`.
  const auto start = date::floor<minutes>(wall);
  date::local_days day = date::floor<date::days>(start);
  int from_minute = static_cast<int>((start - day).count() / 60);
  const date::local_days limit = day + date::days{kSearchDays};
  const date::local_days representable{date::year{2262} / 1 / 1};
  for (; day < limit; ++day, from_minute = 0) {
    if (day >= representable) {
      return Status::InvalidArgument("cron expression '" + e.fields() + "': no fire time before year 2262");
    }
    const date::year_month_day ymd{day};
    const unsigned month = static_cast<unsigned>(ymd.month());
    if (!e.months()[month]) {
      day = date::local_days{ymd.year() / ymd.month() / 1 + date::months{1}} - date::days{1};
      continue;
    }
    const unsigned weekday = date::weekday{day}.c_encoding();
    if (!e.MatchesDay(month, static_cast<int>(static_cast<unsigned>(ymd.day())), weekday)) continue;
    for (int h = from_minute / 60; h < 24; ++h) {
      if (!e.hours()[h]) continue;
      for (int m = h == from_minute / 60 ? from_minute % 60 : 0; m < 60; ++m) {
        if (!e.minutes()[m]) continue;
        date::sys_seconds fire = FireInstant(tz, day + hours{h} + minutes{m});
        if (fire > after_s) return TimePoint{fire.time_since_epoch()};
      }
    }
  }
  return Status::InvalidArgument("cron expression '" + e.fields() + "' never fires");
}

}  // namespace

Result<CronExpr> ParseCron(std::string_view expr) {
  if (expr.size() > kMaxExprLength) {
    return Status::InvalidArgument("cron expression is too long (" + std::to_string(expr.size()) +
                                   " characters, at most " + std::to_string(kMaxExprLength) + ")");
  }
  std::vector<std::string_view> tokens = SplitFields(expr);
  CronExpr e;
  if (!tokens.empty()) {
    e.source_ = std::string(tokens.front().data(), tokens.back().data() + tokens.back().size());
  }
  if (!tokens.empty() && tokens[0].front() == '@') {
    std::string name(tokens[0]);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    const Macro* found = nullptr;
    for (const Macro& m : kMacros) {
      if (name == m.name) found = &m;
    }
    if (found == nullptr) {
      return Status::InvalidArgument("unknown macro '" + std::string(tokens[0]) +
                                     "' (expected one of @hourly, @daily, @midnight, @weekly, @monthly, "
                                     "@yearly, @annually)");
    }
    if (tokens.size() != 1) {
      return Status::InvalidArgument("macro '" + std::string(tokens[0]) + "' must be the whole expression, got " +
                                     std::to_string(tokens.size() - 1) + " more field(s)");
    }
    tokens = SplitFields(found->fields);
  }
  if (tokens.size() != 5) {
    return Status::InvalidArgument("expected 5 fields (minute hour day-of-month month day-of-week), got " +
                                   std::to_string(tokens.size()));
  }
  std::array<FieldSet, 5> sets;
  for (size_t i = 0; i < 5; ++i) {
    ASSIGN_OR_RETURN(sets[i], ParseField(kFields[i], tokens[i]));
    if (i > 0) e.fields_ += ' ';
    e.fields_ += tokens[i];
  }
  e.minutes_ = std::bitset<60>(sets[0].bits);
  e.hours_ = std::bitset<24>(sets[1].bits);
  e.dom_ = std::bitset<32>(sets[2].bits);
  e.months_ = std::bitset<13>(sets[3].bits);
  e.dow_ = std::bitset<7>(sets[4].bits);
  e.dom_any_ = sets[2].any;
  e.dow_any_ = sets[4].any;
  return e;
}

bool CronExpr::MatchesDay(int month, int day_of_month, int weekday) const {
  if (!months_[month]) return false;
  const bool dom = dom_[day_of_month];
  const bool dow = dow_[weekday];
  if (dom_any_ || dow_any_) return dom && dow;  // an unrestricted field matches every day
  return dom || dow;
}

Status ValidateTimeZone(const std::string& time_zone) {
  Result<const date::time_zone*> tz = LocateZone(time_zone);
  return tz.ok() ? Status::Ok() : tz.status();
}

Result<TimePoint> NextRun(const CronExpr& expr, TimePoint after, const std::string& time_zone) {
  ASSIGN_OR_RETURN(const date::time_zone* tz, LocateZone(time_zone));
  try {
    return NextRunIn(expr, after, tz);
  } catch (const std::exception& ex) {
    return Status::FailedPrecondition("timeZone: cannot read time zone '" + time_zone + "': " + ex.what());
  }
}

Result<std::vector<TimePoint>> NextRuns(const CronExpr& expr, TimePoint after, const std::string& time_zone,
                                        int count) {
  if (count < 0 || count > kMaxPreviewCount) {
    return Status::InvalidArgument("count " + std::to_string(count) + " out of range 0-" +
                                   std::to_string(kMaxPreviewCount));
  }
  ASSIGN_OR_RETURN(const date::time_zone* tz, LocateZone(time_zone));
  std::vector<TimePoint> out;
  out.reserve(static_cast<size_t>(count));
  try {
    for (int i = 0; i < count; ++i) {
      ASSIGN_OR_RETURN(after, NextRunIn(expr, after, tz));
      out.push_back(after);
    }
  } catch (const std::exception& ex) {
    return Status::FailedPrecondition("timeZone: cannot read time zone '" + time_zone + "': " + ex.what());
  }
  return out;
}

}  // namespace kbr
