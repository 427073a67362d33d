// Checkpoint images against a real docker-registry (TLS + htpasswd) and skopeo:
// a synthetic CRI-O archive pushed with each compression is readable by
// skopeo with its annotations, copies to an oci: layout, and restores
// byte-identical; execution tags are never overwritten; a blob corrupted on
// the registry's disk fails restore with a digest error and leaves nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "checkpoint/image_builder.h"
#include "checkpoint/restore.h"
#include "checkpoint/synthetic_archive.h"
#include "checkpoint/unpack.h"
#include "core/json.h"
#include "registry/registry_server.h"
#include "registry/test_util.h"

namespace kbr::checkpoint {
namespace {

namespace fs = std::filesystem;
using registry::testing::RegistryServer;
using registry::testing::RunShell;
using registry::testing::ShellQuote;
using registry::testing::TempDir;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every path under a and b has the same type, content, link target and mode.
void ExpectSameTree(const std::string& a, const std::string& b) {
  std::map<std::string, fs::file_status> left, right;
  for (auto& e : fs::recursive_directory_iterator(a)) left[e.path().lexically_relative(a).string()] = e.symlink_status();
  for (auto& e : fs::recursive_directory_iterator(b)) right[e.path().lexically_relative(b).string()] = e.symlink_status();
  ASSERT_EQ(left.size(), right.size());
  for (const auto& [rel, st] : left) {
    ASSERT_TRUE(right.count(rel)) << rel;
    EXPECT_EQ(st.type(), right[rel].type()) << rel;
    EXPECT_EQ(st.permissions(), right[rel].permissions()) << rel;
    if (st.type() == fs::file_type::regular) {
      EXPECT_TRUE(ReadAll(a + "/" + rel) == ReadAll(b + "/" + rel)) << rel << " differs";
    } else if (st.type() == fs::file_type::symlink) {
      EXPECT_EQ(fs::read_symlink(a + "/" + rel), fs::read_symlink(b + "/" + rel)) << rel;
    }
  }
}

class CheckpointRegistryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    archive_ = dir_->path() + "/checkpoint-demo-0_default-demo-2026-11-27T12:00:00Z.tar";
    testing::SyntheticCheckpoint spec;
    spec.pages_bytes = 24 << 20;  // several 8 MiB chunks
    auto size = testing::WriteSyntheticCheckpoint(archive_, spec);
    ASSERT_TRUE(size.ok()) << size.status().ToString();
    reference_ = dir_->path() + "/reference";
    auto unpacked = UnpackTarFile(archive_, reference_);
    ASSERT_TRUE(unpacked.ok()) << unpacked.status().ToString();
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    std::string err;
    server_ = registry::testing::SharedServer(&err);
    ASSERT_NE(server_, nullptr) << err;
    auto opts = registry::testing::OptionsFor(*server_);
    opts.chunk_size = 8 << 20;
    auto reg = registry::NewRegistry(opts);
    ASSERT_TRUE(reg.ok()) << reg.status().ToString();
    reg_ = std::move(reg).value();
  }

  CheckpointImageSpec Spec(const std::string& repo, Compression c, const std::string& exec) {
    CheckpointImageSpec s;
    s.archive_path = archive_;
    s.repository = repo;
    s.identity = {"default", "demo-0", "demo", exec};
    s.compression = c;
    s.created = TimePoint(std::chrono::seconds(1790003600));
    return s;
  }
  std::string Skopeo(const std::string& args) {
    auto out = RunShell("skopeo " + args);
    EXPECT_TRUE(out.ok()) << out.status().message();
    return out.ok() ? *out : "";
  }
  std::string SrcFlags() const {
    return "--src-tls-verify=false --src-creds " + ShellQuote(server_->user() + ":" + server_->password());
  }
  std::string Creds() const {
    return "--tls-verify=false --creds " + ShellQuote(server_->user() + ":" + server_->password());
  }

  static TempDir* dir_;
  static std::string archive_, reference_;
  RegistryServer* server_ = nullptr;
  std::unique_ptr<registry::Registry> reg_;
};

TempDir* CheckpointRegistryTest::dir_ = nullptr;
std::string CheckpointRegistryTest::archive_, CheckpointRegistryTest::reference_;

