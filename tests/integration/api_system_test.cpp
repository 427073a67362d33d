// System routes and the rules every route of the REST API keeps, against a
// real kbr server on the lab: /healthz, /readyz, /metrics, the served OpenAPI
// document (every seed route in it; every operation in it routed), 404/405
// envelopes, no 5xx for any malformed input on any route, and the never-leak
// rule (a distinctive password and the callers' tokens appear in no response,
// no server log line and no Event).
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "api_env.h"
#include "local_registry.h"
#include "backup/objects.h"
#include "core/base64.h"
#include "core/http.h"
#include "core/json.h"
#include "karmada/policy.h"
#include "lab/process.h"
#include "lab_env.h"

namespace kbr::testing {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;
namespace res = kube::resources;

constexpr const char* kNs = "karmada-system";
constexpr const char* kRegistryBase = "/api/v1/backup/registry";

// Every response this test binary received, for the never-leak checks.
struct Transcript {
  std::mutex mu;
  std::vector<std::string> entries;
};
Transcript& AllResponses() {
  static Transcript t;
  return t;
}

// CallApi, recording the response (status line, headers, body).
ApiResponse Call(const std::string& method, const std::string& path, const std::string& body = "",
                 const std::string& token = "<admin>") {
  ApiResponse r = CallApi(method, path, body, token);
  std::string entry = method + " " + path + " → " + std::to_string(r.status) + "\n";
  for (const auto& [k, v] : r.headers) entry += k + ": " + v + "\n";
  entry += r.raw;
  std::lock_guard<std::mutex> l(AllResponses().mu);
  AllResponses().entries.push_back(std::move(entry));
  return r;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "/a/{id}/b" → "/a/{}/b": routes compared without parameter names.
std::string Shape(const std::string& path) {
  std::string out;
  bool in_param = false;
  for (char c : path) {
    if (c == '{') {
      in_param = true;
      out += "{}";
    } else if (c == '}') {
      in_param = false;
    } else if (!in_param) {
      out.push_back(c);
    }
  }
  return out;
}

// The path with every {param} replaced by `value`.
std::string Fill(const std::string& path, const std::string& value) {
  std::string out;
  bool in_param = false;
  for (char c : path) {
    if (c == '{') {
      in_param = true;
      out += value;
    } else if (c == '}') {
      in_param = false;
    } else if (!in_param) {
      out.push_back(c);
    }
  }
  return out;
}

struct Operation {
  std::string method;  // upper case
  std::string path;    // OpenAPI form
  bool auth = false;
  bool list = false;   // takes page/itemsPerPage/...
};

std::vector<Operation> Operations(const bj::value& doc) {
  std::vector<Operation> ops;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      Operation o;
      for (char c : std::string(method)) o.method.push_back(static_cast<char>(std::toupper(c)));
      o.path = std::string(path);
      o.auth = op.as_object().contains("security");
      if (const auto* params = op.as_object().if_contains("parameters")) {
        for (const auto& p : params->as_array()) o.list |= p.at("name").as_string() == "itemsPerPage";
      }
      ops.push_back(o);
    }
  }
  return ops;
}

bj::value ServedDocument() {
  ApiResponse r = Call("GET", "/api/v1/backup/openapi.json", "", "");
  EXPECT_EQ(r.status, 200) << r.raw.substr(0, 300);
  return r.body;
}

