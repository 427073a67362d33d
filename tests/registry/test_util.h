// Helpers for the registry integration tests: generated blob data, http::Client
// wrappers that count or break traffic (the registry itself is always real),
// and a small OCI image push/pull.
#pragma once

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/http.h"
#include "registry/registry.h"
#include "registry/registry_server.h"

namespace kbr::registry::testing {

// `size` deterministic pseudo-random bytes from `seed`, generated on the fly.
class GeneratedSource final : public BlobSource {
 public:
  GeneratedSource(int64_t size, uint64_t seed, bool rewindable = true)
      : size_(size), seed_(seed), state_(seed | 1), rewindable_(rewindable) {}
  Result<size_t> Read(char* buf, size_t len) override;
  bool Rewind() override;
  bool rewindable() const override { return rewindable_; }
  int64_t reads_from_start() const { return starts_; }

 private:
  int64_t size_, pos_ = 0;
  uint64_t seed_, state_;
  bool rewindable_;
  int64_t starts_ = 1;
  uint64_t word_ = 0;
  int word_left_ = 0;
};

// Passes everything to `inner`; subclasses override what they want to watch.
class WrappingClient : public http::Client {
 public:
  explicit WrappingClient(std::shared_ptr<http::Client> inner) : inner_(std::move(inner)) {}
  Result<http::Response> Do(const http::Request& req) override { return inner_->Do(req); }
  Result<http::Response> Stream(const http::Request& req, const http::ChunkHandler& h) override {
    return inner_->Stream(req, h);
  }

 protected:
  std::shared_ptr<http::Client> inner_;
};

// Counts request body bytes handed to the transport, and remembers requests.
class CountingClient final : public WrappingClient {
 public:
  using WrappingClient::WrappingClient;
  Result<http::Response> Do(const http::Request& req) override;
  Result<http::Response> Stream(const http::Request& req, const http::ChunkHandler& h) override;
  int64_t body_bytes() const { return body_bytes_; }
  std::vector<std::string> Requests() const;  // "METHOD /path" without query
  void Reset();

 private:
  http::Request Wrap(const http::Request& req);
  std::atomic<int64_t> body_bytes_{0};
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
};

// Drops the connection of the PATCH during which the total of PATCH body
// bytes passes `fail_after`: the body stops there (curl aborts the request,
// the server sees the connection close), once.
class DroppingClient final : public WrappingClient {
 public:
  DroppingClient(std::shared_ptr<http::Client> inner, int64_t fail_after)
      : WrappingClient(std::move(inner)), fail_after_(fail_after) {}
  Result<http::Response> Do(const http::Request& req) override;
  bool fired() const { return fired_; }

 private:
  int64_t fail_after_;
  int64_t sent_ = 0;
  bool fired_ = false;
};

// Emulates a registry that pages tags with n/last and a Link header, in front
// of docker-registry 2.8 (which ignores n and last).
class PagingClient final : public WrappingClient {
 public:
  using WrappingClient::WrappingClient;
  Result<http::Response> Do(const http::Request& req) override;
  int pages_served = 0;
};

std::shared_ptr<http::Client> CurlClientTrusting(const RegistryServer& server);
RegistryOptions OptionsFor(const RegistryServer& server);

// A single-layer OCI image: the layer from `layer`, a config naming it.
struct PushedImage {
  std::string manifest_digest;
  std::string layer_digest;
  int64_t layer_size = 0;
  std::string config_digest;
  std::string manifest;
};
Result<PushedImage> PushImage(Registry& reg, const std::string& repo, const std::string& tag, BlobSource& layer,
                              const UploadOptions& layer_opts = {});
// Pulls repo:tag, verifying every digest; the layer bytes go to `sink`.
// Returns the layer size.
Result<int64_t> PullImage(Registry& reg, const std::string& repo, const std::string& tag, const BlobSink& sink);

// A sink comparing the pulled bytes with a regenerated GeneratedSource.
class CompareSink {
 public:
  CompareSink(int64_t size, uint64_t seed) : expected_(size, seed) {}
  Status operator()(std::string_view data);
  int64_t compared() const { return compared_; }

 private:
  GeneratedSource expected_;
  std::string buf_;
  int64_t compared_ = 0;
};

}  // namespace kbr::registry::testing
