// FakeRegistry: an in-memory registry::Registry for unit tests of code that
// pushes or pulls images (blobs, manifests and tags; no auth, no network).
// Verifies digests like the real client (PullBlob hashes what it delivers).
// Faults: CorruptBlob flips a stored byte; lose_session_after makes the
// next upload "lose its session" once after that many bytes, so the client
// must Rewind the source. Thread-safe (one lock).
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <string>

#include "registry/digest.h"
#include "registry/reference.h"
#include "registry/registry.h"

namespace kbr::checkpoint::testing {

class FakeRegistry final : public registry::Registry {
 public:
  FakeRegistry() { endpoint_.host = "fake.registry:5000"; }

  const registry::Endpoint& endpoint() const override { return endpoint_; }
  registry::PingResult Ping() override { return {}; }

  Result<std::optional<registry::Descriptor>> StatBlob(const std::string&, const std::string& digest) override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = blobs_.find(digest);
    if (it == blobs_.end()) return std::optional<registry::Descriptor>();
    return std::optional<registry::Descriptor>(
        registry::Descriptor{"", digest, static_cast<int64_t>(it->second.size())});
  }
  Result<bool> MountBlob(const std::string&, const std::string&, const std::string&) override { return false; }

  Result<registry::UploadResult> UploadBlob(const std::string& repo, registry::BlobSource& source,
                                            const registry::UploadOptions& opts) override {
    RETURN_IF_ERROR(registry::ValidateRepository(repo));
    registry::UploadResult r;
    if (!opts.digest.empty()) {
      std::lock_guard<std::mutex> l(mu_);
      if (blobs_.count(opts.digest)) {
        r.digest = opts.digest;
        r.size = static_cast<int64_t>(blobs_[opts.digest].size());
        r.existed = true;
        return r;
      }
    }
    std::string data;
    char buf[65536];
    int64_t lose_after = lose_session_after;
    lose_session_after = -1;
    for (;;) {
      ASSIGN_OR_RETURN(size_t n, source.Read(buf, sizeof buf));
      if (n == 0) break;
      data.append(buf, n);
      if (lose_after >= 0 && static_cast<int64_t>(data.size()) >= lose_after) {
        lose_after = -1;
        if (!source.Rewind()) return Status::Unavailable("fake: session lost and the source cannot rewind");
        data.clear();
        ++r.restarts;
      }
    }
    r.digest = registry::DigestOf(data);
    r.size = static_cast<int64_t>(data.size());
    r.bytes_sent = r.size;
    if (!opts.digest.empty() && opts.digest != r.digest) return Status::Internal("fake: digest mismatch");
    std::lock_guard<std::mutex> l(mu_);
    blobs_[r.digest] = std::move(data);
    ++uploads;
    return r;
  }

  Result<int64_t> PullBlob(const std::string&, const std::string& digest, const registry::BlobSink& sink,
                           int64_t expected_size) override {
    std::string data;
    {
      std::lock_guard<std::mutex> l(mu_);
      auto it = blobs_.find(digest);
      if (it == blobs_.end()) return Status::NotFound("fake: blob " + digest + " not found");
      data = it->second;
    }
    registry::Sha256Hasher h;
    for (size_t off = 0; off < data.size(); off += 65536) {
      std::string_view piece = std::string_view(data).substr(off, 65536);
      h.Update(piece);
      RETURN_IF_ERROR(sink(piece));
    }
    if (h.Digest() != digest) {
      return Status::Internal("blob " + digest + ": digest mismatch: expected " + digest + ", got " + h.Digest());
    }
    if (expected_size >= 0 && expected_size != static_cast<int64_t>(data.size())) {
      return Status::Internal("blob " + digest + ": size mismatch");
    }
    return static_cast<int64_t>(data.size());
  }

  Result<std::string> FetchBlob(const std::string& repo, const std::string& digest, int64_t) override {
    std::string out;
    ASSIGN_OR_RETURN(int64_t n, PullBlob(repo, digest, [&](std::string_view d) {
      out.append(d);
      return Status::Ok();
    }, -1));
    (void)n;
    return out;
  }

  Result<std::string> PutManifest(const std::string& repo, const std::string& reference, std::string_view media_type,
                                  std::string_view body) override {
    RETURN_IF_ERROR(registry::ValidateManifestReference(reference));
    std::lock_guard<std::mutex> l(mu_);
    std::string digest = registry::DigestOf(body);
    manifests_[repo + "@" + digest] = {std::string(media_type), digest, std::string(body)};
    if (!registry::IsDigest(reference)) tags_[repo + ":" + reference] = digest;
    ++manifest_puts;
    return digest;
  }

  Result<registry::Manifest> GetManifest(const std::string& repo, const std::string& reference) override {
    std::lock_guard<std::mutex> l(mu_);
    std::string digest = reference;
    if (!registry::IsDigest(reference)) {
      auto t = tags_.find(repo + ":" + reference);
      if (t == tags_.end()) return Status::NotFound("fake: manifest " + repo + ":" + reference + " not found");
      digest = t->second;
    }
    auto it = manifests_.find(repo + "@" + digest);
    if (it == manifests_.end()) return Status::NotFound("fake: manifest " + repo + "@" + digest + " not found");
    if (registry::DigestOf(it->second.body) != digest) {
      return Status::Internal("manifest " + digest + ": digest mismatch");
    }
    return it->second;
  }

  Result<std::optional<registry::Descriptor>> StatManifest(const std::string& repo,
                                                           const std::string& reference) override {
    auto m = GetManifest(repo, reference);
    if (!m.ok() && m.status().code() == StatusCode::kNotFound) return std::optional<registry::Descriptor>();
    if (!m.ok()) return m.status();
    return std::optional<registry::Descriptor>(
        registry::Descriptor{m->media_type, m->digest, static_cast<int64_t>(m->body.size())});
  }

  Status DeleteManifest(const std::string&, const std::string&) override { return Status::Unimplemented("fake"); }
  Result<registry::TagPage> ListTagsPage(const std::string&, int, const std::string&) override {
    return Status::Unimplemented("fake");
  }
  Result<std::vector<std::string>> ListTags(const std::string&, int) override { return Status::Unimplemented("fake"); }

  // Test hooks.
  void CorruptBlob(const std::string& digest, size_t at = 0) {
    std::lock_guard<std::mutex> l(mu_);
    std::string& b = blobs_.at(digest);
    b[std::min(at, b.size() - 1)] ^= 0x5a;
  }
  void SetBlob(const std::string& digest, std::string data) {
    std::lock_guard<std::mutex> l(mu_);
    blobs_[digest] = std::move(data);
  }
  std::string Blob(const std::string& digest) {
    std::lock_guard<std::mutex> l(mu_);
    return blobs_.at(digest);
  }
  std::string TagDigest(const std::string& repo, const std::string& tag) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = tags_.find(repo + ":" + tag);
    return it == tags_.end() ? "" : it->second;
  }

  int64_t lose_session_after = -1;
  int uploads = 0;
  int manifest_puts = 0;

 private:
  registry::Endpoint endpoint_;
  std::mutex mu_;
  std::map<std::string, std::string> blobs_;
  std::map<std::string, registry::Manifest> manifests_;
  std::map<std::string, std::string> tags_;
};

}  // namespace kbr::checkpoint::testing
