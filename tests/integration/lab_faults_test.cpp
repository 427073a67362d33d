// `kbr lab` when things go wrong: a killed component is reported as crashed
// (and `up` restarts it), missing binaries and a component that cannot start
// each fail fast with a message saying what failed and what to check.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lab/process.h"
#include "lab_env.h"

namespace kbr::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Serializes the tests that stop and restart lab components (this file and
// kube_watch_test) so two `kbr lab up` never run at once.
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

// A fresh directory under the system temp dir, removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kbr-lab-faults-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> NonEmptyLines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// The status line of one component ("" if absent).
std::string LineOf(const std::string& status_output, const std::string& component) {
  for (const auto& line : NonEmptyLines(status_output)) {
    if (line.rfind(component + " ", 0) == 0) return line;
  }
  return "";
}

std::string Kbr(const std::string& args) { return Lab().kbr_binary + " " + args; }

TEST(LabFaultsTest, KilledComponentIsReportedAndUpRestartsIt) {
  const std::string name = "member2-kube-scheduler";
  const std::string dir = Lab().layout.dir;
  DisruptionLock lock;
  auto state = lab::LoadState(Lab().layout);
  ASSERT_TRUE(state.ok()) << state.status().message();
  int pid = state->pids[name];
  ASSERT_TRUE(lab::IsAlive(pid)) << name << " (pid " << pid << ") is not running before the test";
  ASSERT_TRUE(lab::Stop(pid, milliseconds(200)).ok());

  std::string out;
  int rc = RunCommand(Kbr("lab status --dir " + dir), &out);
  EXPECT_NE(rc, 0) << out;
  std::string line = LineOf(out, name);
  EXPECT_NE(line.find("crashed"), std::string::npos) << out;
  EXPECT_NE(line.find(std::to_string(pid)), std::string::npos) << line;
  EXPECT_NE(line.find(Lab().layout.Log(name)), std::string::npos) << "the crash line names the log: " << line;
  EXPECT_EQ(LineOf(out, "member2-kube-apiserver").find("crashed"), std::string::npos) << out;
  EXPECT_NE(out.find("1 lab component(s) not running"), std::string::npos) << out;

  auto t0 = std::chrono::steady_clock::now();
  rc = RunCommand(Kbr("lab up --dir " + dir), &out);
  ASSERT_EQ(rc, 0) << out;
  std::printf("kbr lab up restarted %s in %.1fs\n", name.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  auto after = lab::LoadState(Lab().layout);
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->pids[name], pid);
  EXPECT_TRUE(lab::IsAlive(after->pids[name]));
  // Only what was down was started again.
  EXPECT_EQ(after->pids["member2-kube-apiserver"], state->pids["member2-kube-apiserver"]);
  EXPECT_EQ(after->pids["etcd"], state->pids["etcd"]);

  rc = RunCommand(Kbr("lab status --dir " + dir), &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out.find("crashed"), std::string::npos) << out;
  EXPECT_NE(LineOf(out, name).find("running"), std::string::npos) << out;
}

TEST(LabFaultsTest, UpWithoutBinariesFailsInOneLineAndStartsNothing) {
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  std::string lab_dir = tmp.path() + "/lab";
  std::string out;
  auto t0 = std::chrono::steady_clock::now();
  int rc = RunCommand("KBR_CACHE=/nonexistent " + Kbr("lab up --dir " + lab_dir), &out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(10));
  EXPECT_NE(rc, 0) << out;
  auto lines = NonEmptyLines(out);
  ASSERT_EQ(lines.size(), 1u) << out;
  EXPECT_EQ(lines[0].rfind("kbr: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("run scripts/setup"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("/nonexistent/"), std::string::npos) << "names the missing binary: " << lines[0];
  EXPECT_FALSE(fs::exists(lab_dir + "/state.json")) << "nothing may be started or recorded";
  EXPECT_FALSE(fs::exists(lab_dir + "/pki")) << "no certificates before the binaries are known to exist";

  rc = RunCommand(Kbr("lab status --dir " + lab_dir), &out);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("kbr lab up"), std::string::npos) << out;
}

// A component that exits at start (here a stand-in etcd in an otherwise real
// binary cache) makes `up` fail fast, naming the component and its log's last
// lines, instead of waiting out its readiness timeout.
TEST(LabFaultsTest, ComponentThatCannotStartFailsFastNamingIt) {
  const char* env_cache = std::getenv("KBR_CACHE");
  const char* home = std::getenv("HOME");
  fs::path real_cache = env_cache && *env_cache ? env_cache : std::string(home ? home : "/root") + "/.cache/kbr";
  ASSERT_TRUE(fs::is_directory(real_cache)) << real_cache;
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  fs::path cache = fs::path(tmp.path()) / "cache";
  fs::create_directories(cache);
  bool replaced = false;
  for (const auto& entry : fs::directory_iterator(real_cache)) {
    std::string n = entry.path().filename().string();
    if (n.rfind("etcd-", 0) != 0) {
      fs::create_directory_symlink(entry.path(), cache / n);
      continue;
    }
    fs::create_directories(cache / n);
    std::ofstream(cache / n / "etcd") << "#!/bin/sh\necho 'etcd: cannot open data dir: disk on fire' >&2\nexit 3\n";
    fs::permissions(cache / n / "etcd", fs::perms::owner_all);
    replaced = true;
  }
  ASSERT_TRUE(replaced) << "no etcd-* in " << real_cache;

  std::string lab_dir = tmp.path() + "/lab";
  std::string out;
  auto t0 = std::chrono::steady_clock::now();
  int rc = RunCommand("KBR_CACHE=" + cache.string() + " " + Kbr("lab up --dir " + lab_dir), &out);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_NE(rc, 0) << out;
  EXPECT_LT(took, seconds(30)) << "waited for a component that had already exited";
  EXPECT_NE(out.find("kbr: etcd exited; last lines of " + lab_dir + "/logs/etcd.log"), std::string::npos) << out;
  EXPECT_NE(out.find("disk on fire"), std::string::npos) << out;
  EXPECT_EQ(out.find("kube-apiserver"), std::string::npos) << "nothing after etcd may start: " << out;
  auto state = lab::LoadState(lab::LabLayout{lab_dir});
  ASSERT_TRUE(state.ok()) << state.status().message();
  for (const auto& [component, pid] : state->pids) EXPECT_FALSE(lab::IsAlive(pid)) << component << " left running";
}

}  // namespace
}  // namespace kbr::testing
