// The kubelet API routes of the lab node (see node_api.h):
//   GET  /healthz
//   GET  /pods
//   POST /checkpoint/{ns}/{pod}/{container}
//   GET  /containerLogs/{ns}/{pod}/{container}
#include <fstream>
#include <thread>

#include "core/json.h"
#include "core/log.h"
#include "lab/node_api.h"
#include "lab/node_checkpoint.h"
#include "lab/process.h"

namespace kbr::lab {
namespace bj = boost::json;

namespace {

using http::ServerRequest;
using http::ServerResponse;

// {ns, pod, container} from "/<prefix>/{ns}/{pod}/{container}".
std::optional<std::vector<std::string>> Parts(const std::string& path, const std::string& prefix) {
  if (path.rfind(prefix, 0) != 0) return std::nullopt;
  std::vector<std::string> parts;
  size_t start = prefix.size();
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (parts.size() != 3) return std::nullopt;
  for (const auto& p : parts) {
    if (p.empty()) return std::nullopt;
  }
  return parts;
}

bool HasContainer(const bj::value& pod, const std::string& name) {
  if (const auto* cs = json::Find(pod, "spec.containers"); cs && cs->is_array()) {
    for (const auto& c : cs->as_array()) {
      if (json::GetString(c, "name") == name) return true;
    }
  }
  return false;
}

std::optional<int64_t> IntParam(const ServerRequest& r, const std::string& name, int64_t fallback, bool* bad) {
  auto it = r.query.find(name);
  if (it == r.query.end() || it->second.empty()) return fallback;
  try {
    size_t used = 0;
    int64_t v = std::stoll(it->second, &used);
    if (used == it->second.size() && v >= 0) return v;
  } catch (const std::exception&) {
  }
  *bad = true;
  return std::nullopt;
}

class KubeletApi {
 public:
  explicit KubeletApi(KubeletApiDeps deps) : d_(std::move(deps)) {}

  ServerResponse Handle(const ServerRequest& r) {
    if (r.path == "/healthz") return ServerResponse::Text(200, "ok");
    Status auth = d_.auth->Authorize(r, AttributesFor(r));
    if (auth.code() == StatusCode::kUnauthenticated) return ServerResponse::Text(401, "Unauthorized");
    if (auth.code() == StatusCode::kPermissionDenied) return ServerResponse::Text(403, auth.message());
    if (!auth.ok()) return ServerResponse::Text(503, auth.message());
    if (r.path == "/pods") return Pods(r);
    if (r.path.rfind("/checkpoint/", 0) == 0) return Checkpoint(r);
    if (r.path.rfind("/containerLogs/", 0) == 0) return Logs(r);
    return ServerResponse::Text(404, "404 page not found");
  }

 private:
  ServerResponse Pods(const ServerRequest& r) {
    if (r.method != "GET") return ServerResponse::Text(405, "method not allowed");
    bj::array items;
    for (auto& p : d_.list_pods()) items.push_back(std::move(p));
    bj::object list{{"kind", "PodList"}, {"apiVersion", "v1"}, {"metadata", bj::object()}, {"items", items}};
    return ServerResponse::Json(200, json::Serialize(list));
  }

