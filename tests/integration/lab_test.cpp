// The lab itself: every component runs, the host answers with the bootstrap
// objects, members run real kube-apiservers of the pinned version and their
// controller-managers/schedulers turn a Deployment into pods.
#include <gtest/gtest.h>

#include "core/json.h"
#include "lab_env.h"

namespace kbr::testing {
namespace {

namespace res = kube::resources;

TEST(LabTest, StatusReportsEveryComponentRunning) {
  std::string out;
  ASSERT_EQ(RunCommand(Lab().kbr_binary + " lab status --dir " + Lab().layout.dir, &out), 0) << out;
  for (const char* c : {"etcd", "karmada-apiserver", "member1-kube-apiserver", "member2-kube-apiserver",
                        "member1-kube-scheduler", "member2-kube-controller-manager"}) {
    EXPECT_NE(out.find(c), std::string::npos) << out;
  }
  EXPECT_EQ(out.find("crashed"), std::string::npos) << out;
}

TEST(LabTest, MembersRunThePinnedKubernetesVersion) {
  for (const char* m : {"member1", "member2"}) {
    auto c = AdminClient(m);
    ASSERT_TRUE(c);
    auto v = c->RawGet("/version");
    ASSERT_TRUE(v.ok()) << v.status().message();
    EXPECT_EQ(json::GetString(*v, "gitVersion"), KBR_KUBERNETES_VERSION);
  }
}

TEST(LabTest, AdminTokenAuthenticatesOnTheHost) {
  auto admin = AdminClient("karmada");
  ASSERT_TRUE(admin);
  auto as_token = admin->WithBearerToken(AdminToken());
  ASSERT_TRUE(as_token.ok());
  auto ns = (*as_token)->Get(res::kNamespaces, "", "karmada-system");
  ASSERT_TRUE(ns.ok()) << ns.status().message();
  auto bad = admin->WithBearerToken("not-a-token");
  auto denied = (*bad)->Get(res::kNamespaces, "", "karmada-system");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), StatusCode::kUnauthenticated);
}

TEST(LabTest, MembersHaveJoinServiceAccountsWithTokens) {
  for (const std::string m : {"member1", "member2"}) {
    auto c = AdminClient(m);
    auto secret = c->Get(res::kSecrets, "karmada-cluster", "karmada-" + m);
    ASSERT_TRUE(secret.ok()) << secret.status().message();
    EXPECT_FALSE(json::GetString(*secret, "data.token").empty());
    EXPECT_FALSE(json::GetString(*secret, "data.ca\\.crt").empty() && json::Find(*secret, "data") == nullptr);
  }
}

TEST(LabTest, DeploymentOnAMemberGetsPods) {
  auto c = AdminClient("member1");
  std::string name = UniqueName("web");
  std::string out;
  ASSERT_EQ(RunCommand("kubectl --kubeconfig " + Lab().layout.Kubeconfig("member1") + " create deployment " + name +
                    " --image=nginx --replicas=2",
                &out),
            0)
      << out;
  bool pods = false;
  for (int i = 0; i < 60 && !pods; ++i) {
    auto list = c->List(res::kPods, "default", {.label_selector = "app=" + name});
    pods = list.ok() && list->items.size() == 2;
    if (!pods) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_TRUE(pods) << "deployment " << name << " did not get 2 pods within 30s";
  EXPECT_TRUE(c->Delete(res::kDeployments, "default", name).ok());
}

}  // namespace
}  // namespace kbr::testing
