// Blob uploads: monolithic for small blobs; for large ones one PATCH streamed
// from a rewindable source, or PATCH chunks from any other source; resume
// after failures. See Registry::UploadBlob for the contract.
//
// `buf_` holds the source's bytes at absolute offsets [buf_start_, buf_start_
// + buf_len_); everything before buf_start_ was read (and hashed) already.
// In chunked mode it holds the chunk in flight until the registry
// acknowledges it, so a resend never needs the source again. In streaming
// mode it only holds the first bytes (to tell a small blob from a large one);
// later bytes go from the source straight into libcurl's buffer, and a
// resend of bytes no longer held rewinds the source and reads up to them
// again. The registry's position after a failure comes from GET <upload URL>
// (its Range header).
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "registry/client_impl.h"
#include "registry/digest.h"

namespace kbr::registry::internal {

namespace {

// libcurl's upload buffer (its maximum): reads from the source and writes to
// the TLS connection in 2 MiB pieces rather than 64 KiB ones.
constexpr size_t kUploadBuffer = 2 << 20;

}  // namespace

class Uploader {
 public:
  Uploader(RegistryClient& c, const std::string& repo, std::string scope, BlobSource& source,
           const UploadOptions& opts)
      : c_(c),
        t_(c.t_),
        repo_(repo),
        scope_(std::move(scope)),
        source_(source),
        opts_(opts),
        streaming_(t_.options().stream_uploads && source.rewindable()),
        // Streaming: the small-blob probe, and at least one upload buffer's
        // worth for SkipTo to read in large pieces.
        cap_(static_cast<size_t>(std::max(t_.options().monolithic_max + 1,
                                          streaming_ ? static_cast<int64_t>(kUploadBuffer) : t_.options().chunk_size))),
        buf_(new char[cap_]),
        watch_(t_.clock(), t_.options().stall_timeout) {}

  Result<UploadResult> Run(std::string location) {
    for (;;) {
      session_lost_ = false;
      Status s = Attempt(location);
      if (s.ok()) return result_;
      if (!session_lost_ || result_.restarts + 1 >= t_.options().max_attempts) return s;
      if (buf_start_ != 0) {  // the first bytes are gone from the buffer
        if (!source_.Rewind()) {
          return Status::Unavailable(What() + ": the registry lost the upload session and the source cannot be "
                                     "read again (" + s.message() + ")");
        }
        hasher_.Reset();
        buf_start_ = 0;
        buf_len_ = 0;
        eof_ = false;
      }
      ++result_.restarts;
      if (!location.empty()) c_.CancelUpload(location, scope_);  // best effort; it may be gone already
      location.clear();
    }
  }

 private:
  std::string What() const { return "uploading a blob to " + repo_ + " on registry " + t_.endpoint().host; }
  int64_t end() const { return buf_start_ + static_cast<int64_t>(buf_len_); }

  // Reads up to len source bytes into dst and hashes them; 0 (and eof_) at the end.
  Result<size_t> ReadSource(char* dst, size_t len) {
    ASSIGN_OR_RETURN(size_t n, source_.Read(dst, len));
    if (n == 0) eof_ = true;
    hasher_.Update(std::string_view(dst, n));
    return n;
  }

  // Reads from the source until the buffer holds `target` bytes or the source ends.
  Status Fill(size_t target) {
    while (!eof_ && buf_len_ < target) {
      ASSIGN_OR_RETURN(size_t n, ReadSource(buf_.get() + buf_len_, target - buf_len_));
      buf_len_ += n;
    }
    return Status::Ok();
  }

  Status Attempt(std::string& location) {
    if (location.empty()) {
      ASSIGN_OR_RETURN(RegistryClient::UploadStart start, c_.StartUpload(repo_, scope_, "", ""));
      location = start.location;
    }
    const auto mono_max = static_cast<size_t>(t_.options().monolithic_max);
    if (buf_start_ == 0) RETURN_IF_ERROR(Fill(mono_max + 1));
    if (buf_start_ == 0 && eof_ && buf_len_ <= mono_max) return Put(location, /*with_body=*/true);
    while (!(eof_ && buf_len_ == 0)) {  // streaming: once
      RETURN_IF_ERROR(SendPatch(location));
      buf_start_ += static_cast<int64_t>(buf_len_);
      buf_len_ = 0;
    }
    return Put(location, /*with_body=*/false);
  }

