// kube::Client: a Kubernetes REST client over http::Client.
//
// Objects are Boost.JSON values exactly as the apiserver returns them. Every
// call has a timeout. Failures are Status values typed from the apiserver's
// metav1.Status (see errors.h): NotFound, AlreadyExists, Conflict,
// InvalidArgument (Invalid, with field causes), Unauthenticated,
// PermissionDenied, ResourceExhausted (429), Gone (410), Unavailable (5xx or
// transport), DeadlineExceeded.
//
// Retries: reads (GET, list, raw GET) retry 429, 5xx and transport failures
// with jittered backoff (up to `max_read_attempts`); writes retry only 429,
// which the apiserver sends before doing anything.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <boost/json/value.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/http.h"
#include "core/status.h"
#include "kube/kubeconfig.h"
#include "kube/resource.h"

namespace kbr::kube {

namespace bj = boost::json;

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int64_t limit = 0;  // 0: no paging
  std::string continue_token;
  std::string resource_version;
  // Parse the page into one arena released with its last item: for callers
  // that reduce every item right away (informers), so large lists leave no
  // holes in the heap. Keeping one item keeps the whole page's memory.
  bool arena = false;
};

struct ListPage {
  std::vector<bj::value> items;
  std::string resource_version;
  std::string continue_token;  // "" on the last page
};

enum class PatchType { kMerge, kJson, kStrategicMerge, kApply };

struct PatchOptions {
  std::string field_manager;  // required for kApply
  bool force = false;         // kApply: take ownership of conflicting fields
  std::string subresource;    // e.g. "status"
};

struct DeleteOptions {
  std::string propagation_policy;  // "", "Foreground", "Background", "Orphan"
  std::string precondition_uid;
  std::string precondition_resource_version;
};

struct LogOptions {
  std::string container;
  int64_t tail_lines = -1;  // -1: all
  bool follow = false;
};

struct WatchOptions {
  std::string resource_version;
  std::string label_selector;
  std::string field_selector;
  bool allow_bookmarks = true;
  int timeout_seconds = 300;  // the server ends the watch after this
};

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK
  bj::value object;
};

struct ClientOptions {
  std::chrono::milliseconds timeout{30000};
  int max_read_attempts = 5;
  std::string user_agent = "kbr";
};

class Client {
 public:
  // REQUIRES: config.server non-empty.
  static Result<std::unique_ptr<Client>> New(const ClusterConfig& config, ClientOptions options = {},
                                             Clock& clock = SystemClock());
  // For tests and the lab: a client over a given transport.
  Client(ClusterConfig config, std::shared_ptr<http::Client> transport, ClientOptions options, Clock& clock);

  // A client that authenticates as the bearer `token` instead of this
  // client's own identity (no client certificate is presented). Used by the
  // REST API to act as its caller. The returned client shares nothing mutable.
  Result<std::unique_ptr<Client>> WithBearerToken(const std::string& token) const;

  // A client for the same cluster and identity whose URLs start with
  // server + `path_prefix` (e.g. the Karmada cluster proxy of a member).
  Result<std::unique_ptr<Client>> WithPathPrefix(const std::string& path_prefix) const;

  const std::string& server() const { return config_.server; }
  const ClusterConfig& config() const { return config_; }

  Result<bj::value> Get(const Resource& r, const std::string& ns, const std::string& name);
  Result<ListPage> List(const Resource& r, const std::string& ns, const ListOptions& opts = {});
  // Follows continue tokens; page_size 0 means one request.
  Result<std::vector<bj::value>> ListAll(const Resource& r, const std::string& ns, ListOptions opts = {},
                                         int64_t page_size = 500);
  Result<bj::value> Create(const Resource& r, const std::string& ns, const bj::value& obj);
  // Replaces the object named in obj.metadata.name; a stale
  // metadata.resourceVersion gives Conflict.
  Result<bj::value> Update(const Resource& r, const std::string& ns, const bj::value& obj);
  Result<bj::value> UpdateStatus(const Resource& r, const std::string& ns, const bj::value& obj);
  Result<bj::value> Patch(const Resource& r, const std::string& ns, const std::string& name, PatchType type,
                          const std::string& body, const PatchOptions& opts = {});
  // Server-side apply of `obj` (its metadata.name names it).
  Result<bj::value> Apply(const Resource& r, const std::string& ns, const bj::value& obj,
                          const std::string& field_manager, bool force = true);
  Status Delete(const Resource& r, const std::string& ns, const std::string& name, const DeleteOptions& opts = {});

  Result<std::string> Logs(const std::string& ns, const std::string& pod, const LogOptions& opts = {});
  // Streams a log (follow) until on_chunk returns false or the server ends it.
  Status StreamLogs(const std::string& ns, const std::string& pod, const LogOptions& opts,
                    const http::ChunkHandler& on_chunk, std::function<bool()> cancelled = nullptr);

  // GET of an arbitrary path ("/version", "/apis"), parsed as JSON.
  Result<bj::value> RawGet(const std::string& path);
  // Any request to a path; the body and status are returned as is (no error
  // mapping of HTTP statuses).
  Result<http::Response> Raw(const std::string& method, const std::string& path, const std::string& body = "",
                             const std::string& content_type = "application/json");

  // One watch request: delivers events until the server closes the stream
  // (OK), on_event returns false (OK), cancelled() (OK) or an error event:
  // Gone for an expired resourceVersion, other codes as mapped.
  Status WatchOnce(const Resource& r, const std::string& ns, const WatchOptions& opts,
                   const std::function<bool(WatchEvent&&)>& on_event, std::function<bool()> cancelled = nullptr);

 private:
  Result<http::Response> Send(const std::string& method, const std::string& path, const std::string& body,
                              const std::string& content_type, bool idempotent_read);
  http::Request BaseRequest(const std::string& method, const std::string& path) const;
  Result<bj::value> SendJson(const std::string& method, const std::string& path, const std::string& body,
                             const std::string& content_type, bool read, bj::storage_ptr storage = {});

  ClusterConfig config_;
  std::shared_ptr<http::Client> transport_;
  ClientOptions options_;
  Clock& clock_;
};

}  // namespace kbr::kube
