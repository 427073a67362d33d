#include "kube/leader_election.h"

#include <date/date.h>

#include "core/json.h"
#include "core/log.h"

namespace kbr::kube {

namespace {

std::string MicroTime(TimePoint t) {
  return date::format("%FT%TZ", std::chrono::floor<std::chrono::microseconds>(t));
}

}  // namespace

LeaderElector::LeaderElector(Client& client, LeaderElectionConfig config, Clock& clock)
    : client_(client), config_(std::move(config)), clock_(clock) {}

bool LeaderElector::TryAcquireOrRenew() {
  const auto& r = resources::kLeases;
  const int64_t duration_s = std::chrono::duration_cast<std::chrono::seconds>(config_.lease_duration).count();
  std::string now = MicroTime(clock_.Now());
  auto current = client_.Get(r, config_.lease_namespace, config_.lease_name);
  if (!current.ok()) {
    if (current.status().code() != StatusCode::kNotFound) {
      spdlog::warn("leader election: {}", current.status().message());
      return false;
    }
    bj::value lease = {
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata", {{"name", config_.lease_name}, {"namespace", config_.lease_namespace}}},
        {"spec",
         {{"holderIdentity", config_.identity},
          {"leaseDurationSeconds", duration_s},
          {"acquireTime", now},
          {"renewTime", now},
          {"leaseTransitions", 0}}}};
    auto created = client_.Create(r, config_.lease_namespace, lease);
    return created.ok();
  }
  bj::value lease = std::move(*current);
  std::string holder = json::GetString(lease, "spec.holderIdentity");
  std::string renew = json::GetString(lease, "spec.renewTime");
  auto steady_now = clock_.Steady();
  if (holder != observed_holder_ || renew != observed_renew_time_) {
    observed_holder_ = holder;
    observed_renew_time_ = renew;
    observed_at_ = steady_now;
  }
  int64_t held_for_s = json::GetInt(lease, "spec.leaseDurationSeconds", duration_s);
  bool expired = steady_now - observed_at_ > std::chrono::seconds(held_for_s);
  if (!holder.empty() && holder != config_.identity && !expired) return false;

  auto& spec = lease.as_object()["spec"].as_object();
  if (holder != config_.identity) {
    spec["acquireTime"] = now;
    spec["leaseTransitions"] = json::GetInt(lease, "spec.leaseTransitions") + 1;
  }
  spec["holderIdentity"] = config_.identity;
  spec["leaseDurationSeconds"] = duration_s;
  spec["renewTime"] = now;
  auto updated = client_.Update(r, config_.lease_namespace, lease);
  if (!updated.ok()) return false;
  observed_holder_ = config_.identity;
  observed_renew_time_ = now;
  observed_at_ = steady_now;
  return true;
}

bool LeaderElector::IsLeader() const {
  return leader_ && clock_.Steady() - last_renew_.load() <= config_.renew_deadline;
}

void LeaderElector::Release() {
  auto current = client_.Get(resources::kLeases, config_.lease_namespace, config_.lease_name);
  if (!current.ok() || json::GetString(*current, "spec.holderIdentity") != config_.identity) return;
  bj::value lease = std::move(*current);
  auto& spec = lease.as_object()["spec"].as_object();
  spec["holderIdentity"] = "";
  spec["leaseDurationSeconds"] = 1;
  (void)client_.Update(resources::kLeases, config_.lease_namespace, lease);
}

void LeaderElector::Run(const std::function<void()>& on_started_leading,
                        const std::function<void()>& on_stopped_leading, const std::function<bool()>& cancelled) {
  while (!cancelled()) {
    auto attempt = clock_.Steady();
    if (TryAcquireOrRenew()) {
      last_renew_ = attempt;
      break;
    }
    clock_.SleepFor(config_.retry_period);
  }
  if (cancelled()) return;
  leader_ = true;
  spdlog::info("leader election: {} became leader of {}/{}", config_.identity, config_.lease_namespace,
               config_.lease_name);
  on_started_leading();
  while (!cancelled()) {
    clock_.SleepFor(config_.retry_period);
    auto attempt = clock_.Steady();
    if (TryAcquireOrRenew()) last_renew_ = attempt;
    // Also when a renewal succeeded only after hanging past the deadline:
    // IsLeader() has already reported false meanwhile.
    if (clock_.Steady() - last_renew_.load() > config_.renew_deadline) {
      spdlog::warn("leader election: {} lost the lease", config_.identity);
      break;
    }
  }
  leader_ = false;
  if (cancelled() && config_.release_on_cancel) Release();
  on_stopped_leading();
}

}  // namespace kbr::kube
