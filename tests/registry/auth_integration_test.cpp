// Ping, Basic (htpasswd) and Bearer (token server) auth, and TLS trust,
// against a real docker-registry.
#include <gtest/gtest.h>

#include "core/json.h"
#include "registry/digest.h"
#include "registry/test_util.h"

namespace kbr::registry::testing {
namespace {

RegistryServer* Shared() {
  std::string err;
  RegistryServer* s = SharedServer(&err);
  EXPECT_NE(s, nullptr) << err;
  return s;
}

TEST(Ping, OkWithRightPassword) {
  RegistryServer* server = Shared();
  ASSERT_NE(server, nullptr);
  auto reg = NewRegistry(OptionsFor(*server));
  ASSERT_TRUE(reg.ok());
  PingResult p = (*reg)->Ping();
  EXPECT_TRUE(p.ok()) << p.message;
  EXPECT_TRUE(p.reachable);
  EXPECT_TRUE(p.tls_verified);
  EXPECT_TRUE(p.authenticated);
  EXPECT_EQ(p.auth_scheme, "basic");
  EXPECT_NE(p.message.find(server->host()), std::string::npos) << p.message;
}

TEST(Ping, WrongPasswordIsUnauthenticatedNamingTheHost) {
  RegistryServer* server = Shared();
  ASSERT_NE(server, nullptr);
  RegistryOptions o = OptionsFor(*server);
  o.credentials.password = "wrong-secret-value";
  auto reg = NewRegistry(o);
  ASSERT_TRUE(reg.ok());
  PingResult p = (*reg)->Ping();
  EXPECT_TRUE(p.reachable);
  EXPECT_FALSE(p.authenticated);
  EXPECT_EQ(p.status.code(), StatusCode::kUnauthenticated) << p.message;
  EXPECT_NE(p.message.find(server->host()), std::string::npos) << p.message;
  EXPECT_NE(p.message.find("kbr"), std::string::npos) << p.message;  // the user name
  EXPECT_EQ(p.message.find("wrong-secret-value"), std::string::npos) << p.message;

  // Every other call says the same.
  StringSource src("data");
  auto up = (*reg)->UploadBlob("auth/wrong", src);
  EXPECT_EQ(up.status().code(), StatusCode::kUnauthenticated) << up.status().ToString();
  EXPECT_NE(up.status().message().find(server->host()), std::string::npos);
  EXPECT_EQ(up.status().message().find("wrong-secret-value"), std::string::npos);
}

TEST(Ping, NoCredentialsIsUnauthenticated) {
  RegistryServer* server = Shared();
  ASSERT_NE(server, nullptr);
  RegistryOptions o = OptionsFor(*server);
  o.credentials = {};
  auto reg = NewRegistry(o);
  ASSERT_TRUE(reg.ok());
  PingResult p = (*reg)->Ping();
  EXPECT_EQ(p.status.code(), StatusCode::kUnauthenticated) << p.message;
  EXPECT_NE(p.message.find("requires"), std::string::npos) << p.message;
}

TEST(Ping, UntrustedCertificateIsATlsError) {
  RegistryServer* server = Shared();
  ASSERT_NE(server, nullptr);
  RegistryOptions o = OptionsFor(*server);
  o.tls = {};  // system CAs only: the test CA is unknown
  auto reg = NewRegistry(o);
  ASSERT_TRUE(reg.ok());
  PingResult p = (*reg)->Ping();
  EXPECT_FALSE(p.ok());
  EXPECT_FALSE(p.tls_verified);
  EXPECT_FALSE(p.authenticated);
  EXPECT_EQ(p.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(p.message.find("TLS"), std::string::npos) << p.message;
  EXPECT_NE(p.message.find(server->host()), std::string::npos) << p.message;

  // Not retried: a TLS failure fails fast for every call too.
  auto stat = (*reg)->StatBlob("tls/x", DigestOf("x"));
  EXPECT_EQ(stat.status().code(), StatusCode::kUnavailable);

  o.tls.insecure_skip_verify = true;
  auto insecure = NewRegistry(o);
  ASSERT_TRUE(insecure.ok());
  PingResult q = (*insecure)->Ping();
  EXPECT_TRUE(q.ok()) << q.message;
  EXPECT_FALSE(q.tls_verified);
}

TEST(Ping, UnreachableRegistry) {
  RegistryOptions o;
  o.url = "https://127.0.0.1:1";
  auto reg = NewRegistry(o);
  ASSERT_TRUE(reg.ok());
  PingResult p = (*reg)->Ping();
  EXPECT_FALSE(p.reachable);
  EXPECT_EQ(p.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(p.message.find("127.0.0.1:1"), std::string::npos) << p.message;
}

class TokenAuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    RegistryServer::Options o;
    o.auth = RegistryServer::Auth::kToken;
    o.user = "alice";
    o.password = "alice-password";
    o.user_repos = "team/*";
    o.anonymous_repos = "team/public*";
    auto s = RegistryServer::Start(o);
    if (s.ok()) {
      server_ = std::move(s).value().release();
    } else {
      error_ = s.status().ToString();
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(server_, nullptr) << error_; }
  static std::unique_ptr<Registry> Client(Credentials creds) {
    RegistryOptions o = OptionsFor(*server_);
    o.credentials = std::move(creds);
    return std::move(NewRegistry(o)).value();
  }
  static RegistryServer* server_;
  static std::string error_;
};
RegistryServer* TokenAuthTest::server_ = nullptr;
std::string TokenAuthTest::error_;

TEST_F(TokenAuthTest, PushAndPullWithTokens) {
  auto reg = Client({"alice", "alice-password"});
  PingResult p = reg->Ping();
  EXPECT_TRUE(p.ok()) << p.message;
  EXPECT_EQ(p.auth_scheme, "bearer");
  GeneratedSource layer(3 << 20, 31);
  auto img = PushImage(*reg, "team/app", "v1", layer);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  CompareSink compare(3 << 20, 31);
  auto pulled = PullImage(*reg, "team/app", "v1", std::ref(compare));
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  EXPECT_EQ(*pulled, 3 << 20);
  auto tags = reg->ListTags("team/app");
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  EXPECT_EQ(*tags, std::vector<std::string>{"v1"});
  // A mount needs a token for two repositories at once.
  auto mounted = reg->MountBlob("team/other", img->layer_digest, "team/app");
  ASSERT_TRUE(mounted.ok()) << mounted.status().ToString();
  EXPECT_TRUE(*mounted);
}

TEST_F(TokenAuthTest, WrongPasswordIsUnauthenticated) {
  auto reg = Client({"alice", "not-her-password"});
  PingResult p = reg->Ping();
  EXPECT_EQ(p.status.code(), StatusCode::kUnauthenticated) << p.message;
  EXPECT_NE(p.message.find(server_->host()), std::string::npos) << p.message;
  EXPECT_EQ(p.message.find("not-her-password"), std::string::npos);
}

TEST_F(TokenAuthTest, RepositoryOutsideTheGrantIsDenied) {
  auto reg = Client({"alice", "alice-password"});
  StringSource src("forbidden bytes");
  auto up = reg->UploadBlob("elsewhere/app", src);
  EXPECT_EQ(up.status().code(), StatusCode::kPermissionDenied) << up.status().ToString();
  EXPECT_NE(up.status().message().find(server_->host()), std::string::npos);
}

TEST_F(TokenAuthTest, TokenForOneScopeIsRefusedForAnother) {
  // Fetch a token for team/a directly from the token service...
  auto http = CurlClientTrusting(*server_);
  http::Request treq;
  treq.url = server_->token_realm() + "?service=" + RegistryServer::kTokenService +
             "&scope=" + http::UrlEncode("repository:team/a:pull");
  treq.headers.emplace_back("Authorization", "Basic " + Base64("alice:alice-password"));
  auto tresp = http->Do(treq);
  ASSERT_TRUE(tresp.ok() && tresp->status == 200) << (tresp.ok() ? tresp->body : tresp.status().ToString());
  auto doc = json::Parse(tresp->body);
  ASSERT_TRUE(doc.ok());
  std::string token = json::GetString(*doc, "token");
  // ...it opens team/a but not team/b.
  for (const auto& [repo, want] : {std::pair<std::string, int>{"team/a", 404}, {"team/b", 401}}) {
    http::Request req;
    req.url = server_->url() + "/v2/" + repo + "/tags/list";
    req.headers.emplace_back("Authorization", "Bearer " + token);
    auto resp = http->Do(req);
    ASSERT_TRUE(resp.ok()) << resp.status().ToString();
    EXPECT_EQ(resp->status, want) << repo << ": " << resp->body;
  }
}

TEST_F(TokenAuthTest, AnonymousTokensPullButDoNotPush) {
  auto alice = Client({"alice", "alice-password"});
  GeneratedSource layer(1000, 32);
  auto img = PushImage(*alice, "team/public", "v1", layer);
  ASSERT_TRUE(img.ok()) << img.status().ToString();

  auto anon = Client({});
  PingResult p = anon->Ping();
  EXPECT_TRUE(p.ok()) << p.message;
  auto m = anon->GetManifest("team/public", "v1");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->digest, img->manifest_digest);
  StringSource src("anonymous push");
  auto up = anon->UploadBlob("team/public", src);
  EXPECT_TRUE(up.status().code() == StatusCode::kPermissionDenied ||
              up.status().code() == StatusCode::kUnauthenticated)
      << up.status().ToString();
}

}  // namespace
}  // namespace kbr::registry::testing
