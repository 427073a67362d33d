// LeaderElector: leader election on a coordination.k8s.io/v1 Lease, with the
// semantics of client-go's leaderelection: a candidate takes the lease when
// it is absent, held by nobody, or not renewed within leaseDurationSeconds as
// observed on the candidate's own clock (no cross-machine clock comparison);
// the leader renews every retry_period and steps down if it cannot renew for
// renew_deadline. Updates carry the resourceVersion, so two candidates never
// both win a round (the loser gets Conflict).
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "core/clock.h"
#include "kube/client.h"

namespace kbr::kube {

struct LeaderElectionConfig {
  std::string lease_namespace = "karmada-system";
  std::string lease_name;
  std::string identity;  // unique per candidate (e.g. hostname + pid)
  Duration lease_duration{15000};
  Duration renew_deadline{10000};
  Duration retry_period{2000};
  bool release_on_cancel = true;
};

class LeaderElector {
 public:
  // `client` and `clock` must outlive the elector.
  LeaderElector(Client& client, LeaderElectionConfig config, Clock& clock = SystemClock());

  // Blocks: campaigns until leader, calls on_started_leading (on this thread;
  // it must return promptly), renews until the lease is lost or `cancelled()`
  // turns true, then calls on_stopped_leading (if it had led) and returns.
  void Run(const std::function<void()>& on_started_leading, const std::function<void()>& on_stopped_leading,
           const std::function<bool()>& cancelled);

  // True while Run leads and its last successful acquire/renew started less
  // than renew_deadline ago: a renewal that hangs (or a stalled Run thread)
  // stops counting as leadership at the renew deadline, before another
  // candidate can see the lease expire. Thread-safe.
  bool IsLeader() const;

  // One acquire-or-renew attempt: true if this candidate holds the lease after it.
  bool TryAcquireOrRenew();

 private:
  void Release();

  Client& client_;
  LeaderElectionConfig config_;
  Clock& clock_;
  std::atomic<bool> leader_{false};
  // When the last successful acquire/renew attempt started (clock_.Steady()).
  std::atomic<std::chrono::steady_clock::time_point> last_renew_{};
  // The last lease record seen and when (on our clock) it last changed.
  std::string observed_holder_;
  std::string observed_renew_time_;
  std::chrono::steady_clock::time_point observed_at_{};
};

}  // namespace kbr::kube
