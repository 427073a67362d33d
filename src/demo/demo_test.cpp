#include "demo/demo.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/fake_clock.h"
#include "core/json.h"

namespace kbr::demo {
namespace {

http::ServerRequest Req(std::string method, std::string path, std::string body = "",
                        std::string remote = "127.0.0.1") {
  http::ServerRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.target = r.path;
  r.body = std::move(body);
  r.remote_address = std::move(remote);
  return r;
}

TEST(DemoImageTest, RoundTripsState) {
  State s{.counter = 42, .kv = {{"a", "1"}, {"b", "with\nnewline"}}};
  auto back = DecodeImage(EncodeImage(s, TimePoint{}), "img");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, s);
}

TEST(DemoImageTest, RejectsForeignBytes) {
  for (const char* bad : {"", "hello", "KBR-DEMO-IMAGE v1", "KBR-DEMO-IMAGE v1\n{}", "KBR-DEMO-IMAGE v1\n{\"counter\":\"x\",\"kv\":{}}"}) {
    auto r = DecodeImage(bad, "pages-1.img");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("pages-1.img"), std::string::npos);
  }
}

TEST(DemoImageTest, LoadsFromArchiveRootOrCheckpointDir) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("kbr-demo-test-" + std::to_string(::getpid()));
  fs::create_directories(dir / "checkpoint");
  std::ofstream(dir / "checkpoint" / kPagesImage) << EncodeImage({.counter = 7}, TimePoint{});
  auto a = LoadImageFromDir(dir.string());
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->counter, 7);
  auto b = LoadImageFromDir((dir / "checkpoint").string());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->counter, 7);
  EXPECT_EQ(LoadImageFromDir((dir / "nothing").string()).status().code(), StatusCode::kNotFound);
  fs::remove_all(dir);
}

TEST(DemoHandlerTest, CounterAndKeyValues) {
  FakeClock clock;
  Store store;
  auto h = NewHandler(store, {.restored_from = "/r"}, clock);
  EXPECT_EQ(h(Req("POST", "/increment")).body, R"({"counter":1})");
  EXPECT_EQ(h(Req("POST", "/increment")).body, R"({"counter":2})");
  EXPECT_EQ(h(Req("GET", "/increment")).status, 405);
  EXPECT_EQ(h(Req("PUT", "/kv/color", "blue")).status, 200);
  auto got = h(Req("GET", "/kv/color"));
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "blue");
  EXPECT_EQ(h(Req("GET", "/kv/none")).status, 404);
  auto state = json::Parse(h(Req("GET", "/")).body);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(json::GetInt(*state, "counter"), 2);
  EXPECT_EQ(json::GetString(*state, "kv.color"), "blue");
  EXPECT_EQ(json::GetString(*state, "restored_from"), "/r");
  EXPECT_EQ(h(Req("GET", "/healthz")).status, 200);
  EXPECT_EQ(h(Req("GET", "/nope")).status, 404);
}

TEST(DemoHandlerTest, CheckpointChannelNeedsTokenAndLoopback) {
  FakeClock clock;
  Store store({.counter = 5, .kv = {{"k", "v"}}});
  auto off = NewHandler(store, {}, clock);
  EXPECT_EQ(off(Req("POST", kCheckpointPath)).status, 404);

  auto h = NewHandler(store, {.checkpoint_token = "secret"}, clock);
  auto no_token = Req("POST", kCheckpointPath);
  EXPECT_EQ(h(no_token).status, 403);
  auto remote = Req("POST", kCheckpointPath, "", "10.0.0.1");
  remote.headers["x-kbr-checkpoint-token"] = "secret";
  EXPECT_EQ(h(remote).status, 403);
  auto ok = Req("POST", kCheckpointPath);
  ok.headers["x-kbr-checkpoint-token"] = "secret";
  auto res = h(ok);
  ASSERT_EQ(res.status, 200);
  auto image = DecodeImage(res.body, "response");
  ASSERT_TRUE(image.ok()) << image.status().message();
  EXPECT_EQ(image->counter, 5);
  EXPECT_EQ(image->kv.at("k"), "v");
}

}  // namespace
}  // namespace kbr::demo
