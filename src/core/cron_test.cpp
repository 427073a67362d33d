#include "core/cron.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace kbr {
namespace {

TimePoint T(const std::string& rfc3339) {
  TimePoint t;
  EXPECT_TRUE(ParseRfc3339(rfc3339, &t)) << rfc3339;
  return t;
}

CronExpr MustParse(const std::string& expr) {
  Result<CronExpr> e = ParseCron(expr);
  EXPECT_TRUE(e.ok()) << expr << ": " << e.status().ToString();
  return e.ok() ? *e : *ParseCron("* * * * *");
}

// The next `count` runs as RFC 3339 strings (or the error message).
std::vector<std::string> Runs(const std::string& expr, const std::string& after, const std::string& tz, int count) {
  Result<std::vector<TimePoint>> runs = NextRuns(MustParse(expr), T(after), tz, count);
  if (!runs.ok()) return {runs.status().ToString()};
  std::vector<std::string> out;
  for (TimePoint t : *runs) out.push_back(FormatRfc3339(t));
  return out;
}

std::string Next(const std::string& expr, const std::string& after, const std::string& tz = "UTC") {
  Result<TimePoint> t = NextRun(MustParse(expr), T(after), tz);
  return t.ok() ? FormatRfc3339(*t) : t.status().ToString();
}

TEST(ParseCronTest, ErrorsNameTheFieldAndProblem) {
  struct Case {
    std::string expr;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"61 * * * *", "minute field '61': value 61 out of range 0-59"},
      {"* * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 6"},
      {"* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"},
      {"   ", "expected 5 fields (minute hour day-of-month month day-of-week), got 0"},
      {"* * * * FOO", "day-of-week field 'FOO': unknown name 'FOO'"},
      {"* */0 * * *", "hour field '*/0': step must be at least 1"},
      {"5-2 * * * *", "minute field '5-2': range start 5 is after end 2"},
      {"* 24 * * *", "hour field '24': value 24 out of range 0-23"},
      {"* * 0 * *", "day-of-month field '0': value 0 out of range 1-31"},
      {"* * 32 * *", "day-of-month field '32': value 32 out of range 1-31"},
      {"* * * 13 *", "month field '13': value 13 out of range 1-12"},
      {"* * * * 8", "day-of-week field '8': value 8 out of range 0-7"},
      {"* * * JANUARY *", "month field 'JANUARY': unknown name 'JANUARY'"},
      {"* * * * FRI-MON", "day-of-week field 'FRI-MON': range start 5 is after end 1"},
      {"x * * * *", "minute field 'x': invalid value 'x'"},
      {"* * MON * *", "day-of-month field 'MON': invalid value 'MON'"},
      {"1,,2 * * * *", "minute field '1,,2': empty list element"},
      {"1, * * * *", "minute field '1,': empty list element"},
      {"*/x * * * *", "minute field '*/x': invalid step 'x'"},
      {"*/ * * * *", "minute field '*/': invalid step ''"},
      {"*/61 * * * *", "minute field '*/61': step 61 out of range 1-60"},
      {"* * * * */8", "day-of-week field '*/8': step 8 out of range 1-7"},
      {"-5 * * * *", "minute field '-5': invalid range '-5'"},
      {"1-2-3 * * * *", "minute field '1-2-3': invalid value '2-3'"},
      {"99999999 * * * *", "minute field '99999999': value 99999999 out of range 0-59"},
      {"@reboot",
       "unknown macro '@reboot' (expected one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly, "
       "@annually)"},
      {"@daily 5", "macro '@daily' must be the whole expression, got 1 more field(s)"},
      {std::string(300, '1'), "cron expression is too long (300 characters, at most 256)"},
  };
  for (const Case& c : cases) {
    Result<CronExpr> e = ParseCron(c.expr);
    ASSERT_FALSE(e.ok()) << c.expr;
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument) << c.expr;
    EXPECT_EQ(e.status().message(), c.message) << c.expr;
  }
}

