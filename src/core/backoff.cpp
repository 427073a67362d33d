#include "core/backoff.h"

#include <algorithm>

namespace kbr {

Backoff::Backoff(BackoffPolicy policy, uint64_t seed)
    : policy_(policy), rng_(seed), current_ms_(static_cast<double>(policy.initial.count())) {}

Duration Backoff::Next() {
  double base = std::min(current_ms_, static_cast<double>(policy_.max.count()));
  std::uniform_real_distribution<double> dist(base * (1.0 - policy_.jitter), base);
  current_ms_ = std::min(current_ms_ * policy_.factor, static_cast<double>(policy_.max.count()));
  ++attempts_;
  return Duration(static_cast<int64_t>(dist(rng_)));
}

void Backoff::Reset() {
  current_ms_ = static_cast<double>(policy_.initial.count());
  attempts_ = 0;
}

}  // namespace kbr
