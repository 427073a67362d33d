#include <utility>

#include "registry/client_impl.h"
#include "registry/digest.h"

namespace kbr::registry {

namespace internal {

namespace {

// Response bytes held back at the start of each streamed answer, so that a
// registry's error body is never handed to a blob sink (the status is known
// only once the transfer ends).
constexpr size_t kHoldBack = 64 << 10;

bool IsRedirect(int st) { return st == 301 || st == 302 || st == 303 || st == 307 || st == 308; }

}  // namespace

PingResult RegistryClient::Ping() {
  PingResult r;
  const std::string& host = t_.endpoint().host;
  const bool https = t_.endpoint().scheme == "https";
  auto attempt = [&]() -> Result<http::Response> {
    http::Request req;
    req.url = t_.Url("/v2/");
    req.timeout = t_.options().request_timeout;
    ASSIGN_OR_RETURN(std::string header, t_.auth().HeaderFor(""));
    if (!header.empty()) req.headers.emplace_back("Authorization", header);
    return t_.http().Do(req);
  };
  auto resp = attempt();
  if (resp.ok() && resp->status == 401) {
    r.reachable = true;
    r.tls_verified = https && !t_.options().tls.insecure_skip_verify;
    Status s = t_.auth().Authorize(*resp, "");
    if (!s.ok()) {
      r.auth_scheme = t_.auth().scheme().empty() ? "none" : t_.auth().scheme();
      r.status = s;
      r.message = s.message();
      return r;
    }
    resp = attempt();
  }
  if (!resp.ok()) {
    r.status = resp.status();
    if (IsTlsFailure(resp.status())) {
      r.reachable = true;  // something answered, but TLS failed
      r.message = "registry " + host + ": TLS verification failed (" + resp.status().message() + ")";
    } else {
      r.message = "registry " + host + " is unreachable: " + resp.status().message();
    }
    r.status = Status(resp.status().code(), r.message);
    return r;
  }
  r.reachable = true;
  r.tls_verified = https && !t_.options().tls.insecure_skip_verify;
  std::string scheme = t_.auth().scheme();
  r.auth_scheme = scheme.empty() ? "none" : scheme;
  if (resp->status == 200) {
    r.authenticated = true;
    r.message = t_.auth().has_credentials()
                    ? "registry " + host + " is reachable; user '" + t_.auth().username() + "' is accepted (" +
                          r.auth_scheme + ")"
                    : "registry " + host + " is reachable; anonymous access is accepted (" + r.auth_scheme + ")";
    return r;
  }
  r.status = t_.ErrorFor(*resp, "GET /v2/");
  r.message = r.status.message();
  return r;
}

Result<std::optional<Descriptor>> RegistryClient::StatBlob(const std::string& repo, const std::string& digest) {
  RETURN_IF_ERROR(ValidateRepository(repo));
  RETURN_IF_ERROR(ValidateDigest(digest));
  auto make = [&] {
    http::Request req;
    req.method = "HEAD";
    req.url = t_.Url("/v2/" + repo + "/blobs/" + digest);
    req.timeout = t_.options().request_timeout;
    return req;
  };
  ASSIGN_OR_RETURN(http::Response resp, t_.Send(make, RepositoryScope(repo, "pull"), Retry::kIdempotent));
  if (resp.status == 404) return std::optional<Descriptor>();
  if (resp.status != 200 && !IsRedirect(resp.status)) return t_.ErrorFor(resp, "HEAD blob " + digest);
  Descriptor d;
  d.digest = digest;
  d.media_type = resp.Header("content-type");
  std::string len = resp.Header("content-length");
  d.size = len.empty() ? -1 : std::stoll(len);
  return std::optional<Descriptor>(d);
}

Result<RegistryClient::UploadStart> RegistryClient::StartUpload(const std::string& repo, const std::string& scope,
                                                                const std::string& mount_digest,
                                                                const std::string& from_repo) {
  std::string url = t_.Url("/v2/" + repo + "/blobs/uploads/");
  if (!mount_digest.empty()) url += "?mount=" + http::UrlEncode(mount_digest) + "&from=" + http::UrlEncode(from_repo);
  auto make = [&] {
    http::Request req;
    req.method = "POST";
    req.url = url;
    req.timeout = t_.options().request_timeout;
    return req;
  };
  ASSIGN_OR_RETURN(http::Response resp, t_.Send(make, scope, Retry::kIdempotent));
  UploadStart start;
  if (resp.status == 201 && !mount_digest.empty()) {
    start.mounted = true;
    return start;
  }
  if (resp.status != 202) return t_.ErrorFor(resp, "starting a blob upload to " + repo);
  std::string loc = resp.Header("location");
  if (loc.empty()) return Status::Internal("registry " + t_.endpoint().host + ": upload started without a Location");
  start.location = t_.Resolve(loc);
  return start;
}

void RegistryClient::CancelUpload(const std::string& location, const std::string& scope) {
  auto make = [&] {
    http::Request req;
    req.method = "DELETE";
    req.url = location;
    req.timeout = t_.options().request_timeout;
    return req;
  };
  (void)t_.Send(make, scope, Retry::kNone);
}

Result<bool> RegistryClient::MountBlob(const std::string& repo, const std::string& digest,
                                       const std::string& from_repo) {
  RETURN_IF_ERROR(ValidateRepository(repo));
  RETURN_IF_ERROR(ValidateRepository(from_repo));
  RETURN_IF_ERROR(ValidateDigest(digest));
  std::string scope = RepositoryScope(repo, "pull,push") + " " + RepositoryScope(from_repo, "pull");
  ASSIGN_OR_RETURN(UploadStart start, StartUpload(repo, scope, digest, from_repo));
  if (start.mounted) return true;
  CancelUpload(start.location, scope);
  return false;
}

Result<int64_t> RegistryClient::PullBlob(const std::string& repo, const std::string& digest, const BlobSink& sink,
                                         int64_t expected_size) {
  RETURN_IF_ERROR(ValidateRepository(repo));
  RETURN_IF_ERROR(ValidateDigest(digest));
  const std::string what = "blob " + digest + " of " + repo;
  Sha256Hasher hasher;
  int64_t delivered = 0;  // bytes hashed and handed to the sink, over all attempts
  Status sink_status;
  // Per attempt: position in this response's body, and the held-back prefix.
  int64_t pos = 0;
  std::string held;
  bool passthrough = false;
  StallWatch watch(t_.clock(), t_.options().stall_timeout);

  // A retried request starts the body again; bytes already delivered are skipped.
  auto forward = [&](std::string_view data) -> bool {
    int64_t n = static_cast<int64_t>(data.size());
    if (pos + n <= delivered) {
      pos += n;
      return true;
    }
    if (pos < delivered) {
      data.remove_prefix(static_cast<size_t>(delivered - pos));
      pos = delivered;
    }
    hasher.Update(data);
    pos += static_cast<int64_t>(data.size());
    delivered += static_cast<int64_t>(data.size());
    if (expected_size >= 0 && delivered > expected_size) {
      sink_status = Status::Internal(what + ": registry " + t_.endpoint().host + " sent more than the expected " +
                                     std::to_string(expected_size) + " bytes");
      return false;
    }
    sink_status = sink(data);
    return sink_status.ok();
  };
  http::ChunkHandler on_chunk = [&](std::string_view chunk) -> bool {
    watch.Touch();
    if (passthrough) return forward(chunk);
    held.append(chunk);
    if (held.size() < kHoldBack) return true;
    passthrough = true;
    bool ok = forward(held);
    held.clear();
    return ok;
  };
  auto start_attempt = [&](const std::string& url) {
    pos = 0;
    held.clear();
    passthrough = false;
    watch.Touch();
    http::Request req;
    req.url = url;
    req.timeout = Duration(0);
    req.cancelled = [&watch] { return watch.Stalled(); };
    return req;
  };
  std::string url = t_.Url("/v2/" + repo + "/blobs/" + digest);
  auto resp = t_.Send([&] { return start_attempt(url); }, RepositoryScope(repo, "pull"), Retry::kIdempotent,
                      &on_chunk);
  // Blob storage may redirect (e.g. to object storage); follow without our credentials.
  for (int hops = 0; resp.ok() && IsRedirect(resp->status) && !resp->Header("location").empty() && hops < 3; ++hops) {
    std::string target = t_.Resolve(resp->Header("location"));
    Backoff backoff(t_.options().backoff);
    for (int attempt = 1;; ++attempt) {
      resp = t_.http().Stream(start_attempt(target), on_chunk);
      bool again = resp.ok() ? resp->status >= 500 : RetryableTransportError(resp.status());
      if (!again || attempt >= t_.options().max_attempts) break;
      t_.SleepBeforeRetry(backoff);
    }
  }
  if (!resp.ok()) {
    if (watch.Stalled()) {
      return Status::DeadlineExceeded("pulling " + what + " from registry " + t_.endpoint().host + ": no data for " +
                                      std::to_string(watch.limit().count()) + " ms");
    }
    return resp.status().Annotate("pulling " + what);
  }
  if (resp->status != 200 && resp->status != 206) return t_.ErrorFor(*resp, "GET " + what);
  if (!held.empty() && !forward(held)) return sink_status;
  if (!sink_status.ok()) return sink_status;
  std::string actual = hasher.Digest();
  if (actual != digest) {
    return Status::Internal(what + " from registry " + t_.endpoint().host + ": digest mismatch: expected " + digest +
                            ", got " + actual + " (" + std::to_string(delivered) + " bytes)");
  }
  if (expected_size >= 0 && delivered != expected_size) {
    return Status::Internal(what + " from registry " + t_.endpoint().host + ": size mismatch: expected " +
                            std::to_string(expected_size) + " bytes, got " + std::to_string(delivered));
  }
  return delivered;
}

Result<std::string> RegistryClient::FetchBlob(const std::string& repo, const std::string& digest, int64_t max_size) {
  std::string out;
  auto sink = [&](std::string_view data) -> Status {
    if (static_cast<int64_t>(out.size() + data.size()) > max_size) {
      return Status::ResourceExhausted("blob " + digest + " of " + repo + " is larger than " +
                                       std::to_string(max_size) + " bytes");
    }
    out.append(data);
    return Status::Ok();
  };
  ASSIGN_OR_RETURN(int64_t n, PullBlob(repo, digest, sink, -1));
  (void)n;
  return out;
}

}  // namespace internal

Result<std::unique_ptr<Registry>> NewRegistry(const RegistryOptions& opts, std::shared_ptr<http::Client> http,
                                              Clock& clock) {
  ASSIGN_OR_RETURN(Endpoint ep, ParseEndpoint(opts.url));
  if (!http) return Status::InvalidArgument("registry client: no HTTP transport");
  if (opts.chunk_size <= 0 || opts.monolithic_max < 0) {
    return Status::InvalidArgument("registry client: chunk_size must be > 0 and monolithic_max >= 0");
  }
  return std::unique_ptr<Registry>(new internal::RegistryClient(std::move(http), std::move(ep), opts, clock));
}

Result<std::unique_ptr<Registry>> NewRegistry(const RegistryOptions& opts, Clock& clock) {
  ASSIGN_OR_RETURN(std::unique_ptr<http::Client> http, http::NewCurlClient(opts.tls));
  return NewRegistry(opts, std::shared_ptr<http::Client>(std::move(http)), clock);
}

}  // namespace kbr::registry
