#include "lab/node_image.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/base64.h"
#include "core/json.h"

namespace kbr::lab {
namespace {

namespace fs = std::filesystem;

TEST(NodeImageTest, ClassifiesImagesByName) {
  EXPECT_EQ(ClassifyImage("kbr/demo:latest"), ImageKind::kDemo);
  EXPECT_EQ(ClassifyImage("docker.io/kbr/demo"), ImageKind::kDemo);
  EXPECT_EQ(ClassifyImage("localhost/kbr-demo:dev"), ImageKind::kDemo);
  EXPECT_EQ(ClassifyImage("kbr/kbr:0.1.0"), ImageKind::kAgent);
  EXPECT_EQ(ClassifyImage("localhost/kbr:dev"), ImageKind::kAgent);
  EXPECT_EQ(ClassifyImage("nginx"), ImageKind::kOther);
  EXPECT_EQ(ClassifyImage("127.0.0.1:5000/backups/counter:x"), ImageKind::kOther);
}

TEST(NodeImageTest, PullsOnlyFromLoopbackRegistries) {
  auto ref = [](const char* s) { return *registry::ParseReference(s); };
  EXPECT_TRUE(IsLoopbackRegistry(ref("127.0.0.1:5000/a/b:t")));
  EXPECT_TRUE(IsLoopbackRegistry(ref("localhost:5000/a:t")));
  EXPECT_FALSE(IsLoopbackRegistry(ref("localhost/kbr-demo")));
  EXPECT_FALSE(IsLoopbackRegistry(ref("nginx")));
  EXPECT_FALSE(IsLoopbackRegistry(ref("registry.example.com:5000/a")));
}

TEST(NodeImageTest, CredentialsFromDockerConfigJson) {
  std::string doc = R"({"auths":{"https://127.0.0.1:5000/v2/":{"username":"kbr","password":"pw"},
                                 "other:1":{"auth":")" + Base64Encode("u:p:with:colons") + R"("}}})";
  auto c = CredentialsFromDockerConfig(doc, "127.0.0.1:5000");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->username, "kbr");
  EXPECT_EQ((*c)->password, "pw");
  auto d = CredentialsFromDockerConfig(doc, "other:1");
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_EQ((*d)->username, "u");
  EXPECT_EQ((*d)->password, "p:with:colons");
  auto none = CredentialsFromDockerConfig(doc, "127.0.0.1:6000");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(CredentialsFromDockerConfig("{}", "x").status().code(), StatusCode::kInvalidArgument);
}

TEST(NodeImageTest, RecognizesCheckpointAnnotations) {
  auto crio = json::Parse(R"({"annotations":{"io.kubernetes.cri-o.annotations.checkpoint.name":"app"}})");
  auto containerd = json::Parse(R"({"annotations":{"org.criu.checkpoint.container.name":"db"}})");
  auto plain = json::Parse(R"({"layers":[]})");
  EXPECT_EQ(CheckpointContainerName(*crio), "app");
  EXPECT_EQ(CheckpointContainerName(*containerd), "db");
  EXPECT_EQ(CheckpointContainerName(*plain), "");
}

// A one-file tar written with libarchive, compressed by `filter` (none/gzip/zstd).
std::string WriteTar(const fs::path& dir, const std::string& filter, const std::string& name, const std::string& data) {
  std::string path = (dir / ("layer-" + filter)).string();
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (filter == "gzip") archive_write_add_filter_gzip(a);
  if (filter == "zstd") archive_write_add_filter_zstd(a);
  archive_write_open_filename(a, path.c_str());
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
  archive_write_header(a, e);
  archive_write_data(a, data.data(), data.size());
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  return path;
}

TEST(NodeImageTest, UnpacksPlainGzipAndZstdLayersWithTheSameDiffId) {
  fs::path dir = fs::temp_directory_path() / ("kbr-layer-test-c-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::vector<std::string> diff_ids;
  for (const auto& [filter, media] : {std::pair{"none", "application/vnd.oci.image.layer.v1.tar"},
                                      {"gzip", "application/vnd.oci.image.layer.v1.tar+gzip"},
                                      {"zstd", "application/vnd.oci.image.layer.v1.tar+zstd"}}) {
    std::string tar = WriteTar(dir, filter, "checkpoint/pages-1.img", "state");
    auto out = dir / (std::string("out-") + filter);
    auto diff = UnpackLayer(tar, media, out.string());
    ASSERT_TRUE(diff.ok()) << filter << ": " << diff.status().message();
    diff_ids.push_back(*diff);
    std::ifstream in(out / "checkpoint" / "pages-1.img");
    std::string got((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(got, "state") << filter;
  }
  // The same tar inside each: the diff_id is the digest of the uncompressed bytes.
  EXPECT_EQ(diff_ids[0].rfind("sha256:", 0), 0u);
  EXPECT_EQ(diff_ids[0], diff_ids[1]);
  EXPECT_EQ(diff_ids[0], diff_ids[2]);
  fs::remove_all(dir);
}

TEST(NodeImageTest, RejectsLayersThatEscapeTheDirectory) {
  fs::path dir = fs::temp_directory_path() / ("kbr-layer-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string tar = (dir / "evil.tar").string();
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open_filename(a, tar.c_str());
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "../escape.txt");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, 2);
  archive_write_header(a, e);
  archive_write_data(a, "hi", 2);
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  auto r = UnpackLayer(tar, "application/vnd.oci.image.layer.v1.tar", (dir / "out").string());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir / "escape.txt"));
  EXPECT_EQ(UnpackLayer(tar, "application/x-unknown", (dir / "out").string()).status().code(),
            StatusCode::kInvalidArgument);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kbr::lab
