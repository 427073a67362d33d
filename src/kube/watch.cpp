#include <string>

#include "core/json.h"
#include "kube/client.h"
#include "kube/errors.h"

namespace kbr::kube {

Status Client::WatchOnce(const Resource& r, const std::string& ns, const WatchOptions& opts,
                         const std::function<bool(WatchEvent&&)>& on_event, std::function<bool()> cancelled) {
  std::string q = "?watch=1";
  if (!opts.resource_version.empty()) q += "&resourceVersion=" + http::UrlEncode(opts.resource_version);
  if (!opts.label_selector.empty()) q += "&labelSelector=" + http::UrlEncode(opts.label_selector);
  if (!opts.field_selector.empty()) q += "&fieldSelector=" + http::UrlEncode(opts.field_selector);
  if (opts.allow_bookmarks) q += "&allowWatchBookmarks=true";
  q += "&timeoutSeconds=" + std::to_string(opts.timeout_seconds);
  http::Request req = BaseRequest("GET", r.CollectionPath(ns) + q);
  // The server ends the watch at timeoutSeconds; allow it some slack.
  req.timeout = std::chrono::milliseconds((opts.timeout_seconds + 30) * 1000LL);
  req.cancelled = std::move(cancelled);

  std::string buffer;
  Status event_error;
  auto handle_line = [&](std::string_view line) -> bool {
    auto ev = json::Parse(line, "watch event");
    if (!ev.ok()) {
      event_error = Status::Internal(ev.status().message());
      return false;
    }
    std::string type = json::GetString(*ev, "type");
    bj::value* obj = json::Find(*ev, "object");
    if (type == "ERROR") {
      int code = obj ? static_cast<int>(json::GetInt(*obj, "code", 500)) : 500;
      event_error = StatusFromResponse(code, obj ? json::Serialize(*obj) : "", "watch " + r.plural);
      return false;
    }
    return on_event(WatchEvent{std::move(type), obj ? std::move(*obj) : bj::value()});
  };
  auto resp = transport_->Stream(req, [&](std::string_view chunk) {
    buffer.append(chunk);
    size_t start = 0;
    for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (nl > start && !handle_line(std::string_view(buffer).substr(start, nl - start))) return false;
    }
    buffer.erase(0, start);
    return true;
  });
  if (!event_error.ok()) return event_error;
  if (!resp.ok()) {
    // A cancelled watch is a normal end.
    if (req.cancelled && req.cancelled()) return Status::Ok();
    return resp.status();
  }
  if (resp->status >= 400) return StatusFromResponse(resp->status, resp->body, "watch " + r.plural);
  return Status::Ok();
}

}  // namespace kbr::kube
