// Watch and Informer against real kube-apiservers: the cache converges after
// 1,000 rapid changes from 4 writers (member1), the label index matches a
// server-side label selector, and a watch survives a kube-apiserver restart
// (member2, the only test that restarts it) without losing a change: the
// resumed watch gets 410 Gone (the restarted apiserver's watch cache starts
// after the informer's resourceVersion) and the informer relists.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "core/json.h"
#include "kube/informer.h"
#include "lab/process.h"
#include "lab_env.h"

namespace kbr::testing {
namespace {

namespace bj = boost::json;
namespace res = kube::resources;
using std::chrono::milliseconds;
using std::chrono::seconds;
using NameToRv = std::map<std::string, std::string>;

std::string NameOf(const bj::value& o) { return json::GetString(o, "metadata.name"); }
std::string RvOf(const bj::value& o) { return json::GetString(o, "metadata.resourceVersion"); }

bj::value ConfigMap(const std::string& ns, const std::string& name, const std::string& color) {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"color", color}}}}},
          {"data", {{"v", "0"}}}};
}

NameToRv ByName(const std::vector<bj::value>& items) {
  NameToRv out;
  for (const auto& i : items) out[NameOf(i)] = RvOf(i);
  out.erase("kube-root-ca.crt");  // published into every namespace by the controller-manager
  return out;
}

// What the informer's handlers were told, and the state they imply
// (kube-root-ca.crt, which is not ours, is ignored).
struct Recorder {
  std::mutex mu;
  NameToRv state;
  std::set<std::string> added, updated, deleted;
  int adds = 0, updates = 0, deletes = 0;

  kube::EventHandler Handler() {
    return {.on_add =
                [this](const bj::value& o) {
                  if (NameOf(o) == "kube-root-ca.crt") return;
                  std::lock_guard<std::mutex> l(mu);
                  state[NameOf(o)] = RvOf(o);
                  added.insert(NameOf(o));
                  ++adds;
                },
            .on_update =
                [this](const bj::value&, const bj::value& o) {
                  if (NameOf(o) == "kube-root-ca.crt") return;
                  std::lock_guard<std::mutex> l(mu);
                  state[NameOf(o)] = RvOf(o);
                  updated.insert(NameOf(o));
                  ++updates;
                },
            .on_delete =
                [this](const bj::value& o) {
                  if (NameOf(o) == "kube-root-ca.crt") return;
                  std::lock_guard<std::mutex> l(mu);
                  state.erase(NameOf(o));
                  deleted.insert(NameOf(o));
                  ++deletes;
                }};
  }
  NameToRv State() {
    std::lock_guard<std::mutex> l(mu);
    return state;
  }
};

// Waits until the informer's cache and the handlers' view both equal a fresh
// List: same names, same resourceVersions.
Status WaitConverged(kube::Client& c, const std::string& ns, const kube::Informer& inf, Recorder& rec,
                     std::chrono::milliseconds timeout) {
  std::string diff;
  Status s = lab::WaitFor(
      [&]() -> Result<bool> {
        ASSIGN_OR_RETURN(auto items, c.ListAll(res::kConfigMaps, ns));
        NameToRv truth = ByName(items), cache = ByName(inf.List()), seen = rec.State();
        diff = "server " + std::to_string(truth.size()) + " objects, cache " + std::to_string(cache.size()) +
               ", handlers " + std::to_string(seen.size()) + "; informer error: " + inf.LastError();
        return truth == cache && truth == seen;
      },
      timeout, milliseconds(250), "the informer to converge");
  return s.ok() ? s : Status(s.code(), s.message() + " (" + diff + ")");
}

class NamespaceOn {
 public:
  explicit NamespaceOn(const std::string& cluster) : c_(AdminClient(cluster)), name_(UniqueName("watch")) {
    if (c_) {
      auto r = c_->Create(res::kNamespaces, "", {{"apiVersion", "v1"}, {"kind", "Namespace"},
                                                 {"metadata", {{"name", name_}}}});
      if (!r.ok()) ADD_FAILURE() << r.status().message();
    }
  }
  ~NamespaceOn() {
    if (c_) (void)c_->Delete(res::kNamespaces, "", name_);
  }
  kube::Client& client() { return *c_; }
  const std::string& name() const { return name_; }

 private:
  std::unique_ptr<kube::Client> c_;
  std::string name_;
};

