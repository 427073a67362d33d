#include "registry/reference.h"

#include <gtest/gtest.h>

namespace kbr::registry {
namespace {

TEST(ParseEndpoint, UserForms) {
  struct Case {
    const char* in;
    const char* scheme;
    const char* host;
  } cases[] = {
      {"https://127.0.0.1:5000", "https", "127.0.0.1:5000"},
      {"127.0.0.1:5000", "https", "127.0.0.1:5000"},
      {"http://localhost:5000/", "http", "localhost:5000"},
      {"https://index.docker.io/v1/", "https", "registry-1.docker.io"},
      {"docker.io", "https", "registry-1.docker.io"},
      {" Registry.Example.com/v2/ ", "https", "registry.example.com"},
      {"https://[::1]:5000", "https", "[::1]:5000"},
  };
  for (const auto& c : cases) {
    auto ep = ParseEndpoint(c.in);
    ASSERT_TRUE(ep.ok()) << c.in << ": " << ep.status().ToString();
    EXPECT_EQ(ep->scheme, c.scheme) << c.in;
    EXPECT_EQ(ep->host, c.host) << c.in;
  }
  EXPECT_EQ(ParseEndpoint("127.0.0.1:5000")->BaseUrl(), "https://127.0.0.1:5000");
}

TEST(ParseEndpoint, Rejects) {
  for (const char* bad : {"", "ftp://x", "https://", "host:99999", "host:", "https://a/b/c", "a b", "-x.com"}) {
    auto ep = ParseEndpoint(bad);
    EXPECT_FALSE(ep.ok()) << bad;
    if (!ep.ok()) {
      EXPECT_EQ(ep.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
}

TEST(ValidateRepository, Grammar) {
  for (const char* ok : {"a", "team/app", "a.b_c__d-e--f/x9", "checkpoints/default/web-0"}) {
    EXPECT_TRUE(ValidateRepository(ok).ok()) << ok;
  }
  for (const char* bad : {"", "A", "team//app", "/app", "app/", "a..b", "a___b", "-a", "a-", "a:b", "a@b"}) {
    Status s = ValidateRepository(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(ValidateRepository(std::string(256, 'a')).ok());
  EXPECT_NE(ValidateRepository("Bad").message().find("repository 'Bad'"), std::string::npos);
}

TEST(ValidateTag, Grammar) {
  EXPECT_TRUE(ValidateTag("v1.2-rc_3").ok());
  EXPECT_TRUE(ValidateTag("_x").ok());
  EXPECT_TRUE(ValidateTag(std::string(128, 'a')).ok());
  EXPECT_FALSE(ValidateTag(std::string(129, 'a')).ok());
  EXPECT_FALSE(ValidateTag(".x").ok());
  EXPECT_FALSE(ValidateTag("-x").ok());
  EXPECT_FALSE(ValidateTag("").ok());
  EXPECT_FALSE(ValidateTag("a/b").ok());
}

TEST(ValidateDigest, Sha256Only) {
  std::string d = "sha256:" + std::string(64, 'a');
  EXPECT_TRUE(ValidateDigest(d).ok());
  EXPECT_FALSE(ValidateDigest("sha256:" + std::string(63, 'a')).ok());
  EXPECT_FALSE(ValidateDigest("sha256:" + std::string(64, 'A')).ok());
  EXPECT_FALSE(ValidateDigest("sha512:" + std::string(128, 'a')).ok());
  EXPECT_TRUE(ValidateManifestReference(d).ok());
  EXPECT_TRUE(ValidateManifestReference("latest").ok());
  EXPECT_FALSE(ValidateManifestReference("sha256:zz").ok());
}

TEST(ParseReference, Forms) {
  std::string d = "sha256:" + std::string(64, 'b');
  auto r = ParseReference("127.0.0.1:5000/team/app:v1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->registry, "127.0.0.1:5000");
  EXPECT_EQ(r->repository, "team/app");
  EXPECT_EQ(r->tag, "v1");
  EXPECT_EQ(r->ManifestRef(), "v1");

  r = ParseReference("busybox");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->String(), "registry-1.docker.io/library/busybox:latest");

  r = ParseReference("localhost/a/b@" + d);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->registry, "localhost");
  EXPECT_EQ(r->tag, "");
  EXPECT_EQ(r->ManifestRef(), d);

  r = ParseReference("reg.io:443/x:t@" + d);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->String(), "reg.io:443/x:t@" + d);

  EXPECT_FALSE(ParseReference("Reg/UPPER:x").ok());
  EXPECT_FALSE(ParseReference("a:b:c").ok());
  EXPECT_FALSE(ParseReference("a@sha256:1").ok());
}

}  // namespace
}  // namespace kbr::registry
