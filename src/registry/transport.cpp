#include "registry/transport.h"

#include "core/json.h"

namespace kbr::registry::internal {

bool IsTlsFailure(const Status& s) { return s.message().find("TLS failure") != std::string::npos; }

bool RetryableTransportError(const Status& s) {
  if (IsTlsFailure(s)) return false;
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded;
}

bool StallWatch::Stalled() const {
  int64_t now = clock_.Steady().time_since_epoch().count();
  auto elapsed = std::chrono::duration_cast<Duration>(std::chrono::steady_clock::duration(now - last_.load()));
  return elapsed > limit_;
}

Transport::Transport(std::shared_ptr<http::Client> http, Endpoint endpoint, const RegistryOptions& opts,
                     Clock& clock)
    : http_(std::move(http)),
      endpoint_(std::move(endpoint)),
      opts_(opts),
      clock_(clock),
      auth_(*http_, endpoint_.host, opts.credentials, clock) {}

std::string Transport::Resolve(std::string_view location) const {
  if (location.find("://") != std::string_view::npos) return std::string(location);
  if (!location.empty() && location.front() == '/') return endpoint_.BaseUrl() + std::string(location);
  return endpoint_.BaseUrl() + "/" + std::string(location);
}

Result<http::Response> Transport::Send(const std::function<http::Request()>& make, const std::string& scope,
                                       Retry retry, const http::ChunkHandler* on_chunk) {
  Backoff backoff(opts_.backoff);
  bool reauthorized = false;
  int max_attempts = retry == Retry::kIdempotent ? std::max(1, opts_.max_attempts) : 1;
  for (int attempt = 1;; ++attempt) {
    http::Request req = make();
    // Registries move bulk data; libcurl's and Go's HTTP/2 cost several
    // times HTTP/1.1's CPU per byte, and kbr never multiplexes.
    req.http1 = true;
    auto header = auth_.HeaderFor(scope);
    if (!header.ok()) {
      if (header.status().retryable() && attempt < max_attempts) {
        SleepBeforeRetry(backoff);
        continue;
      }
      return header.status();
    }
    if (!header->empty()) req.headers.emplace_back("Authorization", *header);
    auto resp = on_chunk ? http_->Stream(req, *on_chunk) : http_->Do(req);
    if (!resp.ok()) {
      if (RetryableTransportError(resp.status()) && attempt < max_attempts) {
        SleepBeforeRetry(backoff);
        continue;
      }
      return resp.status();
    }
    if (resp->status == 401 && !reauthorized) {
      reauthorized = true;
      Status s = auth_.Authorize(*resp, scope);
      if (!s.ok()) return s;
      --attempt;  // the challenge round trip is not a failed attempt
      continue;
    }
    if ((resp->status >= 500 || resp->status == 429) && attempt < max_attempts) {
      SleepBeforeRetry(backoff);
      continue;
    }
    return resp;
  }
}

Status Transport::ErrorFor(const http::Response& resp, const std::string& what) const {
  std::string code, detail;
  if (auto doc = json::Parse(resp.body, "registry error"); doc.ok()) {
    if (const auto* errs = json::Find(*doc, "errors"); errs && errs->is_array() && !errs->as_array().empty()) {
      const auto& first = errs->as_array().front();
      code = json::GetString(first, "code");
      detail = json::GetString(first, "message");
    }
  }
  std::string msg = what + " on registry " + endpoint_.host + ": HTTP " + std::to_string(resp.status);
  if (!code.empty()) msg += " " + code;
  if (!detail.empty()) msg += ": " + detail;
  const int st = resp.status;
  if (st == 401) {
    std::string challenge_error;
    for (const auto& c : ParseChallenges(resp.Header("www-authenticate"))) {
      if (!c.Param("error").empty()) challenge_error = c.Param("error");
    }
    if (challenge_error == "insufficient_scope") {
      return Status::PermissionDenied(msg + " (the token does not grant this access)");
    }
    if (!auth_.has_credentials()) {
      return Status::Unauthenticated(msg + " (registry " + endpoint_.host + " requires credentials)");
    }
    return Status::Unauthenticated("registry " + endpoint_.host + " rejected the credentials of user '" +
                                   auth_.username() + "' (" + msg + ")");
  }
  if (st == 403) return Status::PermissionDenied(msg);
  if (st == 404 || code == "BLOB_UNKNOWN" || code == "MANIFEST_BLOB_UNKNOWN" || code == "NAME_UNKNOWN" ||
      code == "MANIFEST_UNKNOWN") {
    return Status::NotFound(msg);
  }
  if (st == 405 || code == "UNSUPPORTED") return Status::Unimplemented(msg);
  if (st == 409) return Status::Conflict(msg);
  if (st == 429) return Status::ResourceExhausted(msg);
  if (st >= 500) return Status::Unavailable(msg);
  if (st == 400 || st == 413 || st == 416) return Status::InvalidArgument(msg);
  return Status::Internal(msg + " (unexpected answer)");
}

}  // namespace kbr::registry::internal
