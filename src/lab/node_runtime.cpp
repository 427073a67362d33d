#include "lab/node_runtime.h"

#include <openssl/rand.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/http.h"
#include "core/json.h"
#include "core/log.h"
#include "demo/demo.h"
#include "lab/pki.h"
#include "lab/process.h"

namespace kbr::lab {
namespace fs = std::filesystem;
namespace bj = boost::json;

const char* WorkloadName(Workload w) {
  switch (w) {
    case Workload::kNone: return "none";
    case Workload::kAgent: return "agent";
    case Workload::kDemo: return "demo";
  }
  return "none";
}

namespace {

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Key(const std::string& uid, const std::string& container) { return uid + "/" + container; }

// True if `pid` is alive and runs exactly `argv` (guards against pid reuse;
// unlike comparing /proc/<pid>/exe it still holds after kbr is rebuilt).
bool RunsArgv(int pid, const std::vector<std::string>& argv) {
  if (pid <= 0 || argv.empty() || !IsAlive(pid)) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), {});
  std::vector<std::string> got;
  for (size_t start = 0; start < raw.size();) {
    size_t end = raw.find('\0', start);
    if (end == std::string::npos) end = raw.size();
    got.push_back(raw.substr(start, end - start));
    start = end + 1;
  }
  return got == argv;
}

bj::array Strings(const std::vector<std::string>& v) {
  bj::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

std::vector<std::string> StringsOf(const bj::value& doc, std::string_view path) {
  std::vector<std::string> out;
  if (const auto* a = json::Find(doc, path); a && a->is_array()) {
    for (const auto& s : a->as_array()) {
      if (s.is_string()) out.emplace_back(s.get_string());
    }
  }
  return out;
}

TimePoint TimeOf(const bj::value& doc, std::string_view path) {
  TimePoint t{};
  ParseRfc3339(json::GetString(doc, path), &t);
  return t;
}

bj::value TerminationJson(const Termination& t) {
  return {{"exitCode", t.exit_code},
          {"reason", t.reason},
          {"startedAt", FormatRfc3339(t.started_at)},
          {"finishedAt", FormatRfc3339(t.finished_at)}};
}

std::optional<Termination> TerminationOf(const bj::value& doc, std::string_view path) {
  const bj::value* t = json::Find(doc, path);
  if (!t || !t->is_object()) return std::nullopt;
  return Termination{static_cast<int>(json::GetInt(*t, "exitCode")), json::GetString(*t, "reason"),
                     TimeOf(*t, "startedAt"), TimeOf(*t, "finishedAt")};
}

bool DemoHealthy(int port) {
  auto http = http::NewCurlClient({});
  if (!http.ok()) return false;
  auto resp = (*http)->Do({.url = "http://127.0.0.1:" + std::to_string(port) + "/healthz",
                           .timeout = std::chrono::milliseconds(500),
                           .connect_timeout = std::chrono::milliseconds(500)});
  return resp.ok() && resp->status == 200;
}

}  // namespace

Runtime::Runtime(NodeLayout layout, std::string kbr_binary, Clock& clock)
    : layout_(std::move(layout)), kbr_binary_(std::move(kbr_binary)), clock_(clock) {}

std::string Runtime::RecordPath(const std::string& uid, const std::string& container) const {
  return layout_.ContainerDir() + "/" + uid + "_" + container + ".json";
}

Status Runtime::SaveRecord(const ContainerState& c) const {
  const LaunchSpec& s = c.spec;
  bj::object rec{{"id", c.id},
                 {"podNamespace", s.pod_namespace},
                 {"podName", s.pod_name},
                 {"podUID", s.pod_uid},
                 {"container", s.container},
                 {"image", s.image},
                 {"imageID", s.image_id},
                 {"baseImage", s.base_image},
                 {"workload", WorkloadName(s.workload)},
                 {"args", Strings(s.args)},
                 {"env", Strings(s.env)},
                 {"restoreDir", s.restore_dir},
                 {"pid", c.pid},
                 {"port", c.port},
                 {"checkpointToken", c.checkpoint_token},
                 {"logPath", c.log_path},
                 {"argv", Strings(c.argv)},
                 {"startedAt", FormatRfc3339(c.started_at)},
                 {"restartCount", c.restart_count}};
  if (c.terminated) rec["terminated"] = TerminationJson(*c.terminated);
  if (c.last_terminated) rec["lastTerminated"] = TerminationJson(*c.last_terminated);
  std::error_code ec;
  fs::create_directories(layout_.ContainerDir(), ec);
  return WriteFileAtomic(RecordPath(s.pod_uid, s.container), json::Serialize(rec) + "\n", 0600);
}

