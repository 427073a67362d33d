#include "kube/client.h"

#include <boost/json/monotonic_resource.hpp>

#include "core/backoff.h"
#include "core/json.h"
#include "kube/errors.h"

namespace kbr::kube {

namespace {

std::string Describe(const std::string& verb, const Resource& r, const std::string& ns, const std::string& name) {
  std::string s = verb + " " + r.plural;
  if (!name.empty()) s += " " + (ns.empty() ? name : ns + "/" + name);
  return s;
}

void AddParam(std::string* q, const std::string& key, const std::string& value) {
  if (value.empty()) return;
  *q += (q->empty() ? "?" : "&") + key + "=" + http::UrlEncode(value);
}

std::string ListQuery(const ListOptions& o) {
  std::string q;
  AddParam(&q, "labelSelector", o.label_selector);
  AddParam(&q, "fieldSelector", o.field_selector);
  if (o.limit > 0) AddParam(&q, "limit", std::to_string(o.limit));
  AddParam(&q, "continue", o.continue_token);
  AddParam(&q, "resourceVersion", o.resource_version);
  return q;
}

const char* ContentTypeFor(PatchType t) {
  switch (t) {
    case PatchType::kMerge: return "application/merge-patch+json";
    case PatchType::kJson: return "application/json-patch+json";
    case PatchType::kStrategicMerge: return "application/strategic-merge-patch+json";
    case PatchType::kApply: return "application/apply-patch+yaml";
  }
  return "application/json";
}

std::string NameOf(const bj::value& obj) { return json::GetString(obj, "metadata.name"); }

}  // namespace

Result<std::unique_ptr<Client>> Client::New(const ClusterConfig& config, ClientOptions options, Clock& clock) {
  if (config.server.empty()) return Status::InvalidArgument("kube client: no server URL");
  ASSIGN_OR_RETURN(auto transport, http::NewCurlClient(config.tls));
  return std::make_unique<Client>(config, std::shared_ptr<http::Client>(std::move(transport)), options, clock);
}

Client::Client(ClusterConfig config, std::shared_ptr<http::Client> transport, ClientOptions options, Clock& clock)
    : config_(std::move(config)), transport_(std::move(transport)), options_(std::move(options)), clock_(clock) {}

Result<std::unique_ptr<Client>> Client::WithBearerToken(const std::string& token) const {
  ClusterConfig c = config_;
  c.bearer_token = token;
  c.tls.cert_data.clear();
  c.tls.cert_file.clear();
  c.tls.key_data.clear();
  c.tls.key_file.clear();
  return New(c, options_, clock_);
}

Result<std::unique_ptr<Client>> Client::WithPathPrefix(const std::string& path_prefix) const {
  ClusterConfig c = config_;
  c.server += path_prefix;
  return std::make_unique<Client>(c, transport_, options_, clock_);
}

http::Request Client::BaseRequest(const std::string& method, const std::string& path) const {
  http::Request req;
  req.method = method;
  req.url = config_.server + path;
  req.timeout = options_.timeout;
  req.headers.emplace_back("Accept", "application/json");
  req.headers.emplace_back("User-Agent", options_.user_agent);
  if (!config_.bearer_token.empty()) req.headers.emplace_back("Authorization", "Bearer " + config_.bearer_token);
  return req;
}

Result<http::Response> Client::Send(const std::string& method, const std::string& path, const std::string& body,
                                    const std::string& content_type, bool idempotent_read) {
  http::Request req = BaseRequest(method, path);
  req.body = body;
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.headers.emplace_back("Content-Type", content_type);
  }
  Backoff backoff({.initial = Duration(100), .max = Duration(3000)});
  int attempts = idempotent_read ? options_.max_read_attempts : 3;
  for (int i = 1;; ++i) {
    auto resp = transport_->Do(req);
    bool retry = false;
    if (!resp.ok()) {
      retry = idempotent_read && resp.status().code() != StatusCode::kInvalidArgument;
    } else if (resp->status == 429) {
      retry = true;
    } else if (resp->status >= 500 && idempotent_read) {
      retry = true;
    }
    if (!retry || i >= attempts) return resp;
    clock_.SleepFor(backoff.Next());
  }
}