TEST(KubeWatchTest, InformerConvergesAfterAThousandRapidChanges) {
  NamespaceOn ns("member1");
  kube::Client& c = ns.client();
  kube::Informer inf(c, {.resource = res::kConfigMaps, .ns = ns.name(), .index_label_keys = {"color"}});
  Recorder rec;
  inf.AddHandler(rec.Handler());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(seconds(10)));

  constexpr int kWriters = 4, kOpsPerWriter = 250, kNamesPerWriter = 20;
  std::atomic<int> creates{0}, patches{0}, deletes{0}, failures{0};
  std::mutex err_mu;
  std::string first_error;
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937 rng(1000 + w);
      std::vector<bool> exists(kNamesPerWriter, false);
      for (int op = 0; op < kOpsPerWriter; ++op) {
        int i = static_cast<int>(rng() % kNamesPerWriter);
        std::string name = "w" + std::to_string(w) + "-" + std::to_string(i);
        std::string color = rng() % 2 ? "red" : "blue";
        Status s;
        if (!exists[i]) {
          s = c.Create(res::kConfigMaps, ns.name(), ConfigMap(ns.name(), name, color)).status();
          if (s.ok()) ++creates, exists[i] = true;
        } else if (rng() % 10 < 6) {
          std::string body = R"({"metadata":{"labels":{"color":")" + color + R"("}},"data":{"v":")" +
                             std::to_string(op) + "\"}}";
          s = c.Patch(res::kConfigMaps, ns.name(), name, kube::PatchType::kMerge, body).status();
          if (s.ok()) ++patches;
        } else {
          s = c.Delete(res::kConfigMaps, ns.name(), name);
          if (s.ok()) ++deletes, exists[i] = false;
        }
        if (!s.ok()) {
          std::lock_guard<std::mutex> l(err_mu);
          if (failures++ == 0) first_error = s.message();
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  ASSERT_EQ(failures.load(), 0) << first_error;
  ASSERT_EQ(creates + patches + deletes, kWriters * kOpsPerWriter);

  Status converged = WaitConverged(c, ns.name(), inf, rec, seconds(30));
  ASSERT_TRUE(converged.ok()) << converged.message();
  std::printf("1000 changes written and observed in %.1fs (%d creates, %d patches, %d deletes)\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), creates.load(),
              patches.load(), deletes.load());

  // One list at start, then every change arrived as a watch event, in order.
  EXPECT_EQ(inf.ListCount(), 1);
  EXPECT_EQ(inf.LastError(), "");
  {
    std::lock_guard<std::mutex> l(rec.mu);
    EXPECT_EQ(rec.adds, creates.load());
    EXPECT_EQ(rec.updates, patches.load());
    EXPECT_EQ(rec.deletes, deletes.load());
  }

  // The label index agrees with the apiserver's label selector, after labels moved between values.
  for (const std::string color : {"red", "blue"}) {
    auto server = c.ListAll(res::kConfigMaps, ns.name(), {.label_selector = "color=" + color});
    ASSERT_TRUE(server.ok()) << server.status().message();
    EXPECT_EQ(ByName(inf.ListByIndex("color", color)), ByName(*server)) << color;
  }
  EXPECT_TRUE(inf.ListByIndex("color", "green").empty());
  EXPECT_TRUE(inf.ListByIndex("shape", "round").empty());
  inf.Stop();
}

// Serializes the tests that stop and restart lab components (this one and
// lab_faults_test) so two `kbr lab up` never run at once.
class DisruptionLock {
 public:
  DisruptionLock() : fd_(::open(Lab().layout.Path("run/disruption.lock").c_str(), O_CREAT | O_RDWR, 0644)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~DisruptionLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  int fd_;
};

TEST(KubeWatchTest, WatchSurvivesAnApiserverRestartWithoutMissingAChange) {
  NamespaceOn ns("member2");
  kube::Client& c = ns.client();
  kube::Informer inf(c, {.resource = res::kConfigMaps, .ns = ns.name()});
  Recorder rec;
  inf.AddHandler(rec.Handler());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(seconds(10)));
  for (int i = 0; i < 20; ++i) {
    auto r = c.Create(res::kConfigMaps, ns.name(), ConfigMap(ns.name(), "before-" + std::to_string(i), "red"));
    ASSERT_TRUE(r.ok()) << r.status().message();
  }
  Status before = WaitConverged(c, ns.name(), inf, rec, seconds(20));
  ASSERT_TRUE(before.ok()) << before.message();
  ASSERT_EQ(inf.ListCount(), 1);

