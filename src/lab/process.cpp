#include "lab/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

extern char** environ;

namespace kbr::lab {
namespace {

std::string Errno(int err) { return std::strerror(err); }

// Opens `path` as an fd >= 3 with O_CLOEXEC, so that dup2 onto 0..2 in the
// child never collides with it. -1 (errno set) on failure.
int OpenHigh(const char* path, int flags, mode_t mode) {
  int fd = open(path, flags | O_CLOEXEC, mode);
  if (fd < 0 || fd > 2) return fd;
  int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  int err = errno;
  close(fd);
  errno = err;
  return high;
}

// The inherited environment with `extra` KEY=VAL entries replacing or added.
std::vector<std::string> MergeEnv(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  for (const auto& kv : extra) {
    std::string key = kv.substr(0, kv.find('=') + 1);  // "KEY="
    env.erase(std::remove_if(env.begin(), env.end(),
                             [&](const std::string& s) { return s.rfind(key, 0) == 0; }),
              env.end());
    env.push_back(kv);
  }
  return env;
}

// `binary` itself if it contains '/', else the first regular file named
// `binary` in the child's PATH; "" if there is none.
std::string ResolveBinary(const std::string& binary, const std::vector<std::string>& env) {
  if (binary.find('/') != std::string::npos) return binary;
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& kv : env)
    if (kv.rfind("PATH=", 0) == 0) path = kv.substr(5);
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string cand = (dir.empty() ? "." : dir) + "/" + binary;
    struct stat st;
    if (stat(cand.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(cand.c_str(), X_OK) == 0)
      return cand;
    start = end + 1;
  }
  return "";
}

// What the child reports through the CLOEXEC pipe when it cannot exec.
struct ChildError {
  int stage;  // 0 = exec, 1 = chdir, 2 = setting up fds/session
  int err;
};

// Runs in the forked child: async-signal-safe calls only. Never returns.
[[noreturn]] void ExecChild(int report_fd, int null_fd, int log_fd, const char* work_dir,
                            const char* path, char* const* argv, char* const* envp) {
  auto die = [&](int stage) {
    ChildError ce{stage, errno};
    (void)!write(report_fd, &ce, sizeof(ce));
    _exit(127);
  };
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);  // EINVAL for some: fine
  if (setsid() < 0) die(2);
  if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0) die(2);
  if (work_dir && chdir(work_dir) != 0) die(1);
  // Everything above 2 goes at exec, including report_fd (already CLOEXEC).
  if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    struct rlimit rl {};
    int max_fd = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                     ? static_cast<int>(std::min<rlim_t>(rl.rlim_cur, 1 << 20))
                     : 65536;
    for (int fd = 3; fd < max_fd; ++fd)
      if (fd != report_fd) close(fd);
  }
  execve(path, argv, envp);
  die(0);
  _exit(127);  // not reached
}

}  // namespace

Result<pid_t> StartDetached(const ProcessSpec& spec) {
  if (spec.name.empty()) return Status::InvalidArgument("name: must not be empty");
  const std::string who = spec.name + ": ";
  if (spec.binary.empty()) return Status::InvalidArgument(who + "binary: must not be empty");
  for (const auto& kv : spec.env)
    if (kv.find('=') == std::string::npos || kv[0] == '=')
      return Status::InvalidArgument(who + "env entry '" + kv + "' is not KEY=VAL");
  const std::string cannot = who + "cannot start '" + spec.binary + "': ";

  // Everything the child needs is built before fork: it must not allocate.
  std::vector<std::string> env = MergeEnv(spec.env);
  std::string path = ResolveBinary(spec.binary, env);
  if (path.empty()) return Status::NotFound(cannot + Errno(ENOENT));
  std::vector<char*> argv, envp;
  argv.push_back(const_cast<char*>(spec.binary.c_str()));
  for (const auto& a : spec.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  const std::string log = spec.log_file.empty() ? "/dev/null" : spec.log_file;
  int null_fd = OpenHigh("/dev/null", O_RDONLY, 0);
  if (null_fd < 0) return Status::Unavailable(who + "opening /dev/null: " + Errno(errno));
  int log_fd = OpenHigh(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (log_fd < 0) {
    int err = errno;
    close(null_fd);
    return Status::Unavailable(who + "opening log file " + log + ": " + Errno(err));
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    int err = errno;
    close(null_fd);
    close(log_fd);
    return Status::Unavailable(who + "pipe: " + Errno(err));
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(report[0]);
    ExecChild(report[1], null_fd, log_fd, spec.work_dir.empty() ? nullptr : spec.work_dir.c_str(),
              path.c_str(), argv.data(), envp.data());
  }
  int fork_err = errno;
  close(report[1]);
  close(null_fd);
  close(log_fd);
  if (pid < 0) {
    close(report[0]);
    return Status::Unavailable(who + "fork: " + Errno(fork_err));
  }
  // EOF means exec succeeded (the pipe closed on exec); data means it did not.
  ChildError ce{};
  ssize_t n;
  do {
    n = read(report[0], &ce, sizeof(ce));
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n <= 0) return pid;
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof(ce))) return Status::Internal(cannot + "short error report");
  switch (ce.stage) {
    case 0:
      if (ce.err == ENOENT) return Status::NotFound(cannot + Errno(ce.err));
      return Status::FailedPrecondition(cannot + Errno(ce.err));
    case 1:
      return Status::Unavailable(who + "cannot enter work_dir " + spec.work_dir + ": " + Errno(ce.err));
    default:
      return Status::Unavailable(cannot + "setting up the child: " + Errno(ce.err));
  }
}

