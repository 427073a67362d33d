// Registry: a client of one OCI distribution registry (the /v2/ API), as used
// by the agent to push checkpoint images and by restore to pull them.
//
// What it does for every call:
//   - authentication from WWW-Authenticate challenges (Basic, or Bearer tokens
//     cached per scope; anonymous tokens when no credentials are configured);
//   - retries with jittered exponential backoff on connection errors, 5xx and
//     429, never on other 4xx and never on TLS verification failures;
//   - digests verified on every read (blobs and manifests).
//
// Errors (Status codes), for all calls:
//   InvalidArgument  - a malformed repository, tag or digest (nothing is sent),
//                      or the registry rejected the request as malformed;
//   Unauthenticated  - credentials missing or rejected (names the registry
//                      host and user, never a secret);
//   PermissionDenied - authenticated, but the scope is not granted;
//   NotFound         - the repository, blob, manifest or tag does not exist;
//   Unavailable      - the registry is unreachable, TLS failed, or it kept
//                      answering 5xx after all attempts (retryable);
//   ResourceExhausted- still rate-limited (429) after all attempts;
//   DeadlineExceeded - a transfer stalled longer than stall_timeout;
//   Internal         - a digest mismatch ("digest mismatch: expected X, got
//                      Y") or an answer that breaks the protocol.
//
// Thread-safety: a Registry is safe to use from many threads at once; each
// call is independent (uploads do not share sessions).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/http.h"
#include "core/status.h"
#include "registry/auth.h"
#include "registry/reference.h"
#include "registry/source.h"

namespace kbr::registry {

inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";

struct RegistryOptions {
  std::string url;  // any form ParseEndpoint accepts
  Credentials credentials;  // empty: anonymous
  http::TlsConfig tls;
  int max_attempts = 5;  // per request, including the first
  BackoffPolicy backoff{Duration(200), Duration(5000), 2.0, 0.5};
  // Uploads: blobs up to monolithic_max bytes go in one PUT. Larger ones
  // from a rewindable source go in one PATCH streamed from the source
  // (stream_uploads); from other sources, or with stream_uploads false, in
  // PATCH chunks of chunk_size bytes, each held in memory until acknowledged.
  // Every request costs the registry (authentication, saving its hash state),
  // so one PATCH per blob is the fastest and holds the least memory.
  bool stream_uploads = true;
  int64_t chunk_size = 16 << 20;
  int64_t monolithic_max = 4 << 20;
  Duration request_timeout{60000};  // whole non-streaming request
  Duration stall_timeout{60000};    // a streaming transfer with no progress
};

// The answer to "can kbr use this registry?", ready to show in an API.
struct PingResult {
  bool reachable = false;      // an HTTP answer came back
  bool tls_verified = false;   // TLS handshake and verification succeeded (or http)
  bool authenticated = false;  // the configured identity (or anonymous) is accepted
  std::string auth_scheme;     // "none", "basic" or "bearer"
  std::string message;         // one human sentence naming the host
  Status status;               // OK, or the code behind `message`
  bool ok() const { return status.ok(); }
};

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = -1;
};

struct Manifest {
  std::string media_type;  // Content-Type the registry gave (or the body's mediaType)
  std::string digest;      // verified sha256 of body
  std::string body;
};

struct TagPage {
  std::vector<std::string> tags;
  std::string next_last;  // pass as `last` for the next page; "" when done
};

struct UploadOptions {
  // When the digest is known in advance: HEAD (and mount) first and skip the
  // upload if the blob is there; also checked against what the source yields.
  std::string digest;
  // Try a cross-repository mount from this repository first (needs digest).
  std::string mount_from;
};

struct UploadResult {
  std::string digest;
  int64_t size = 0;
  bool existed = false;  // already in the repository; nothing sent
  bool mounted = false;  // mounted from UploadOptions::mount_from; nothing sent
  int64_t bytes_sent = 0;  // body bytes sent, resends included
  int resumes = 0;         // times a PATCH was continued after a failure
  int restarts = 0;        // times the whole upload started over (Rewind)
};

// Receives verified-in-progress blob bytes; a non-OK return aborts the pull
// with that Status.
using BlobSink = std::function<Status(std::string_view)>;

class Registry {
 public:
  virtual ~Registry() = default;

  virtual const Endpoint& endpoint() const = 0;

  // GET /v2/ once (no retries): reachability, TLS, and whether the configured
  // credentials are accepted. Never fails; the outcome is in the result.
  // A wrong password gives status Unauthenticated and a message naming the
  // host and user.
  virtual PingResult Ping() = 0;

  // HEAD a blob: its descriptor (size from Content-Length), or nullopt when
  // the repository does not have it.
  virtual Result<std::optional<Descriptor>> StatBlob(const std::string& repo, const std::string& digest) = 0;

