#include "lab/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/fake_clock.h"

namespace kbr::lab {
namespace {

using namespace std::chrono_literals;

ProcessSpec Spec(std::string name, std::string binary, std::vector<std::string> args = {},
                 std::string log_file = "") {
  ProcessSpec spec;
  spec.name = std::move(name);
  spec.binary = std::move(binary);
  spec.args = std::move(args);
  spec.log_file = std::move(log_file);
  return spec;
}

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kbr-process-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    // Kill whatever a test left behind, including grandchildren in its group.
    for (pid_t pid : started_) {
      kill(-pid, SIGKILL);
      (void)Stop(pid, 0ms);
    }
    std::filesystem::remove_all(dir_);
  }
  pid_t Start(const ProcessSpec& spec) {
    auto pid = StartDetached(spec);
    EXPECT_TRUE(pid.ok()) << pid.status().ToString();
    if (!pid.ok()) return -1;
    started_.push_back(*pid);
    return *pid;
  }
  std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // Polls IsAlive until it turns false or `limit` passes.
  bool GoneWithin(pid_t pid, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!IsAlive(pid)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return !IsAlive(pid);
  }

  std::string dir_;
  std::vector<pid_t> started_;
};

TEST_F(ProcessTest, StartIsAliveStop) {
  pid_t pid = Start(Spec("sleeper", "sleep", {"60"}, dir_ + "/s.log"));
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(IsAlive(pid));
  EXPECT_EQ(getsid(pid), pid) << "the daemon must lead its own session";
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(Stop(pid, 2000ms).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2000ms) << "sleep dies on SIGTERM";
  EXPECT_FALSE(IsAlive(pid));
  EXPECT_TRUE(Stop(pid, 100ms).ok()) << "stopping a dead pid is OK";
}

TEST_F(ProcessTest, IgnoringSigtermGetsKilledAfterGrace) {
  pid_t pid = Start(
      Spec("stubborn", "bash", {"-c", "trap '' TERM; echo ready; sleep 60"}, dir_ + "/b.log"));
  ASSERT_GT(pid, 0);
  // Signal only after the trap is in place.
  ASSERT_TRUE(WaitFor([&]() -> Result<bool> { return ReadFile(dir_ + "/b.log") == "ready\n"; },
                      5000ms, 10ms, "the trap")
                  .ok());
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(Stop(pid, 300ms).ok());
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 300ms) << "SIGTERM must have been ignored";
  EXPECT_LT(took, 3000ms);
  EXPECT_FALSE(IsAlive(pid));
}

TEST_F(ProcessTest, MissingBinaryIsAClearError) {
  for (std::string binary : {"/nonexistent/etcd", "kbr-no-such-binary-xyz"}) {
    auto pid = StartDetached(Spec("etcd", binary, {}, dir_ + "/e.log"));
    ASSERT_FALSE(pid.ok());
    EXPECT_EQ(pid.status().code(), StatusCode::kNotFound);
    EXPECT_EQ(pid.status().message(),
              "etcd: cannot start '" + binary + "': No such file or directory");
  }
}

TEST_F(ProcessTest, NonExecutableIsReportedThroughThePipe) {
  std::string script = dir_ + "/not-exec.sh";
  std::ofstream(script) << "#!/bin/sh\necho hi\n";
  auto pid = StartDetached(Spec("x", script));
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(pid.status().message(), "x: cannot start '" + script + "': Permission denied");
}

TEST_F(ProcessTest, LogEnvWorkDirAndClosedFds) {
  std::string log = dir_ + "/out.log";
  std::ofstream(log) << "previous run\n";
  int leaked = open("/dev/null", O_RDONLY);  // not CLOEXEC: the child must close it anyway
  ASSERT_GE(leaked, 3);
  ProcessSpec spec = Spec("echo", "bash",
                          {"-c",
                           "echo out $KBR_X; echo err >&2; pwd; read l || echo stdin-eof; "
                           "ls /proc/self/fd | sort -n | tr '\\n' ' '"},
                          log);
  spec.env = {"KBR_X=42"};
  spec.work_dir = dir_;
  pid_t pid = Start(spec);
  close(leaked);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitFor([&]() -> Result<bool> { return !IsAlive(pid); }, 5000ms, 10ms, "echo").ok());
  std::string out = ReadFile(log);
  std::string want_prefix = "previous run\nout 42\nerr\n" + dir_ + "\nstdin-eof\n";
  EXPECT_EQ(out.substr(0, want_prefix.size()), want_prefix);
  // 0, 1, 2 and the fd ls itself opens for /proc/self/fd: nothing inherited.
  EXPECT_EQ(out.substr(want_prefix.size()), "0 1 2 3 ") << out;
}