  // One PATCH: the buffered bytes from the registry's offset on, then fresh
  // source bytes until the source ends or (chunked) the chunk is full. In
  // chunked mode fresh bytes are kept in the buffer; in streaming mode they
  // are read straight into libcurl's buffer and not kept, and the chunked
  // transfer encoding carries a body whose size is not known in advance.
  Status SendPatch(std::string& location) {
    const size_t limit = streaming_ ? SIZE_MAX : std::max(static_cast<size_t>(t_.options().chunk_size), buf_len_);
    int64_t offset = buf_start_;  // where the registry is
    Backoff backoff(t_.options().backoff);
    for (int failures = 0;;) {
      Status source_error;
      auto make = [&] {
        // Streaming: a resend (after a failure, or after a 401 challenge
        // consumed the body) of bytes no longer held reads up to them again.
        if (offset < buf_start_) source_error = SkipTo(offset);
        int64_t p = offset;
        http::Request req;
        req.method = "PATCH";
        req.url = location;
        req.headers.emplace_back("Content-Type", "application/octet-stream");
        if (eof_) {  // the chunk's size is known: say so (OCI chunked upload)
          req.body_size = end() - p;
          req.headers.emplace_back("Content-Range", std::to_string(p) + "-" + std::to_string(end() - 1));
        }
        req.timeout = Duration(0);
        req.cancelled = [this] { return watch_.Stalled(); };
        req.upload_buffer_size = kUploadBuffer;
        req.body_reader = [this, p, limit, &source_error](char* out, size_t len) mutable -> int64_t {
          watch_.Touch();
          if (!source_error.ok() || p < buf_start_) return -1;
          if (p == end()) {
            if (eof_ || buf_len_ >= limit) return 0;
            char* dst = streaming_ ? out : buf_.get() + buf_len_;
            auto r = ReadSource(dst, std::min(len, limit - buf_len_));
            if (!r.ok()) {
              source_error = r.status();
              return -1;
            }
            if (*r == 0) return 0;
            if (streaming_) {  // the buffer now holds nothing from before
              buf_start_ = end() + static_cast<int64_t>(*r);
              buf_len_ = 0;
              p += static_cast<int64_t>(*r);
              result_.bytes_sent += static_cast<int64_t>(*r);
              return static_cast<int64_t>(*r);
            }
            buf_len_ += *r;
          }
          size_t n = std::min(len, static_cast<size_t>(end() - p));
          std::memcpy(out, buf_.get() + (p - buf_start_), n);
          p += static_cast<int64_t>(n);
          result_.bytes_sent += static_cast<int64_t>(n);
          return static_cast<int64_t>(n);
        };
        watch_.Touch();
        return req;
      };
      auto resp = t_.Send(make, scope_, Retry::kNone);
      if (!source_error.ok()) {
        c_.CancelUpload(location, scope_);
        return source_error;
      }
      if (resp.ok() && resp->status == 202) {
        location = t_.Resolve(resp->Header("location"));
        int64_t at = RangeEnd(*resp);
        if (at < 0 || at == end()) return Status::Ok();
        if ((at < buf_start_ && !streaming_) || at > end()) {
          return Lost("the registry acknowledged an unexpected range");
        }
        offset = at;  // it kept less than we sent; send the rest
        continue;
      }
      if (resp.ok() && resp->status != 416 && resp->status < 500) return t_.ErrorFor(*resp, What());
      Status failure = resp.ok() ? t_.ErrorFor(*resp, What()) : resp.status();
      if (!resp.ok() && watch_.Stalled()) failure = Status::DeadlineExceeded(What() + ": no progress");
      if (!resp.ok() && !RetryableTransportError(resp.status())) return failure;
      if (++failures >= t_.options().max_attempts) return failure.Annotate("giving up after retries");
      t_.SleepBeforeRetry(backoff);
      ASSIGN_OR_RETURN(offset, QueryOffset(location));
      ++result_.resumes;
      if (offset == end() && (eof_ || buf_len_ >= limit)) return Status::Ok();  // it had it all
    }
  }

