// Streamed uploads against an in-memory upload endpoint that, unlike
// docker-registry 2.8, keeps the bytes of an interrupted PATCH and reports
// them in the upload's Range: the client must continue from that offset by
// rewinding the source, not start over.
#include <gtest/gtest.h>

#include <mutex>

#include "core/fake_clock.h"
#include "registry/digest.h"
#include "registry/registry.h"

namespace kbr::registry {
namespace {

class UploadEndpoint final : public http::Client {
 public:
  explicit UploadEndpoint(int64_t drop_after) : drop_after_(drop_after) {}

  Result<http::Response> Do(const http::Request& req) override {
    std::lock_guard<std::mutex> l(mu_);
    const std::string path = req.url.substr(req.url.find('/', 8));
    requests.push_back(req.method + " " + path.substr(0, path.find('?')));
    http::Response r;
    if (req.method == "POST") {
      r.status = 202;
      r.headers.emplace_back("location", "/upload/1");
    } else if (req.method == "PATCH") {
      patch_offsets.push_back(static_cast<int64_t>(data.size()));
      char buf[65536];
      for (;;) {
        int64_t n = req.body_reader(buf, sizeof buf);
        if (n < 0) return Status::Unavailable("PATCH fake: aborted by the client");
        if (n == 0) break;
        data.append(buf, static_cast<size_t>(n));
        if (drop_after_ >= 0 && static_cast<int64_t>(data.size()) >= drop_after_) {
          data.resize(static_cast<size_t>(drop_after_));  // what reached the disk before the drop
          drop_after_ = -1;
          return Status::Unavailable("PATCH fake: connection reset by peer");
        }
      }
      r.status = 202;
      r.headers.emplace_back("location", "/upload/1");
      r.headers.emplace_back("range", RangeHeader());
    } else if (req.method == "GET") {
      r.status = 204;
      r.headers.emplace_back("range", RangeHeader());
    } else if (req.method == "PUT") {
      const bool match = req.url.find("digest=" + http::UrlEncode(DigestOf(data))) != std::string::npos;
      r.status = match ? 201 : 400;
      if (!match) r.body = R"({"errors":[{"code":"DIGEST_INVALID","message":"digest did not match"}]})";
    } else {
      r.status = 204;
    }
    return r;
  }
  Result<http::Response> Stream(const http::Request& req, const http::ChunkHandler&) override { return Do(req); }

  std::vector<std::string> requests;
  std::vector<int64_t> patch_offsets;  // bytes held when each PATCH began
  std::string data;

 private:
  std::string RangeHeader() const { return "0-" + std::to_string(data.empty() ? 0 : data.size() - 1); }
  std::mutex mu_;
  int64_t drop_after_;
};

// A StringSource that counts its rewinds and may refuse them.
class CountingSource final : public BlobSource {
 public:
  CountingSource(std::string_view data, bool can_rewind) : inner_(data), can_rewind_(can_rewind) {}
  Result<size_t> Read(char* buf, size_t len) override { return inner_.Read(buf, len); }
  bool Rewind() override {
    ++rewinds;
    return can_rewind_ && inner_.Rewind();
  }
  bool rewindable() const override { return true; }
  int rewinds = 0;

 private:
  StringSource inner_;
  bool can_rewind_;
};

std::string Pattern(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 2654435761u) >> 13);
  return s;
}

std::unique_ptr<Registry> Connect(std::shared_ptr<http::Client> http, Clock& clock) {
  RegistryOptions o;
  o.url = "https://registry.test";
  o.monolithic_max = 64 << 10;
  auto reg = NewRegistry(o, std::move(http), clock);
  EXPECT_TRUE(reg.ok()) << reg.status().ToString();
  return std::move(reg).value();
}

TEST(StreamedUpload, ContinuesFromTheRegistryRangeByReadingTheSourceAgain) {
  const std::string blob = Pattern((3 << 20) + 17);
  const int64_t drop_at = (1 << 20) + 5000;
  auto endpoint = std::make_shared<UploadEndpoint>(drop_at);
  FakeClock clock;
  auto reg = Connect(endpoint, clock);
  CountingSource src(blob, /*can_rewind=*/true);
  auto up = reg->UploadBlob("stream/resume", src);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->digest, DigestOf(blob));
  EXPECT_EQ(up->size, static_cast<int64_t>(blob.size()));
  EXPECT_EQ(up->resumes, 1);
  EXPECT_EQ(up->restarts, 0);
  EXPECT_EQ(src.rewinds, 1);
  EXPECT_EQ(endpoint->data, blob);
  std::vector<std::string> want = {"POST /v2/stream/resume/blobs/uploads/", "PATCH /upload/1", "GET /upload/1",
                                   "PATCH /upload/1", "PUT /upload/1"};
  EXPECT_EQ(endpoint->requests, want);
  ASSERT_EQ(endpoint->patch_offsets.size(), 2u);
  EXPECT_EQ(endpoint->patch_offsets[1], drop_at);  // continued where the registry was
}

TEST(StreamedUpload, FailsClearlyWhenTheSourceCannotBeReadAgain) {
  const std::string blob = Pattern(2 << 20);
  auto endpoint = std::make_shared<UploadEndpoint>(1 << 20);
  FakeClock clock;
  auto reg = Connect(endpoint, clock);
  CountingSource src(blob, /*can_rewind=*/false);
  auto up = reg->UploadBlob("stream/norewind", src);
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(up.status().message().find("cannot be read again"), std::string::npos) << up.status().ToString();
}

}  // namespace
}  // namespace kbr::registry
