// Backoff: exponential delays with full jitter for retry loops.
// Not thread-safe; one instance per retry loop.
#pragma once

#include <cstdint>
#include <random>

#include "core/clock.h"

namespace kbr {

struct BackoffPolicy {
  Duration initial{200};
  Duration max{10000};
  double factor = 2.0;
  // Fraction of each delay that is randomized: delay in [d*(1-jitter), d].
  double jitter = 0.5;
};

class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy = {}, uint64_t seed = std::random_device{}());
  // The delay before the next attempt; grows by `factor` up to `max`.
  Duration Next();
  void Reset();
  int attempts() const { return attempts_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 rng_;
  double current_ms_;
  int attempts_ = 0;
};

}  // namespace kbr
