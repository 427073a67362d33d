#include "checkpoint/kubelet_client.h"

#include <gtest/gtest.h>

namespace kbr::checkpoint {
namespace {

// Answers every request with a canned response and remembers the request.
class FakeHttp final : public http::Client {
 public:
  Result<http::Response> Do(const http::Request& req) override {
    last = req;
    ++calls;
    if (!transport_error.ok()) return transport_error;
    return response;
  }
  Result<http::Response> Stream(const http::Request& req, const http::ChunkHandler&) override { return Do(req); }

  http::Request last;
  http::Response response;
  Status transport_error;
  int calls = 0;
};

class KubeletClientTest : public ::testing::Test {
 protected:
  KubeletClientTest() : http_(std::make_shared<FakeHttp>()) {
    KubeletOptions o;
    o.host = "10.0.0.7";
    o.token = "secret-token";
    client_ = std::make_unique<KubeletClient>(http_, o);
  }
  void Answer(int status, std::string body) {
    http_->response.status = status;
    http_->response.body = std::move(body);
  }
  std::shared_ptr<FakeHttp> http_;
  std::unique_ptr<KubeletClient> client_;
};

TEST_F(KubeletClientTest, PostsAndReturnsArchivePaths) {
  Answer(200, R"({"items":["/var/lib/kubelet/checkpoints/checkpoint-web-0_shop-nginx-2026-11-27T12:00:00Z.tar"]})");
  auto r = client_->Checkpoint({"shop", "web-0", "nginx", 45});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0], "/var/lib/kubelet/checkpoints/checkpoint-web-0_shop-nginx-2026-11-27T12:00:00Z.tar");
  EXPECT_EQ(http_->last.method, "POST");
  EXPECT_EQ(http_->last.url, "https://10.0.0.7:10250/checkpoint/shop/web-0/nginx?timeout=45");
  EXPECT_EQ(http_->last.timeout, std::chrono::milliseconds(75000));
  bool auth = false;
  for (const auto& [k, v] : http_->last.headers) auth |= k == "Authorization" && v == "Bearer secret-token";
  EXPECT_TRUE(auth);
}

TEST_F(KubeletClientTest, NoTimeoutMeansRuntimeDefault) {
  Answer(200, R"({"items":["/a.tar","/b.tar"]})");
  auto r = client_->Checkpoint({"ns", "p", "c", 0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 2u);
  EXPECT_EQ(http_->last.url, "https://10.0.0.7:10250/checkpoint/ns/p/c");
  EXPECT_EQ(http_->last.timeout, std::chrono::milliseconds(600000));
}

TEST_F(KubeletClientTest, ErrorsAreTyped) {
  struct Row {
    int status;
    std::string body;
    StatusCode code;
    std::string in_message;
  };
  const Row rows[] = {
      {401, "Unauthorized", StatusCode::kUnauthenticated, "rejected the token"},
      {403, R"({"kind":"Status","message":"nodes \"n1\" is forbidden: checkpoint"})", StatusCode::kPermissionDenied,
       "is forbidden"},
      {404, "404 page not found\n", StatusCode::kNotFound, "checkpointing not enabled or container unknown"},
      {500, "checkpointing of shop/web-0/nginx failed: CRIU dump failed: (00.01) Error", StatusCode::kUnavailable,
       "CRIU dump failed"},
      {503, "", StatusCode::kUnavailable, "(no message)"},
      {400, "bad timeout", StatusCode::kInvalidArgument, "bad timeout"},
      {200, R"({"items":[]})", StatusCode::kInternal, "names no archive"},
      {200, "not json", StatusCode::kInvalidArgument, "invalid JSON"},
  };
  for (const auto& row : rows) {
    Answer(row.status, row.body);
    auto r = client_->Checkpoint({"shop", "web-0", "nginx", 10});
    ASSERT_FALSE(r.ok()) << row.status;
    EXPECT_EQ(r.status().code(), row.code) << row.status << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find(row.in_message), std::string::npos) << r.status().ToString();
    EXPECT_NE(r.status().message().find("shop/web-0/nginx"), std::string::npos) << r.status().ToString();
    EXPECT_EQ(r.status().message().find("secret-token"), std::string::npos);
  }
}

TEST_F(KubeletClientTest, TransportErrorsPassThrough) {
  http_->transport_error = Status::Unavailable("connect to 10.0.0.7 refused");
  auto r = client_->Checkpoint({"a", "b", "c", 1});
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("a/b/c"), std::string::npos);
}

TEST_F(KubeletClientTest, ValidatesBeforeSending) {
  EXPECT_EQ(client_->Checkpoint({"", "b", "c", 1}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->Checkpoint({"a", "b", "c", -1}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(http_->calls, 0);
}

TEST(KubeletClientNewTest, OptionsAndUrls) {
  EXPECT_EQ(KubeletClient::New({}).status().code(), StatusCode::kInvalidArgument);
  KubeletOptions o;
  o.host = "::1";
  o.port = 70000;
  EXPECT_EQ(KubeletClient::New(o).status().code(), StatusCode::kInvalidArgument);
  o.port = 10250;
  auto c = KubeletClient::New(o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->BaseUrl(), "https://[::1]:10250");
}

}  // namespace
}  // namespace kbr::checkpoint