void ExpectSame(const std::string& a, const std::string& b) {
  CronExpr x = MustParse(a);
  CronExpr y = MustParse(b);
  EXPECT_EQ(x.minutes(), y.minutes()) << a << " vs " << b;
  EXPECT_EQ(x.hours(), y.hours()) << a << " vs " << b;
  EXPECT_EQ(x.days_of_month(), y.days_of_month()) << a << " vs " << b;
  EXPECT_EQ(x.months(), y.months()) << a << " vs " << b;
  EXPECT_EQ(x.days_of_week(), y.days_of_week()) << a << " vs " << b;
  EXPECT_EQ(x.day_of_month_any(), y.day_of_month_any()) << a << " vs " << b;
  EXPECT_EQ(x.day_of_week_any(), y.day_of_week_any()) << a << " vs " << b;
}

TEST(ParseCronTest, NamesRangesStepsAndMacros) {
  const std::vector<std::pair<std::string, std::string>> same = {
      {"0 0 * jan-mar mon-fri", "0 0 * 1-3 1-5"},
      {"0 0 * Jul,DEC Sun,sat", "0 0 * 7,12 0,6"},
      {"0 0 * * 7", "0 0 * * 0"},
      {"0 0 * * 5-7", "0 0 * * 0,5,6"},
      {"0 0 * * */2", "0 0 * * 0,2,4,6"},
      {"10-50/10 * * * *", "10,20,30,40,50 * * * *"},
      {"5/20 * * * *", "5,25,45 * * * *"},
      {"*/1 * * * *", "* * * * *"},
      {"  0\t0   * * *  ", "0 0 * * *"},
      {"@yearly", "0 0 1 1 *"},
      {"@ANNUALLY", "0 0 1 1 *"},
      {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"},
      {"@daily", "0 0 * * *"},
      {"@Midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"},
  };
  for (const auto& [a, b] : same) ExpectSame(a, b);

  CronExpr daily = MustParse(" @daily ");
  EXPECT_EQ(daily.source(), "@daily");
  EXPECT_EQ(daily.fields(), "0 0 * * *");
  CronExpr e = MustParse("*/15  2 1,15 * MON");
  EXPECT_EQ(e.fields(), "*/15 2 1,15 * MON");
  EXPECT_EQ(e.minutes().count(), 4u);
  EXPECT_FALSE(e.day_of_month_any());
  EXPECT_FALSE(e.day_of_week_any());
  EXPECT_TRUE(MustParse("0 0 * * *").day_of_week_any());
  EXPECT_FALSE(MustParse("0 0 */2 * *").day_of_month_any());  // a step restricts
}

TEST(NextRunTest, DayOfMonthOrDayOfWeekWhenBothRestricted) {
  // April 2026: the 13th is a Monday; Fridays are 3, 10, 17, 24.
  EXPECT_EQ(Runs("0 0 13 * 5", "2026-04-01T00:00:00Z", "UTC", 5),
            (std::vector<std::string>{"2026-04-03T00:00:00Z", "2026-04-10T00:00:00Z", "2026-04-13T00:00:00Z",
                                      "2026-04-17T00:00:00Z", "2026-04-24T00:00:00Z"}));
  // Only one restricted: both must match.
  EXPECT_EQ(Runs("0 0 13 * *", "2026-04-01T00:00:00Z", "UTC", 2),
            (std::vector<std::string>{"2026-04-13T00:00:00Z", "2026-05-13T00:00:00Z"}));
  EXPECT_EQ(Runs("0 0 * * FRI", "2026-04-01T00:00:00Z", "UTC", 2),
            (std::vector<std::string>{"2026-04-03T00:00:00Z", "2026-04-10T00:00:00Z"}));
  // `*/2` restricts day-of-month: odd days OR Fridays (the 10th).
  EXPECT_EQ(Runs("0 0 */2 * 5", "2026-04-01T00:00:00Z", "UTC", 6),
            (std::vector<std::string>{"2026-04-03T00:00:00Z", "2026-04-05T00:00:00Z", "2026-04-07T00:00:00Z",
                                      "2026-04-09T00:00:00Z", "2026-04-10T00:00:00Z", "2026-04-11T00:00:00Z"}));
  // Both restricted in a month filter: Fridays of February count too.
  EXPECT_EQ(Next("0 0 30 2 1", "2026-01-01T00:00:00Z"), "2026-02-02T00:00:00Z");
}

TEST(NextRunTest, StrictlyAfterAndSubMinute) {
  EXPECT_EQ(Next("*/15 * * * *", "2026-01-01T10:15:00Z"), "2026-01-01T10:30:00Z");
  EXPECT_EQ(Next("*/15 * * * *", "2026-01-01T10:14:59Z"), "2026-01-01T10:15:00Z");
  EXPECT_EQ(Next("* * * * *", "2026-12-31T23:59:30Z"), "2027-01-01T00:00:00Z");
  TimePoint half = T("2026-01-01T10:14:59Z") + std::chrono::milliseconds(500);
  EXPECT_EQ(FormatRfc3339(*NextRun(MustParse("*/15 * * * *"), half)), "2026-01-01T10:15:00Z");
  EXPECT_EQ(FormatRfc3339(*NextRun(MustParse("*/15 * * * *"), half, "")), "2026-01-01T10:15:00Z");
}

TEST(NextRunTest, MonthEndsAndLeapYears) {
  EXPECT_EQ(Next("0 0 29 2 *", "2027-03-01T00:00:00Z"), "2028-02-29T00:00:00Z");
  EXPECT_EQ(Next("0 0 29 2 *", "2097-01-01T00:00:00Z"), "2104-02-29T00:00:00Z");  // 2100 is not leap
  EXPECT_EQ(Next("0 0 31 * *", "2026-04-01T00:00:00Z"), "2026-05-31T00:00:00Z");
  EXPECT_EQ(Next("30 23 31 12 *", "2026-01-01T00:00:00Z"), "2026-12-31T23:30:00Z");
  EXPECT_EQ(Next("0 0 1 * *", "2026-12-15T00:00:00Z"), "2027-01-01T00:00:00Z");
  EXPECT_EQ(Next("@yearly", "2026-01-01T00:00:00Z"), "2027-01-01T00:00:00Z");
}

TEST(NextRunTest, NeverFiresIsInvalidArgument) {
  for (const std::string expr : {"0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30,31 FEB *"}) {
    Result<TimePoint> t = NextRun(MustParse(expr), T("2026-01-01T00:00:00Z"), "Europe/Berlin");
    ASSERT_FALSE(t.ok()) << expr;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(t.status().message(), "cron expression '" + expr + "' never fires");
  }
}

TEST(NextRunTest, TimeZones) {
  EXPECT_EQ(Next("0 9 * * *", "2025-12-31T12:00:00Z", "Asia/Tokyo"), "2026-01-01T00:00:00Z");
  EXPECT_EQ(Next("0 9 * * *", "2026-01-01T00:00:00Z", "Asia/Tokyo"), "2026-01-02T00:00:00Z");
  EXPECT_EQ(Next("0 0 * * *", "2026-06-30T12:00:00Z", "Asia/Kolkata"), "2026-06-30T18:30:00Z");
  // The day of week is the zone's: Monday 00:00 in Tokyo is Sunday 15:00 UTC.
  EXPECT_EQ(Next("0 0 * * MON", "2026-04-01T00:00:00Z", "Asia/Tokyo"), "2026-04-05T15:00:00Z");
  EXPECT_EQ(Next("0 0 * * *", "2026-06-30T12:00:00Z", "Etc/UTC"), "2026-07-01T00:00:00Z");
}

TEST(NextRunTest, UnknownTimeZone) {
  Result<TimePoint> t = NextRun(MustParse("* * * * *"), T("2026-01-01T00:00:00Z"), "Mars/Base");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t.status().message(), "timeZone: unknown time zone 'Mars/Base'");
  EXPECT_EQ(ValidateTimeZone("../../etc/passwd").message(), "timeZone: unknown time zone '../../etc/passwd'");
  for (const std::string tz : {"", "UTC", "Etc/UTC", "Europe/Berlin", "America/New_York"}) {
    EXPECT_TRUE(ValidateTimeZone(tz).ok()) << tz;
  }
}

