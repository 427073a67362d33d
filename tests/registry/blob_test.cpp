// Blob and image push/pull against a real docker-registry.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>

#include "registry/digest.h"
#include "registry/test_util.h"

namespace kbr::registry::testing {
namespace {

class BlobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string err;
    server_ = SharedServer(&err);
    ASSERT_NE(server_, nullptr) << err;
    counting_ = std::make_shared<CountingClient>(CurlClientTrusting(*server_));
    auto reg = NewRegistry(OptionsFor(*server_), counting_);
    ASSERT_TRUE(reg.ok()) << reg.status().ToString();
    reg_ = std::move(reg).value();
  }
  // A client with 1 MiB chunks and a 256 KiB monolithic limit over `http`.
  std::unique_ptr<Registry> SmallChunkRegistry(std::shared_ptr<http::Client> http, bool stream_uploads = true) {
    RegistryOptions o = OptionsFor(*server_);
    o.stream_uploads = stream_uploads;
    o.chunk_size = 1 << 20;
    o.monolithic_max = 256 << 10;
    auto reg = NewRegistry(o, std::move(http));
    EXPECT_TRUE(reg.ok()) << reg.status().ToString();
    return std::move(reg).value();
  }
  RegistryServer* server_ = nullptr;
  std::shared_ptr<CountingClient> counting_;
  std::unique_ptr<Registry> reg_;
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Pushes a generated layer as an image, pulls it back comparing every byte.
void PushPullRoundTrip(Registry& reg, const std::string& repo, int64_t size, uint64_t seed) {
  GeneratedSource layer(size, seed);
  auto t0 = std::chrono::steady_clock::now();
  auto img = PushImage(reg, repo, "v1", layer);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  double push_s = Seconds(t0);
  EXPECT_EQ(img->layer_size, size);

  CompareSink compare(size, seed);
  t0 = std::chrono::steady_clock::now();
  auto pulled = PullImage(reg, repo, "v1", std::ref(compare));
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  double pull_s = Seconds(t0);
  EXPECT_EQ(*pulled, size);
  EXPECT_EQ(compare.compared(), size);
  double mib = static_cast<double>(size) / (1 << 20);
  std::cout << "[ timing   ] " << repo << ": push " << push_s << " s (" << mib / push_s << " MiB/s), pull "
            << pull_s << " s (" << mib / pull_s << " MiB/s)\n";
}

TEST_F(BlobTest, PushPull1KiB) { PushPullRoundTrip(*reg_, "roundtrip/small", 1024, 1); }

TEST_F(BlobTest, PushPull50MiB) { PushPullRoundTrip(*reg_, "roundtrip/medium", 50 << 20, 2); }

TEST_F(BlobTest, SmallBlobIsOnePostAndOnePut) {
  GeneratedSource src(1000, 3);
  auto up = reg_->UploadBlob("shape/small", src);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  std::vector<std::string> want = {"POST /v2/shape/small/blobs/uploads/", "PUT /v2/shape/small/blobs/uploads/"};
  auto got = counting_->Requests();
  // The first request may be answered by a 401 challenge and re-sent.
  got.erase(std::unique(got.begin(), got.end()), got.end());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], want[0]);
  EXPECT_EQ(got[1].substr(0, want[1].size()), want[1]);
  EXPECT_EQ(up->bytes_sent, 1000);
}

TEST_F(BlobTest, LargeBlobGoesInChunks) {
  auto reg = SmallChunkRegistry(counting_, /*stream_uploads=*/false);
  GeneratedSource src((5 << 20) + 123, 4);
  auto up = reg->UploadBlob("shape/chunked", src);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  int patches = 0;
  for (const auto& r : counting_->Requests()) patches += r.rfind("PATCH ", 0) == 0;
  EXPECT_EQ(patches, 6);
  EXPECT_EQ(up->size, (5 << 20) + 123);
  auto stat = reg->StatBlob("shape/chunked", up->digest);
  ASSERT_TRUE(stat.ok() && stat->has_value());
  EXPECT_EQ((*stat)->size, (5 << 20) + 123);
}

