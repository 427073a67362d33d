#include "registry/auth.h"

#include <gtest/gtest.h>

#include "core/fake_clock.h"

namespace kbr::registry {
namespace {

TEST(ParseChallenges, BearerAndBasic) {
  auto cs = ParseChallenges(
      R"(Bearer realm="https://auth.example/token",service="reg, one",scope="repository:a/b:pull,push", )"
      R"(Basic realm="basic-realm")");
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0].scheme, "bearer");
  EXPECT_EQ(cs[0].Param("realm"), "https://auth.example/token");
  EXPECT_EQ(cs[0].Param("service"), "reg, one");
  EXPECT_EQ(cs[0].Param("scope"), "repository:a/b:pull,push");
  EXPECT_EQ(cs[1].scheme, "basic");
  EXPECT_EQ(cs[1].Param("realm"), "basic-realm");

  cs = ParseChallenges(R"(Bearer realm=https://x/t, error="insufficient_scope")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].Param("realm"), "https://x/t");
  EXPECT_EQ(cs[0].Param("error"), "insufficient_scope");
  EXPECT_TRUE(ParseChallenges("").empty());
}

TEST(Base64, Rfc4648) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64("user:pa:ss"), "dXNlcjpwYTpzcw==");
}

// A token service stand-in: answers every request with the scripted status
// and a fresh token, recording what it was asked.
class TokenService final : public http::Client {
 public:
  Result<http::Response> Do(const http::Request& req) override {
    requests.push_back(req);
    http::Response r;
    r.status = status;
    r.body = R"({"token":"tok)" + std::to_string(requests.size()) + R"(","expires_in":300})";
    return r;
  }
  Result<http::Response> Stream(const http::Request& req, const http::ChunkHandler&) override { return Do(req); }
  std::vector<http::Request> requests;
  int status = 200;
};

http::Response Unauthorized(const std::string& challenge) {
  http::Response r;
  r.status = 401;
  r.headers.emplace_back("www-authenticate", challenge);
  return r;
}

std::string HeaderOf(const http::Request& req, const std::string& name) {
  for (const auto& [k, v] : req.headers) {
    if (k == name) return v;
  }
  return "";
}

const char* kBearer = R"(Bearer realm="https://auth/token",service="reg")";

TEST(Authenticator, NothingBeforeAChallenge) {
  TokenService ts;
  FakeClock clock;
  Authenticator a(ts, "reg:5000", {"u", "p"}, clock);
  EXPECT_EQ(*a.HeaderFor("repository:x:pull"), "");
  EXPECT_EQ(a.scheme(), "");
}

TEST(Authenticator, BasicAfterChallenge) {
  TokenService ts;
  FakeClock clock;
  Authenticator a(ts, "reg:5000", {"u", "p"}, clock);
  ASSERT_TRUE(a.Authorize(Unauthorized(R"(Basic realm="r")"), "").ok());
  EXPECT_EQ(*a.HeaderFor("anything"), "Basic " + Base64("u:p"));
  EXPECT_TRUE(ts.requests.empty());
}

TEST(Authenticator, BasicWithoutCredentialsIsUnauthenticated) {
  TokenService ts;
  FakeClock clock;
  Authenticator a(ts, "reg:5000", {}, clock);
  Status s = a.Authorize(Unauthorized(R"(Basic realm="r")"), "");
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("reg:5000"), std::string::npos);
}

TEST(Authenticator, BearerTokenCachedPerScopeUntilExpiry) {
  TokenService ts;
  FakeClock clock;
  Authenticator a(ts, "reg:5000", {"u", "p"}, clock);
  ASSERT_TRUE(a.Authorize(Unauthorized(kBearer), "repository:a:pull").ok());
  ASSERT_EQ(ts.requests.size(), 1u);
  EXPECT_EQ(ts.requests[0].url, "https://auth/token?service=reg&scope=repository%3Aa%3Apull");
  EXPECT_EQ(HeaderOf(ts.requests[0], "Authorization"), "Basic " + Base64("u:p"));
  EXPECT_EQ(*a.HeaderFor("repository:a:pull"), "Bearer tok1");
  EXPECT_EQ(*a.HeaderFor("repository:a:pull"), "Bearer tok1");
  EXPECT_EQ(ts.requests.size(), 1u);
  // Another scope gets its own token without a new challenge.
  EXPECT_EQ(*a.HeaderFor("repository:b:pull,push repository:a:pull"), "Bearer tok2");
  EXPECT_EQ(ts.requests[1].url,
            "https://auth/token?service=reg&scope=repository%3Ab%3Apull%2Cpush&scope=repository%3Aa%3Apull");
  // Near expiry (300 s, refreshed 30 s early) the token is replaced.
  clock.Advance(std::chrono::seconds(269));
  EXPECT_EQ(*a.HeaderFor("repository:a:pull"), "Bearer tok1");
  clock.Advance(std::chrono::seconds(2));
  EXPECT_EQ(*a.HeaderFor("repository:a:pull"), "Bearer tok3");
}

TEST(Authenticator, AnonymousTokenHasNoAuthorization) {
  TokenService ts;
  FakeClock clock;
  Authenticator a(ts, "reg:5000", {}, clock);
  ASSERT_TRUE(a.Authorize(Unauthorized(kBearer), "repository:a:pull").ok());
  EXPECT_EQ(HeaderOf(ts.requests[0], "Authorization"), "");
}

TEST(Authenticator, RejectedCredentialsNeverLeakThePassword) {
  TokenService ts;
  ts.status = 401;
  FakeClock clock;
  Authenticator a(ts, "reg:5000", {"alice", "hunter2-secret"}, clock);
  Status s = a.Authorize(Unauthorized(kBearer), "repository:a:pull");
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("reg:5000"), std::string::npos);
  EXPECT_NE(s.message().find("alice"), std::string::npos);
  EXPECT_EQ(s.message().find("hunter2"), std::string::npos);
}

TEST(Authenticator, UnknownChallenge) {
  TokenService ts;
  FakeClock clock;
  Authenticator a(ts, "reg:5000", {"u", "p"}, clock);
  EXPECT_EQ(a.Authorize(Unauthorized("Negotiate"), "").code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace kbr::registry
