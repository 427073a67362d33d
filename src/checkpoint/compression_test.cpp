#include "checkpoint/compression.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "registry/digest.h"

namespace kbr::checkpoint {
namespace {

class TempFile {
 public:
  explicit TempFile(const std::string& data) {
    char tmpl[] = "/tmp/kbr-compression-test-XXXXXX";
    int fd = mkstemp(tmpl);
    close(fd);
    path_ = tmpl;
    std::ofstream(path_, std::ios::binary) << data;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Half zero/patterned pages, half random: like memory pages.
std::string PageMix(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(size, '\0');
  for (size_t off = 0; off < size; off += 4096) {
    size_t n = std::min<size_t>(4096, size - off);
    if (rng() % 2) {
      for (size_t i = 0; i < n; ++i) s[off + i] = static_cast<char>(rng());
    } else {
      for (size_t i = 0; i < n; ++i) s[off + i] = "page-pattern-"[i % 13];
    }
  }
  return s;
}

std::string Drain(registry::BlobSource& src, size_t read_len) {
  std::string out;
  std::string buf(read_len, '\0');
  for (;;) {
    auto n = src.Read(buf.data(), buf.size());
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    if (!n.ok() || *n == 0) break;
    out.append(buf.data(), *n);
  }
  return out;
}

Result<std::string> Decompress(Compression c, std::string_view data, size_t piece = 7777) {
  ASSIGN_OR_RETURN(auto d, Decompressor::New(c));
  std::string out;
  ByteSink sink = [&](std::string_view p) {
    out.append(p);
    return Status::Ok();
  };
  for (size_t off = 0; off < data.size(); off += piece) RETURN_IF_ERROR(d->Update(data.substr(off, piece), sink));
  RETURN_IF_ERROR(d->Finish());
  return out;
}

class RoundTrip : public ::testing::TestWithParam<std::tuple<Compression, size_t, size_t>> {};

TEST_P(RoundTrip, CompressDecompressHashes) {
  auto [c, size, read_len] = GetParam();
  const std::string data = PageMix(size, static_cast<uint32_t>(size));
  TempFile f(data);
  CompressingFileSource::Options o;
  o.compression = c;
  o.read_size = 64 << 10;
  auto src = CompressingFileSource::Open(f.path(), o);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  std::string blob = Drain(**src, read_len);
  EXPECT_EQ((*src)->diff_id(), registry::DigestOf(data));
  EXPECT_EQ((*src)->uncompressed_bytes(), static_cast<int64_t>(size));
  EXPECT_EQ((*src)->compressed_bytes(), static_cast<int64_t>(blob.size()));
  if (c == Compression::kNone) {
    EXPECT_EQ(blob, data);
  }
  if (c != Compression::kNone && size > (1 << 20)) {
    EXPECT_LT(blob.size(), size * 3 / 4);
  }
  auto back = Decompress(c, blob);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == data);

  // Rewind: the same bytes again (deterministic output).
  ASSERT_TRUE((*src)->Rewind());
  EXPECT_TRUE(Drain(**src, read_len) == blob);
  EXPECT_EQ((*src)->diff_id(), registry::DigestOf(data));
}

INSTANTIATE_TEST_SUITE_P(Codecs, RoundTrip,
                         ::testing::Combine(::testing::Values(Compression::kNone, Compression::kGzip,
                                                              Compression::kZstd),
                                            ::testing::Values(size_t{0}, size_t{1}, size_t{4097}, size_t{3 << 20}),
                                            ::testing::Values(size_t{13}, size_t{65536}, size_t{8 << 20})),
                         [](const auto& info) {
                           return std::string(CompressionName(std::get<0>(info.param))) + "_" +
                                  std::to_string(std::get<1>(info.param)) + "_read" +
                                  std::to_string(std::get<2>(info.param));
                         });

TEST(CompressionTest, GzipIsStandardAndStable) {
  const std::string data = PageMix(300000, 5);
  TempFile f(data);
  CompressingFileSource::Options o;
  o.compression = Compression::kGzip;
  auto src = CompressingFileSource::Open(f.path(), o);
  ASSERT_TRUE(src.ok());
  std::string blob = Drain(**src, 65536);
  ASSERT_GT(blob.size(), 10u);
  EXPECT_EQ(static_cast<unsigned char>(blob[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(blob[1]), 0x8b);
  EXPECT_EQ(blob.substr(4, 4), std::string(4, '\0'));  // mtime 0: same bytes every time
  // zlib's one-shot inflate agrees.
  std::string out(data.size(), '\0');
  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(blob.data());
  z.avail_in = static_cast<uInt>(blob.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  inflateEnd(&z);
  EXPECT_TRUE(out == data);
}

TEST(CompressionTest, CorruptAndTruncatedStreamsAreErrors) {
  const std::string data = PageMix(200000, 9);
  TempFile f(data);
  for (Compression c : {Compression::kGzip, Compression::kZstd}) {
    CompressingFileSource::Options o;
    o.compression = c;
    auto src = CompressingFileSource::Open(f.path(), o);
    ASSERT_TRUE(src.ok());
    std::string blob = Drain(**src, 65536);
    auto truncated = Decompress(c, std::string_view(blob).substr(0, blob.size() / 2));
    EXPECT_EQ(truncated.status().code(), StatusCode::kInvalidArgument) << CompressionName(c);
    std::string bad = blob;
    for (size_t i = 20; i < 60; ++i) bad[i] ^= 0x33;
    auto corrupt = Decompress(c, bad);
    EXPECT_FALSE(corrupt.ok() && *corrupt == data) << CompressionName(c);
    auto empty = Decompress(c, "");
    EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(CompressionTest, MediaTypesAndNames) {
  EXPECT_STREQ(LayerMediaType(Compression::kZstd), "application/vnd.oci.image.layer.v1.tar+zstd");
  EXPECT_STREQ(LayerMediaType(Compression::kGzip), "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_STREQ(LayerMediaType(Compression::kNone), "application/vnd.oci.image.layer.v1.tar");
  for (Compression c : {Compression::kNone, Compression::kGzip, Compression::kZstd}) {
    EXPECT_EQ(*ParseCompression(CompressionName(c)), c);
    EXPECT_EQ(*CompressionOfMediaType(LayerMediaType(c)), c);
  }
  EXPECT_EQ(*ParseCompression(""), Compression::kZstd);
  EXPECT_EQ(*CompressionOfMediaType("application/vnd.docker.image.rootfs.diff.tar.gzip"), Compression::kGzip);
  EXPECT_EQ(ParseCompression("lz4").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CompressionOfMediaType("application/vnd.oci.image.config.v1+json").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(CompressionTest, OpenErrors) {
  CompressingFileSource::Options o;
  EXPECT_EQ(CompressingFileSource::Open("/nonexistent/kbr.tar", o).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(CompressingFileSource::Open("/tmp", o).status().code(), StatusCode::kInvalidArgument);
  TempFile f("x");
  o.level = 99;
  EXPECT_EQ(CompressingFileSource::Open(f.path(), o).status().code(), StatusCode::kInvalidArgument);
}

TEST(CompressionTest, ForegroundAndBackgroundYieldTheSameBytes) {
  const std::string data = PageMix(5 << 20, 77);
  TempFile f(data);
  for (Compression c : {Compression::kGzip, Compression::kZstd}) {
    std::string blobs[2];
    for (int bg = 0; bg < 2; ++bg) {
      CompressingFileSource::Options o;
      o.compression = c;
      o.background = bg == 1;
      auto src = CompressingFileSource::Open(f.path(), o);
      ASSERT_TRUE(src.ok());
      // Read part, rewind mid-stream, then read it all.
      std::string buf(100000, '\0');
      ASSERT_TRUE((*src)->Read(buf.data(), buf.size()).ok());
      ASSERT_TRUE((*src)->Rewind());
      blobs[bg] = Drain(**src, 65536);
      EXPECT_EQ((*src)->diff_id(), registry::DigestOf(data));
    }
    EXPECT_TRUE(blobs[0] == blobs[1]) << CompressionName(c);
  }
  // Destroying a source mid-stream stops its worker.
  CompressingFileSource::Options o;
  auto src = CompressingFileSource::Open(f.path(), o);
  ASSERT_TRUE(src.ok());
  std::string buf(1000, '\0');
  ASSERT_TRUE((*src)->Read(buf.data(), buf.size()).ok());
}

class GrowingFile : public ::testing::TestWithParam<Compression> {};

TEST_P(GrowingFile, IsAnError) {
  TempFile f(std::string(100000, 'a'));
  CompressingFileSource::Options o;
  o.compression = GetParam();
  auto src = CompressingFileSource::Open(f.path(), o);
  ASSERT_TRUE(src.ok());
  std::ofstream(f.path(), std::ios::binary | std::ios::app) << std::string(5000, 'b');
  std::string buf(1 << 20, '\0');
  Status last;
  for (int i = 0; i < 10; ++i) {
    auto n = (*src)->Read(buf.data(), buf.size());
    if (!n.ok()) {
      last = n.status();
      break;
    }
    if (*n == 0) break;
  }
  EXPECT_EQ(last.code(), StatusCode::kFailedPrecondition) << last.ToString();
}

INSTANTIATE_TEST_SUITE_P(Codecs, GrowingFile,
                         ::testing::Values(Compression::kNone, Compression::kGzip, Compression::kZstd),
                         [](const auto& info) { return std::string(CompressionName(info.param)); });

}  // namespace
}  // namespace kbr::checkpoint
