// Retries: connection errors and 5xx are retried with backoff, 4xx and TLS
// failures are not. Faults are injected in the transport; the registry is real.
#include <gtest/gtest.h>

#include "core/fake_clock.h"
#include "registry/digest.h"
#include "registry/test_util.h"

namespace kbr::registry::testing {
namespace {

// Fails the requests `fail` selects: with a connection error, or with a 503
// answered without reaching the registry. Counts every request.
class FlakyClient final : public WrappingClient {
 public:
  enum class Mode { kConnectionError, kServerError };
  FlakyClient(std::shared_ptr<http::Client> inner, Mode mode, std::function<bool(const http::Request&)> fail)
      : WrappingClient(std::move(inner)), mode_(mode), fail_(std::move(fail)) {}
  Result<http::Response> Do(const http::Request& req) override {
    ++requests;
    if (fail_(req)) {
      ++failed;
      if (mode_ == Mode::kConnectionError) return Status::Unavailable(req.method + " 127.0.0.1: connection reset");
      http::Response r;
      r.status = 503;
      r.body = R"({"errors":[{"code":"UNAVAILABLE","message":"try later"}]})";
      return r;
    }
    return inner_->Do(req);
  }
  Result<http::Response> Stream(const http::Request& req, const http::ChunkHandler& h) override {
    if (!fail_(req)) {
      ++requests;
      return inner_->Stream(req, h);
    }
    ++requests;
    ++failed;
    if (mode_ == Mode::kConnectionError) return Status::Unavailable(req.method + " 127.0.0.1: connection reset");
    http::Response r;
    r.status = 503;
    h(R"({"errors":[{"code":"UNAVAILABLE","message":"try later"}]})");  // error bodies stream too
    return r;
  }
  int requests = 0;
  int failed = 0;

 private:
  Mode mode_;
  std::function<bool(const http::Request&)> fail_;
};

class RetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string err;
    server_ = SharedServer(&err);
    ASSERT_NE(server_, nullptr) << err;
    auto reg = NewRegistry(OptionsFor(*server_));
    ASSERT_TRUE(reg.ok());
    GeneratedSource src(4096, 51);
    auto up = (*reg)->UploadBlob("retry/repo", src);
    ASSERT_TRUE(up.ok()) << up.status().ToString();
    digest_ = up->digest;
  }
  std::unique_ptr<Registry> Make(std::shared_ptr<http::Client> http, RegistryOptions o = {}) {
    if (o.url.empty()) o = OptionsFor(*server_);
    return std::move(NewRegistry(o, std::move(http), clock_)).value();
  }
  RegistryServer* server_ = nullptr;
  std::string digest_;
  FakeClock clock_;
};

TEST_F(RetryTest, ConnectionErrorsAreRetriedWithBackoff) {
  int n = 0;
  auto flaky = std::make_shared<FlakyClient>(CurlClientTrusting(*server_), FlakyClient::Mode::kConnectionError,
                                             [&n](const http::Request&) { return n++ < 2; });
  auto reg = Make(flaky);
  auto stat = reg->StatBlob("retry/repo", digest_);
  ASSERT_TRUE(stat.ok()) << stat.status().ToString();
  EXPECT_TRUE(stat->has_value());
  EXPECT_EQ(flaky->failed, 2);
  EXPECT_GT(clock_.TotalSlept().count(), 0);
}

TEST_F(RetryTest, ServerErrorsAreRetried) {
  int n = 0;
  auto flaky = std::make_shared<FlakyClient>(CurlClientTrusting(*server_), FlakyClient::Mode::kServerError,
                                             [&n](const http::Request&) { return n++ < 3; });
  auto reg = Make(flaky);
  auto m = reg->FetchBlob("retry/repo", digest_);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->size(), 4096u);
  EXPECT_EQ(flaky->failed, 3);
}

TEST_F(RetryTest, GivesUpAfterMaxAttempts) {
  auto flaky = std::make_shared<FlakyClient>(CurlClientTrusting(*server_), FlakyClient::Mode::kServerError,
                                             [](const http::Request&) { return true; });
  RegistryOptions o = OptionsFor(*server_);
  o.max_attempts = 4;
  auto reg = Make(flaky, o);
  auto stat = reg->StatBlob("retry/repo", digest_);
  EXPECT_EQ(stat.status().code(), StatusCode::kUnavailable) << stat.status().ToString();
  EXPECT_EQ(flaky->requests, 4);
}

