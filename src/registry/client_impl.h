// Internal to src/registry: the Registry implementation. Its methods are
// defined by concern: client.cpp (ping, blob reads, mount, factory),
// upload.cpp (blob uploads), manifest.cpp (manifests and tags).
#pragma once

#include <memory>
#include <string>

#include "registry/registry.h"
#include "registry/transport.h"

namespace kbr::registry::internal {

class Uploader;

class RegistryClient final : public Registry {
 public:
  RegistryClient(std::shared_ptr<http::Client> http, Endpoint endpoint, const RegistryOptions& opts, Clock& clock)
      : t_(std::move(http), std::move(endpoint), opts, clock) {}

  const Endpoint& endpoint() const override { return t_.endpoint(); }
  PingResult Ping() override;
  Result<std::optional<Descriptor>> StatBlob(const std::string& repo, const std::string& digest) override;
  Result<bool> MountBlob(const std::string& repo, const std::string& digest, const std::string& from_repo) override;
  Result<UploadResult> UploadBlob(const std::string& repo, BlobSource& source, const UploadOptions& opts) override;
  Result<int64_t> PullBlob(const std::string& repo, const std::string& digest, const BlobSink& sink,
                           int64_t expected_size) override;
  Result<std::string> FetchBlob(const std::string& repo, const std::string& digest, int64_t max_size) override;
  Result<std::string> PutManifest(const std::string& repo, const std::string& reference, std::string_view media_type,
                                  std::string_view body) override;
  Result<Manifest> GetManifest(const std::string& repo, const std::string& reference) override;
  Result<std::optional<Descriptor>> StatManifest(const std::string& repo, const std::string& reference) override;
  Status DeleteManifest(const std::string& repo, const std::string& reference) override;
  Result<TagPage> ListTagsPage(const std::string& repo, int n, const std::string& last) override;
  Result<std::vector<std::string>> ListTags(const std::string& repo, int page_size) override;

 private:
  friend class Uploader;  // upload.cpp
  struct UploadStart {
    bool mounted = false;  // 201: the mount succeeded, no session
    std::string location;  // 202: the absolute URL of the new upload session
  };
  // POST /v2/<repo>/blobs/uploads/ (with ?mount=&from= when mount_digest is set).
  Result<UploadStart> StartUpload(const std::string& repo, const std::string& scope,
                                  const std::string& mount_digest, const std::string& from_repo);
  // DELETE an upload session; best effort.
  void CancelUpload(const std::string& location, const std::string& scope);

  Transport t_;
};

}  // namespace kbr::registry::internal