// The seed's routes (SEED.md "Backend API Routes"), literally.
const std::vector<std::pair<std::string, std::string>> kSeedRoutes = {
    // Registry Management (/api/v1/backup/registry)
    {"GET", "/api/v1/backup/registry"},
    {"POST", "/api/v1/backup/registry"},
    {"GET", "/api/v1/backup/registry/{id}"},
    {"PUT", "/api/v1/backup/registry/{id}"},
    {"DELETE", "/api/v1/backup/registry/{id}"},
    // Backup Management (/api/v1/backup)
    {"GET", "/api/v1/backup"},
    {"POST", "/api/v1/backup"},
    {"GET", "/api/v1/backup/{id}"},
    {"PUT", "/api/v1/backup/{id}"},
    {"DELETE", "/api/v1/backup/{id}"},
    {"POST", "/api/v1/backup/{id}/execute"},
    {"GET", "/api/v1/backup/clusters/{cluster}/resources"},
    // Recovery Management (/api/v1/backup/recovery)
    {"GET", "/api/v1/backup/recovery"},
    {"POST", "/api/v1/backup/recovery"},
    {"GET", "/api/v1/backup/recovery/{id}"},
    {"POST", "/api/v1/backup/recovery/{id}/execute"},
    {"POST", "/api/v1/backup/recovery/{id}/cancel"},
    {"DELETE", "/api/v1/backup/recovery/{id}"},
    {"GET", "/api/v1/backup/recovery/backup/{backupId}/history"},
    // Settings (/api/v1/backup/settings)
    {"GET", "/api/v1/backup/settings/clusters"},
    {"GET", "/api/v1/backup/settings/clusters/{name}"},
    {"POST", "/api/v1/backup/settings/clusters/install-controller"},
    {"POST", "/api/v1/backup/settings/clusters/uninstall-controller"},
    {"GET", "/api/v1/backup/settings/clusters/{name}/controller-status"},
    {"GET", "/api/v1/backup/settings/clusters/{name}/controller-logs"},
};

class SystemApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ApiServerProcess::Get(); }
};

TEST_F(SystemApiTest, HealthAndReadiness) {
  ApiResponse h = Call("GET", "/healthz", "", "");
  EXPECT_EQ(h.status, 200) << h.raw;
  ApiResponse r = Call("GET", "/readyz", "", "");
  EXPECT_EQ(r.status, 200) << r.raw;
  // HEAD works like GET (load balancers probe with it).
  EXPECT_EQ(Call("HEAD", "/healthz", "", "").status, 200);
}

