#include "lab/node_checkpoint.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <filesystem>

#include "core/http.h"
#include "core/json.h"
#include "demo/demo.h"

namespace kbr::lab {
namespace fs = std::filesystem;
namespace bj = boost::json;

namespace {

using Micros = std::chrono::microseconds;

std::string CrioName(const ContainerState& c) {
  const LaunchSpec& s = c.spec;
  return "k8s_" + s.container + "_" + s.pod_name + "_" + s.pod_namespace + "_" + s.pod_uid + "_" +
         std::to_string(c.restart_count);
}

std::string BaseImage(const ContainerState& c) {
  return c.spec.base_image.empty() ? c.spec.image : c.spec.base_image;
}

std::string BaseImageRef(const ContainerState& c) {
  return BaseImage(c) == c.spec.image ? c.spec.image_id : "kbr-lab://" + BaseImage(c);
}

bj::object Mount(const char* dest, const char* type, const char* source, bj::array options) {
  return {{"destination", dest}, {"type", type}, {"source", source}, {"options", std::move(options)}};
}

std::string Placeholder(const std::string& what, const ContainerState& c) {
  return "kbr-lab process image placeholder (CRIU " + what + ")\nroot_pid: " + std::to_string(c.pid) +
         "\ncontainer: " + c.id + "\nargv:" + [&] {
           std::string s;
           for (const auto& a : c.argv) s += " " + a;
           return s;
         }() + "\n";
}

class ArchiveWriter {
 public:
  ArchiveWriter() : a_(archive_write_new()) {}
  ~ArchiveWriter() {
    if (a_) archive_write_free(a_);
  }
  Status Open(const std::string& path) {
    if (archive_write_set_format_pax_restricted(a_) != ARCHIVE_OK ||
        archive_write_open_filename(a_, path.c_str()) != ARCHIVE_OK) {
      return Error(path);
    }
    path_ = path;
    return Status::Ok();
  }
  Status Add(const std::string& name, std::string_view data, bool dir, time_t mtime) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, dir ? 0755 : 0644);
    archive_entry_set_size(e, dir ? 0 : static_cast<la_int64_t>(data.size()));
    archive_entry_set_mtime(e, mtime, 0);
    bool ok = archive_write_header(a_, e) == ARCHIVE_OK;
    archive_entry_free(e);
    if (ok && !dir && !data.empty()) {
      ok = archive_write_data(a_, data.data(), data.size()) == static_cast<la_ssize_t>(data.size());
    }
    return ok ? Status::Ok() : Error(path_);
  }
  Status Close() {
    bool ok = archive_write_close(a_) == ARCHIVE_OK;
    return ok ? Status::Ok() : Error(path_);
  }

 private:
  Status Error(const std::string& path) {
    const char* msg = archive_error_string(a_);
    return Status::Unavailable("writing checkpoint archive '" + path + "': " + (msg ? msg : "libarchive error"));
  }
  archive* a_;
  std::string path_;
};

}  // namespace

bj::value ConfigDump(const ArchiveInput& in) {
  const ContainerState& c = in.container;
  return {{"id", c.id},
          {"name", CrioName(c)},
          {"rootfsImage", BaseImage(c)},
          {"rootfsImageRef", BaseImageRef(c)},
          {"rootfsImageName", BaseImage(c)},
          {"runtime", "kbr-lab"},
          {"createdTime", FormatRfc3339(c.started_at)},
          {"checkpointedTime", FormatRfc3339(in.checkpointed_at)}};
}

