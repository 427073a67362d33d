#include "kube/conditions.h"

#include "core/json.h"

namespace kbr::kube {

const boost::json::value* FindCondition(const boost::json::value& obj, std::string_view type) {
  const auto* conds = json::Find(obj, "status.conditions");
  if (!conds || !conds->is_array()) return nullptr;
  for (const auto& c : conds->as_array()) {
    if (json::GetString(c, "type") == type) return &c;
  }
  return nullptr;
}

bool ConditionTrue(const boost::json::value& obj, std::string_view type) {
  const auto* c = FindCondition(obj, type);
  return c && json::GetString(*c, "status") == "True";
}

}  // namespace kbr::kube
