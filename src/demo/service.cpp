// The demo's HTTP handler and its serve loop.
//
// Routes:
//   GET  /                 state
//   POST /increment        counter + 1
//   PUT  /kv/<key>         set
//   GET  /kv/<key>         get
//   GET  /healthz          liveness
//   POST /_checkpoint      process image (control channel, see demo.h)
#include <chrono>
#include <cstdio>
#include <thread>

#include "core/json.h"
#include "demo/demo.h"

namespace kbr::demo {
namespace bj = boost::json;

namespace {

http::ServerResponse Error(int status, const std::string& message) {
  return http::ServerResponse::Json(status, json::Serialize(bj::object{{"message", message}}));
}

void Say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

bool IsLoopback(const std::string& addr) {
  return addr.rfind("127.", 0) == 0 || addr == "::1" || addr.rfind("::ffff:127.", 0) == 0;
}

http::ServerResponse StateResponse(const Store& store, const ServiceInfo& info) {
  State s = store.Snapshot();
  bj::object kv;
  for (const auto& [k, v] : s.kv) kv[k] = v;
  bj::object doc{{"counter", s.counter},
                 {"kv", std::move(kv)},
                 {"started_at", FormatRfc3339(info.started_at)},
                 {"restored_from", info.restored_from.empty() ? bj::value() : bj::value(info.restored_from)}};
  return http::ServerResponse::Json(200, json::Serialize(doc));
}

http::ServerResponse Checkpoint(const http::ServerRequest& r, const Store& store, const ServiceInfo& info,
                                Clock& clock) {
  if (info.checkpoint_token.empty()) return Error(404, "checkpoint channel is not enabled");
  if (r.method != "POST") return Error(405, "use POST");
  if (!IsLoopback(r.remote_address) || r.Header("x-kbr-checkpoint-token") != info.checkpoint_token) {
    return Error(403, "checkpoint: caller not allowed");
  }
  State s = store.Snapshot();
  Say("checkpoint: dumped state (counter=" + std::to_string(s.counter) + ", " + std::to_string(s.kv.size()) +
      " keys)");
  http::ServerResponse res;
  res.headers.emplace_back("Content-Type", "application/octet-stream");
  res.body = EncodeImage(s, clock.Now());
  return res;
}

}  // namespace

http::Handler NewHandler(Store& store, ServiceInfo info, Clock& clock) {
  return [&store, info = std::move(info), &clock](const http::ServerRequest& r) -> http::ServerResponse {
    if (r.path == "/healthz") return http::ServerResponse::Text(200, "ok");
    if (r.path == kCheckpointPath) return Checkpoint(r, store, info, clock);
    if (r.path == "/") {
      if (r.method != "GET") return Error(405, "use GET");
      return StateResponse(store, info);
    }
    if (r.path == "/increment") {
      if (r.method != "POST") return Error(405, "use POST");
      int64_t n = store.Increment();
      Say("increment: counter=" + std::to_string(n));
      return http::ServerResponse::Json(200, json::Serialize(bj::object{{"counter", n}}));
    }
    if (r.path.rfind("/kv/", 0) == 0 && r.path.size() > 4) {
      std::string key = r.path.substr(4);
      if (r.method == "PUT") {
        store.Put(key, r.body);
        Say("put: " + key + " (" + std::to_string(r.body.size()) + " bytes)");
        return http::ServerResponse::Json(200, json::Serialize(bj::object{{"key", key}, {"value", r.body}}));
      }
      if (r.method == "GET") {
        auto v = store.Get(key);
        if (!v) return Error(404, "key '" + key + "' not found");
        return http::ServerResponse::Text(200, *v);
      }
      return Error(405, "use GET or PUT");
    }
    return Error(404, "no route for " + r.method + " " + r.path);
  };
}

Status Run(const Options& options, const std::atomic<bool>& stop) {
  auto colon = options.listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    try {
      port = std::stoi(options.listen.substr(colon + 1));
    } catch (const std::exception&) {
    }
  }
  if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535) {
    return Status::InvalidArgument("--listen '" + options.listen + "': want <ip>:<port>");
  }
  State initial;
  if (!options.restore_from.empty()) {
    ASSIGN_OR_RETURN(initial, LoadImageFromDir(options.restore_from));
  }
  Store store(initial);
  const char* token = std::getenv(kCheckpointTokenEnv);
  ServiceInfo info{.started_at = SystemClock().Now(),
                   .restored_from = options.restore_from,
                   .checkpoint_token = token ? token : ""};
  std::string host = options.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  ASSIGN_OR_RETURN(auto server, http::Server::Start({.address = host, .port = port, .max_connections = 64},
                                                    NewHandler(store, info)));
  Say("kbr demo listening on " + host + ":" + std::to_string(server->port()) + " (counter=" +
      std::to_string(initial.counter) + ", " + std::to_string(initial.kv.size()) + " keys" +
      (options.restore_from.empty() ? "" : ", restored from " + options.restore_from) + ")");
  while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server->Stop();
  Say("kbr demo stopped");
  return Status::Ok();
}

}  // namespace kbr::demo