  // Streaming: rewinds the source and reads (and hashes) it again up to
  // `offset`, so that the next byte read is the one at `offset`.
  Status SkipTo(int64_t offset) {
    if (!source_.Rewind()) {
      return Status::Unavailable(What() + ": the registry needs the upload continued at byte " +
                                 std::to_string(offset) + " and the source cannot be read again");
    }
    hasher_.Reset();
    buf_start_ = 0;
    buf_len_ = 0;
    eof_ = false;
    while (buf_start_ < offset) {
      const auto want = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(cap_), offset - buf_start_));
      ASSIGN_OR_RETURN(size_t n, ReadSource(buf_.get(), want));
      if (n == 0) return Status::Internal(What() + ": the source ended early when read again");
      buf_start_ += static_cast<int64_t>(n);
    }
    return Status::Ok();
  }

  // Asks the registry where the upload stands (GET on the upload URL).
  // Returns the next byte to send (updating `location`), or marks the session lost.
  Result<int64_t> QueryOffset(std::string& location) {
    auto make = [&] {
      http::Request req;
      req.url = location;
      req.timeout = t_.options().request_timeout;
      return req;
    };
    ASSIGN_OR_RETURN(http::Response resp, t_.Send(make, scope_, Retry::kIdempotent));
    if (resp.status != 204 && resp.status != 202 && resp.status != 200) {
      return Lost("upload status: " + t_.ErrorFor(resp, "GET upload").message());
    }
    std::string range = resp.Header("range");
    int64_t at = RangeEnd(resp);
    // "0-0" means 0 or 1 bytes; only ambiguous if we cannot tell from what
    // was acknowledged (in streaming mode nothing is before the end).
    if (range == "0-0" && (streaming_ || buf_start_ == 0)) return Lost("ambiguous upload range 0-0");
    if (at < 0) at = 0;
    if ((at < buf_start_ && !streaming_) || at > end()) {
      return Lost("registry is at byte " + std::to_string(at) + ", outside the buffered chunk [" +
                  std::to_string(buf_start_) + ", " + std::to_string(end()) + "]");
    }
    if (!resp.Header("location").empty()) location = t_.Resolve(resp.Header("location"));
    return at;
  }

  // The final PUT ?digest=, carrying the whole blob when with_body.
  Status Put(const std::string& location, bool with_body) {
    const std::string digest = hasher_.Digest();
    result_.digest = digest;
    result_.size = end();
    if (!opts_.digest.empty() && opts_.digest != digest) {
      c_.CancelUpload(location, scope_);
      return Status::Internal(What() + ": digest mismatch: expected " + opts_.digest + ", the source produced " +
                              digest);
    }
    std::string url = location + (location.find('?') == std::string::npos ? "?" : "&") +
                      "digest=" + http::UrlEncode(digest);
    Backoff backoff(t_.options().backoff);
    for (int attempt = 1;; ++attempt) {
      auto make = [&] {
        http::Request req;
        req.method = "PUT";
        req.url = url;
        req.headers.emplace_back("Content-Type", "application/octet-stream");
        req.timeout = Duration(0);
        req.cancelled = [this] { return watch_.Stalled(); };
        req.upload_buffer_size = kUploadBuffer;
        size_t p = 0;
        req.body_size = with_body ? static_cast<int64_t>(buf_len_) : 0;
        req.body_reader = [this, p, with_body](char* out, size_t len) mutable -> int64_t {
          watch_.Touch();
          if (!with_body) return 0;
          size_t n = std::min(len, buf_len_ - p);
          std::memcpy(out, buf_.get() + p, n);
          p += n;
          result_.bytes_sent += static_cast<int64_t>(n);
          return static_cast<int64_t>(n);
        };
        watch_.Touch();
        return req;
      };
      auto resp = t_.Send(make, scope_, Retry::kNone);
      if (resp.ok() && (resp->status == 201 || resp->status == 204)) {
        std::string got = resp->Header("docker-content-digest");
        if (!got.empty() && got != digest) {
          return Status::Internal(What() + ": digest mismatch: sent " + digest + ", registry stored " + got);
        }
        return Status::Ok();
      }
      if (resp.ok() && resp->status == 400) {
        Status s = t_.ErrorFor(*resp, What());
        if (s.message().find("DIGEST_INVALID") != std::string::npos) {
          return Status::Internal(What() + ": digest mismatch: the registry did not receive the bytes of " + digest +
                                  " (" + s.message() + ")");
        }
        return s;
      }
      if (resp.ok() && resp->status == 404) return Lost("the upload session is gone");
      if (resp.ok() && resp->status < 500) return t_.ErrorFor(*resp, What());
      // Connection error or 5xx: the PUT may have landed anyway.
      auto stat = c_.StatBlob(repo_, digest);
      if (stat.ok() && stat->has_value()) return Status::Ok();
      if (attempt >= t_.options().max_attempts) {
        return resp.ok() ? t_.ErrorFor(*resp, What()) : resp.status().Annotate(What());
      }
      t_.SleepBeforeRetry(backoff);
      if (with_body) return Lost("monolithic upload failed");  // the session state is unknown: start over
    }
  }

  // End of the "Range: 0-<last>" header as the next byte to send, or -1.
  static int64_t RangeEnd(const http::Response& resp) {
    std::string r = resp.Header("range");
    auto dash = r.find('-');
    if (dash == std::string::npos) return -1;
    try {
      return std::stoll(r.substr(dash + 1)) + 1;
    } catch (...) {
      return -1;
    }
  }

  Status Lost(const std::string& why) {
    session_lost_ = true;
    return Status::Unavailable(What() + ": upload session lost: " + why);
  }

  RegistryClient& c_;
  Transport& t_;
  const std::string& repo_;
  const std::string scope_;
  BlobSource& source_;
  const UploadOptions& opts_;
  const bool streaming_;  // one PATCH from a rewindable source
  const size_t cap_;
  std::unique_ptr<char[]> buf_;
  size_t buf_len_ = 0;
  int64_t buf_start_ = 0;  // absolute offset of buf_[0]; everything before is acknowledged
  bool eof_ = false;
  bool session_lost_ = false;
  Sha256Hasher hasher_;
  StallWatch watch_;
  UploadResult result_;
};

