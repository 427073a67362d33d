#include "checkpoint/kubelet_client.h"

#include "core/json.h"

namespace kbr::checkpoint {

namespace {

// The kubelet answers errors as plain text, or as a metav1.Status JSON.
std::string KubeletMessage(const http::Response& resp) {
  std::string body = resp.body;
  if (auto doc = json::Parse(body, "kubelet error"); doc.ok() && doc->is_object()) {
    std::string m = json::GetString(*doc, "message");
    if (!m.empty()) body = m;
  }
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r' || body.back() == ' ')) body.pop_back();
  if (body.size() > 1000) body = body.substr(0, 1000) + "...";
  return body.empty() ? "(no message)" : body;
}

}  // namespace

KubeletClient::KubeletClient(std::shared_ptr<http::Client> http, KubeletOptions opts)
    : http_(std::move(http)), opts_(std::move(opts)) {}

Result<std::unique_ptr<KubeletClient>> KubeletClient::New(KubeletOptions opts) {
  if (opts.host.empty()) return Status::InvalidArgument("kubelet: node host is empty");
  if (opts.port <= 0 || opts.port > 65535) {
    return Status::InvalidArgument("kubelet: port " + std::to_string(opts.port) + " is out of range");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<http::Client> http, http::NewCurlClient(opts.tls));
  return std::make_unique<KubeletClient>(std::shared_ptr<http::Client>(std::move(http)), std::move(opts));
}

std::string KubeletClient::BaseUrl() const {
  std::string host = opts_.host;
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  return "https://" + host + ":" + std::to_string(opts_.port);
}

Result<std::vector<std::string>> KubeletClient::Checkpoint(const CheckpointRequest& req) {
  const std::string what = "checkpoint of " + req.namespace_name + "/" + req.pod + "/" + req.container +
                           " on node " + opts_.host;
  if (req.namespace_name.empty() || req.pod.empty() || req.container.empty()) {
    return Status::InvalidArgument(what + ": namespace, pod and container must all be set");
  }
  if (req.timeout_seconds < 0) return Status::InvalidArgument(what + ": timeout must not be negative");

  http::Request hr;
  hr.method = "POST";
  hr.url = BaseUrl() + "/checkpoint/" + http::UrlEncode(req.namespace_name) + "/" + http::UrlEncode(req.pod) + "/" +
           http::UrlEncode(req.container);
  if (req.timeout_seconds > 0) {
    hr.url += "?timeout=" + std::to_string(req.timeout_seconds);
    hr.timeout = std::chrono::seconds(req.timeout_seconds) + opts_.extra_timeout;
  } else {
    hr.timeout = opts_.default_request_timeout;
  }
  if (!opts_.token.empty()) hr.headers.emplace_back("Authorization", "Bearer " + opts_.token);
  hr.headers.emplace_back("Accept", "application/json");

  auto resp = http_->Do(hr);
  if (!resp.ok()) return resp.status().Annotate(what);
  const int code = resp->status;
  if (code == 401) return Status::Unauthenticated(what + ": the kubelet rejected the token (401)");
  if (code == 403) {
    return Status::PermissionDenied(what + ": not allowed to create nodes/checkpoint (403): " + KubeletMessage(*resp));
  }
  if (code == 404) {
    return Status::NotFound(what + ": checkpointing not enabled or container unknown (404): " +
                            KubeletMessage(*resp));
  }
  if (code == 400) return Status::InvalidArgument(what + ": bad request (400): " + KubeletMessage(*resp));
  if (code >= 500) {
    return Status::Unavailable(what + ": the kubelet failed (" + std::to_string(code) + "): " + KubeletMessage(*resp));
  }
  if (code < 200 || code >= 300) {
    return Status::Internal(what + ": unexpected HTTP " + std::to_string(code) + ": " + KubeletMessage(*resp));
  }
  auto doc = json::Parse(resp->body, "kubelet checkpoint response");
  if (!doc.ok()) return doc.status().Annotate(what);
  const json::bj::value* items = json::Find(*doc, "items");
  std::vector<std::string> paths;
  if (items && items->is_array()) {
    for (const auto& v : items->as_array()) {
      if (v.is_string() && !v.as_string().empty()) paths.emplace_back(v.as_string());
    }
  }
  if (paths.empty()) return Status::Internal(what + ": the kubelet's answer names no archive: " + resp->body.substr(0, 200));
  return paths;
}

}  // namespace kbr::checkpoint
