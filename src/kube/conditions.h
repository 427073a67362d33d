// Reading status.conditions ([{type, status, message, ...}]) of any object.
#pragma once

#include <boost/json/value.hpp>

#include <string_view>

namespace kbr::kube {

// The condition of `type` in obj.status.conditions, or nullptr.
const boost::json::value* FindCondition(const boost::json::value& obj, std::string_view type);
// True when that condition exists with status "True".
bool ConditionTrue(const boost::json::value& obj, std::string_view type);

}  // namespace kbr::kube
