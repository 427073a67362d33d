#include "checkpoint/image_builder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "checkpoint/archive_writer.h"
#include "checkpoint/fake_registry.h"
#include "core/fake_clock.h"
#include "core/json.h"
#include "registry/digest.h"

namespace kbr::checkpoint {
namespace {

using testing::FakeRegistry;

CheckpointIdentity Id(std::string exec = "exec-1") { return {"shop", "redis-0", "redis", std::move(exec)}; }

// A small archive in the CRI-O layout; returns its path.
std::string WriteArchive(const std::string& dir, const std::string& image_name = "docker.io/library/redis:7.2") {
  std::string path = dir + "/checkpoint.tar";
  auto w = CheckpointArchiveWriter::Create(path);
  EXPECT_TRUE(w.ok());
  ConfigDump d{"c0ffee", "redis", "redis:7.2", "sha256:1111", image_name, "runc"};
  EXPECT_TRUE((*w)->AddFile("config.dump", ConfigDumpJson(d, TimePoint{}, TimePoint{})).ok());
  EXPECT_TRUE((*w)->AddFile("spec.dump", SpecDumpJson(Id(), {"redis-server"}, {"/data"})).ok());
  EXPECT_TRUE((*w)->AddDirectory("checkpoint", 0700).ok());
  EXPECT_TRUE((*w)
                  ->AddStreamedFile("checkpoint/pages-1.img", 3 << 20,
                                    [n = 0](char* b, size_t len) mutable {
                                      for (size_t i = 0; i < len; ++i) b[i] = static_cast<char>((n++ * 7) >> 9);
                                      return Status::Ok();
                                    })
                  .ok());
  EXPECT_TRUE((*w)->Close().ok());
  return path;
}

class ImageBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kbr-builder-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    archive_ = WriteArchive(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CheckpointImageSpec Spec(Compression c = Compression::kZstd, std::string exec = "exec-1") {
    CheckpointImageSpec s;
    s.archive_path = archive_;
    s.repository = "team/checkpoints";
    s.identity = Id(std::move(exec));
    s.compression = c;
    s.created = TimePoint(std::chrono::seconds(1790000000));
    return s;
  }

  std::string dir_, archive_;
  FakeRegistry reg_;
  FakeClock clock_{TimePoint(std::chrono::seconds(1800000000))};
};

TEST_F(ImageBuilderTest, PushesLayerConfigManifestAndTags) {
  for (Compression c : {Compression::kZstd, Compression::kGzip, Compression::kNone}) {
    auto spec = Spec(c, std::string("exec-") + CompressionName(c));
    auto r = PushCheckpointImage(reg_, spec, clock_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->tag, std::string("redis-0-redis-exec-") + CompressionName(c));
    EXPECT_EQ(r->latest_tag, "redis-0-redis-latest");
    EXPECT_EQ(r->image_ref, "fake.registry:5000/team/checkpoints:" + r->tag + "@" + r->manifest_digest);
    EXPECT_EQ(r->uncompressed_bytes, static_cast<int64_t>(std::filesystem::file_size(archive_)));
    EXPECT_EQ(r->layer_media_type, LayerMediaType(c));
    EXPECT_FALSE(r->tag_existed);
    // diff_id is the archive's own sha256, whatever the compression.
    std::string layer = reg_.Blob(r->layer_digest);
    EXPECT_EQ(static_cast<int64_t>(layer.size()), r->compressed_bytes);
    if (c == Compression::kNone) {
      EXPECT_EQ(r->diff_id, r->layer_digest);
    }
    if (c != Compression::kNone) {
      EXPECT_LT(r->compressed_bytes, r->uncompressed_bytes / 4);
    }

    auto m = reg_.GetManifest("team/checkpoints", r->tag);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->digest, r->manifest_digest);
    EXPECT_EQ(reg_.TagDigest("team/checkpoints", "redis-0-redis-latest"), r->manifest_digest);
    auto doc = json::Parse(m->body);
    ASSERT_TRUE(doc.ok());
    EXPECT_EQ(json::GetString(*doc, "mediaType"), registry::kOciManifest);
    EXPECT_EQ(json::GetInt(*doc, "schemaVersion"), 2);
    EXPECT_EQ(json::GetString(*doc, "config.mediaType"), registry::kOciConfig);
    const auto& l = doc->at("layers").as_array().at(0);
    EXPECT_EQ(json::GetString(l, "mediaType"), LayerMediaType(c));
    EXPECT_EQ(json::GetString(l, "digest"), r->layer_digest);
    const auto& ann = doc->at("annotations").as_object();
    EXPECT_EQ(ann.at(kAnnCrioName).as_string(), "redis");
    EXPECT_EQ(ann.at(kAnnCrioRootfsImageName).as_string(), "docker.io/library/redis:7.2");
    EXPECT_EQ(ann.at(kAnnCriuRootfsImageName).as_string(), "docker.io/library/redis:7.2");
    EXPECT_EQ(ann.at(kAnnCriuContainer).as_string(), "redis");
    EXPECT_EQ(ann.at(kAnnCriuPod).as_string(), "redis-0");
    EXPECT_EQ(ann.at(kAnnCriuNamespace).as_string(), "shop");
    EXPECT_EQ(ann.at(kAnnCriuEngine).as_string(), "kbr");
    EXPECT_EQ(ann.at(kAnnCreated).as_string(), "2026-09-21T14:13:20Z");
    EXPECT_EQ(ann.at(kAnnCriuRootfsImageId).as_string(), "sha256:1111");

    auto cfg = json::Parse(reg_.Blob(r->config_digest));
    ASSERT_TRUE(cfg.ok());
    EXPECT_EQ(json::GetString(*cfg, "os"), "linux");
    EXPECT_EQ(json::GetString(*cfg, "architecture"), HostArchitecture());
    EXPECT_EQ(json::GetString(*cfg, "created"), "2026-09-21T14:13:20Z");
    EXPECT_EQ(cfg->at("rootfs").at("diff_ids").as_array().at(0).as_string(), r->diff_id);
  }
}

TEST_F(ImageBuilderTest, ExecutionTagIsNeverOverwritten) {
  auto first = PushCheckpointImage(reg_, Spec(), clock_);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  // The same archive and time again (a retried push): same digests, OK.
  auto again = PushCheckpointImage(reg_, Spec(), clock_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->manifest_digest, first->manifest_digest);
  EXPECT_TRUE(again->tag_existed);
  // A different image under the same execution tag: refused, tags untouched.
  auto other = Spec();
  other.created = TimePoint(std::chrono::seconds(1790000999));
  auto clash = PushCheckpointImage(reg_, other, clock_);
  EXPECT_EQ(clash.status().code(), StatusCode::kAlreadyExists) << clash.status().ToString();
  EXPECT_EQ(reg_.TagDigest("team/checkpoints", "redis-0-redis-exec-1"), first->manifest_digest);
  EXPECT_EQ(reg_.TagDigest("team/checkpoints", "redis-0-redis-latest"), first->manifest_digest);
  // A new execution moves latest.
  auto next = PushCheckpointImage(reg_, Spec(Compression::kZstd, "exec-2"), clock_);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(reg_.TagDigest("team/checkpoints", "redis-0-redis-latest"), next->manifest_digest);
}

TEST_F(ImageBuilderTest, RestartedUploadRereadsTheFile) {
  auto plain = PushCheckpointImage(reg_, Spec(Compression::kZstd, "a"), clock_);
  ASSERT_TRUE(plain.ok());
  FakeRegistry other;
  other.lose_session_after = 200000;
  int64_t max_progress = 0;
  auto spec = Spec(Compression::kZstd, "a");
  spec.progress = [&](int64_t n) { max_progress = std::max(max_progress, n); };
  auto restarted = PushCheckpointImage(other, spec, clock_);
  ASSERT_TRUE(restarted.ok()) << restarted.status().ToString();
  EXPECT_EQ(restarted->layer_digest, plain->layer_digest);
  EXPECT_EQ(restarted->diff_id, plain->diff_id);
  EXPECT_EQ(restarted->manifest_digest, plain->manifest_digest);  // config.dump was picked up again
  EXPECT_EQ(max_progress, restarted->uncompressed_bytes);
}

TEST_F(ImageBuilderTest, Errors) {
  auto s = Spec();
  s.archive_path = dir_ + "/missing.tar";
  EXPECT_EQ(PushCheckpointImage(reg_, s, clock_).status().code(), StatusCode::kNotFound);
  s = Spec();
  s.repository = "Bad Repo";
  EXPECT_EQ(PushCheckpointImage(reg_, s, clock_).status().code(), StatusCode::kInvalidArgument);
  s = Spec(Compression::kZstd, "latest");
  EXPECT_EQ(PushCheckpointImage(reg_, s, clock_).status().code(), StatusCode::kInvalidArgument);
  s = Spec();
  s.identity.container = "a/b";
  EXPECT_EQ(PushCheckpointImage(reg_, s, clock_).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reg_.uploads, 0);
}

TEST(CheckpointTagTest, Naming) {
  EXPECT_EQ(*CheckpointTag("web-0", "nginx", "20261127-1200-ab12c"), "web-0-nginx-20261127-1200-ab12c");
  EXPECT_EQ(*LatestTag(Id()), "redis-0-redis-latest");
  EXPECT_EQ(*ExecutionTag(Id("x1")), "redis-0-redis-x1");
  EXPECT_FALSE(ExecutionTag(Id("latest")).ok());
  EXPECT_FALSE(CheckpointTag("", "c", "x").ok());
  EXPECT_FALSE(CheckpointTag("p", "c", "").ok());
  EXPECT_FALSE(CheckpointTag("p", "c", "a:b").ok());
  EXPECT_FALSE(CheckpointTag("-p", "c", "x").ok());
  // Long names: at most 128 characters, suffix kept, distinct heads stay distinct.
  std::string pod(90, 'p'), container(60, 'c');
  auto a = CheckpointTag(pod, container, "exec-1");
  auto b = CheckpointTag(pod, container + "x", "exec-1");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 128u);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->substr(a->size() - 7), "-exec-1");
  EXPECT_EQ(*a, *CheckpointTag(pod, container, "exec-1"));  // deterministic
}

