// kbr demo: the lab's stateful workload. A small HTTP service whose whole
// state - a counter and a key/value map - lives only in process memory (there
// is deliberately no state file), so the only way to keep it across a move is
// a checkpoint of the process.
//
// API (plain HTTP on a loopback address):
//   GET  /           200 {"counter":N,"kv":{..},"started_at":"<RFC 3339>","restored_from":"<dir>"|null}
//   POST /increment  200 {"counter":N+1}
//   PUT  /kv/<key>   body = value; 200 {"key":..,"value":..}
//   GET  /kv/<key>   200 the value as text/plain; 404 when absent
//   GET  /healthz    200 "ok"
//   anything else    404 / 405 with {"message":..}
//
// Checkpoint control channel. The lab node (the kubelet stand-in) must get
// the in-memory state out of the process when the kubelet checkpoint API is
// called; real CRIU dumps the memory without the application's help. The
// stand-in is `POST /_checkpoint` on the service's own listener:
//   - off unless the process was started with env KBR_DEMO_CHECKPOINT_TOKEN
//     (the lab node sets a random token per container): 404 then;
//   - only from a loopback peer, and only with header
//     "X-Kbr-Checkpoint-Token: <that token>": otherwise 403;
//   - answers 200 application/octet-stream: the process image (EncodeImage)
//     of the state at that instant, taken under the state lock, so no request
//     is half-applied in it. The process keeps running (CRI-O's default
//     "leave running" checkpoint).
// Chosen over SIGUSR1 + a dump file because the call is synchronous and its
// errors come back on the same request, and there is no file to race on.
//
// Restore: `--restore-from <dir>` loads the process image written by the lab
// node's checkpoint: <dir>/checkpoint/pages-1.img (an unpacked checkpoint
// archive) or <dir>/pages-1.img.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/http_server.h"
#include "core/status.h"

namespace kbr::demo {

// Environment variable carrying the checkpoint token, and the request header.
inline constexpr const char* kCheckpointTokenEnv = "KBR_DEMO_CHECKPOINT_TOKEN";
inline constexpr const char* kCheckpointTokenHeader = "X-Kbr-Checkpoint-Token";
inline constexpr const char* kCheckpointPath = "/_checkpoint";
// File name of the state inside the archive's checkpoint/ directory (CRIU's
// name for the first memory-pages image).
inline constexpr const char* kPagesImage = "pages-1.img";
// First line of every process image; anything else is not one of ours.
inline constexpr const char* kImageMagic = "KBR-DEMO-IMAGE v1";

struct State {
  int64_t counter = 0;
  std::map<std::string, std::string> kv;
  bool operator==(const State&) const = default;
};

// The process image: kImageMagic + "\n" + a JSON object
// {"counter":..,"kv":{..},"dumped_at":"<RFC 3339>"}.
std::string EncodeImage(const State& state, TimePoint dumped_at);
// InvalidArgument (naming `origin`) when the bytes are not a process image.
Result<State> DecodeImage(std::string_view bytes, std::string_view origin);
// Reads the image under `dir` (see "Restore" above). NotFound when neither
// file exists; InvalidArgument when it does not decode.
Result<State> LoadImageFromDir(const std::string& dir);

// The in-memory state. Thread-safe.
class Store {
 public:
  explicit Store(State initial = {}) : state_(std::move(initial)) {}
  int64_t Increment();
  void Put(const std::string& key, std::string value);
  std::optional<std::string> Get(const std::string& key) const;
  State Snapshot() const;

 private:
  mutable std::mutex mu_;
  State state_;  // GUARDED_BY(mu_)
};

struct ServiceInfo {
  TimePoint started_at;
  std::string restored_from;     // "" when started fresh
  std::string checkpoint_token;  // "" turns the control channel off
};

// The request handler of the API above (no socket: testable directly).
// `store` and `clock` must outlive the handler.
http::Handler NewHandler(Store& store, ServiceInfo info, Clock& clock = SystemClock());

struct Options {
  std::string listen = "127.0.0.1:8080";  // host:port; host must be an IP literal
  std::string restore_from;               // "" = start with an empty state
};

// Serves until `stop` becomes true (polled every 100 ms). Prints one line per
// state change to stdout (the container log). Errors: InvalidArgument for a
// bad --listen, the LoadImageFromDir errors for --restore-from, Unavailable
// when the address cannot be bound.
Status Run(const Options& options, const std::atomic<bool>& stop);

}  // namespace kbr::demo
