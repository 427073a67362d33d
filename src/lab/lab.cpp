#include "lab/lab.h"

#include <filesystem>
#include <signal.h>

#include <future>

#include "lab/certs.h"
#include "lab/component.h"
#include "lab/karmada.h"
#include "lab/nodes.h"
#include "lab/registry.h"

namespace kbr::lab {
namespace fs = std::filesystem;

namespace {

LabLayout LayoutOf(const LabOptions& o) { return {o.dir.empty() ? DefaultLabDir() : o.dir}; }

// True if `pid` is alive and runs `binary` (guards against pid reuse).
bool Runs(int pid, const std::string& binary) {
  if (pid <= 0 || !IsAlive(pid)) return false;
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  return !ec && fs::equivalent(exe, binary, ec);
}

// The process runs `binary` as it was when started, since rebuilt (the
// kernel shows the replaced file as "<path> (deleted)").
bool RunsReplacedBuild(int pid, const std::string& binary) {
  if (pid <= 0 || !IsAlive(pid)) return false;
  std::error_code ec;
  std::string exe = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec).string();
  const std::string deleted = " (deleted)";
  if (ec || exe.size() <= deleted.size() || exe.compare(exe.size() - deleted.size(), deleted.size(), deleted) != 0) {
    return false;
  }
  return exe.substr(0, exe.size() - deleted.size()) == fs::weakly_canonical(binary, ec).string();
}

std::string Elapsed(std::chrono::steady_clock::time_point since) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", ms.count() / 1000.0);
  return buf;
}

Status Exited(const LabLayout& l, const std::string& name) {
  auto tail = TailFile(l.Log(name), 8);
  return Status::Unavailable(name + " exited; last lines of " + l.Log(name) + ":\n" +
                             (tail.ok() ? *tail : std::string("(no log)")));
}

Status StartStage(const LabLayout& l, LabState& state, const Stage& stage, std::ostream& out) {
  auto t0 = std::chrono::steady_clock::now();
  if (stage.prepare) RETURN_IF_ERROR(stage.prepare().Annotate(stage.title));
  int started = 0;
  for (const auto& c : stage.components) {
    int& pid_now = state.pids[c.spec.name];
    if (RunsReplacedBuild(pid_now, c.spec.binary)) {  // a developer rebuilt kbr: run the new build
      out << "  restarting " << c.spec.name << " (" << c.spec.binary << " was rebuilt)\n";
      RETURN_IF_ERROR(Stop(pid_now, std::chrono::seconds(10)).Annotate("stop " + c.spec.name));
    }
    if (Runs(pid_now, c.spec.binary)) continue;
    ASSIGN_OR_RETURN(pid_t pid, StartDetached(c.spec));
    state.pids[c.spec.name] = pid;
    ++started;
  }
  RETURN_IF_ERROR(SaveState(l, state));
  std::vector<std::future<Status>> waits;
  for (const auto& c : stage.components) {
    int pid = state.pids[c.spec.name];
    waits.push_back(std::async(std::launch::async, [&l, &c, pid] {
      bool exited = false;
      Status s = WaitFor(
          [&]() -> Result<bool> {
            // A component that died will not become ready: stop waiting now.
            if (!IsAlive(pid)) return exited = true;
            return c.ready();
          },
          std::chrono::seconds(120), std::chrono::milliseconds(250), c.spec.name + " to become ready");
      if (exited || (!s.ok() && !IsAlive(pid))) return Exited(l, c.spec.name);
      return s;
    }));
  }
  Status first;
  for (auto& w : waits) {
    Status s = w.get();
    if (first.ok() && !s.ok()) first = s;
  }
  RETURN_IF_ERROR(first);
  std::string what = stage.components.empty() ? "done"
                     : started                  ? "started " + std::to_string(started)
                                                : "already running";
  out << "  " << stage.title << ": " << what
      << ", ready in " << Elapsed(t0) << "\n";
  return Status::Ok();
}

Result<std::vector<Stage>> AllStages(const LabLayout& l, LabState& state, const Binaries& bins) {
  ASSIGN_OR_RETURN(auto stages, ControlPlaneStages(l, state, bins));
  ASSIGN_OR_RETURN(auto karmada, KarmadaStages(l, state, bins));
  for (auto& s : karmada) stages.push_back(std::move(s));
  ASSIGN_OR_RETURN(auto registry, RegistryStages(l, state, bins));
  ASSIGN_OR_RETURN(auto nodes, NodeStages(l, state, bins));
  for (auto* more : {&registry, &nodes})
    for (auto& s : *more) stages.push_back(std::move(s));
  return stages;
}

}  // namespace