class PushRestore : public CheckpointRegistryTest, public ::testing::WithParamInterface<Compression> {};

TEST_P(PushRestore, SkopeoReadsItAndRestoreIsByteIdentical) {
  const Compression c = GetParam();
  const std::string repo = std::string("ckpt/demo-") + CompressionName(c);
  auto pushed = PushCheckpointImage(*reg_, Spec(repo, c, "e1"));
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  EXPECT_EQ(pushed->uncompressed_bytes, static_cast<int64_t>(fs::file_size(archive_)));
  if (c == Compression::kNone) {
    EXPECT_EQ(pushed->compressed_bytes, pushed->uncompressed_bytes);
    std::string sum = *RunShell("sha256sum " + ShellQuote(archive_));
    EXPECT_EQ("sha256:" + sum.substr(0, 64), pushed->layer_digest);
  } else {
    EXPECT_LT(pushed->compressed_bytes, pushed->uncompressed_bytes * 6 / 10);
  }

  // skopeo sees the manifest, its annotations and the layer.
  const std::string ref = "docker://" + server_->host() + "/" + repo + ":" + pushed->tag;
  std::string raw = Skopeo("inspect --raw " + Creds() + " " + ref);
  auto doc = json::Parse(raw, "skopeo inspect --raw");
  ASSERT_TRUE(doc.ok()) << raw;
  EXPECT_EQ(registry::DigestOf(raw), pushed->manifest_digest);
  const auto& ann = doc->at("annotations").as_object();
  EXPECT_EQ(ann.at(kAnnCrioName).as_string(), "demo");
  EXPECT_EQ(ann.at(kAnnCrioRootfsImageName).as_string(), "quay.io/kbr/demo:1.0");
  EXPECT_EQ(ann.at(kAnnCriuContainer).as_string(), "demo");
  EXPECT_EQ(ann.at(kAnnCriuPod).as_string(), "demo-0");
  EXPECT_EQ(ann.at(kAnnCriuNamespace).as_string(), "default");
  EXPECT_EQ(ann.at(kAnnCriuRootfsImageName).as_string(), "quay.io/kbr/demo:1.0");
  EXPECT_EQ(ann.at(kAnnCriuEngine).as_string(), "kbr");
  EXPECT_EQ(ann.at(kAnnCreated).as_string(), "2026-09-21T15:13:20Z");
  const auto& layer = doc->at("layers").as_array().at(0);
  EXPECT_EQ(json::GetString(layer, "mediaType"), LayerMediaType(c));
  EXPECT_EQ(json::GetString(layer, "digest"), pushed->layer_digest);

  auto info = json::Parse(Skopeo("inspect " + Creds() + " " + ref), "skopeo inspect");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(json::GetString(*info, "Digest"), pushed->manifest_digest);
  EXPECT_EQ(json::GetString(*info, "Os"), "linux");

  // skopeo copies it out (verifying every blob) into an OCI layout.
  TempDir oci;
  Skopeo("copy --insecure-policy --preserve-digests " + SrcFlags() + " " + ref + " oci:" + oci.path() + "/layout:ckpt");
  EXPECT_TRUE(fs::exists(oci.path() + "/layout/blobs/sha256/" + pushed->layer_digest.substr(7)));
  EXPECT_TRUE(fs::exists(oci.path() + "/layout/blobs/sha256/" + pushed->manifest_digest.substr(7)));

  // Restore by tag and by digest: byte-identical to the archive's files.
  for (const std::string& reference : {pushed->tag, pushed->manifest_digest}) {
    TempDir out;
    const std::string target = out.path() + "/restored";
    auto restored = RestoreCheckpointImage(*reg_, {repo, reference, target});
    ASSERT_TRUE(restored.ok()) << restored.status().ToString();
    EXPECT_EQ(restored->diff_id, pushed->diff_id);
    EXPECT_EQ(restored->manifest.annotations.at(kAnnCrioName), "demo");
    ExpectSameTree(reference_, target);
  }
}

INSTANTIATE_TEST_SUITE_P(Compressions, PushRestore,
                         ::testing::Values(Compression::kZstd, Compression::kGzip, Compression::kNone),
                         [](const auto& info) { return std::string(CompressionName(info.param)); });