// A rewindable source is streamed in one PATCH whatever chunk_size says,
// and the client holds only the first monolithic_max + 1 bytes.
TEST_F(BlobTest, LargeBlobFromARewindableSourceIsOnePatch) {
  auto reg = SmallChunkRegistry(counting_);
  const int64_t size = (5 << 20) + 123;
  GeneratedSource src(size, 4);
  auto up = reg->UploadBlob("shape/streamed", src);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  auto got = counting_->Requests();
  got.erase(std::unique(got.begin(), got.end()), got.end());  // a 401 challenge re-sends the POST
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "POST /v2/shape/streamed/blobs/uploads/");
  EXPECT_EQ(got[1].rfind("PATCH /v2/shape/streamed/blobs/uploads/", 0), 0u) << got[1];
  EXPECT_EQ(got[2].rfind("PUT /v2/shape/streamed/blobs/uploads/", 0), 0u) << got[2];
  EXPECT_EQ(up->size, size);
  EXPECT_EQ(up->bytes_sent, size);
  EXPECT_EQ(src.reads_from_start(), 1);
  CompareSink compare(size, 4);
  auto pulled = reg->PullBlob("shape/streamed", up->digest, std::ref(compare), size);
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  EXPECT_EQ(compare.compared(), size);
}

TEST_F(BlobTest, ExistingBlobIsNotUploadedAgain) {
  GeneratedSource src(2 << 20, 5);
  auto first = reg_->UploadBlob("dedup/a", src);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_GE(counting_->body_bytes(), 2 << 20);
  counting_->Reset();
  GeneratedSource again(2 << 20, 5);
  UploadOptions o;
  o.digest = first->digest;
  auto second = reg_->UploadBlob("dedup/a", again, o);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->existed);
  EXPECT_EQ(second->size, 2 << 20);
  EXPECT_EQ(counting_->body_bytes(), 0);
  for (const auto& r : counting_->Requests()) EXPECT_EQ(r.rfind("HEAD ", 0), 0u) << r;
}

TEST_F(BlobTest, CrossRepositoryMount) {
  GeneratedSource src(300 << 10, 6);
  auto up = reg_->UploadBlob("mount/source", src);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  counting_->Reset();
  auto mounted = reg_->MountBlob("mount/target1", up->digest, "mount/source");
  ASSERT_TRUE(mounted.ok()) << mounted.status().ToString();
  EXPECT_TRUE(*mounted);
  auto stat = reg_->StatBlob("mount/target1", up->digest);
  ASSERT_TRUE(stat.ok() && stat->has_value());

  // Through UploadBlob: mounted, nothing sent.
  GeneratedSource again(300 << 10, 6);
  UploadOptions o;
  o.digest = up->digest;
  o.mount_from = "mount/source";
  auto up2 = reg_->UploadBlob("mount/target2", again, o);
  ASSERT_TRUE(up2.ok()) << up2.status().ToString();
  EXPECT_TRUE(up2->mounted);
  EXPECT_EQ(up2->size, 300 << 10);
  EXPECT_EQ(counting_->body_bytes(), 0);

  // A mount of a blob the source repository lacks is declined.
  auto no = reg_->MountBlob("mount/target3", DigestOf("nope"), "mount/source");
  ASSERT_TRUE(no.ok()) << no.status().ToString();
  EXPECT_FALSE(*no);
}

TEST_F(BlobTest, MissingBlob) {
  auto stat = reg_->StatBlob("missing/repo", DigestOf("x"));
  ASSERT_TRUE(stat.ok()) << stat.status().ToString();
  EXPECT_FALSE(stat->has_value());
  auto pulled = reg_->PullBlob("missing/repo", DigestOf("x"), [](std::string_view) { return Status::Ok(); });
  EXPECT_EQ(pulled.status().code(), StatusCode::kNotFound) << pulled.status().ToString();
}

