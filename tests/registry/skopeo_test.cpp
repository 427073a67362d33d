// Interoperability with skopeo: it reads what kbr pushed, kbr pulls what it pushed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/json.h"
#include "registry/digest.h"
#include "registry/test_util.h"

namespace kbr::registry::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

class SkopeoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string err;
    server_ = SharedServer(&err);
    ASSERT_NE(server_, nullptr) << err;
    auto reg = NewRegistry(OptionsFor(*server_));
    ASSERT_TRUE(reg.ok());
    reg_ = std::move(reg).value();
  }
  std::string Creds() const { return ShellQuote(server_->user() + ":" + server_->password()); }
  RegistryServer* server_ = nullptr;
  std::unique_ptr<Registry> reg_;
};

TEST_F(SkopeoTest, SkopeoReadsWhatKbrPushed) {
  GeneratedSource layer(200 << 10, 41);
  auto img = PushImage(*reg_, "skopeo/pushed", "v1", layer);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  std::string ref = "docker://" + server_->host() + "/skopeo/pushed:v1";

  auto out = RunShell("skopeo inspect --tls-verify=false --creds " + Creds() + " " + ref);
  ASSERT_TRUE(out.ok()) << out.status().message();
  auto doc = json::Parse(*out, "skopeo inspect");
  ASSERT_TRUE(doc.ok()) << *out;
  EXPECT_EQ(json::GetString(*doc, "Digest"), img->manifest_digest) << *out;
  EXPECT_EQ(json::GetString(*doc, "Os"), "linux");
  ASSERT_TRUE(doc->at("Layers").is_array());
  EXPECT_EQ(doc->at("Layers").as_array().at(0).as_string(), img->layer_digest);

  auto raw = RunShell("skopeo inspect --raw --tls-verify=false --creds " + Creds() + " " + ref);
  ASSERT_TRUE(raw.ok()) << raw.status().message();
  EXPECT_EQ(*raw, img->manifest);

  // skopeo copy verifies every blob digest while copying out.
  TempDir dir;
  auto copy = RunShell("skopeo copy --insecure-policy --preserve-digests --src-tls-verify=false --src-creds " +
                       Creds() + " " + ref +
                  " oci:" + dir.path() + "/out:v1");
  ASSERT_TRUE(copy.ok()) << copy.status().message();
  std::string hex = img->layer_digest.substr(7);
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/out/blobs/sha256/" + hex));
}

TEST_F(SkopeoTest, KbrPullsWhatSkopeoPushed) {
  TempDir dir;
  const std::string d = dir.path();
  // A tiny real layer: a tar of one file.
  std::filesystem::create_directories(d + "/rootfs");
  WriteAll(d + "/rootfs/hello.txt", "hello from skopeo\n");
  ASSERT_TRUE(RunShell("tar -C " + ShellQuote(d + "/rootfs") + " -cf " + ShellQuote(d + "/layer.tar") + " hello.txt").ok());
  std::string layer = ReadAll(d + "/layer.tar");
  std::string layer_digest = DigestOf(layer);
  std::string config = R"({"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[")" +
                       layer_digest + R"("]}})";
  std::string config_digest = DigestOf(config);
  std::string manifest = std::string(R"({"schemaVersion":2,"mediaType":")") + kOciManifest +
                         R"(","config":{"mediaType":")" + kOciConfig + R"(","digest":")" + config_digest +
                         R"(","size":)" + std::to_string(config.size()) +
                         R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")" +
                         layer_digest + R"(","size":)" + std::to_string(layer.size()) + "}]}";
  std::string manifest_digest = DigestOf(manifest);
  const std::string layout = d + "/layout";
  std::filesystem::create_directories(layout + "/blobs/sha256");
  WriteAll(layout + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  for (const auto& [dg, body] : {std::pair{layer_digest, layer}, {config_digest, config}, {manifest_digest, manifest}}) {
    WriteAll(layout + "/blobs/sha256/" + dg.substr(7), body);
  }
  WriteAll(layout + "/index.json", std::string(R"({"schemaVersion":2,"manifests":[{"mediaType":")") + kOciManifest +
                                       R"(","digest":")" + manifest_digest + R"(","size":)" +
                                       std::to_string(manifest.size()) +
                                       R"(,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]})");
  // --preserve-digests: push the layer as it is (skopeo would gzip it otherwise).
  auto copy = RunShell("skopeo copy --insecure-policy --preserve-digests --dest-tls-verify=false --dest-creds " +
                       Creds() + " oci:" +
                  layout + ":v1 docker://" + server_->host() + "/skopeo/copied:v1");
  ASSERT_TRUE(copy.ok()) << copy.status().message();

  auto m = reg_->GetManifest("skopeo/copied", "v1");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->digest, manifest_digest);
  auto doc = json::Parse(m->body);
  ASSERT_TRUE(doc.ok());
  std::string pulled_config = *reg_->FetchBlob("skopeo/copied", json::GetString(*doc, "config.digest"));
  EXPECT_EQ(json::GetString(*json::Parse(pulled_config), "rootfs.type"), "layers");
  const auto& layers = doc->at("layers").as_array();
  ASSERT_EQ(layers.size(), 1u);
  std::string got;
  auto n = reg_->PullBlob("skopeo/copied", json::GetString(layers[0], "digest"),
                          [&](std::string_view data) {
                            got.append(data);
                            return Status::Ok();
                          },
                          json::GetInt(layers[0], "size", -1));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(got, layer);
}

}  // namespace
}  // namespace kbr::registry::testing