TEST_F(RetryTest, ClientErrorsAreNotRetried) {
  auto counting = std::make_shared<CountingClient>(CurlClientTrusting(*server_));
  auto reg = Make(counting);
  ASSERT_TRUE(reg->Ping().ok());  // learn the auth scheme first
  counting->Reset();
  auto m = reg->GetManifest("retry/repo", "no-such-tag");
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(counting->Requests().size(), 1u);
  EXPECT_EQ(clock_.TotalSlept().count(), 0);
}

TEST_F(RetryTest, TlsFailuresAreNotRetried) {
  auto counting = std::make_shared<CountingClient>(std::shared_ptr<http::Client>(http::NewCurlClient({}).value()));
  auto reg = Make(counting);
  auto stat = reg->StatBlob("retry/repo", digest_);
  EXPECT_EQ(stat.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(stat.status().message().find("TLS"), std::string::npos) << stat.status().ToString();
  EXPECT_EQ(counting->Requests().size(), 1u);
}

TEST_F(RetryTest, ServerErrorOnAChunkResumesFromTheRegistryRange) {
  int patches = 0;
  auto flaky = std::make_shared<FlakyClient>(CurlClientTrusting(*server_), FlakyClient::Mode::kServerError,
                                             [&patches](const http::Request& r) {
                                               return r.method == "PATCH" && ++patches == 2;
                                             });
  RegistryOptions o = OptionsFor(*server_);
  o.chunk_size = 1 << 20;
  o.monolithic_max = 0;
  auto reg = Make(flaky, o);
  GeneratedSource src((3 << 20) + 7, 52, /*rewindable=*/false);
  auto up = reg->UploadBlob("retry/chunks", src);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->resumes, 1);
  EXPECT_EQ(up->restarts, 0);
  CompareSink compare((3 << 20) + 7, 52);
  ASSERT_TRUE(reg->PullBlob("retry/chunks", up->digest, std::ref(compare), (3 << 20) + 7).ok());
}

// Cuts the first blob download after `after` bytes with a connection error.
class CutDownloadClient final : public WrappingClient {
 public:
  CutDownloadClient(std::shared_ptr<http::Client> inner, int64_t after)
      : WrappingClient(std::move(inner)), after_(after) {}
  Result<http::Response> Stream(const http::Request& req, const http::ChunkHandler& h) override {
    ++gets;
    if (cut_ || req.url.find("/blobs/") == std::string::npos) return inner_->Stream(req, h);
    int64_t seen = 0;
    auto resp = inner_->Stream(req, [&](std::string_view chunk) {
      if (seen + static_cast<int64_t>(chunk.size()) > after_) {
        chunk = chunk.substr(0, static_cast<size_t>(after_ - seen));
        h(chunk);
        cut_ = true;
        return false;
      }
      seen += static_cast<int64_t>(chunk.size());
      return h(chunk);
    });
    if (cut_) return Status::Unavailable("GET 127.0.0.1: connection reset by peer");
    return resp;
  }
  int gets = 0;

 private:
  int64_t after_;
  bool cut_ = false;
};

TEST_F(RetryTest, DroppedDownloadContinuesWithoutDuplicatingBytes) {
  auto reg0 = Make(CurlClientTrusting(*server_));
  const int64_t size = (3 << 20) + 5;
  GeneratedSource src(size, 53);
  auto up = reg0->UploadBlob("retry/download", src);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  auto cut = std::make_shared<CutDownloadClient>(CurlClientTrusting(*server_), 1 << 20);
  auto reg = Make(cut);
  CompareSink compare(size, 53);
  auto n = reg->PullBlob("retry/download", up->digest, std::ref(compare), size);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, size);
  EXPECT_EQ(compare.compared(), size);
  EXPECT_GE(cut->gets, 2);
}

}  // namespace
}  // namespace kbr::registry::testing