TEST_F(BlobTest, InvalidNamesAreRejectedBeforeSending) {
  StringSource src("x");
  EXPECT_EQ(reg_->UploadBlob("Bad/Name", src).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reg_->StatBlob("ok", "sha256:xyz").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(counting_->Requests().empty());
}

TEST_F(BlobTest, CorruptedBlobOnDiskFailsWithDigestMismatch) {
  GeneratedSource src(256 << 10, 7);
  auto up = reg_->UploadBlob("corrupt/repo", src);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  {
    std::fstream f(server_->BlobDataPath(up->digest), std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.is_open()) << server_->BlobDataPath(up->digest);
    f.seekg(1000);
    char c = 0;
    f.read(&c, 1);
    c ^= 0x5a;
    f.seekp(1000);
    f.write(&c, 1);
  }
  auto pulled = reg_->PullBlob("corrupt/repo", up->digest, [](std::string_view) { return Status::Ok(); });
  ASSERT_FALSE(pulled.ok());
  EXPECT_EQ(pulled.status().code(), StatusCode::kInternal);
  const std::string& msg = pulled.status().message();
  EXPECT_NE(msg.find("digest mismatch"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected " + up->digest), std::string::npos) << msg;
  EXPECT_NE(msg.find("got sha256:"), std::string::npos) << msg;
}

// A connection dropped between chunks (the PATCH dies before any body byte
// arrives): the registry keeps its offset, the client asks for the Range and
// continues the same session.
TEST_F(BlobTest, DroppedConnectionResumesFromTheRegistryRange) {
  auto dropping = std::make_shared<DroppingClient>(counting_, 2 << 20);
  auto reg = SmallChunkRegistry(dropping);
  const int64_t size = (5 << 20) + 4321;
  GeneratedSource src(size, 8, /*rewindable=*/false);
  auto up = reg->UploadBlob("resume/boundary", src);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_TRUE(dropping->fired());
  EXPECT_EQ(up->resumes, 1);
  EXPECT_EQ(up->restarts, 0);
  bool saw_status_query = false;
  for (const auto& r : counting_->Requests()) saw_status_query |= r.rfind("GET /v2/resume/boundary/blobs/uploads/", 0) == 0;
  EXPECT_TRUE(saw_status_query);
  GeneratedSource whole(size, 8);
  std::string expected(size, '\0');
  ASSERT_TRUE(whole.Read(expected.data(), size).ok());
  EXPECT_EQ(up->digest, DigestOf(expected));
  CompareSink compare(size, 8);
  auto pulled = reg->PullBlob("resume/boundary", up->digest, std::ref(compare), size);
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
}

// A connection dropped in the middle of a chunk. docker-registry 2.8 keeps the
// partial bytes but then refuses the session (its upload state no longer
// matches), so the client starts the upload over - from its buffer, or from a
// rewound source - and the digest is still right.
TEST_F(BlobTest, DroppedConnectionMidChunkStillUploadsTheRightBytes) {
  auto dropping = std::make_shared<DroppingClient>(counting_, (2 << 20) + (300 << 10));
  auto reg = SmallChunkRegistry(dropping);
  const int64_t size = (5 << 20) + 99;
  GeneratedSource src(size, 9, /*rewindable=*/true);
  auto up = reg->UploadBlob("resume/midchunk", src);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_TRUE(dropping->fired());
  EXPECT_GE(up->resumes + up->restarts, 1);
  std::cout << "[ info     ] mid-chunk drop: resumes=" << up->resumes << " restarts=" << up->restarts
            << " source passes=" << src.reads_from_start() << "\n";
  CompareSink compare(size, 9);
  auto pulled = reg->PullBlob("resume/midchunk", up->digest, std::ref(compare), size);
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  EXPECT_EQ(compare.compared(), size);
}

TEST_F(BlobTest, DroppedConnectionMidChunkWithAStreamOnlySourceFailsClearly) {
  auto dropping = std::make_shared<DroppingClient>(counting_, (2 << 20) + (300 << 10));
  auto reg = SmallChunkRegistry(dropping);
  GeneratedSource src((5 << 20) + 99, 10, /*rewindable=*/false);
  auto up = reg->UploadBlob("resume/stream", src);
  if (up.ok()) {
    // A registry that keeps the session resumes in place.
    EXPECT_EQ(up->restarts, 0);
    EXPECT_GE(up->resumes, 1);
  } else {
    EXPECT_EQ(up.status().code(), StatusCode::kUnavailable);
    EXPECT_NE(up.status().message().find("cannot be read again"), std::string::npos) << up.status().ToString();
  }
}

TEST_F(BlobTest, SourceErrorAbortsTheUpload) {
  class Failing final : public BlobSource {
   public:
    Result<size_t> Read(char* buf, size_t len) override {
      if (n_ > (3 << 20)) return Status::Internal("disk on fire");
      std::memset(buf, 'x', len);
      n_ += static_cast<int64_t>(len);
      return len;
    }
    int64_t n_ = 0;
  } src;
  auto up = reg_->UploadBlob("source/error", src);
  EXPECT_EQ(up.status().code(), StatusCode::kInternal);
  EXPECT_NE(up.status().message().find("disk on fire"), std::string::npos) << up.status().ToString();
}

TEST_F(BlobTest, ExpectedDigestIsChecked) {
  StringSource src("some bytes");
  UploadOptions o;
  o.digest = DigestOf("other bytes");
  auto up = reg_->UploadBlob("digest/check", src, o);
  EXPECT_EQ(up.status().code(), StatusCode::kInternal);
  EXPECT_NE(up.status().message().find("digest mismatch"), std::string::npos);
}

// 500 MiB generated on the fly (never held in memory), pushed and pulled.
TEST(RegistrySlow, PushPull500MiB) {
  std::string err;
  RegistryServer* server = SharedServer(&err);
  ASSERT_NE(server, nullptr) << err;
  auto reg = NewRegistry(OptionsFor(*server));
  ASSERT_TRUE(reg.ok());
  PushPullRoundTrip(**reg, "roundtrip/large", int64_t{500} << 20, 11);
}

}  // namespace
}  // namespace kbr::registry::testing
