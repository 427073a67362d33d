#include "api/fields.h"

namespace kbr::api {

namespace bj = boost::json;

bool Fields::Has(const std::string& name) const {
  auto it = obj_.find(name);
  return it != obj_.end() && !it->value().is_null();
}

Result<std::string> Fields::Optional(const std::string& name, const std::string& fallback, size_t max_len) const {
  auto it = obj_.find(name);
  if (it == obj_.end() || it->value().is_null()) return fallback;
  if (!it->value().is_string()) return Status::InvalidArgument(Path(name) + ": must be a string");
  std::string v(it->value().get_string());
  if (v.size() > max_len) {
    return Status::InvalidArgument(Path(name) + ": at most " + std::to_string(max_len) + " characters (got " +
                                   std::to_string(v.size()) + ")");
  }
  return v;
}

Result<std::string> Fields::Required(const std::string& name, size_t max_len) const {
  ASSIGN_OR_RETURN(std::string v, Optional(name, "", max_len));
  if (v.empty()) return Status::InvalidArgument(Path(name) + ": required");
  return v;
}

Result<bool> Fields::OptionalBool(const std::string& name, bool fallback) const {
  auto it = obj_.find(name);
  if (it == obj_.end() || it->value().is_null()) return fallback;
  if (!it->value().is_bool()) return Status::InvalidArgument(Path(name) + ": must be true or false");
  return it->value().get_bool();
}

Result<int64_t> Fields::OptionalInt(const std::string& name, int64_t fallback, int64_t min, int64_t max) const {
  auto it = obj_.find(name);
  if (it == obj_.end() || it->value().is_null()) return fallback;
  int64_t v;
  if (it->value().is_int64()) {
    v = it->value().get_int64();
  } else if (it->value().is_uint64() && it->value().get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    v = static_cast<int64_t>(it->value().get_uint64());
  } else {
    return Status::InvalidArgument(Path(name) + ": must be an integer");
  }
  if (v < min || v > max) {
    return Status::InvalidArgument(Path(name) + ": must be between " + std::to_string(min) + " and " +
                                   std::to_string(max));
  }
  return v;
}

Result<std::string> Fields::Enum(const std::string& name, const std::vector<std::string>& allowed, bool required,
                                 const std::string& fallback) const {
  ASSIGN_OR_RETURN(std::string v, required ? Required(name, 64) : Optional(name, fallback, 64));
  if (!required && v.empty()) return v;
  for (const auto& a : allowed) {
    if (a == v) return v;
  }
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  return Status::InvalidArgument(Path(name) + ": '" + v + "' is not one of " + list);
}

Result<const bj::object*> Fields::Object(const std::string& name) const {
  auto it = obj_.find(name);
  if (it == obj_.end() || it->value().is_null()) return static_cast<const bj::object*>(nullptr);
  if (!it->value().is_object()) return Status::InvalidArgument(Path(name) + ": must be an object");
  return &it->value().get_object();
}

std::string Fields::FirstPresent(const std::vector<std::string>& names) const {
  for (const auto& n : names) {
    if (Has(n)) return n;
  }
  return names.empty() ? "" : names.front();
}

}  // namespace kbr::api