Status Up(const LabOptions& options, std::ostream& out) {
  auto t0 = std::chrono::steady_clock::now();
  LabLayout l = LayoutOf(options);
  std::error_code ec;
  fs::create_directories(l.Path("logs"), ec);
  fs::create_directories(l.Path("run"), ec);
  if (ec) return Status::FailedPrecondition("cannot create lab directory '" + l.dir + "': " + ec.message());
  ASSIGN_OR_RETURN(Binaries bins, FindBinaries());
  RETURN_IF_ERROR(EnsureCertificates(l));
  ASSIGN_OR_RETURN(LabState state, LoadState(l));
  ASSIGN_OR_RETURN(auto stages, AllStages(l, state, bins));
  RETURN_IF_ERROR(SaveState(l, state));
  out << "kbr lab in " << l.dir << "\n";
  for (const auto& stage : stages) RETURN_IF_ERROR(StartStage(l, state, stage, out));
  out << "lab is up in " << Elapsed(t0) << "\n";
  out << "  host (Karmada apiserver): kubectl --kubeconfig " << l.Kubeconfig(kHostCluster) << " get ns\n";
  for (const auto& m : kMemberClusters) out << "  " << m << ": kubectl --kubeconfig " << l.Kubeconfig(m) << " get nodes\n";
  out << "  login token: " << l.Path("admin.token") << "\n";
  if (auto reg = RegistryInfo(l, state); reg.ok()) {
    out << "  registry: " << reg->url << " (user " << reg->user << ", password in " << reg->password_file
        << ", CA " << reg->ca_file << ")\n";
  }
  return Status::Ok();
}

Status Down(const LabOptions& options, bool wipe, std::ostream& out) {
  LabLayout l = LayoutOf(options);
  ASSIGN_OR_RETURN(LabState state, LoadState(l));
  // Stop in reverse start order: dependents first, etcd last.
  std::vector<std::pair<std::string, int>> order;
  if (auto bins = FindBinaries(); bins.ok()) {
    if (auto stages = AllStages(l, state, *bins); stages.ok()) {
      for (const auto& s : *stages)
        for (const auto& c : s.components) order.emplace_back(c.spec.name, state.pids[c.spec.name]);
    }
  }
  for (const auto& [name, pid] : state.pids) {
    bool listed = false;
    for (const auto& o : order) listed |= o.first == name;
    if (!listed) order.insert(order.begin(), {name, pid});
  }
  // SIGTERM every daemon at once (dependents first), then wait: shutdown
  // grace periods overlap instead of adding up.
  std::vector<std::future<Status>> stops;
  int stopped = 0;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (it->second > 0 && IsAlive(it->second)) {
      ::kill(it->second, SIGTERM);
      stops.push_back(std::async(std::launch::async, [name = it->first, pid = it->second] {
        return Stop(pid, std::chrono::seconds(10)).Annotate("stop " + name);
      }));
      ++stopped;
    }
    state.pids.erase(it->first);
  }
  for (auto& f : stops) RETURN_IF_ERROR(f.get());
  if (wipe) {
    std::error_code ec;
    fs::remove_all(l.dir, ec);
    if (ec) return Status::Unavailable("cannot remove '" + l.dir + "': " + ec.message());
  } else if (fs::exists(l.dir)) {
    RETURN_IF_ERROR(SaveState(l, state));
  }
  out << "stopped " << stopped << " lab processes" << (wipe ? " and removed " + l.dir : "") << "\n";
  return Status::Ok();
}

Result<std::vector<ComponentStatus>> GetStatus(const LabOptions& options) {
  LabLayout l = LayoutOf(options);
  if (!fs::exists(l.StateFile())) return Status::NotFound("no lab in " + l.dir + " (run: kbr lab up)");
  ASSIGN_OR_RETURN(LabState state, LoadState(l));
  ASSIGN_OR_RETURN(Binaries bins, FindBinaries());
  ASSIGN_OR_RETURN(auto stages, AllStages(l, state, bins));
  std::vector<ComponentStatus> out;
  for (const auto& s : stages) {
    for (const auto& c : s.components) {
      ComponentStatus cs{c.spec.name, state.pids[c.spec.name]};
      cs.running = Runs(cs.pid, c.spec.binary);
      if (cs.running) {
        auto port = state.ports.find(c.spec.name);
        cs.detail = port != state.ports.end() ? "127.0.0.1:" + std::to_string(port->second) : "";
      } else if (cs.pid > 0) {
        auto tail = TailFile(l.Log(c.spec.name), 3);
        cs.detail = "crashed; " + l.Log(c.spec.name) + (tail.ok() ? ": " + *tail : "");
      } else {
        cs.detail = "stopped";
      }
      out.push_back(std::move(cs));
    }
  }
  return out;
}

}  // namespace kbr::lab
