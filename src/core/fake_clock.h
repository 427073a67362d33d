// FakeClock: a Clock for tests. Time moves only when Advance() is called or
// when SleepFor() is called (which advances instead of blocking).
#pragma once

#include <mutex>

#include "core/clock.h"

namespace kbr {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint{}) : now_(start) {}
  TimePoint Now() const override {
    std::lock_guard<std::mutex> l(mu_);
    return now_;
  }
  std::chrono::steady_clock::time_point Steady() const override {
    std::lock_guard<std::mutex> l(mu_);
    return std::chrono::steady_clock::time_point(now_.time_since_epoch());
  }
  void SleepFor(Duration d) override { Advance(d); }
  void Advance(Duration d) {
    std::lock_guard<std::mutex> l(mu_);
    now_ += d;
    slept_ += d;
  }
  Duration TotalSlept() const {
    std::lock_guard<std::mutex> l(mu_);
    return slept_;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_;
  Duration slept_{0};
};

}  // namespace kbr
