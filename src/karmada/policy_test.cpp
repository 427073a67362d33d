#include "karmada/policy.h"

#include <gtest/gtest.h>

#include "core/json.h"

namespace kbr::karmada {
namespace {

TEST(PolicyTest, PropagationPolicyTargetsNamedClusters) {
  auto p = PropagationPolicy({.name = "kbr-registry-abc",
                              .ns = "karmada-system",
                              .selectors = {{.api_version = "v1", .kind = "Secret", .name = "kbr-registry-abc"}},
                              .clusters = {"member1", "member2"}});
  EXPECT_EQ(json::GetString(p, "kind"), "PropagationPolicy");
  EXPECT_EQ(json::GetString(p, "metadata.namespace"), "karmada-system");
  const auto& sel = json::Find(p, "spec.resourceSelectors")->as_array();
  ASSERT_EQ(sel.size(), 1u);
  EXPECT_EQ(json::GetString(sel[0], "name"), "kbr-registry-abc");
  const auto& names = json::Find(p, "spec.placement.clusterAffinity.clusterNames")->as_array();
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[1].as_string(), "member2");
}

TEST(PolicyTest, NoClustersMeansEveryMemberAndLabelSelectors) {
  auto p = ClusterPropagationPolicy(
      {.name = "all", .selectors = {{.api_version = "v1", .kind = "Namespace", .label_key = "a", .label_value = "b"}}});
  EXPECT_EQ(json::Find(p, "metadata.namespace"), nullptr);
  EXPECT_EQ(json::Find(p, "spec.placement.clusterAffinity"), nullptr);
  EXPECT_EQ(json::GetString(json::Find(p, "spec.resourceSelectors")->as_array()[0], "labelSelector.matchLabels.a"), "b");
}

}  // namespace
}  // namespace kbr::karmada
