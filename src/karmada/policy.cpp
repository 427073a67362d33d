#include "karmada/policy.h"

namespace kbr::karmada {

namespace bj = boost::json;

namespace {

bj::value Policy(const PolicySpec& spec, const char* kind, bool namespaced) {
  bj::array selectors;
  for (const auto& s : spec.selectors) {
    bj::object sel{{"apiVersion", s.api_version}, {"kind", s.kind}};
    if (!s.name.empty()) sel["name"] = s.name;
    if (!s.ns.empty()) sel["namespace"] = s.ns;
    if (!s.label_key.empty()) sel["labelSelector"] = {{"matchLabels", {{s.label_key, s.label_value}}}};
    selectors.push_back(std::move(sel));
  }
  bj::object placement;
  if (!spec.clusters.empty()) {
    bj::array names;
    for (const auto& c : spec.clusters) names.push_back(bj::value(c));
    placement["clusterAffinity"] = {{"clusterNames", std::move(names)}};
  }
  bj::object labels;
  for (const auto& [k, v] : spec.labels) labels[k] = v;
  bj::object meta{{"name", spec.name}};
  if (namespaced) meta["namespace"] = spec.ns;
  if (!labels.empty()) meta["labels"] = std::move(labels);
  return {{"apiVersion", "policy.karmada.io/v1alpha1"},
          {"kind", kind},
          {"metadata", std::move(meta)},
          {"spec", {{"resourceSelectors", std::move(selectors)}, {"placement", std::move(placement)}}}};
}

}  // namespace

bj::value PropagationPolicy(const PolicySpec& spec) { return Policy(spec, "PropagationPolicy", true); }
bj::value ClusterPropagationPolicy(const PolicySpec& spec) { return Policy(spec, "ClusterPropagationPolicy", false); }

}  // namespace kbr::karmada
