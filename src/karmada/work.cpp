#include "karmada/work.h"

#include "core/json.h"

namespace kbr::karmada {

namespace bj = boost::json;

std::string ExecutionSpace(const std::string& cluster) { return "karmada-es-" + cluster; }

bj::value WorkFor(const bj::value& object, const std::string& cluster, const bj::object& work_labels) {
  bj::object manifest = object.as_object();
  bj::object meta;
  meta["name"] = json::GetString(object, "metadata.name");
  meta["namespace"] = json::GetString(object, "metadata.namespace");
  bj::object labels;
  if (const auto* l = json::Find(object, "metadata.labels"); l && l->is_object()) labels = l->as_object();
  labels["karmada.io/managed"] = "true";
  meta["labels"] = std::move(labels);
  bj::object annotations;
  if (const auto* a = json::Find(object, "metadata.annotations"); a && a->is_object()) annotations = a->as_object();
  std::string uid = json::GetString(object, "metadata.uid");
  if (!uid.empty()) annotations["resourcetemplate.karmada.io/uid"] = uid;
  if (!annotations.empty()) meta["annotations"] = std::move(annotations);
  manifest["metadata"] = std::move(meta);
  manifest.erase("status");
  return {{"apiVersion", "work.karmada.io/v1alpha1"},
          {"kind", "Work"},
          {"metadata",
           {{"name", json::GetString(object, "metadata.name")},
            {"namespace", ExecutionSpace(cluster)},
            {"labels", work_labels},
            {"finalizers", bj::array{"karmada.io/execution-controller"}}}},
          {"spec", {{"workload", {{"manifests", bj::array{std::move(manifest)}}}}}}};
}

}  // namespace kbr::karmada
