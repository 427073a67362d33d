// Manifests and tags against a real docker-registry.
#include <gtest/gtest.h>

#include "registry/digest.h"
#include "registry/test_util.h"

namespace kbr::registry::testing {
namespace {

class ManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string err;
    server_ = SharedServer(&err);
    ASSERT_NE(server_, nullptr) << err;
    auto reg = NewRegistry(OptionsFor(*server_));
    ASSERT_TRUE(reg.ok()) << reg.status().ToString();
    reg_ = std::move(reg).value();
  }
  PushedImage Push(const std::string& repo, const std::string& tag, uint64_t seed) {
    GeneratedSource layer(4096, seed);
    auto img = PushImage(*reg_, repo, tag, layer);
    EXPECT_TRUE(img.ok()) << img.status().ToString();
    return img.ok() ? *img : PushedImage{};
  }
  RegistryServer* server_ = nullptr;
  std::unique_ptr<Registry> reg_;
};

TEST_F(ManifestTest, PutGetHeadByTagAndDigest) {
  PushedImage img = Push("manifest/basic", "v1", 21);
  EXPECT_EQ(img.manifest_digest, DigestOf(img.manifest));

  auto byTag = reg_->GetManifest("manifest/basic", "v1");
  ASSERT_TRUE(byTag.ok()) << byTag.status().ToString();
  EXPECT_EQ(byTag->body, img.manifest);
  EXPECT_EQ(byTag->digest, img.manifest_digest);
  EXPECT_EQ(byTag->media_type, kOciManifest);

  auto byDigest = reg_->GetManifest("manifest/basic", img.manifest_digest);
  ASSERT_TRUE(byDigest.ok()) << byDigest.status().ToString();
  EXPECT_EQ(byDigest->body, img.manifest);

  auto head = reg_->StatManifest("manifest/basic", "v1");
  ASSERT_TRUE(head.ok() && head->has_value()) << head.status().ToString();
  EXPECT_EQ((*head)->digest, img.manifest_digest);
  EXPECT_EQ((*head)->size, static_cast<int64_t>(img.manifest.size()));

  // PUT by digest, and a second tag on the same manifest.
  auto put = reg_->PutManifest("manifest/basic", img.manifest_digest, kOciManifest, img.manifest);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  ASSERT_TRUE(reg_->PutManifest("manifest/basic", "latest", kOciManifest, img.manifest).ok());
  EXPECT_EQ(reg_->GetManifest("manifest/basic", "latest")->digest, img.manifest_digest);

  auto missing = reg_->StatManifest("manifest/basic", "nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  EXPECT_EQ(reg_->GetManifest("manifest/basic", "nope").status().code(), StatusCode::kNotFound);
}

TEST_F(ManifestTest, DockerSchema2IsAcceptedToo) {
  PushedImage img = Push("manifest/docker", "oci", 22);
  std::string body = std::string(R"({"schemaVersion":2,"mediaType":")") + kDockerManifest +
                     R"(","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" +
                     img.config_digest + R"(","size":)" +
                     std::to_string(reg_->FetchBlob("manifest/docker", img.config_digest)->size()) +
                     R"(},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar","digest":")" +
                     img.layer_digest + R"(","size":4096}]})";
  auto put = reg_->PutManifest("manifest/docker", "docker", kDockerManifest, body);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  auto got = reg_->GetManifest("manifest/docker", "docker");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->media_type, kDockerManifest);
  EXPECT_EQ(got->body, body);
}

TEST_F(ManifestTest, ManifestReferencingMissingBlobsIsRefused) {
  std::string body = std::string(R"({"schemaVersion":2,"mediaType":")") + kOciManifest +
                     R"(","config":{"mediaType":")" + kOciConfig + R"(","digest":")" + DigestOf("no config") +
                     R"(","size":9},"layers":[]})";
  auto put = reg_->PutManifest("manifest/broken", "v1", kOciManifest, body);
  ASSERT_FALSE(put.ok());
  EXPECT_TRUE(put.status().code() == StatusCode::kNotFound || put.status().code() == StatusCode::kInvalidArgument)
      << put.status().ToString();
  EXPECT_NE(put.status().message().find(server_->host()), std::string::npos);
}

TEST_F(ManifestTest, DeleteByDigestAndByTag) {
  PushedImage a = Push("manifest/delete", "a", 23);
  PushedImage b = Push("manifest/delete", "b", 24);
  ASSERT_TRUE(reg_->DeleteManifest("manifest/delete", a.manifest_digest).ok());
  EXPECT_EQ(reg_->GetManifest("manifest/delete", a.manifest_digest).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(reg_->StatManifest("manifest/delete", "a")->has_value());
  EXPECT_EQ(reg_->DeleteManifest("manifest/delete", a.manifest_digest).code(), StatusCode::kNotFound);

  Status s = reg_->DeleteManifest("manifest/delete", "b");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(reg_->StatManifest("manifest/delete", "b")->has_value());
  EXPECT_EQ(reg_->DeleteManifest("manifest/delete", "b").code(), StatusCode::kNotFound);
}

TEST_F(ManifestTest, TagsPaginationWithN2) {
  PushedImage img = Push("manifest/tags", "t1", 25);
  for (const char* t : {"t2", "t3", "t4", "t5"}) {
    ASSERT_TRUE(reg_->PutManifest("manifest/tags", t, kOciManifest, img.manifest).ok());
  }
  const std::vector<std::string> all = {"t1", "t2", "t3", "t4", "t5"};
  // docker-registry 2.8 ignores n/last; the client pages for it.
  auto p1 = reg_->ListTagsPage("manifest/tags", 2, "");
  ASSERT_TRUE(p1.ok()) << p1.status().ToString();
  EXPECT_EQ(p1->tags, (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ(p1->next_last, "t2");
  auto p3 = reg_->ListTagsPage("manifest/tags", 2, "t4");
  ASSERT_TRUE(p3.ok());
  EXPECT_EQ(p3->tags, (std::vector<std::string>{"t5"}));
  EXPECT_EQ(p3->next_last, "");
  auto listed = reg_->ListTags("manifest/tags", 2);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(*listed, all);
  EXPECT_EQ(*reg_->ListTags("manifest/tags", 0), all);

  // A registry that pages itself (Link headers), in front of the real one.
  auto paging = std::make_shared<PagingClient>(CurlClientTrusting(*server_));
  auto reg = NewRegistry(OptionsFor(*server_), paging);
  ASSERT_TRUE(reg.ok());
  auto linked = (*reg)->ListTags("manifest/tags", 2);
  ASSERT_TRUE(linked.ok()) << linked.status().ToString();
  EXPECT_EQ(*linked, all);
  EXPECT_EQ(paging->pages_served, 3);

  EXPECT_EQ(reg_->ListTags("manifest/no-such-repo").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace kbr::registry::testing