  {
    DisruptionLock lock;
    auto state = lab::LoadState(Lab().layout);
    ASSERT_TRUE(state.ok()) << state.status().message();
    int pid = state->pids["member2-kube-apiserver"];
    ASSERT_TRUE(lab::IsAlive(pid)) << "member2-kube-apiserver (pid " << pid << ") is not running";
    auto down_at = std::chrono::steady_clock::now();
    Status stopped = lab::Stop(pid, milliseconds(200));
    ASSERT_TRUE(stopped.ok()) << stopped.message();
    EXPECT_FALSE(c.Get(res::kNamespaces, "", ns.name()).ok()) << "member2 still answers after its apiserver stopped";

    // Writes elsewhere move the shared etcd's revision past the informer's
    // resourceVersion, so the restarted apiserver's watch cache cannot serve it.
    auto m1 = AdminClient("member1");
    ASSERT_TRUE(m1);
    std::string marker = UniqueName("rv-bump");
    ASSERT_TRUE(m1->Create(res::kConfigMaps, "default", ConfigMap("default", marker, "red")).ok());
    ASSERT_TRUE(m1->Delete(res::kConfigMaps, "default", marker).ok());

    std::string out;
    int rc = RunCommand(Lab().kbr_binary + " lab up --dir " + Lab().layout.dir, &out);
    ASSERT_EQ(rc, 0) << out;
    std::printf("member2's kube-apiserver was down for %.1fs\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - down_at).count());
  }
  auto new_state = lab::LoadState(Lab().layout);
  ASSERT_TRUE(new_state.ok());
  EXPECT_TRUE(lab::IsAlive(new_state->pids["member2-kube-apiserver"]));

  // The restarted apiserver answers a watch from a resourceVersion it no longer has with 410 Gone.
  Status gone = c.WatchOnce(res::kConfigMaps, ns.name(), {.resource_version = "1", .timeout_seconds = 5},
                            [](kube::WatchEvent&&) { return true; });
  EXPECT_EQ(gone.code(), StatusCode::kGone) << gone.ToString();

  for (int i = 0; i < 10; ++i) {
    auto r = c.Create(res::kConfigMaps, ns.name(), ConfigMap(ns.name(), "after-" + std::to_string(i), "blue"));
    ASSERT_TRUE(r.ok()) << r.status().message();
  }
  for (int i = 0; i < 5; ++i) {
    auto r = c.Patch(res::kConfigMaps, ns.name(), "before-" + std::to_string(i), kube::PatchType::kMerge,
                     R"({"data":{"v":"changed"}})");
    ASSERT_TRUE(r.ok()) << r.status().message();
  }
  for (int i = 5; i < 10; ++i) ASSERT_TRUE(c.Delete(res::kConfigMaps, ns.name(), "before-" + std::to_string(i)).ok());

  Status after = WaitConverged(c, ns.name(), inf, rec, seconds(30));
  ASSERT_TRUE(after.ok()) << after.message();
  {
    std::lock_guard<std::mutex> l(rec.mu);
    for (int i = 0; i < 20; ++i) EXPECT_TRUE(rec.added.count("before-" + std::to_string(i))) << i;
    for (int i = 0; i < 10; ++i) EXPECT_TRUE(rec.added.count("after-" + std::to_string(i))) << i;
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(rec.updated.count("before-" + std::to_string(i))) << i;
    for (int i = 5; i < 10; ++i) EXPECT_TRUE(rec.deleted.count("before-" + std::to_string(i))) << i;
    EXPECT_FALSE(rec.deleted.count("before-10"));
  }
  for (int i = 0; i < 5; ++i) {
    auto cached = inf.Get(ns.name(), "before-" + std::to_string(i));
    ASSERT_TRUE(cached.has_value()) << i;
    EXPECT_EQ(json::GetString(*cached, "data.v"), "changed");
  }
  // The resumed watch got 410 Gone and the informer relisted.
  EXPECT_GE(inf.ListCount(), 2);
  EXPECT_EQ(inf.LastError(), "");
  inf.Stop();
}

}  // namespace
}  // namespace kbr::testing
