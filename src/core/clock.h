// Clock: the injected source of time. Production code takes a Clock& so tests
// can drive time (FakeClock in core/fake_clock.h). Implementations are thread-safe.
#pragma once

#include <chrono>

namespace kbr {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  // Monotonic time for measuring intervals.
  virtual std::chrono::steady_clock::time_point Steady() const = 0;
  virtual void SleepFor(Duration d) = 0;
};

// The real clock. Stateless; one process-wide instance is returned.
Clock& SystemClock();

// RFC 3339 UTC with second precision ("2026-11-27T11:12:31Z").
std::string FormatRfc3339(TimePoint t);
// Parses RFC 3339 (with "Z" or a numeric offset, optional fraction).
// Returns nullopt-like failure via the bool.
bool ParseRfc3339(const std::string& s, TimePoint* out);

}  // namespace kbr