  // Cross-repository mount of `digest` from `from_repo` into `repo`. True when
  // mounted; false when the registry declined (the upload session it opened
  // instead is cancelled) - the caller then uploads.
  virtual Result<bool> MountBlob(const std::string& repo, const std::string& digest,
                                 const std::string& from_repo) = 0;

  // Uploads the blob `source` yields and returns its digest and size.
  // Reads the source once front to back when nothing fails: small blobs
  // (<= monolithic_max) go as POST + one PUT; larger ones as PATCH requests
  // streamed from the source, then PUT ?digest= once the source ends (so the
  // digest need not be known up front). With stream_uploads and a
  // source.rewindable(), one PATCH carries the whole blob and only its
  // first monolithic_max + 1 bytes are buffered; otherwise PATCH chunks of
  // chunk_size, each kept buffered until the registry acknowledges it. After a dropped connection or 5xx the
  // client asks the upload's Range (GET on the upload URL) and continues from
  // the registry's offset - from its buffer, or by rewinding the source and
  // reading up to that offset again. If the registry lost the session (docker
  // distribution does after a partially received request) the upload
  // restarts from the first byte when the data is still buffered or
  // source.Rewind() succeeds, otherwise fails with Unavailable. All requests
  // use HTTP/1.1: it costs client and registry a fraction of HTTP/2's CPU
  // per byte.
  // REQUIRES: source is not used by anyone else during the call.
  // Errors: the common ones; the source's own error; Internal when
  // opts.digest is set and differs from what the source produced.
  virtual Result<UploadResult> UploadBlob(const std::string& repo, BlobSource& source,
                                          const UploadOptions& opts = {}) = 0;

  // Streams a blob into `sink`, hashing every byte; returns the blob's size.
  // After a dropped connection the blob is requested again and the bytes
  // already delivered are skipped, so the sink sees each byte once (a Range
  // request is not used: the transport cannot tell a 206 from a 200 while
  // streaming). Bytes handed to sink are provisional until the call returns
  // OK: on a digest mismatch it returns Internal("... digest mismatch:
  // expected <digest>, got <actual> ...") after the sink saw the bad bytes,
  // so write to a temporary place and commit only on OK.
  // expected_size >= 0 is checked too.
  virtual Result<int64_t> PullBlob(const std::string& repo, const std::string& digest, const BlobSink& sink,
                                   int64_t expected_size = -1) = 0;

  // A whole small blob (configs) in memory, verified. ResourceExhausted when
  // it is larger than max_size.
  virtual Result<std::string> FetchBlob(const std::string& repo, const std::string& digest,
                                        int64_t max_size = 16 << 20) = 0;

  // PUT a manifest under a tag or a digest; returns its digest (verified
  // against the registry's Docker-Content-Digest when given). NotFound /
  // InvalidArgument when the registry says referenced blobs are missing.
  virtual Result<std::string> PutManifest(const std::string& repo, const std::string& reference,
                                          std::string_view media_type, std::string_view body) = 0;

  // GET a manifest by tag or digest, accepting OCI and Docker v2 schema 2
  // manifests and indexes. The body's sha256 is checked against the digest
  // reference or the registry's Docker-Content-Digest.
  virtual Result<Manifest> GetManifest(const std::string& repo, const std::string& reference) = 0;

  // HEAD a manifest: descriptor, or nullopt when there is none.
  virtual Result<std::optional<Descriptor>> StatManifest(const std::string& repo,
                                                         const std::string& reference) = 0;

  // DELETE by digest deletes the manifest (and so every tag on it). By tag:
  // the registry's tag deletion when it supports it (OCI 1.1); otherwise
  // (docker distribution 2.x) the tag is resolved and the manifest it points
  // to is deleted. NotFound when absent; Unimplemented when the registry has
  // deletion disabled.
  virtual Status DeleteManifest(const std::string& repo, const std::string& reference) = 0;

  // One page of at most n tags (n <= 0: the registry's default) after `last`
  // in lexical order. Follows the registry's Link header; for registries that
  // ignore n/last the client pages the full list itself, so callers see the
  // same semantics everywhere.
  virtual Result<TagPage> ListTagsPage(const std::string& repo, int n, const std::string& last) = 0;
  // All tags in lexical order, fetched page by page (page_size <= 0: one request if the
  // registry allows).
  virtual Result<std::vector<std::string>> ListTags(const std::string& repo, int page_size = 0) = 0;
};

// A Registry over libcurl (NewCurlClient(opts.tls)). InvalidArgument for a
// bad URL or unreadable TLS files. `clock` must outlive the Registry.
Result<std::unique_ptr<Registry>> NewRegistry(const RegistryOptions& opts, Clock& clock = SystemClock());

// The same over a caller-supplied transport (tests wrap the curl client to
// count bytes or inject faults). opts.tls is not used.
Result<std::unique_ptr<Registry>> NewRegistry(const RegistryOptions& opts, std::shared_ptr<http::Client> http,
                                              Clock& clock = SystemClock());

}  // namespace kbr::registry
