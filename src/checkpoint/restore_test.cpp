#include "checkpoint/restore.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "checkpoint/archive_writer.h"
#include "checkpoint/fake_registry.h"
#include "checkpoint/image_builder.h"
#include "core/fake_clock.h"
#include "registry/digest.h"

namespace kbr::checkpoint {
namespace {

namespace fs = std::filesystem;
using testing::FakeRegistry;

std::string ReadFile(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kbr-restore-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    archive_ = dir_ + "/in.tar";
    auto w = CheckpointArchiveWriter::Create(archive_);
    ASSERT_TRUE(w.ok());
    pages_.resize(5 << 20);
    for (size_t i = 0; i < pages_.size(); ++i) pages_[i] = static_cast<char>((i * 2654435761u) >> 13);
    ASSERT_TRUE((*w)->AddFile("config.dump", R"({"id":"x","rootfsImageName":"busybox"})").ok());
    ASSERT_TRUE((*w)->AddDirectory("checkpoint", 0700).ok());
    ASSERT_TRUE((*w)->AddFile("checkpoint/pages-1.img", pages_, 0600).ok());
    ASSERT_TRUE((*w)->AddSymlink("checkpoint/pages.lnk", "pages-1.img").ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result<PushedCheckpoint> Push(Compression c, const std::string& exec) {
    CheckpointImageSpec s;
    s.archive_path = archive_;
    s.repository = "ckpt/app";
    s.identity = {"ns", "pod", "app", exec};
    s.compression = c;
    return PushCheckpointImage(reg_, s, clock_);
  }

  bool NothingLeft(const std::string& target) {
    if (fs::exists(target)) return false;
    for (auto& e : fs::directory_iterator(dir_)) {
      if (e.path().filename().string().find("kbr-partial") != std::string::npos) return false;
    }
    return true;
  }

  std::string dir_, archive_, pages_;
  FakeRegistry reg_;
  FakeClock clock_;
};

TEST_F(RestoreTest, RoundTripEveryCompression) {
  for (Compression c : {Compression::kZstd, Compression::kGzip, Compression::kNone}) {
    auto pushed = Push(c, CompressionName(c));
    ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
    for (const std::string& ref : {pushed->tag, pushed->manifest_digest}) {
      std::string target = dir_ + "/out-" + CompressionName(c) + "-" + ref.substr(0, 6);
      auto r = RestoreCheckpointImage(reg_, {"ckpt/app", ref, target}, clock_);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(r->path, fs::canonical(target).string());
      EXPECT_EQ(r->manifest.digest, pushed->manifest_digest);
      EXPECT_EQ(r->manifest.compression, c);
      EXPECT_TRUE(r->manifest.is_checkpoint);
      EXPECT_EQ(r->manifest.annotations.at(kAnnCrioName), "app");
      EXPECT_EQ(r->manifest.annotations.at(kAnnCrioRootfsImageName), "busybox");
      EXPECT_EQ(r->diff_id, pushed->diff_id);
      EXPECT_EQ(r->uncompressed_bytes, pushed->uncompressed_bytes);
      EXPECT_EQ(r->compressed_bytes, pushed->compressed_bytes);
      EXPECT_EQ(r->entries, 4);
      EXPECT_TRUE(ReadFile(target + "/checkpoint/pages-1.img") == pages_);
      EXPECT_EQ(fs::read_symlink(target + "/checkpoint/pages.lnk"), "pages-1.img");
      EXPECT_EQ(fs::status(target).permissions() & fs::perms::all, fs::perms::owner_all);
    }
  }
}

TEST_F(RestoreTest, CorruptLayerFailsWithDigestErrorAndLeavesNothing) {
  for (Compression c : {Compression::kZstd, Compression::kNone}) {
    auto pushed = Push(c, std::string("corrupt-") + CompressionName(c));
    ASSERT_TRUE(pushed.ok());
    // Corrupt the very last byte so that everything before unpacks fine.
    std::string blob = reg_.Blob(pushed->layer_digest);
    reg_.CorruptBlob(pushed->layer_digest, blob.size() - 1);
    std::string target = dir_ + "/corrupt";
    auto r = RestoreCheckpointImage(reg_, {"ckpt/app", pushed->tag, target}, clock_);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("digest mismatch"), std::string::npos) << r.status().ToString();
    EXPECT_TRUE(NothingLeft(target));
    reg_.SetBlob(pushed->layer_digest, blob);
  }
}

TEST_F(RestoreTest, LayerThatDoesNotMatchDiffIdIsRejected) {
  auto pushed = Push(Compression::kNone, "swap");
  ASSERT_TRUE(pushed.ok());
  // A valid tar stored under the right blob digest but not the config's diff_id:
  // only possible if a registry lies; restore still catches it.
  std::string other = dir_ + "/other.tar";
  {
    auto w = CheckpointArchiveWriter::Create(other);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->AddFile("x", "y").ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  // Rewrite the manifest to point at the other tar (as a new blob) but keep the config.
  CompressingFileSource::Options o;
  o.compression = Compression::kNone;
  auto src = CompressingFileSource::Open(other, o);
  ASSERT_TRUE(src.ok());
  auto up = reg_.UploadBlob("ckpt/app", **src, {});
  ASSERT_TRUE(up.ok());
  std::string manifest = BuildImageManifest({registry::kOciConfig, pushed->config_digest,
                                             static_cast<int64_t>(reg_.Blob(pushed->config_digest).size())},
                                            {kLayerTar, up->digest, up->size}, pushed->annotations);
  ASSERT_TRUE(reg_.PutManifest("ckpt/app", "liar", registry::kOciManifest, manifest).ok());
  std::string target = dir_ + "/liar";
  auto r = RestoreCheckpointImage(reg_, {"ckpt/app", "liar", target}, clock_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("digest mismatch"), std::string::npos) << r.status().ToString();
  EXPECT_TRUE(NothingLeft(target));
}

TEST_F(RestoreTest, RefusesNonCheckpointImagesAndExistingTargets) {
  auto pushed = Push(Compression::kZstd, "e1");
  ASSERT_TRUE(pushed.ok());
  std::string manifest = BuildImageManifest(
      {registry::kOciConfig, pushed->config_digest, static_cast<int64_t>(reg_.Blob(pushed->config_digest).size())},
      {kLayerTarZstd, pushed->layer_digest, pushed->compressed_bytes}, {});
  ASSERT_TRUE(reg_.PutManifest("ckpt/app", "plain", registry::kOciManifest, manifest).ok());
  auto r = RestoreCheckpointImage(reg_, {"ckpt/app", "plain", dir_ + "/p"}, clock_);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  RestoreOptions lax{"ckpt/app", "plain", dir_ + "/p", false};
  EXPECT_TRUE(RestoreCheckpointImage(reg_, lax, clock_).ok());
  EXPECT_EQ(RestoreCheckpointImage(reg_, lax, clock_).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(RestoreCheckpointImage(reg_, {"ckpt/app", "nope", dir_ + "/q"}, clock_).status().code(),
            StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir_ + "/q"));
}

TEST_F(RestoreTest, UnsafeLayerIsRejected) {
  std::string evil = dir_ + "/evil.tar";
  {
    auto w = CheckpointArchiveWriter::Create(evil);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->AddFile("ok", std::string(3 << 20, 'o')).ok());
    ASSERT_TRUE((*w)->AddFile("../escape", "x").ok());
    ASSERT_TRUE((*w)->AddFile("more", std::string(3 << 20, 'm')).ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  archive_ = evil;
  auto pushed = Push(Compression::kZstd, "evil");
  ASSERT_TRUE(pushed.ok());
  std::string target = dir_ + "/evil-out";
  auto r = RestoreCheckpointImage(reg_, {"ckpt/app", pushed->tag, target}, clock_);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  EXPECT_NE(r.status().message().find("escapes"), std::string::npos) << r.status().ToString();
  EXPECT_TRUE(NothingLeft(target));
  EXPECT_FALSE(fs::exists(dir_ + "/escape"));
}

}  // namespace
}  // namespace kbr::checkpoint
