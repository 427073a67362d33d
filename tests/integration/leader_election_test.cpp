// LeaderElector with two contenders on a Lease in the host cluster
// ("karmada", namespace karmada-system): exactly one leads; when the leader
// releases, cannot reach the apiserver, or hangs on it, the other takes over
// within the lease duration (plus a margin), and at no sampled instant do both
// believe they lead.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "core/json.h"
#include "kube/leader_election.h"
#include "lab/process.h"
#include "lab_env.h"

namespace kbr::testing {
namespace {

namespace res = kube::resources;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr milliseconds kLease{3000}, kRenewDeadline{2000}, kRetry{500};
// Slack for scheduling and a few apiserver round trips on a loaded machine.
constexpr milliseconds kMargin{2500};

// A transport that can be cut off from the apiserver: kRefuse fails every
// request at once (connection refused), kBlackhole holds it until its timeout
// (a partition where packets vanish).
class Partition : public http::Client {
 public:
  enum Mode { kConnected, kRefuse, kBlackhole };
  explicit Partition(std::unique_ptr<http::Client> real) : real_(std::move(real)) {}
  void Set(Mode m) { mode_ = m; }

  Result<http::Response> Do(const http::Request& req) override {
    RETURN_IF_ERROR(Cut(req));
    return real_->Do(req);
  }
  Result<http::Response> Stream(const http::Request& req, const http::ChunkHandler& on_chunk) override {
    RETURN_IF_ERROR(Cut(req));
    return real_->Stream(req, on_chunk);
  }

 private:
  Status Cut(const http::Request& req) {
    if (mode_ == kRefuse) return Status::Unavailable(req.method + " apiserver: connection refused (test partition)");
    if (mode_ == kBlackhole) {
      auto until = std::chrono::steady_clock::now() + req.timeout;
      while (mode_ == kBlackhole && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(milliseconds(20));
      }
      if (mode_ == kBlackhole) return Status::DeadlineExceeded(req.method + " apiserver: timed out (test partition)");
    }
    return Status::Ok();
  }
  std::unique_ptr<http::Client> real_;
  std::atomic<Mode> mode_{kConnected};
};

class Contender {
 public:
  Contender(const std::string& lease, const std::string& identity) : identity_(identity) {
    auto cfg = kube::LoadKubeconfig(Lab().layout.Kubeconfig("karmada"));
    if (!cfg.ok()) {
      ADD_FAILURE() << cfg.status().message();
      return;
    }
    auto curl = http::NewCurlClient(cfg->tls);
    if (!curl.ok()) {
      ADD_FAILURE() << curl.status().message();
      return;
    }
    net_ = std::make_shared<Partition>(std::move(*curl));
    client_ = std::make_unique<kube::Client>(*cfg, net_, kube::ClientOptions{.timeout = seconds(8)}, SystemClock());
    elector_ = std::make_unique<kube::LeaderElector>(
        *client_, kube::LeaderElectionConfig{.lease_namespace = "karmada-system", .lease_name = lease,
                                             .identity = identity, .lease_duration = kLease,
                                             .renew_deadline = kRenewDeadline, .retry_period = kRetry});
    thread_ = std::thread([this] {
      elector_->Run([this] { started_ = true; }, [this] { stopped_ = true; }, [this] { return cancel_.load(); });
      returned_ = true;
    });
  }
  ~Contender() {
    cancel_ = true;
    if (net_) net_->Set(Partition::kConnected);
    if (thread_.joinable()) thread_.join();
  }

  bool leads() const { return elector_ && elector_->IsLeader(); }
  bool stopped_leading() const { return stopped_; }
  bool returned() const { return returned_; }
  void Cancel() { cancel_ = true; }
  void Cut(Partition::Mode m) { net_->Set(m); }
  const std::string& identity() const { return identity_; }

 private:
  std::string identity_;
  std::shared_ptr<Partition> net_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<kube::LeaderElector> elector_;
  std::atomic<bool> cancel_{false}, started_{false}, stopped_{false}, returned_{false};
  std::thread thread_;
};

// Samples both contenders every 10ms and remembers any instant at which both led.
class Sampler {
 public:
  Sampler(const Contender& a, const Contender& b)
      : thread_([this, &a, &b] {
          while (!done_) {
            if (a.leads() && b.leads()) ++both_;
            std::this_thread::sleep_for(milliseconds(10));
          }
        }) {}
  ~Sampler() { Stop(); }
  int Stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
    return both_;
  }

 private:
  std::atomic<bool> done_{false};
  std::atomic<int> both_{0};
  std::thread thread_;
};

Status WaitUntil(const std::function<bool()>& cond, milliseconds timeout, const std::string& what) {
  return lab::WaitFor([&]() -> Result<bool> { return cond(); }, timeout, milliseconds(20), what);
}

double SecondsSince(SteadyTime t) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(); }

class LeaderElectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lease_ = UniqueName("kbr-it-lease");
    a_ = std::make_unique<Contender>(lease_, lease_ + "-a");
    b_ = std::make_unique<Contender>(lease_, lease_ + "-b");
    sampler_ = std::make_unique<Sampler>(*a_, *b_);
  }
  void TearDown() override {
    EXPECT_EQ(sampler_->Stop(), 0) << "both contenders led at the same sampled instant";
    a_.reset();
    b_.reset();
    if (auto c = AdminClient("karmada")) (void)c->Delete(res::kLeases, "karmada-system", lease_);
  }
  // Waits for exactly one leader and returns {leader, follower}.
  std::pair<Contender*, Contender*> ElectOne() {
    Status s = WaitUntil([&] { return a_->leads() || b_->leads(); }, kLease + kMargin, "a first leader");
    EXPECT_TRUE(s.ok()) << s.message();
    // Stable for a few renewals: still the same single leader.
    Contender* leader = a_->leads() ? a_.get() : b_.get();
    Contender* follower = leader == a_.get() ? b_.get() : a_.get();
    std::this_thread::sleep_for(kRetry * 4);
    EXPECT_TRUE(leader->leads());
    EXPECT_FALSE(follower->leads());
    auto lease = AdminClient("karmada")->Get(res::kLeases, "karmada-system", lease_);
    EXPECT_TRUE(lease.ok()) << lease.status().message();
    if (lease.ok()) {
      EXPECT_EQ(json::GetString(*lease, "spec.holderIdentity"), leader->identity());
    }
    return {leader, follower};
  }
  std::string Holder() {
    auto lease = AdminClient("karmada")->Get(res::kLeases, "karmada-system", lease_);
    return lease.ok() ? json::GetString(*lease, "spec.holderIdentity") : "<" + lease.status().message() + ">";
  }

  std::string lease_;
  std::unique_ptr<Contender> a_, b_;
  std::unique_ptr<Sampler> sampler_;
};

TEST_F(LeaderElectionTest, ReleasedLeaseIsTakenOverPromptly) {
  auto [leader, follower] = ElectOne();
  ASSERT_TRUE(leader && follower);
  auto t0 = std::chrono::steady_clock::now();
  leader->Cancel();
  Status took = WaitUntil([&] { return follower->leads(); }, kLease + kMargin, "the follower to take over");
  ASSERT_TRUE(took.ok()) << took.message() << "; lease holder: " << Holder();
  std::printf("takeover after release: %.2fs\n", SecondsSince(t0));
  // The leader released the lease, so the follower need not wait for it to expire.
  EXPECT_LT(SecondsSince(t0), std::chrono::duration<double>(kLease).count());
  EXPECT_TRUE(WaitUntil([&] { return leader->returned(); }, kMargin, "the old leader's Run to return").ok());
  EXPECT_TRUE(leader->stopped_leading());
  EXPECT_EQ(Holder(), follower->identity());
}

TEST_F(LeaderElectionTest, LeaderThatCannotReachTheApiserverIsReplaced) {
  auto [leader, follower] = ElectOne();
  ASSERT_TRUE(leader && follower);
  auto t0 = std::chrono::steady_clock::now();
  leader->Cut(Partition::kRefuse);
  Status stepped_down = WaitUntil([&] { return !leader->leads(); }, kRenewDeadline + kMargin,
                                  "the cut-off leader to step down");
  EXPECT_TRUE(stepped_down.ok()) << stepped_down.message();
  Status took = WaitUntil([&] { return follower->leads(); }, kLease + kMargin, "the follower to take over");
  ASSERT_TRUE(took.ok()) << took.message() << "; lease holder: " << Holder();
  std::printf("takeover after the leader was cut off: %.2fs\n", SecondsSince(t0));
  // Run notices at its next (failing, retried) renewal and calls on_stopped_leading.
  EXPECT_TRUE(WaitUntil([&] { return leader->returned(); }, kLease + kMargin, "the old leader's Run to return").ok());
  EXPECT_TRUE(leader->stopped_leading());
  EXPECT_EQ(Holder(), follower->identity());
}

TEST_F(LeaderElectionTest, LeaderWhoseRequestsHangIsReplacedWithoutOverlap) {
  auto [leader, follower] = ElectOne();
  ASSERT_TRUE(leader && follower);
  auto t0 = std::chrono::steady_clock::now();
  leader->Cut(Partition::kBlackhole);
  // A hung renewal must not leave the old leader believing it leads after
  // the renew deadline; the sampler checks there is no overlap.
  Status stepped_down = WaitUntil([&] { return !leader->leads(); }, kRenewDeadline + kMargin,
                                  "the partitioned leader to step down");
  EXPECT_TRUE(stepped_down.ok()) << stepped_down.message();
  Status took = WaitUntil([&] { return follower->leads(); }, kLease + kMargin, "the follower to take over");
  ASSERT_TRUE(took.ok()) << took.message() << "; lease holder: " << Holder();
  std::printf("takeover after the leader's requests started hanging: %.2fs\n", SecondsSince(t0));
  EXPECT_EQ(Holder(), follower->identity());
  // Once reconnected, the old leader must not win the lease back while the new one renews.
  leader->Cut(Partition::kConnected);
  std::this_thread::sleep_for(kLease);
  EXPECT_TRUE(follower->leads());
  EXPECT_EQ(Holder(), follower->identity());
}

}  // namespace
}  // namespace kbr::testing
