#include "lab/node_api.h"

#include <gtest/gtest.h>

#include "core/json.h"

namespace kbr::lab {
namespace {

namespace bj = boost::json;

class FakeAuth final : public KubeletAuth {
 public:
  Status decision;
  std::vector<RequestAttributes> seen;
  Status Authorize(const http::ServerRequest&, const RequestAttributes& attrs) override {
    seen.push_back(attrs);
    return decision;
  }
};

http::ServerRequest Req(std::string method, std::string path, std::map<std::string, std::string> query = {}) {
  http::ServerRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  return r;
}

struct Fixture {
  FakeAuth auth;
  Runtime runtime{NodeLayout{LabLayout{"/nonexistent"}, "n1"}, "/bin/false"};
  bj::value pod = {{"metadata", {{"name", "web"}, {"namespace", "default"}, {"uid", "u"}}},
                   {"spec", {{"containers", bj::array{bj::object{{"name", "c"}}}}}}};
  http::Handler handler = NewKubeletHandler(
      {.node_name = "n1",
       .layout = NodeLayout{LabLayout{"/nonexistent"}, "n1"},
       .auth = &auth,
       .runtime = &runtime,
       .get_pod = [this](const std::string& ns, const std::string& name) -> std::optional<bj::value> {
         if (ns == "default" && name == "web") return pod;
         return std::nullopt;
       },
       .list_pods = [this] { return std::vector<bj::value>{pod}; }});
};

TEST(KubeletApiTest, HealthzNeedsNoCredentials) {
  Fixture f;
  f.auth.decision = Status::Unauthenticated("no");
  EXPECT_EQ(f.handler(Req("GET", "/healthz")).status, 200);
  EXPECT_TRUE(f.auth.seen.empty());
}

TEST(KubeletApiTest, AuthDecisionsMapTo401And403) {
  Fixture f;
  f.auth.decision = Status::Unauthenticated("no");
  EXPECT_EQ(f.handler(Req("POST", "/checkpoint/default/web/c")).status, 401);
  f.auth.decision = Status::PermissionDenied("Forbidden (user=x)");
  auto denied = f.handler(Req("GET", "/pods"));
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.body, "Forbidden (user=x)");
  ASSERT_EQ(f.auth.seen.size(), 2u);
  EXPECT_EQ(f.auth.seen[0].verb, "create");
  EXPECT_EQ(f.auth.seen[0].subresource, "checkpoint");
  EXPECT_EQ(f.auth.seen[1].verb, "get");
  EXPECT_EQ(f.auth.seen[1].subresource, "proxy");
}

TEST(KubeletApiTest, CheckpointErrors) {
  Fixture f;
  EXPECT_EQ(f.handler(Req("POST", "/checkpoint/default/other/c")).status, 404);
  EXPECT_EQ(f.handler(Req("POST", "/checkpoint/default/web/nope")).status, 404);
  EXPECT_EQ(f.handler(Req("POST", "/checkpoint/default/web")).status, 404);
  EXPECT_EQ(f.handler(Req("POST", "/checkpoint/default/web/c", {{"timeout", "x"}})).status, 404);
  EXPECT_EQ(f.handler(Req("GET", "/checkpoint/default/web/c")).status, 405);
  auto not_running = f.handler(Req("POST", "/checkpoint/default/web/c"));
  EXPECT_EQ(not_running.status, 500);
  EXPECT_NE(not_running.body.find("not running"), std::string::npos);
}

TEST(KubeletApiTest, PodsAndLogs) {
  Fixture f;
  auto pods = f.handler(Req("GET", "/pods"));
  ASSERT_EQ(pods.status, 200);
  auto list = json::Parse(pods.body);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(json::GetString(*list, "kind"), "PodList");
  EXPECT_EQ(list->at("items").as_array().size(), 1u);
  EXPECT_EQ(f.handler(Req("GET", "/containerLogs/default/other/c")).status, 404);
  EXPECT_EQ(f.handler(Req("GET", "/containerLogs/default/web/c")).status, 400);  // not started
  EXPECT_EQ(f.handler(Req("GET", "/containerLogs/default/web/c", {{"tailLines", "-3"}})).status, 400);
  EXPECT_EQ(f.handler(Req("GET", "/nothing")).status, 404);
}

}  // namespace
}  // namespace kbr::lab