TEST_F(ProcessTest, BadLogDirIsAnError) {
  auto pid = StartDetached(Spec("x", "sleep", {"1"}, dir_ + "/missing/dir/x.log"));
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(pid.status().message().find("x: opening log file"), std::string::npos);
}

TEST_F(ProcessTest, IsAliveEdgeCases) {
  EXPECT_FALSE(IsAlive(0));
  EXPECT_FALSE(IsAlive(-1));
  EXPECT_TRUE(IsAlive(getpid()));
  // An exited but unreaped child is a zombie: not alive.
  pid_t pid = Start(Spec("true", "true"));
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(GoneWithin(pid, 5000ms));
  EXPECT_EQ(kill(pid, 0), 0) << "still a zombie (not reaped)";
  EXPECT_TRUE(Stop(pid, 100ms).ok());
  EXPECT_NE(kill(pid, 0), 0) << "Stop reaped it";
  EXPECT_EQ(Stop(0, 1ms).code(), StatusCode::kInvalidArgument);
}

TEST_F(ProcessTest, TailFile) {
  std::string path = dir_ + "/t.log";
  std::ofstream(path) << "a\nb\nc\nd\n";
  EXPECT_EQ(*TailFile(path, 2), "c\nd");
  EXPECT_EQ(*TailFile(path, 10), "a\nb\nc\nd");
  EXPECT_EQ(*TailFile(path, 0), "");
  std::ofstream(path) << "x\ny";
  EXPECT_EQ(*TailFile(path, 1), "y");
  // Large files: only the end is read, and no partial first line is returned.
  {
    std::ofstream big(path);
    for (int i = 0; i < 20000; ++i) big << "line " << i << "\n";
  }
  EXPECT_EQ(*TailFile(path, 2), "line 19998\nline 19999");
  auto all = TailFile(path, 1000000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->substr(0, 5), "line ");
  EXPECT_LE(all->size(), 64u * 1024);
  EXPECT_EQ(TailFile(dir_ + "/nope", 3).status().code(), StatusCode::kNotFound);
}

TEST_F(ProcessTest, FreePortIsBindable) {
  auto port = FreePort();
  ASSERT_TRUE(port.ok()) << port.status().ToString();
  ASSERT_GT(*port, 0);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(*port));
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << strerror(errno);
  EXPECT_EQ(listen(fd, 1), 0);
  close(fd);
}

TEST(WaitForTest, SucceedsWhenProbeTurnsTrue) {
  FakeClock clock;
  int calls = 0;
  Status s = WaitFor([&]() -> Result<bool> { return ++calls == 3; }, 10s, 100ms, "x", clock);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(clock.TotalSlept(), 200ms);
}

TEST(WaitForTest, TimesOutWithTheLastProbeError) {
  FakeClock clock;
  int calls = 0;
  Status s = WaitFor(
      [&]() -> Result<bool> {
        ++calls;
        return Status::Unavailable("connection refused (" + std::to_string(calls) + ")");
      },
      2s, 500ms, "etcd", clock);
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(calls, 5);  // at 0, 0.5, 1, 1.5 and 2 s
  EXPECT_EQ(s.message(), "timed out after 2s waiting for etcd: connection refused (5)");
  EXPECT_EQ(clock.TotalSlept(), 2s);
}

TEST(WaitForTest, TimesOutWithoutErrorAndRealClock) {
  auto t0 = std::chrono::steady_clock::now();
  Status s = WaitFor([]() -> Result<bool> { return false; }, 300ms, 50ms, "the apiserver");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(s.message(), "timed out after 0.3s waiting for the apiserver");
}

}  // namespace
}  // namespace kbr::lab