TEST_F(SystemApiTest, MetricsCountRequestsByRouteAndShowCacheSizes) {
  ASSERT_EQ(Call("GET", kRegistryBase).status, 200);
  const std::string unknown_id = "metrics-probe-" + Random(8);
  EXPECT_EQ(Call("GET", std::string(kRegistryBase) + "/" + unknown_id).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/backup/no/such/route/" + unknown_id).status, 404);

  ApiResponse m = Call("GET", "/metrics", "", "");
  ASSERT_EQ(m.status, 200);
  const std::string& t = m.raw;
  EXPECT_NE(t.find("# TYPE kbr_http_requests_total counter"), std::string::npos) << t;
  EXPECT_NE(t.find(R"(kbr_http_requests_total{method="GET",route="/api/v1/backup/registry",code="200"})"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find(R"(kbr_http_requests_total{method="GET",route="/api/v1/backup/registry/:id",code="404"})"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find(R"(kbr_http_request_duration_seconds_bucket{method="GET",route="/api/v1/backup/registry",)"),
            std::string::npos)
      << t;
  // Labels are route patterns: ids and unknown paths never become labels.
  EXPECT_EQ(t.find(unknown_id), std::string::npos);
  for (const char* gauge : {"kbr_cache_statefulmigrations", "kbr_cache_checkpointbackups", "kbr_cache_registries"}) {
    EXPECT_NE(t.find(std::string("# TYPE ") + gauge + " gauge\n" + gauge + " "), std::string::npos) << gauge;
  }
  // Every line is "# ..." or "<name>{labels} <number>" / "<name> <number>".
  std::istringstream lines(t);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.rfind(' ');
    ASSERT_NE(sp, std::string::npos) << line;
    std::string value = line.substr(sp + 1);
    char* end = nullptr;
    std::strtod(value.c_str(), &end);
    EXPECT_TRUE(end && *end == '\0' && !value.empty()) << "not a sample: " << line;
  }
  EXPECT_NE(m.headers.end(), std::find_if(m.headers.begin(), m.headers.end(), [](const auto& h) {
              return h.first == "content-type" && h.second.find("text/plain") != std::string::npos;
            }));
}

TEST_F(SystemApiTest, OpenApiDocumentHasEverySeedRoute) {
  bj::value doc = ServedDocument();
  ASSERT_TRUE(doc.is_object()) << "openapi.json is not JSON";
  ASSERT_TRUE(doc.at("openapi").is_string());
  EXPECT_EQ(std::string(doc.at("openapi").get_string()).rfind("3.0.", 0), 0u) << doc.at("openapi");
  EXPECT_TRUE(doc.at("info").as_object().contains("title"));
  EXPECT_TRUE(doc.at("components").as_object().contains("schemas"));

  std::set<std::string> documented;
  for (const auto& op : Operations(doc)) documented.insert(op.method + " " + Shape(op.path));
  int missing = 0;
  for (const auto& [method, path] : kSeedRoutes) {
    bool found = documented.count(method + " " + Shape(path)) > 0;
    missing += !found;
    EXPECT_TRUE(found) << "seed route not in openapi.json: " << method << " " << path;
  }
  EXPECT_EQ(kSeedRoutes.size(), 25u);
  EXPECT_EQ(missing, 0);
  // And the routes the issue adds.
  for (const char* extra : {"POST /api/v1/backup/schedule/preview", "GET /healthz", "GET /readyz", "GET /metrics",
                            "GET /api/v1/backup/openapi.json"}) {
    EXPECT_TRUE(documented.count(extra)) << extra;
  }
}

// The other direction over HTTP: every documented operation is routed (no
// 404 "no such route", no 405); without a token, every operation that says it
// needs one answers 401 before doing anything.
TEST_F(SystemApiTest, EveryDocumentedOperationIsRouted) {
  bj::value doc = ServedDocument();
  ASSERT_TRUE(doc.is_object());
  auto ops = Operations(doc);
  ASSERT_GE(ops.size(), 5u);
  for (const auto& op : ops) {
    std::string path = Fill(op.path, "zz-probe");
    ApiResponse r = Call(op.method, path, op.method == "POST" || op.method == "PUT" ? "{}" : "", "");
    std::string where = op.method + " " + op.path;
    EXPECT_NE(r.status, 405) << where << ": " << r.raw.substr(0, 200);
    EXPECT_FALSE(r.status == 404 && r.message().find("no such route") != std::string::npos) << where;
    if (op.auth) {
      EXPECT_EQ(r.status, 401) << where << ": " << r.raw.substr(0, 200);
      EXPECT_EQ(json::GetInt(r.body, "code"), 401) << where;
    } else {
      EXPECT_LT(r.status, 500) << where;
    }
  }
}

TEST_F(SystemApiTest, UnknownRouteIs404AndWrongMethodIs405WithEnvelopes) {
  for (const std::string path : {"/api/v1/backup/a/b/c/d/e", "/api/v2/backup", "/api/v1/backup/registry/x/y/z",
                                 "/api/v1/backup/settings/nope/nope/nope/nope"}) {
    ApiResponse r = Call("GET", path);
    EXPECT_EQ(r.status, 404) << path << ": " << r.raw;
    EXPECT_EQ(json::GetInt(r.body, "code"), 404) << path;
    EXPECT_FALSE(r.message().empty()) << path;
    EXPECT_TRUE(r.body.is_object() && r.body.as_object().contains("data")) << path;
  }
  // A literal path wins over a parameter: DELETE /registry is a method the
  // registry collection lacks, not DELETE /:id of a backup "registry".
  for (auto [method, path] : {std::pair{"PATCH", kRegistryBase}, {"DELETE", kRegistryBase}, {"PUT", kRegistryBase},
                              {"DELETE", "/api/v1/backup/recovery"}, {"POST", "/api/v1/backup/registry/some-id"},
                              {"PUT", "/healthz"}, {"POST", "/metrics"},
                              {"PATCH", "/api/v1/backup/openapi.json"}}) {
    ApiResponse r = Call(method, path);
    EXPECT_EQ(r.status, 405) << method << " " << path << ": " << r.raw;
    EXPECT_EQ(json::GetInt(r.body, "code"), 405) << method << " " << path;
    EXPECT_NE(r.message().find(method), std::string::npos) << r.raw;
  }
}

// Malformed and garbage bodies, paths and queries on every route never give
// a 5xx (501 marks a route not implemented yet, whatever the input).
TEST_F(SystemApiTest, MalformedInputNeverGives5xx) {
  bj::value doc = ServedDocument();
  ASSERT_TRUE(doc.is_object());
  // A registry to aim updates at, so PUT bodies reach the parsing after lookup.
  ApiResponse reg = Call("POST", std::string(kRegistryBase) + "?verify=false",
                         R"({"name":"fuzz-target","url":"https://r.example.com","username":"u","password":"p"})");
  ASSERT_EQ(reg.status, 201) << reg.raw;
  const std::string reg_id = json::GetString(reg.data(), "id");

  std::mt19937 rng(20240601);
  auto random_bytes = [&](size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(rng() & 0xff));
    return s;
  };
  const std::string wrong_types =
      R"({"name":123,"url":[],"registry":{},"username":7,"password":[1],"description":false,"caBundle":1,)"
      R"("insecureSkipVerify":"maybe","cluster":{},"resourceType":9,"resourceName":[],"namespace":{},)"
      R"("registryId":true,"repository":0.5,"schedule":"daily","backupId":false,"targetCluster":[],)"
      R"("recoveryType":["restore"],"targetNamespace":1,"clusterName":7,"version":{},"from":{},"count":"x",)"
      R"("resourceVersion":5,"executionId":[]})";
  const std::string bad_values =
      R"({"name":"","url":"::::","cluster":"no such cluster!","resourceType":"deployment",)"
      R"("schedule":{"type":"cron","value":"99 99 99 99 99","timeZone":"Mars/Olympus_Mons","enabled":"yes"},)"
      R"("recoveryType":"teleport","backupId":"../../etc","count":-5,"from":"yesterday","clusterName":"",)"
      R"("targetNamespace":"UPPER_case"})";
  std::vector<std::string> bodies = {
      "",
      "not json at all",
      "{",
      "}",
      "{\"name\": ",
      "[]",
      "[{\"name\":\"x\"}]",
      "null",
      "true",
      "123456789012345678901234567890",
      "\"a string\"",
      "{}",
      std::string(20000, '[') + std::string(20000, ']'),
      [] {
        std::string s;
        for (int i = 0; i < 5000; ++i) s += "{\"a\":";
        s += "1";
        for (int i = 0; i < 5000; ++i) s += "}";
        return s;
      }(),
      "{\"name\":null,\"url\":null,\"schedule\":null,\"cluster\":null,\"backupId\":null}",
      "\xff\xfe{\"name\":\"\xc3\x28\"}",
      [] {
        static const char kNul[] = "{\"name\":\"a\0b\",\"url\":\"https://x\0y\"}";
        return std::string(kNul, sizeof kNul - 1);
      }(),
      "{\"name\":\"\\ud800\",\"url\":\"\\u0000\"}",
      "{\"count\":1e309,\"page\":-1,\"itemsPerPage\":1.5}",
      "{\"name\":\"" + std::string(1 << 20, 'n') + "\"}",
      "{\"name\":\"a\",\"name\":\"b\",\"name\":{}}",
      wrong_types,
      bad_values,
      random_bytes(512),
      random_bytes(4096),
  };
  const std::vector<std::string> weird_ids = {"zz-fuzz", std::string(3000, 'a'), "UPPER_Case", "a%20b",
                                              "%2e%2e", "%00", "x%2Fy", "%ff%fe", "-leading-dash"};

  int requests = 0;
  auto check = [&](const ApiResponse& r, const std::string& what) {
    ++requests;
    EXPECT_TRUE(r.status < 500 || r.status == 501) << what << " → " << r.status << " " << r.raw.substr(0, 300);
    EXPECT_TRUE(r.body.is_object()) << what << ": not a JSON envelope: " << r.raw.substr(0, 200);
    EXPECT_EQ(json::GetInt(r.body, "code"), r.status) << what;
  };

  for (const auto& op : Operations(doc)) {
    if (!op.auth) continue;  // system routes take no input
    std::string where = op.method + " " + op.path;
    if (op.method == "POST" || op.method == "PUT") {
      std::string id = op.path.rfind(kRegistryBase, 0) == 0 ? reg_id : "zz-fuzz";
      std::string path = Fill(op.path, id);
      if (op.path == kRegistryBase) path += "?verify=false";
      for (size_t i = 0; i < bodies.size(); ++i) {
        check(Call(op.method, path, bodies[i]), where + " body #" + std::to_string(i));
      }
    }
    if (op.path.find('{') != std::string::npos) {
      for (const auto& id : weird_ids) {
        if (op.method == "DELETE" && id == "zz-fuzz") continue;
        std::string body = op.method == "POST" || op.method == "PUT" ? "{}" : "";
        check(Call(op.method, Fill(op.path, id), body), where + " id '" + id.substr(0, 20) + "'");
      }
    }
    if (op.method == "GET" && op.list) {
      for (const std::string q : {"page=-1", "page=99999999999999", "itemsPerPage=abc", "itemsPerPage=0&page=3",
                                  "sortBy=%00", "sortBy=d,", "sortBy=a,no.such.field", "filterBy=,,,,",
                                  "filterBy=name", "filterBy=%zz", "page=1&page=x", "namespace=%ff&type=%00"}) {
        check(Call("GET", Fill(op.path, "zz-fuzz") + "?" + q), where + "?" + q);
      }
    }
  }
  EXPECT_GT(requests, 100);
  // The server is alive and well afterwards.
  EXPECT_EQ(Call("GET", "/readyz", "", "").status, 200);
  EXPECT_EQ(Call("DELETE", std::string(kRegistryBase) + "/" + reg_id).status, 200);
  // Nothing was created from garbage.
  auto host = AdminClient("karmada");
  auto secrets = host->ListAll(res::kSecrets, kNs, {.label_selector = backup::kRegistryIdLabel});
  ASSERT_TRUE(secrets.ok());
  for (const auto& s : *secrets) {
    std::string name = json::GetString(s, "metadata.name");
    EXPECT_EQ(bj::serialize(s).find("fuzz-target"), std::string::npos) << name;
  }
}

// Runs last in this file: it checks the transcript of the whole binary.
TEST_F(SystemApiTest, NeverLeakPasswordsOrTokens) {
  const std::string pw = "S3cr3t-" + Random(16);
  std::string error;
  auto registry = LocalRegistry::Start("kbr", pw, &error);
  ASSERT_TRUE(registry) << error;
  auto host = AdminClient("karmada");
  ASSERT_TRUE(host);
  std::vector<std::string> ids;
  auto create = [&](const bj::object& body, bool verify) {
    ApiResponse r = Call("POST", std::string(kRegistryBase) + (verify ? "" : "?verify=false"), bj::serialize(body));
    std::string id = json::GetString(r.data(), "id");
    if (!id.empty()) ids.push_back(id);
    return r;
  };
  const std::string marker = "leak-" + Random(6);

  // Every route that takes a password, with every check outcome.
  ApiResponse plain = create({{"name", marker + "-plain"}, {"url", "https://index.docker.io/v1/"},
                              {"username", "myuser"}, {"password", pw}},
                             false);
  ASSERT_EQ(plain.status, 201) << plain.raw;
  ApiResponse good = create({{"name", marker + "-good"}, {"url", registry->url()}, {"username", "kbr"},
                             {"password", pw}, {"caBundle", registry->ca_pem()}},
                            true);
  ASSERT_EQ(good.status, 201) << good.raw;
  EXPECT_TRUE(json::GetBool(good.data(), "status.authenticated")) << good.raw;
  ApiResponse wrong = create({{"name", marker + "-wrong"}, {"url", registry->url()}, {"username", "kbr"},
                              {"password", pw + "-wrong"}, {"caBundle", registry->ca_pem()}},
                             true);
  ASSERT_EQ(wrong.status, 201) << wrong.raw;
  EXPECT_FALSE(json::GetBool(wrong.data(), "status.authenticated")) << wrong.raw;
  ApiResponse wrong_user = create({{"name", marker + "-wrong-user"}, {"url", registry->url()}, {"username", "nobody"},
                                   {"password", pw}, {"caBundle", registry->ca_pem()}},
                                  true);
  EXPECT_EQ(wrong_user.status, 201) << wrong_user.raw;
  ApiResponse no_ca = create({{"name", marker + "-noca"}, {"url", registry->url()}, {"username", "kbr"},
                              {"password", pw}},
                             true);
  EXPECT_EQ(no_ca.status, 201) << no_ca.raw;
  ApiResponse unreachable = create({{"name", marker + "-down"}, {"registry", "https://127.0.0.1:1"},
                                    {"username", "kbr"}, {"password", pw}},
                                   true);
  EXPECT_EQ(unreachable.status, 201) << unreachable.raw;
  ApiResponse plain_http = create({{"name", marker + "-http"}, {"url", "http://" + registry->host()},
                                   {"username", "kbr"}, {"password", pw}},
                                  true);
  EXPECT_EQ(plain_http.status, 201) << plain_http.raw;

  // Rejected bodies carrying the password (in the password field: other
  // fields are not secret and may be echoed in messages).
  for (const bj::object& bad :
       {bj::object{{"url", registry->url()}, {"password", pw}},
        bj::object{{"name", marker + "-x"}, {"url", "ftp://r.example.com"}, {"password", pw}},
        bj::object{{"name", marker + "-x"}, {"url", "https://r.example.com"}, {"password", pw},
                   {"description", std::string(2000, 'd')}},
        bj::object{{"name", marker + "-x"}, {"url", "https://r.example.com"}, {"password", pw + std::string(5000, 'p')}},
        bj::object{{"name", marker + "-x"}, {"url", "https://r.example.com"}, {"password", pw},
                   {"insecureSkipVerify", "yes"}},
        bj::object{{"name", marker + "-x"}, {"url", "https://r.example.com"}, {"password", pw}, {"caBundle", "x"}}}) {
    ApiResponse r = create(bad, true);
    EXPECT_EQ(r.status, 400) << r.raw;
  }
  Call("POST", kRegistryBase, "{\"name\":\"x\",\"password\":\"" + pw + "\"", "");            // no token
  Call("POST", kRegistryBase, "{\"name\":\"x\",\"password\":\"" + pw + "\"");                // not JSON
  Call("POST", kRegistryBase, "{\"name\":\"x\",\"password\":\"" + pw + "\"}", "bad-token");  // bad token
  ApiResponse ro = Call("POST", std::string(kRegistryBase) + "?verify=false",
                        bj::serialize(bj::object{{"name", marker + "-ro"},
                                                 {"url", "https://r.example.com"},
                                                 {"password", pw}}),
                        ReadOnlyToken());
  EXPECT_EQ(ro.status, 403) << ro.raw;

  // Reads of every kind.
  for (const auto& id : ids) {
    EXPECT_EQ(Call("GET", std::string(kRegistryBase) + "/" + id).status, 200);
    EXPECT_EQ(Call("GET", std::string(kRegistryBase) + "/" + id, "", ReadOnlyToken()).status, 200);
  }
  Call("GET", std::string(kRegistryBase) + "?filterBy=name," + marker + "&sortBy=d,name");
  Call("GET", std::string(kRegistryBase) + "?page=1&itemsPerPage=3&sortBy=a,creationTimestamp");
  Call("GET", std::string(kRegistryBase) + "?filterBy=password," + pw.substr(0, 8));
  Call("GET", std::string(kRegistryBase), "", ReadOnlyToken());

  // Updates: new password (checked and not), none, stale, bad, unknown id, read-only.
  ASSERT_FALSE(ids.empty());
  const std::string first = std::string(kRegistryBase) + "/" + ids[0];
  std::string rv0 = json::GetString(Call("GET", first).data(), "resourceVersion");
  EXPECT_EQ(Call("PUT", first + "?verify=false", bj::serialize(bj::object{{"password", pw + "-2"}})).status, 200);
  EXPECT_EQ(Call("PUT", first, bj::serialize(bj::object{{"url", registry->url()},
                                                        {"username", "kbr"},
                                                        {"password", pw},
                                                        {"caBundle", registry->ca_pem()}}))
                .status,
            200);
  EXPECT_EQ(Call("PUT", first, R"({"description":"no password change"})").status, 200);
  EXPECT_EQ(Call("PUT", first + "?verify=false",
                 bj::serialize(bj::object{{"password", pw + "-3"}, {"resourceVersion", rv0}}))
                .status,
            409);
  EXPECT_EQ(Call("PUT", first + "?verify=false", bj::serialize(bj::object{{"password", pw}, {"url", "gopher://x"}}))
                .status,
            400);
  EXPECT_EQ(Call("PUT", std::string(kRegistryBase) + "/no-such-" + Random(4),
                 bj::serialize(bj::object{{"password", pw}}))
                .status,
            404);
  EXPECT_EQ(Call("PUT", first, bj::serialize(bj::object{{"password", pw}}), ReadOnlyToken()).status, 403);
  std::string big = "{\"name\":\"big\",\"password\":\"" + pw + "\",\"description\":\"" + std::string(9 << 20, 'x') +
                    "\"}";
  EXPECT_EQ(Call("POST", kRegistryBase, big).status, 413);

  // The Secrets hold the password in data only.
  for (const auto& id : ids) {
    auto s = host->Get(res::kSecrets, kNs, backup::RegistrySecretName(id));
    ASSERT_TRUE(s.ok()) << id;
    EXPECT_EQ(bj::serialize(s->at("metadata")).find(pw), std::string::npos) << "password in metadata of " << id;
  }

  // Deletion.
  for (const auto& id : ids) EXPECT_EQ(Call("DELETE", std::string(kRegistryBase) + "/" + id).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the log catch up

  // What a leak could look like: the password, and the base64 forms a
  // dockerconfigjson or Basic header would carry.
  std::vector<std::string> secrets = {pw,
                                      Base64Encode("kbr:" + pw),
                                      Base64Encode("myuser:" + pw),
                                      Base64Encode(pw + ":" + pw),
                                      Base64Encode("kbr:" + pw + "-wrong")};
  const std::string admin_token = AdminToken();
  const std::string ro_token = ReadOnlyToken();
  ASSERT_GT(admin_token.size(), 20u);
  ASSERT_GT(ro_token.size(), 20u);

  {
    std::lock_guard<std::mutex> l(AllResponses().mu);
    ASSERT_GT(AllResponses().entries.size(), 30u);
    for (const auto& entry : AllResponses().entries) {
      for (const auto& s : secrets) {
        EXPECT_EQ(entry.find(s), std::string::npos) << "password leaked in response:\n" << entry.substr(0, 2000);
      }
      for (const auto& t : {admin_token, ro_token}) {
        EXPECT_EQ(entry.find(t), std::string::npos) << "token leaked in response:\n" << entry.substr(0, 2000);
      }
    }
  }

  std::string log = ReadFile(ApiServerProcess::Get().log_file());
  ASSERT_FALSE(log.empty()) << ApiServerProcess::Get().log_file();
  std::istringstream lines(log);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    for (const auto& s : secrets) EXPECT_EQ(line.find(s), std::string::npos) << "password in server log: " << line;
    EXPECT_EQ(line.find(admin_token), std::string::npos) << "admin token in server log line " << n;
    EXPECT_EQ(line.find(ro_token), std::string::npos) << "read-only token in server log line " << n;
    EXPECT_EQ(line.find("bad-token"), std::string::npos) << "caller token in server log: " << line;
  }
  EXPECT_GT(n, 30);

  for (const std::string& ns : {std::string(kNs), std::string()}) {
    auto events = host->ListAll(res::kEvents, ns);
    ASSERT_TRUE(events.ok()) << events.status().message();
    for (const auto& e : *events) {
      std::string text = bj::serialize(e);
      for (const auto& s : secrets) EXPECT_EQ(text.find(s), std::string::npos) << "password in Event: " << text;
      EXPECT_EQ(text.find(admin_token), std::string::npos) << "token in Event: " << text;
    }
  }
}

}  // namespace
}  // namespace kbr::testing
