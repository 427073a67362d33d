#include "core/clock.h"

#include <date/date.h>

#include <sstream>
#include <string>
#include <thread>

namespace kbr {
namespace {

class RealClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point Steady() const override { return std::chrono::steady_clock::now(); }
  void SleepFor(Duration d) override { std::this_thread::sleep_for(d); }
};

}  // namespace

Clock& SystemClock() {
  static RealClock clock;
  return clock;
}

std::string FormatRfc3339(TimePoint t) {
  return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(t));
}

bool ParseRfc3339(const std::string& s, TimePoint* out) {
  for (const char* fmt : {"%FT%TZ", "%FT%T%Ez"}) {
    std::istringstream in(s);
    date::sys_time<std::chrono::microseconds> tp;
    in >> date::parse(fmt, tp);
    if (!in.fail()) {
      *out = std::chrono::time_point_cast<TimePoint::duration>(tp);
      return true;
    }
  }
  return false;
}

}  // namespace kbr