bool IsAlive(pid_t pid) {
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno != EPERM) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;  // vanished in between
  // "<pid> (<comm>) <state> ..."; comm may contain ')' so take the last one.
  size_t p = line.rfind(')');
  if (p == std::string::npos || p + 2 >= line.size()) return true;
  char state = line[p + 2];
  return state != 'Z' && state != 'X';
}

Status Stop(pid_t pid, std::chrono::milliseconds grace) {
  if (pid <= 0) return Status::InvalidArgument("pid: must be positive, got " + std::to_string(pid));
  auto reap = [pid] { waitpid(pid, nullptr, WNOHANG); };  // ECHILD if not ours: fine
  auto wait_gone = [&](std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      reap();
      if (!IsAlive(pid)) return true;
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          std::chrono::milliseconds(10), deadline - now));
    }
  };
  const std::string who = "process " + std::to_string(pid);
  for (int sig : {SIGTERM, SIGKILL}) {
    if (!IsAlive(pid)) {
      reap();
      return Status::Ok();
    }
    if (kill(pid, sig) != 0) {
      if (errno == ESRCH) return Status::Ok();
      if (errno == EPERM) return Status::PermissionDenied(who + ": not allowed to signal it");
      return Status::Internal(who + ": kill: " + Errno(errno));
    }
    if (wait_gone(sig == SIGTERM ? grace : std::chrono::milliseconds(5000))) return Status::Ok();
  }
  return Status::DeadlineExceeded(who + ": still alive 5s after SIGKILL");
}

Result<std::string> TailFile(const std::string& path, int lines) {
  constexpr off_t kMaxRead = 64 * 1024;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::Unavailable("opening " + path + ": " + Errno(errno));
  }
  struct stat st;
  off_t offset = fstat(fd, &st) == 0 && st.st_size > kMaxRead ? st.st_size - kMaxRead : 0;
  std::string data;
  char buf[8192];
  for (;;) {
    ssize_t n = pread(fd, buf, sizeof(buf), offset + static_cast<off_t>(data.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return Status::Unavailable("reading " + path + ": " + Errno(err));
    }
    if (n == 0 || data.size() >= static_cast<size_t>(kMaxRead)) break;
    data.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  if (lines <= 0) return std::string();
  if (!data.empty() && data.back() == '\n') data.pop_back();
  size_t pos = data.size();
  int found = 0;
  while (pos > 0) {
    size_t nl = data.rfind('\n', pos - 1);
    if (nl == std::string::npos) {
      pos = 0;
      break;
    }
    if (++found == lines) return data.substr(nl + 1);
    pos = nl;
  }
  // Fewer lines than asked: all of it, minus a partial first line if we skipped a prefix.
  if (offset > 0) {
    size_t nl = data.find('\n');
    return nl == std::string::npos ? data : data.substr(nl + 1);
  }
  return data;
}

Result<int> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable(std::string("socket: ") + Errno(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    close(fd);
    return Status::Unavailable(std::string("binding 127.0.0.1:0: ") + Errno(err));
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

Status WaitFor(const std::function<Result<bool>()>& probe, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval, const std::string& what, Clock& clock) {
  const auto deadline = clock.Steady() + timeout;
  std::string last_error;
  for (;;) {
    Result<bool> r = probe();
    if (r.ok() && *r) return Status::Ok();
    last_error = r.ok() ? "" : r.status().message();
    auto now = clock.Steady();
    if (now >= deadline) break;
    clock.SleepFor(std::chrono::duration_cast<std::chrono::milliseconds>(
        std::min<std::chrono::steady_clock::duration>(interval, deadline - now)));
  }
  char secs[32];
  if (timeout.count() % 1000 == 0)
    std::snprintf(secs, sizeof(secs), "%llds", static_cast<long long>(timeout.count() / 1000));
  else
    std::snprintf(secs, sizeof(secs), "%.1fs", static_cast<double>(timeout.count()) / 1000.0);
  std::string msg = std::string("timed out after ") + secs + " waiting for " + what;
  if (!last_error.empty()) msg += ": " + last_error;
  return Status::DeadlineExceeded(msg);
}

}  // namespace kbr::lab