Result<bj::value> Client::SendJson(const std::string& method, const std::string& path, const std::string& body,
                                   const std::string& content_type, bool read, bj::storage_ptr storage) {
  auto sent = Send(method, path, body, content_type, read);
  if (!sent.ok()) {
    // The transport says "<METHOD> <host>: <detail>"; keep the host (which
    // server failed) when Relabel replaces the "<METHOD> <path>" prefix.
    const std::string& m = sent.status().message();
    std::string rest = m.rfind(method + " ", 0) == 0 ? m.substr(method.size() + 1) : m;
    Status s(sent.status().code(), method + " " + path + ": " + rest);
    return s;
  }
  http::Response resp = std::move(sent).value();
  if (resp.status >= 400) return StatusFromResponse(resp.status, resp.body, method + " " + path);
  if (resp.body.empty()) return bj::value();
  auto parsed = json::Parse(resp.body, method + " " + path + " response", std::move(storage));
  if (!parsed.ok()) return Status::Internal(parsed.status().message());
  return parsed;
}

namespace {
// Rewrites the "<METHOD> <path>" prefix of an error into a readable verb.
Status Relabel(const Status& s, const std::string& what) {
  auto pos = s.message().find(": ");
  if (pos == std::string::npos) return s;
  Status out(s.code(), what + s.message().substr(pos));
  out.WithCauses(s.causes());
  return out;
}
template <typename T>
Result<T> Labeled(Result<T> r, const std::string& what) {
  if (r.ok()) return r;
  return Relabel(r.status(), what);
}
}  // namespace

Result<bj::value> Client::Get(const Resource& r, const std::string& ns, const std::string& name) {
  return Labeled(SendJson("GET", r.ObjectPath(ns, name), "", "", true), Describe("get", r, ns, name));
}

Result<ListPage> Client::List(const Resource& r, const std::string& ns, const ListOptions& opts) {
  bj::storage_ptr storage;
  if (opts.arena) storage = bj::make_shared_resource<bj::monotonic_resource>();
  auto v = Labeled(SendJson("GET", r.CollectionPath(ns) + ListQuery(opts), "", "", true, std::move(storage)),
                   Describe("list", r, ns, ""));
  if (!v.ok()) return v.status();
  ListPage page;
  page.resource_version = json::GetString(*v, "metadata.resourceVersion");
  page.continue_token = json::GetString(*v, "metadata.continue");
  if (auto* items = json::Find(*v, "items"); items && items->is_array()) {
    page.items.reserve(items->as_array().size());
    for (auto& item : items->as_array()) page.items.push_back(std::move(item));
  }
  return page;
}

Result<std::vector<bj::value>> Client::ListAll(const Resource& r, const std::string& ns, ListOptions opts,
                                               int64_t page_size) {
  std::vector<bj::value> all;
  opts.limit = page_size;
  do {
    ASSIGN_OR_RETURN(ListPage page, List(r, ns, opts));
    for (auto& item : page.items) all.push_back(std::move(item));
    opts.continue_token = page.continue_token;
  } while (!opts.continue_token.empty());
  return all;
}

Result<bj::value> Client::Create(const Resource& r, const std::string& ns, const bj::value& obj) {
  return Labeled(SendJson("POST", r.CollectionPath(ns), json::Serialize(obj), "application/json", false),
                 Describe("create", r, ns, NameOf(obj)));
}

Result<bj::value> Client::Update(const Resource& r, const std::string& ns, const bj::value& obj) {
  return Labeled(SendJson("PUT", r.ObjectPath(ns, NameOf(obj)), json::Serialize(obj), "application/json", false),
                 Describe("update", r, ns, NameOf(obj)));
}

