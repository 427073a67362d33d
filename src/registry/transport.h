// Internal to src/registry: one registry's HTTP plumbing shared by the blob,
// upload and manifest code - URLs, auth headers, retries with backoff, stall
// detection and the mapping of registry error answers to Status.
// Thread-safe (the Authenticator locks; everything else is immutable).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/http.h"
#include "registry/auth.h"
#include "registry/registry.h"

namespace kbr::registry::internal {

enum class Retry {
  kNone,        // one attempt (plus one re-send after a 401 challenge)
  kIdempotent,  // also retry connection errors, 5xx and 429 with backoff
};

// True for transport errors worth retrying: not TLS verification failures,
// not malformed URLs.
bool RetryableTransportError(const Status& s);
bool IsTlsFailure(const Status& s);

// Detects a streaming transfer that makes no progress. Touch() on every piece
// of data; Stalled() once `limit` passed without one.
class StallWatch {
 public:
  StallWatch(Clock& clock, Duration limit) : clock_(clock), limit_(limit) { Touch(); }
  void Touch() { last_ = clock_.Steady().time_since_epoch().count(); }
  bool Stalled() const;
  Duration limit() const { return limit_; }

 private:
  Clock& clock_;
  Duration limit_;
  std::atomic<int64_t> last_{0};
};

class Transport {
 public:
  Transport(std::shared_ptr<http::Client> http, Endpoint endpoint, const RegistryOptions& opts, Clock& clock);

  http::Client& http() { return *http_; }
  Authenticator& auth() { return auth_; }
  const Endpoint& endpoint() const { return endpoint_; }
  const RegistryOptions& options() const { return opts_; }
  Clock& clock() { return clock_; }

  // base URL + path ("/v2/...").
  std::string Url(std::string_view path) const { return endpoint_.BaseUrl() + std::string(path); }
  // An absolute URL for a Location header (absolute, or a path on the registry).
  std::string Resolve(std::string_view location) const;

  // Sends the request make() builds (called once per attempt) over HTTP/1.1,
  // adding the Authorization header for `scope`. A 401 is answered once by
  // Authenticator::Authorize and a re-send. With kIdempotent, retryable
  // transport errors, 5xx and 429 are retried with backoff up to
  // options().max_attempts. With on_chunk, the body is streamed (for every
  // attempt's response, whatever its status). Returns the last response
  // (any HTTP status) or the last transport error.
  Result<http::Response> Send(const std::function<http::Request()>& make, const std::string& scope, Retry retry,
                              const http::ChunkHandler* on_chunk = nullptr);

  // Sleeps (on the injected clock) the next delay of a caller's own retry loop.
  void SleepBeforeRetry(Backoff& backoff) { clock_.SleepFor(backoff.Next()); }

  // The Status for a response that is not the success the caller expected:
  // "<what> on registry <host>: HTTP <n> <CODE>: <message>" with the code
  // chosen from the HTTP status and the registry's error code.
  Status ErrorFor(const http::Response& resp, const std::string& what) const;

 private:
  std::shared_ptr<http::Client> http_;
  Endpoint endpoint_;
  RegistryOptions opts_;
  Clock& clock_;
  Authenticator auth_;
};

}  // namespace kbr::registry::internal