void Runtime::Recover() {
  std::error_code ec;
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& entry : fs::directory_iterator(layout_.ContainerDir(), ec)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::stringstream ss;
    ss << in.rdbuf();
    auto doc = json::Parse(ss.str(), entry.path().string());
    if (!doc.ok()) {
      spdlog::warn("ignoring container record: {}", doc.status().message());
      continue;
    }
    ContainerState c;
    c.id = json::GetString(*doc, "id");
    LaunchSpec& s = c.spec;
    s.pod_namespace = json::GetString(*doc, "podNamespace");
    s.pod_name = json::GetString(*doc, "podName");
    s.pod_uid = json::GetString(*doc, "podUID");
    s.container = json::GetString(*doc, "container");
    s.image = json::GetString(*doc, "image");
    s.image_id = json::GetString(*doc, "imageID");
    s.base_image = json::GetString(*doc, "baseImage");
    std::string w = json::GetString(*doc, "workload");
    s.workload = w == "agent" ? Workload::kAgent : w == "demo" ? Workload::kDemo : Workload::kNone;
    s.args = StringsOf(*doc, "args");
    s.env = StringsOf(*doc, "env");
    s.restore_dir = json::GetString(*doc, "restoreDir");
    c.pid = static_cast<int>(json::GetInt(*doc, "pid"));
    c.port = static_cast<int>(json::GetInt(*doc, "port"));
    c.checkpoint_token = json::GetString(*doc, "checkpointToken");
    c.log_path = json::GetString(*doc, "logPath");
    c.argv = StringsOf(*doc, "argv");
    c.started_at = TimeOf(*doc, "startedAt");
    c.restart_count = static_cast<int>(json::GetInt(*doc, "restartCount"));
    c.terminated = TerminationOf(*doc, "terminated");
    c.last_terminated = TerminationOf(*doc, "lastTerminated");
    if (!c.terminated) {
      if (s.workload == Workload::kNone || RunsArgv(c.pid, c.argv)) {
        c.running = true;  // adopted; readiness is probed again by Poll
        c.ready = s.workload != Workload::kDemo;
      } else {
        c.terminated = Termination{137, "ContainerStatusUnknown", c.started_at, clock_.Now()};
      }
    }
    if (s.pod_uid.empty() || s.container.empty()) continue;
    containers_[Key(s.pod_uid, s.container)] = std::move(c);
  }
}

Result<ContainerState> Runtime::Start(const LaunchSpec& spec) {
  std::lock_guard<std::mutex> l(mu_);
  const std::string key = Key(spec.pod_uid, spec.container);
  ContainerState c;
  c.spec = spec;
  c.id = RandomHex(32);
  if (auto it = containers_.find(key); it != containers_.end()) {
    const ContainerState& prev = it->second;
    if (prev.running && prev.pid > 0) {
      (void)Stop(prev.pid, std::chrono::seconds(5));
      children_.erase(prev.pid);
    }
    c.restart_count = prev.restart_count + 1;
    c.last_terminated = prev.terminated ? prev.terminated : prev.last_terminated;
  }
  std::string pod_dir = layout_.PodDir(spec.pod_namespace, spec.pod_name, spec.pod_uid);
  std::error_code ec;
  fs::create_directories(pod_dir, ec);
  c.log_path = pod_dir + "/" + spec.container + ".log";
  c.started_at = clock_.Now();
  if (spec.workload != Workload::kNone) {
    ProcessSpec ps{.name = spec.pod_namespace + "/" + spec.pod_name + "/" + spec.container,
                   .binary = kbr_binary_,
                   .env = spec.env,
                   .log_file = c.log_path};
    if (spec.workload == Workload::kAgent) {
      ps.args = spec.args;
    } else {
      ASSIGN_OR_RETURN(c.port, FreePort());
      c.checkpoint_token = RandomHex(24);
      ps.args = {"demo", "--listen", "127.0.0.1:" + std::to_string(c.port)};
      if (!spec.restore_dir.empty()) {
        ps.args.push_back("--restore-from");
        ps.args.push_back(spec.restore_dir);
      }
      ps.env.push_back(std::string(demo::kCheckpointTokenEnv) + "=" + c.checkpoint_token);
    }
    c.argv = {kbr_binary_};
    c.argv.insert(c.argv.end(), ps.args.begin(), ps.args.end());
    ASSIGN_OR_RETURN(pid_t pid, StartDetached(ps));
    c.pid = pid;
    children_.insert(pid);
  }
  c.running = true;
  c.ready = spec.workload == Workload::kNone;
  spdlog::info("started container {}/{}/{} ({}, pid {}, restart {})", spec.pod_namespace, spec.pod_name,
               spec.container, WorkloadName(spec.workload), c.pid, c.restart_count);
  RETURN_IF_ERROR(SaveRecord(c));
  containers_[key] = c;
  return c;
}

