#include "kube/kubeconfig.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/base64.h"

namespace kbr::kube {
namespace {

namespace fs = std::filesystem;

class KubeconfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kbr-kubeconfig-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  fs::path dir_;
};

constexpr const char* kTwoContexts = R"(apiVersion: v1
kind: Config
current-context: host
clusters:
- name: host
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority: ca.crt
- name: proxy
  cluster:
    server: https://127.0.0.1:6443/apis/cluster.karmada.io/v1alpha1/clusters/member1/proxy
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    client-certificate: admin.crt
    client-key: admin.key
- name: sa
  user:
    tokenFile: token
contexts:
- name: host
  context: {cluster: host, user: admin}
- name: member1
  context: {cluster: proxy, user: sa}
)";

TEST_F(KubeconfigTest, CurrentContextWithRelativeCertFiles) {
  Write("ca.crt", "CA");
  Write("admin.crt", "CERT");
  Write("admin.key", "KEY");
  auto cfg = LoadKubeconfig(Write("config", kTwoContexts));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->server, "https://127.0.0.1:6443");
  EXPECT_EQ(cfg->tls.ca_file, (dir_ / "ca.crt").string());
  EXPECT_EQ(cfg->tls.cert_file, (dir_ / "admin.crt").string());
  EXPECT_EQ(cfg->tls.key_file, (dir_ / "admin.key").string());
  EXPECT_EQ(cfg->context, "host");
}

TEST_F(KubeconfigTest, NamedContextWithPathPrefixAndTokenFile) {
  Write("ca.crt", "CA");
  Write("token", "abc.def\n");
  auto cfg = LoadKubeconfig(Write("config", kTwoContexts), "member1");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->server, "https://127.0.0.1:6443/apis/cluster.karmada.io/v1alpha1/clusters/member1/proxy");
  EXPECT_TRUE(cfg->tls.insecure_skip_verify);
  EXPECT_EQ(cfg->bearer_token, "abc.def");
}

TEST_F(KubeconfigTest, InlineDataIsDecoded) {
  std::string text = "current-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://h:1\n"
                     "    certificate-authority-data: " + Base64Encode("CA-PEM") +
                     "\nusers:\n- name: u\n  user:\n    token: t0k\n    client-certificate-data: " +
                     Base64Encode("CERT-PEM") + "\n    client-key-data: " + Base64Encode("KEY-PEM") +
                     "\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n";
  auto cfg = LoadKubeconfig(Write("config", text));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->tls.ca_data, "CA-PEM");
  EXPECT_EQ(cfg->tls.cert_data, "CERT-PEM");
  EXPECT_EQ(cfg->tls.key_data, "KEY-PEM");
  EXPECT_EQ(cfg->bearer_token, "t0k");
}

TEST_F(KubeconfigTest, RenderRoundTrips) {
  ClusterConfig in;
  in.server = "https://127.0.0.1:9443";
  in.tls.ca_data = "CA";
  in.tls.cert_data = "CERT";
  in.tls.key_data = "KEY";
  auto out = LoadKubeconfig(Write("config", RenderKubeconfig("lab", in)));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->server, in.server);
  EXPECT_EQ(out->tls.ca_data, "CA");
  EXPECT_EQ(out->tls.cert_data, "CERT");
  EXPECT_EQ(out->tls.key_data, "KEY");
}

TEST_F(KubeconfigTest, ClearErrors) {
  struct Case {
    std::string text;
    std::string context;
    std::string expected;
  };
  std::vector<Case> cases = {
      {"clusters: [\n", "", "invalid YAML at line"},
      {"- a\n- b\n", "", "not a kubeconfig"},
      {kTwoContexts, "nope", "context 'nope' not found (have: host, member1)"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: x}\n", "", "names cluster 'x', which is not defined"},
      {"current-context: c\nclusters:\n- name: x\n  cluster: {}\ncontexts:\n- name: c\n  context: {cluster: x}\n", "",
       "cluster 'x' has no server"},
      {"clusters: []\n", "", "no current-context"},
  };
  for (const auto& c : cases) {
    auto cfg = LoadKubeconfig(Write("config", c.text), c.context);
    ASSERT_FALSE(cfg.ok()) << c.text;
    EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(cfg.status().message().find(c.expected), std::string::npos) << cfg.status().message();
    EXPECT_NE(cfg.status().message().find("kubeconfig '"), std::string::npos);
  }
}

TEST_F(KubeconfigTest, MissingFileIsNotFound) {
  auto cfg = LoadKubeconfig((dir_ / "absent").string());
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().code(), StatusCode::kNotFound);
  EXPECT_NE(cfg.status().message().find("no such file"), std::string::npos);
}

TEST_F(KubeconfigTest, MissingTokenFileIsReported) {
  Write("ca.crt", "CA");
  auto cfg = LoadKubeconfig(Write("config", kTwoContexts), "member1");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("token file"), std::string::npos);
}

TEST(InClusterTest, OutsideAPodIsFailedPrecondition) {
  unsetenv("KUBERNETES_SERVICE_HOST");
  auto cfg = InClusterConfig("/nonexistent");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace kbr::kube