Result<bj::value> Client::UpdateStatus(const Resource& r, const std::string& ns, const bj::value& obj) {
  return Labeled(
      SendJson("PUT", r.ObjectPath(ns, NameOf(obj)) + "/status", json::Serialize(obj), "application/json", false),
      Describe("update status of", r, ns, NameOf(obj)));
}

Result<bj::value> Client::Patch(const Resource& r, const std::string& ns, const std::string& name, PatchType type,
                                const std::string& body, const PatchOptions& opts) {
  std::string path = r.ObjectPath(ns, name);
  if (!opts.subresource.empty()) path += "/" + opts.subresource;
  std::string q;
  AddParam(&q, "fieldManager", opts.field_manager);
  if (type == PatchType::kApply && opts.force) AddParam(&q, "force", "true");
  if (type == PatchType::kApply && opts.field_manager.empty()) {
    return Status::InvalidArgument("server-side apply needs a field manager");
  }
  return Labeled(SendJson("PATCH", path + q, body, ContentTypeFor(type), false), Describe("patch", r, ns, name));
}

Result<bj::value> Client::Apply(const Resource& r, const std::string& ns, const bj::value& obj,
                                const std::string& field_manager, bool force) {
  // JSON is valid YAML, so the apply body can be the object itself.
  return Patch(r, ns, NameOf(obj), PatchType::kApply, json::Serialize(obj),
               PatchOptions{.field_manager = field_manager, .force = force});
}

Status Client::Delete(const Resource& r, const std::string& ns, const std::string& name, const DeleteOptions& opts) {
  bj::object body{{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (!opts.propagation_policy.empty()) body["propagationPolicy"] = opts.propagation_policy;
  if (!opts.precondition_uid.empty() || !opts.precondition_resource_version.empty()) {
    bj::object pre;
    if (!opts.precondition_uid.empty()) pre["uid"] = opts.precondition_uid;
    if (!opts.precondition_resource_version.empty()) pre["resourceVersion"] = opts.precondition_resource_version;
    body["preconditions"] = std::move(pre);
  }
  auto v = SendJson("DELETE", r.ObjectPath(ns, name), json::Serialize(body), "application/json", false);
  return Labeled(std::move(v), Describe("delete", r, ns, name)).status();
}

namespace {
std::string LogPath(const std::string& ns, const std::string& pod, const LogOptions& o) {
  std::string q;
  AddParam(&q, "container", o.container);
  if (o.tail_lines >= 0) AddParam(&q, "tailLines", std::to_string(o.tail_lines));
  if (o.follow) AddParam(&q, "follow", "true");
  return resources::kPods.ObjectPath(ns, pod) + "/log" + q;
}
}  // namespace

Result<std::string> Client::Logs(const std::string& ns, const std::string& pod, const LogOptions& opts) {
  LogOptions o = opts;
  o.follow = false;
  ASSIGN_OR_RETURN(auto resp, Send("GET", LogPath(ns, pod, o), "", "", true));
  if (resp.status >= 400) return StatusFromResponse(resp.status, resp.body, "logs of pod " + ns + "/" + pod);
  return resp.body;
}

Status Client::StreamLogs(const std::string& ns, const std::string& pod, const LogOptions& opts,
                          const http::ChunkHandler& on_chunk, std::function<bool()> cancelled) {
  LogOptions o = opts;
  o.follow = true;
  http::Request req = BaseRequest("GET", LogPath(ns, pod, o));
  req.timeout = std::chrono::milliseconds(0);
  req.cancelled = std::move(cancelled);
  ASSIGN_OR_RETURN(auto resp, transport_->Stream(req, on_chunk));
  if (resp.status >= 400) return StatusFromResponse(resp.status, resp.body, "logs of pod " + ns + "/" + pod);
  return Status::Ok();
}

Result<bj::value> Client::RawGet(const std::string& path) { return SendJson("GET", path, "", "", true); }

Result<http::Response> Client::Raw(const std::string& method, const std::string& path, const std::string& body,
                                   const std::string& content_type) {
  return Send(method, path, body, content_type, method == "GET");
}

}  // namespace kbr::kube