Status Runtime::Remove(const std::string& pod_uid, const std::string& container, std::chrono::milliseconds grace) {
  ContainerState c;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = containers_.find(Key(pod_uid, container));
    if (it == containers_.end()) return Status::Ok();
    c = it->second;
    containers_.erase(it);
    children_.erase(c.pid);
  }
  if (c.running && c.pid > 0 && RunsArgv(c.pid, c.argv)) RETURN_IF_ERROR(Stop(c.pid, grace));
  std::error_code ec;
  fs::remove(RecordPath(pod_uid, container), ec);
  spdlog::info("removed container {}/{}/{}", c.spec.pod_namespace, c.spec.pod_name, container);
  return Status::Ok();
}

std::optional<ContainerState> Runtime::Get(const std::string& pod_uid, const std::string& container) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = containers_.find(Key(pod_uid, container));
  if (it == containers_.end()) return std::nullopt;
  return it->second;
}

std::optional<ContainerState> Runtime::Find(const std::string& ns, const std::string& pod,
                                            const std::string& container) const {
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [k, c] : containers_) {
    if (c.spec.pod_namespace == ns && c.spec.pod_name == pod && c.spec.container == container) return c;
  }
  return std::nullopt;
}

std::vector<ContainerState> Runtime::List() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<ContainerState> out;
  for (const auto& [k, c] : containers_) out.push_back(c);
  return out;
}

std::set<std::string> Runtime::Poll() {
  std::set<std::string> changed;
  std::vector<std::pair<std::string, int>> probes;  // key, port
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [key, c] : containers_) {
      if (!c.running || c.pid <= 0) continue;
      bool exited = false;
      Termination t{0, "Completed", c.started_at, clock_.Now()};
      if (children_.count(c.pid)) {
        int st = 0;
        if (::waitpid(c.pid, &st, WNOHANG) == c.pid) {
          exited = true;
          t.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
          t.reason = t.exit_code == 0 ? "Completed" : "Error";
          children_.erase(c.pid);
        }
      } else if (!IsAlive(c.pid)) {
        exited = true;
        t = {137, "ContainerStatusUnknown", c.started_at, clock_.Now()};
      }
      if (exited) {
        c.running = false;
        c.ready = false;
        c.terminated = t;
        spdlog::info("container {}/{}/{} exited with code {}", c.spec.pod_namespace, c.spec.pod_name,
                     c.spec.container, t.exit_code);
        (void)SaveRecord(c);
        changed.insert(c.spec.pod_uid);
      } else if (!c.ready && c.spec.workload == Workload::kDemo) {
        probes.emplace_back(key, c.port);
      }
    }
  }
  for (const auto& [key, port] : probes) {
    if (!DemoHealthy(port)) continue;
    std::lock_guard<std::mutex> l(mu_);
    auto it = containers_.find(key);
    if (it == containers_.end() || !it->second.running || it->second.port != port) continue;
    it->second.ready = true;
    changed.insert(it->second.spec.pod_uid);
  }
  return changed;
}

void Runtime::StopAll(std::chrono::milliseconds grace) {
  std::vector<std::pair<int, std::vector<std::string>>> procs;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [k, c] : containers_) {
      if (c.running && c.pid > 0) procs.emplace_back(c.pid, c.argv);
    }
  }
  for (const auto& [pid, argv] : procs) {
    if (RunsArgv(pid, argv)) (void)Stop(pid, grace);
  }
}

}  // namespace kbr::lab
