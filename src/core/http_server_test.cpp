#include "core/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace kbr::http {
namespace {

std::unique_ptr<Server> StartEcho() {
  auto s = Server::Start({}, [](const ServerRequest& r) {
    if (r.path == "/stream") {
      ServerResponse res;
      res.headers.emplace_back("Content-Type", "text/plain");
      res.stream = [](const StreamWriter& w) {
        for (int i = 0; i < 3; ++i) w("line " + std::to_string(i) + "\n");
      };
      return res;
    }
    if (r.path == "/throw") throw std::runtime_error("boom");
    return ServerResponse::Text(200, r.method + " " + r.path + " q=" + r.Query("q") + " h=" + r.Header("x-test") +
                                         " body=" + r.body);
  });
  EXPECT_TRUE(s.ok()) << s.status().message();
  return std::move(*s);
}

std::string Url(const Server& s, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(s.port()) + path;
}

TEST(HttpServerTest, ParsesPathQueryHeadersAndBody) {
  auto server = StartEcho();
  auto client = NewCurlClient({});
  ASSERT_TRUE(client.ok());
  auto resp = (*client)->Do({.method = "POST",
                             .url = Url(*server, "/a%20b?q=x%2By+z"),
                             .headers = {{"X-Test", "yes"}},
                             .body = "payload"});
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "POST /a b q=x+y z h=yes body=payload");
}

TEST(HttpServerTest, StreamsChunkedBodies) {
  auto server = StartEcho();
  auto client = NewCurlClient({});
  std::string got;
  auto resp = (*client)->Stream({.url = Url(*server, "/stream")}, [&](std::string_view c) {
    got.append(c);
    return true;
  });
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(got, "line 0\nline 1\nline 2\n");
}

TEST(HttpServerTest, HandlerExceptionBecomes500AndServerKeepsServing) {
  auto server = StartEcho();
  auto client = NewCurlClient({});
  auto bad = (*client)->Do({.url = Url(*server, "/throw")});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 500);
  auto good = (*client)->Do({.url = Url(*server, "/ok")});
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->status, 200);
}

TEST(HttpServerTest, OversizedBodyGets413) {
  auto s = Server::Start({.max_body_bytes = 1024}, [](const ServerRequest&) { return ServerResponse::Text(200, ""); });
  ASSERT_TRUE(s.ok());
  auto client = NewCurlClient({});
  auto resp = (*client)->Do({.method = "POST", .url = Url(**s, "/"), .body = std::string(4096, 'x')});
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 413);
}

TEST(HttpServerTest, ConcurrentClients) {
  auto server = StartEcho();
  auto client = NewCurlClient({});
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto r = (*client)->Do({.url = Url(*server, "/x")});
        if (r.ok() && r->status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 200);
}

TEST(HttpServerTest, BindFailureIsUnavailable) {
  auto first = StartEcho();
  auto second = Server::Start({.port = first->port()}, [](const ServerRequest&) { return ServerResponse{}; });
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace kbr::http