  ServerResponse Checkpoint(const ServerRequest& r) {
    if (r.method != "POST") return ServerResponse::Text(405, "method not allowed");
    auto parts = Parts(r.path, "/checkpoint/");
    if (!parts) return ServerResponse::Text(404, "404 page not found");
    const auto& ns = (*parts)[0];
    const auto& name = (*parts)[1];
    const auto& container = (*parts)[2];
    bool bad = false;
    auto timeout = IntParam(r, "timeout", 30, &bad);
    if (bad) return ServerResponse::Text(404, "invalid timeout '" + r.Query("timeout") + "'");
    auto pod = d_.get_pod(ns, name);
    if (!pod) return ServerResponse::Text(404, "pod does not exist");
    if (!HasContainer(*pod, container)) return ServerResponse::Text(404, "container " + container + " not found");
    auto c = d_.runtime->Find(ns, name, container);
    if (!c || !c->running) {
      return ServerResponse::Text(500, "checkpointing of " + ns + "/" + name + "/" + container +
                                           " failed: container is not running");
    }
    auto t0 = std::chrono::steady_clock::now();
    ArchiveInput in{.container = *c, .node_name = d_.node_name};
    auto pages = DumpDemoProcess(*c, std::chrono::seconds(*timeout > 0 ? *timeout : 30), &in.stats);
    if (!pages.ok()) {
      return ServerResponse::Text(500, "checkpointing of " + ns + "/" + name + "/" + container +
                                           " failed: " + pages.status().message());
    }
    in.pages = std::move(*pages);
    in.checkpointed_at = d_.clock->Now();
    auto path = WriteCheckpointArchive(in, d_.layout.CheckpointDir());
    if (!path.ok()) return ServerResponse::Text(500, path.status().message());
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    spdlog::info("checkpointed {}/{}/{} into {} in {} ms", ns, name, container, *path, ms.count());
    return ServerResponse::Json(200, json::Serialize(bj::object{{"items", bj::array{bj::value(*path)}}}));
  }

  ServerResponse Logs(const ServerRequest& r) {
    if (r.method != "GET") return ServerResponse::Text(405, "method not allowed");
    auto parts = Parts(r.path, "/containerLogs/");
    if (!parts) return ServerResponse::Text(404, "404 page not found");
    const auto& ns = (*parts)[0];
    const auto& name = (*parts)[1];
    const auto& container = (*parts)[2];
    bool bad = false;
    auto tail = IntParam(r, "tailLines", -1, &bad);
    auto limit = IntParam(r, "limitBytes", -1, &bad);
    if (bad) return ServerResponse::Text(400, "invalid tailLines or limitBytes");
    auto pod = d_.get_pod(ns, name);
    if (!pod) return ServerResponse::Text(404, "pod " + ns + "/" + name + " not found");
    if (!HasContainer(*pod, container)) {
      return ServerResponse::Text(404, "container " + container + " is not valid for pod " + name);
    }
    auto c = d_.runtime->Find(ns, name, container);
    if (!c) return ServerResponse::Text(400, "container \"" + container + "\" in pod \"" + name + "\" is waiting to start");
    std::string initial;
    if (*tail >= 0) {
      auto t = TailFile(c->log_path, static_cast<int>(*tail));
      initial = t.ok() && !t->empty() ? *t + "\n" : "";
    } else {
      std::ifstream in(c->log_path, std::ios::binary);
      initial.assign(std::istreambuf_iterator<char>(in), {});
    }
    if (*limit >= 0 && initial.size() > static_cast<size_t>(*limit)) initial.resize(*limit);
    bool follow = r.Query("follow") == "true" || r.Query("follow") == "1";
    if (!follow) return ServerResponse::Text(200, initial);
    ServerResponse res;
    res.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    res.stream = [this, initial, c = *c, ns, name, container](const http::StreamWriter& write) {
      if (!write(initial)) return;
      std::ifstream in(c.log_path, std::ios::binary);
      in.seekg(0, std::ios::end);
      std::streamoff offset = in.tellg();
      char buf[8192];
      while (!(d_.stopping && *d_.stopping)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        std::ifstream f(c.log_path, std::ios::binary);
        f.seekg(offset);
        while (f.read(buf, sizeof buf) || f.gcount() > 0) {
          offset += f.gcount();
          if (!write(std::string_view(buf, f.gcount()))) return;
        }
        auto now = d_.runtime->Find(ns, name, container);
        if (!now || now->id != c.id || !now->running) return;
        if (!write("")) return;
      }
    };
    return res;
  }

  KubeletApiDeps d_;
};

}  // namespace

http::Handler NewKubeletHandler(KubeletApiDeps deps) {
  auto api = std::make_shared<KubeletApi>(std::move(deps));
  return [api](const ServerRequest& r) { return api->Handle(r); };
}

}  // namespace kbr::lab