Result<UploadResult> RegistryClient::UploadBlob(const std::string& repo, BlobSource& source,
                                                const UploadOptions& opts) {
  RETURN_IF_ERROR(ValidateRepository(repo));
  if (!opts.digest.empty()) RETURN_IF_ERROR(ValidateDigest(opts.digest));
  std::string scope = RepositoryScope(repo, "pull,push");
  if (!opts.mount_from.empty()) {
    RETURN_IF_ERROR(ValidateRepository(opts.mount_from));
    if (opts.digest.empty()) return Status::InvalidArgument("upload to " + repo + ": mount_from needs a digest");
    scope += " " + RepositoryScope(opts.mount_from, "pull");
  }
  std::string location;
  if (!opts.digest.empty()) {
    if (!opts.mount_from.empty()) {
      ASSIGN_OR_RETURN(UploadStart start, StartUpload(repo, scope, opts.digest, opts.mount_from));
      if (start.mounted) {
        UploadResult r;
        r.digest = opts.digest;
        r.mounted = true;
        auto stat = StatBlob(repo, opts.digest);
        if (stat.ok() && stat->has_value()) r.size = (*stat)->size;
        return r;
      }
      location = start.location;  // the registry opened a session instead; use it
    }
    ASSIGN_OR_RETURN(std::optional<Descriptor> existing, StatBlob(repo, opts.digest));
    if (existing) {
      if (!location.empty()) CancelUpload(location, scope);
      UploadResult r;
      r.digest = opts.digest;
      r.size = existing->size;
      r.existed = true;
      return r;
    }
  }
  Uploader up(*this, repo, scope, source, opts);
  return up.Run(location);
}

}  // namespace kbr::registry::internal
