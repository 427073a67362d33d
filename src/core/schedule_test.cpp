#include "core/schedule.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kbr {
namespace {

TEST(SelectionToCronTest, MapsEveryQuickSelection) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"5m", "*/5 * * * *"}, {"15m", "*/15 * * * *"}, {"30m", "*/30 * * * *"}, {"1h", "0 * * * *"},
      {"6h", "0 */6 * * *"}, {"12h", "0 */12 * * *"}, {"daily", "0 0 * * *"},  {"weekly", "0 0 * * 0"},
  };
  for (const auto& [value, cron] : cases) {
    Result<std::string> got = SelectionToCron(value);
    ASSERT_TRUE(got.ok()) << value;
    EXPECT_EQ(*got, cron) << value;
    EXPECT_TRUE(ParseCron(*got).ok()) << value;
  }
}

TEST(SelectionToCronTest, UnknownSelection) {
  for (const std::string value : {"x", "", "Daily", "2h", "*/5 * * * *"}) {
    Result<std::string> got = SelectionToCron(value);
    ASSERT_FALSE(got.ok()) << value;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(got.status().message(), "schedule.value: unknown selection '" + value +
                                          "' (expected one of 5m, 15m, 30m, 1h, 6h, 12h, daily, weekly)");
  }
}

TEST(DescribeTest, ShortEnglish) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"* * * * *", "every minute"},
      {"*/15 * * * *", "every 15 minutes"},
      {"0 * * * *", "every hour"},
      {"@hourly", "every hour"},
      {"5 * * * *", "at minute 5 past every hour"},
      {"0 */6 * * *", "every 6 hours"},
      {"30 */12 * * *", "at minute 30 past every 12 hours"},
      {"0 2 * * *", "at 02:00 every day"},
      {"@daily", "at 00:00 every day"},
      {"0 9,17 * * *", "at 09:00 and 17:00 every day"},
      {"@weekly", "at 00:00 on Sunday"},
      {"0 0 * * 7", "at 00:00 on Sunday"},
      {"0 9 * * MON-FRI", "at 09:00 on Monday through Friday"},
      {"0 9 * * 1,3,5", "at 09:00 on Monday, Wednesday and Friday"},
      {"@monthly", "at 00:00 on day 1 of the month"},
      {"0 0 1,15 * *", "at 00:00 on days 1 and 15 of the month"},
      {"@yearly", "at 00:00 on day 1 of January"},
      {"0 0 13 * 5", "at 00:00 on day 13 of the month or on Friday"},
      {"*/15 2 * * *", "every 15 minutes from 02:00 to 02:59 every day"},
      {"0 12 * 1,7 *", "at 12:00 every day in January and July"},
      {"*/5 * * DEC *", "every 5 minutes in December"},
      {"7,19 */5 * * *", "at 7,19 */5 * * *"},
      {"0 0 1-31/2 * *", "at 0 0 1-31/2 * *"},
      {"*/7 * * * *", "at */7 * * * *"},
  };
  for (const auto& [expr, want] : cases) {
    Result<CronExpr> e = ParseCron(expr);
    ASSERT_TRUE(e.ok()) << expr;
    EXPECT_EQ(Describe(*e), want) << expr;
  }
}

}  // namespace
}  // namespace kbr