TEST_F(CheckpointRegistryTest, ExecutionTagIsNeverOverwritten) {
  const std::string repo = "ckpt/tags";
  auto first = PushCheckpointImage(*reg_, Spec(repo, Compression::kZstd, "e1"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto retry = PushCheckpointImage(*reg_, Spec(repo, Compression::kZstd, "e1"));
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_TRUE(retry->tag_existed);
  EXPECT_EQ(retry->manifest_digest, first->manifest_digest);

  auto different = PushCheckpointImage(*reg_, Spec(repo, Compression::kGzip, "e1"));
  EXPECT_EQ(different.status().code(), StatusCode::kAlreadyExists) << different.status().ToString();
  auto tag = reg_->StatManifest(repo, first->tag);
  ASSERT_TRUE(tag.ok() && tag->has_value());
  EXPECT_EQ((*tag)->digest, first->manifest_digest);
  auto latest = reg_->StatManifest(repo, first->latest_tag);
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->digest, first->manifest_digest);

  auto second = PushCheckpointImage(*reg_, Spec(repo, Compression::kGzip, "e2"));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  latest = reg_->StatManifest(repo, first->latest_tag);
  EXPECT_EQ((*latest)->digest, second->manifest_digest);
  auto tags = reg_->ListTags(repo);
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(*tags, (std::vector<std::string>{"demo-0-demo-e1", "demo-0-demo-e2", "demo-0-demo-latest"}));
}

TEST_F(CheckpointRegistryTest, CorruptedBlobOnDiskFailsRestoreWithDigestError) {
  // Blobs are shared by digest across repositories: corrupt an archive of its own.
  const std::string archive = dir_->path() + "/corrupt.tar";
  testing::SyntheticCheckpoint spec;
  spec.seed = 4242;
  spec.pages_bytes = 12 << 20;
  ASSERT_TRUE(testing::WriteSyntheticCheckpoint(archive, spec).ok());
  for (Compression c : {Compression::kZstd, Compression::kNone}) {
    const std::string repo = std::string("ckpt/corrupt-") + CompressionName(c);
    auto s = Spec(repo, c, "e1");
    s.archive_path = archive;
    auto pushed = PushCheckpointImage(*reg_, s);
    ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
    const std::string blob = server_->BlobDataPath(pushed->layer_digest);
    ASSERT_TRUE(fs::exists(blob));
    {
      std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(pushed->compressed_bytes / 2);
      char b = 0;
      f.read(&b, 1);
      b ^= 0x42;
      f.seekp(pushed->compressed_bytes / 2);
      f.write(&b, 1);
    }
    TempDir out;
    const std::string target = out.path() + "/restored";
    auto restored = RestoreCheckpointImage(*reg_, {repo, pushed->tag, target});
    ASSERT_FALSE(restored.ok()) << CompressionName(c);
    EXPECT_EQ(restored.status().code(), StatusCode::kInternal) << restored.status().ToString();
    EXPECT_NE(restored.status().message().find("digest mismatch"), std::string::npos)
        << restored.status().ToString();
    EXPECT_FALSE(fs::exists(target));
    EXPECT_TRUE(fs::is_empty(out.path())) << "a staging directory was left behind";
  }
}

TEST_F(CheckpointRegistryTest, KbrRestoresWhatSkopeoCopied) {
  auto pushed = PushCheckpointImage(*reg_, Spec("ckpt/orig", Compression::kZstd, "e1"));
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  const std::string src = "docker://" + server_->host() + "/ckpt/orig:" + pushed->tag;
  const std::string dst = "docker://" + server_->host() + "/ckpt/copied:migrated";
  Skopeo("copy --insecure-policy --preserve-digests " + SrcFlags() + " --dest-tls-verify=false --dest-creds " +
         ShellQuote(server_->user() + ":" + server_->password()) + " " + src + " " + dst);
  TempDir out;
  auto restored = RestoreCheckpointImage(*reg_, {"ckpt/copied", "migrated", out.path() + "/r"});
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->manifest.digest, pushed->manifest_digest);
  ExpectSameTree(reference_, out.path() + "/r");
}

}  // namespace
}  // namespace kbr::checkpoint