bj::value SpecDump(const ArchiveInput& in) {
  const ContainerState& c = in.container;
  bj::array args, env{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  for (const auto& a : c.argv) args.emplace_back(a);
  for (const auto& e : c.spec.env) env.emplace_back(e);
  bj::array mounts{
      Mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      Mount("/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}),
      Mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      Mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"})};
  bj::array namespaces;
  for (const char* ns : {"pid", "ipc", "uts", "mount"}) namespaces.push_back(bj::object{{"type", ns}});
  return {{"ociVersion", "1.0.2-dev"},
          {"process",
           {{"terminal", false},
            {"user", {{"uid", 0}, {"gid", 0}}},
            {"args", std::move(args)},
            {"env", std::move(env)},
            {"cwd", "/"}}},
          {"root", {{"path", "rootfs"}, {"readonly", false}}},
          {"hostname", c.spec.pod_name},
          {"mounts", std::move(mounts)},
          {"annotations",
           {{"io.kubernetes.container.name", c.spec.container},
            {"io.kubernetes.pod.name", c.spec.pod_name},
            {"io.kubernetes.pod.namespace", c.spec.pod_namespace},
            {"io.kubernetes.pod.uid", c.spec.pod_uid},
            {"io.kubernetes.cri-o.ContainerID", c.id},
            {"io.kubernetes.cri-o.ContainerType", "container"},
            {"io.kubernetes.cri-o.Name", CrioName(c)},
            {"io.kubernetes.cri-o.ImageName", BaseImage(c)},
            {"io.kubernetes.cri-o.ImageRef", BaseImageRef(c)},
            {"io.kubernetes.cri-o.Created", FormatRfc3339(c.started_at)},
            {"lab.kbr.io/node", in.node_name},
            {"lab.kbr.io/workload", WorkloadName(c.spec.workload)}}},
          {"linux", {{"namespaces", std::move(namespaces)}}}};
}

std::string ArchiveName(const std::string& pod, const std::string& ns, const std::string& container, TimePoint at) {
  return "checkpoint-" + pod + "_" + ns + "-" + container + "-" + FormatRfc3339(at) + ".tar";
}

Result<std::string> WriteCheckpointArchive(const ArchiveInput& in, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return Status::Unavailable("checkpoint directory '" + dir + "': " + ec.message());
  const ContainerState& c = in.container;
  std::string path = dir + "/" + ArchiveName(c.spec.pod_name, c.spec.pod_namespace, c.spec.container,
                                             in.checkpointed_at);
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  time_t mtime = std::chrono::system_clock::to_time_t(in.checkpointed_at);
  bj::object stats{{"dump",
                    {{"freezing_time", in.stats.freezing.count()},
                     {"frozen_time", in.stats.freezing.count() + in.stats.memdump.count()},
                     {"memdump_time", in.stats.memdump.count()},
                     {"memwrite_time", in.stats.memwrite.count()},
                     {"pages_scanned", in.stats.pages},
                     {"pages_written", in.stats.pages}}}};
  std::string log = "(00.000000) Checkpointing container " + c.id + " (" + c.spec.pod_namespace + "/" +
                    c.spec.pod_name + "/" + c.spec.container + ", pid " + std::to_string(c.pid) + ") on node " +
                    in.node_name + "\n(00.000001) Dumped " + std::to_string(in.pages.size()) +
                    " bytes of process state into checkpoint/pages-1.img\n(00.000002) Dumping finished successfully\n";
  std::string pid = std::to_string(c.pid);
  std::string pagemap = "kbr-lab pagemap: pages-1.img holds " + std::to_string(in.pages.size()) + " bytes (" +
                        std::to_string(in.stats.pages) + " pages)\n";
  // Two zero blocks: a valid tar with no entries.
  const std::string empty_tar(1024, '\0');
  Status s = [&]() -> Status {
    ArchiveWriter w;
    RETURN_IF_ERROR(w.Open(tmp));
    RETURN_IF_ERROR(w.Add("config.dump", json::Serialize(ConfigDump(in)), false, mtime));
    RETURN_IF_ERROR(w.Add("spec.dump", json::Serialize(SpecDump(in)), false, mtime));
    RETURN_IF_ERROR(w.Add("checkpoint", "", true, mtime));
    RETURN_IF_ERROR(w.Add("checkpoint/inventory.img", Placeholder("inventory", c), false, mtime));
    RETURN_IF_ERROR(w.Add("checkpoint/core-" + pid + ".img", Placeholder("core", c), false, mtime));
    RETURN_IF_ERROR(w.Add("checkpoint/pagemap-1.img", pagemap, false, mtime));
    RETURN_IF_ERROR(w.Add(std::string("checkpoint/") + demo::kPagesImage, in.pages, false, mtime));
    RETURN_IF_ERROR(w.Add("rootfs-diff.tar", empty_tar, false, mtime));
    RETURN_IF_ERROR(w.Add("stats-dump", json::Serialize(stats), false, mtime));
    RETURN_IF_ERROR(w.Add("dump.log", log, false, mtime));
    return w.Close();
  }();
  if (s.ok()) {
    fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);
    fs::rename(tmp, path, ec);
    if (ec) s = Status::Unavailable("cannot rename '" + tmp + "' to '" + path + "': " + ec.message());
  }
  if (!s.ok()) {
    fs::remove(tmp, ec);
    return s;
  }
  return path;
}

Result<std::string> DumpDemoProcess(const ContainerState& c, std::chrono::seconds timeout, DumpStats* stats) {
  if (c.spec.workload != Workload::kDemo) {
    return Status::FailedPrecondition("checkpointing is only supported for the demo workload on lab nodes; container " +
                                      c.spec.container + " runs " + WorkloadName(c.spec.workload));
  }
  if (!c.running || c.port <= 0) {
    return Status::FailedPrecondition("container " + c.spec.container + " is not running");
  }
  ASSIGN_OR_RETURN(auto http, http::NewCurlClient({}));
  auto t0 = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(auto resp,
                   http->Do({.method = "POST",
                             .url = "http://127.0.0.1:" + std::to_string(c.port) + demo::kCheckpointPath,
                             .headers = {{demo::kCheckpointTokenHeader, c.checkpoint_token}},
                             .timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout)}));
  auto t1 = std::chrono::steady_clock::now();
  if (resp.status != 200) {
    return Status::Unavailable("demo process of " + c.spec.container + " refused to dump (HTTP " +
                               std::to_string(resp.status) + ")");
  }
  if (stats) {
    stats->freezing = std::chrono::duration_cast<Micros>(t1 - t0);
    stats->memdump = stats->freezing;
    stats->pages = static_cast<int64_t>((resp.body.size() + 4095) / 4096);
  }
  return resp.body;
}

}  // namespace kbr::lab