TEST(AnnotationsTest, WithAndWithoutConfigDump) {
  auto full = CheckpointAnnotations(Id(), ConfigDump{"id", "n", "redis", "sha256:2", "docker.io/library/redis:7", "crun"},
                                    "2026-01-01T00:00:00Z", "arm64");
  EXPECT_EQ(full[kAnnCrioName], "redis");
  EXPECT_EQ(full[kAnnCrioRootfsImageName], "docker.io/library/redis:7");
  EXPECT_EQ(full[kAnnCrioRawImageName], "redis");
  EXPECT_EQ(full[kAnnCriuRuntime], "crun");
  EXPECT_EQ(full[kAnnCriuHostArch], "arm64");
  EXPECT_EQ(full[kAnnExecution], "exec-1");
  auto bare = CheckpointAnnotations(Id(), ConfigDump{}, "2026-01-01T00:00:00Z", "amd64");
  EXPECT_EQ(bare.count(kAnnCrioRootfsImageName), 0u);
  EXPECT_EQ(bare.count(kAnnCriuRootfsImageId), 0u);
  EXPECT_EQ(bare[kAnnCriuEngine], "kbr");
  // rootfsImageName missing: fall back to rootfsImage.
  auto raw = CheckpointAnnotations(Id(), ConfigDump{"", "", "redis:7", "", "", ""}, "t", "amd64");
  EXPECT_EQ(raw[kAnnCrioRootfsImageName], "redis:7");
}

TEST(ConfigDumpTest, Parse) {
  auto d = ParseConfigDump(R"({"id":"a","name":"n","rootfsImage":"r","rootfsImageRef":"ref",)"
                           R"("rootfsImageName":"rn","runtime":"runc","createdTime":"2026-01-01T00:00:00Z"})");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->rootfs_image_name, "rn");
  EXPECT_EQ(d->rootfs_image_ref, "ref");
  EXPECT_EQ(d->runtime, "runc");
  EXPECT_FALSE(ParseConfigDump("[1]").ok());
  EXPECT_FALSE(ParseConfigDump("{").ok());
}

}  // namespace
}  // namespace kbr::checkpoint