TEST(NextRunTest, SpringForwardGapFiresOnceAfterTheGap) {
  // New York 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z).
  EXPECT_EQ(Runs("*/15 2 * * *", "2026-03-08T05:00:00Z", "America/New_York", 3),
            (std::vector<std::string>{"2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z", "2026-03-09T06:15:00Z"}));
  EXPECT_EQ(Runs("30 2 * * *", "2026-03-07T12:00:00Z", "America/New_York", 2),
            (std::vector<std::string>{"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}));
  // Gap times and 03:00 itself collapse into one run.
  EXPECT_EQ(Runs("0,30 2-3 * * *", "2026-03-08T06:00:00Z", "America/New_York", 2),
            (std::vector<std::string>{"2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z"}));
  EXPECT_EQ(Next("0,30 2-3 * * *", "2026-03-08T07:00:00Z", "America/New_York"), "2026-03-08T07:30:00Z");
  // Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z).
  EXPECT_EQ(Runs("30 2 * * *", "2026-03-28T12:00:00Z", "Europe/Berlin", 2),
            (std::vector<std::string>{"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}));
  EXPECT_EQ(Runs("*/20 2 * * *", "2026-03-28T23:00:00Z", "Europe/Berlin", 2),
            (std::vector<std::string>{"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"}));
}

TEST(NextRunTest, FallBackRepeatedTimeFiresAtFirstOccurrence) {
  // New York 2026-11-01: 02:00 EDT falls back to 01:00 EST (06:00Z); 01:xx occurs twice.
  EXPECT_EQ(Runs("30 1 * * *", "2026-10-31T12:00:00Z", "America/New_York", 2),
            (std::vector<std::string>{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}));
  // Each wall time once: nothing during the repeated hour 01:00-01:59 EST.
  EXPECT_EQ(Runs("*/30 * * * *", "2026-11-01T04:45:00Z", "America/New_York", 4),
            (std::vector<std::string>{"2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", "2026-11-01T07:00:00Z",
                                      "2026-11-01T07:30:00Z"}));
  EXPECT_EQ(Next("*/30 * * * *", "2026-11-01T06:10:00Z", "America/New_York"), "2026-11-01T07:00:00Z");
  EXPECT_EQ(Next("30 1 * * *", "2026-11-01T05:30:00Z", "America/New_York"), "2026-11-02T06:30:00Z");
  // Berlin 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00Z); 02:xx occurs twice.
  EXPECT_EQ(Runs("30 2 * * *", "2026-10-24T12:00:00Z", "Europe/Berlin", 2),
            (std::vector<std::string>{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}));
  EXPECT_EQ(Next("30 2 * * *", "2026-10-25T01:10:00Z", "Europe/Berlin"), "2026-10-26T01:30:00Z");
}

TEST(NextRunsTest, CountAndOrder) {
  Result<std::vector<TimePoint>> runs = NextRuns(MustParse("0 * * * *"), T("2026-01-01T00:00:00Z"), "UTC", 24);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 24u);
  EXPECT_EQ(FormatRfc3339(runs->front()), "2026-01-01T01:00:00Z");
  EXPECT_EQ(FormatRfc3339(runs->back()), "2026-01-02T00:00:00Z");
  for (size_t i = 1; i < runs->size(); ++i) EXPECT_EQ((*runs)[i] - (*runs)[i - 1], std::chrono::hours(1));
  EXPECT_TRUE(NextRuns(MustParse("* * * * *"), T("2026-01-01T00:00:00Z"), "UTC", 0)->empty());
  EXPECT_EQ(NextRuns(MustParse("* * * * *"), T("2026-01-01T00:00:00Z"), "UTC", -1).status().message(),
            "count -1 out of range 0-1000");
  EXPECT_EQ(NextRuns(MustParse("* * * * *"), T("2026-01-01T00:00:00Z"), "UTC", 1001).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(NextRuns(MustParse("* * * * *"), T("2026-01-01T00:00:00Z"), "Mars/Base", 3).status().message(),
            "timeZone: unknown time zone 'Mars/Base'");
}

// Cross-checks the skipping search against a minute-by-minute scan in UTC.
TEST(NextRunTest, AgreesWithBruteForceInUtc) {
  for (const std::string expr : {"*/7 3-5 * * *", "0 0 13 * 5", "15 10 * 2 mon", "0 0 1,15 * *",
                                  "30 2 */3 * *", "59 23 * * 6", "0 12 31 * *"}) {
    CronExpr e = MustParse(expr);
    TimePoint after = T("2026-01-20T07:31:00Z");
    Result<std::vector<TimePoint>> runs = NextRuns(e, after, "UTC", 5);
    ASSERT_TRUE(runs.ok()) << expr;
    auto t = date::floor<std::chrono::minutes>(after);
    for (TimePoint want : *runs) {
      for (t += std::chrono::minutes(1);; t += std::chrono::minutes(1)) {
        auto day = date::floor<date::days>(t);
        date::year_month_day ymd{day};
        date::hh_mm_ss hms{t - day};
        if (e.minutes()[hms.minutes().count()] && e.hours()[hms.hours().count()] &&
            e.MatchesDay(static_cast<int>(static_cast<unsigned>(ymd.month())),
                         static_cast<int>(static_cast<unsigned>(ymd.day())),
                         static_cast<int>(date::weekday{day}.c_encoding()))) {
          break;
        }
      }
      EXPECT_EQ(FormatRfc3339(want), FormatRfc3339(t)) << expr;
    }
  }
}

TEST(NextRunTest, ExtremeInstantsDoNotOverflow) {
  Result<TimePoint> late = NextRun(MustParse("* * * * *"), TimePoint::max(), "Europe/Berlin");
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().message(), "cron expression '* * * * *': no fire time before year 2262");
  Result<TimePoint> early = NextRun(MustParse("@yearly"), TimePoint::min(), "UTC");
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(FormatRfc3339(*early), "1678-01-01T00:00:00Z");
}

TEST(NextRunTest, SharedExpressionAcrossThreads) {
  const CronExpr e = MustParse("30 2 * * *");
  std::vector<std::string> got(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] {
      Result<TimePoint> t = NextRun(e, T("2026-10-24T12:00:00Z"), "Europe/Paris");  // loads the zone lazily
      got[i] = t.ok() ? FormatRfc3339(*t) : t.status().ToString();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& g : got) EXPECT_EQ(g, "2026-10-25T00:30:00Z");
}

TEST(NextRunTest, ThousandYearlyLookupsAreFast) {
  CronExpr yearly = MustParse("0 0 1 1 *");
  CronExpr leap = MustParse("0 0 29 2 *");
  auto start = std::chrono::steady_clock::now();
  TimePoint t = T("2026-01-01T00:00:00Z");
  for (int i = 0; i < 1000; ++i) {
    Result<TimePoint> next = NextRun(yearly, T("2026-01-01T00:00:00Z") + std::chrono::hours(i), "Europe/Berlin");
    ASSERT_TRUE(next.ok());
    t = *next;
    ASSERT_TRUE(NextRun(leap, T("2097-01-01T00:00:00Z"), "America/New_York").ok());
  }
  EXPECT_EQ(FormatRfc3339(t), "2026-12-31T23:00:00Z");  // 00:00 CET
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace kbr
