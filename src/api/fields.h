// Typed, validated reads of request-body fields. Every error is
// InvalidArgument naming the field ("schedule.value: required"), so handlers
// answer 400 with the field and the reason.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace kbr::api {

class Fields {
 public:
  // `prefix` names nested objects in messages ("schedule.").
  explicit Fields(const boost::json::object& obj, std::string prefix = "") : obj_(obj), prefix_(std::move(prefix)) {}

  bool Has(const std::string& name) const;
  // Missing, null or "" → "<field>: required".
  Result<std::string> Required(const std::string& name, size_t max_len = 253) const;
  // Missing or null → fallback.
  Result<std::string> Optional(const std::string& name, const std::string& fallback = "", size_t max_len = 253) const;
  Result<bool> OptionalBool(const std::string& name, bool fallback) const;
  Result<int64_t> OptionalInt(const std::string& name, int64_t fallback, int64_t min, int64_t max) const;
  // One of `allowed`; "" allowed only when not required.
  Result<std::string> Enum(const std::string& name, const std::vector<std::string>& allowed, bool required,
                           const std::string& fallback = "") const;
  // The nested object, or nullptr when absent; error when present but not an object.
  Result<const boost::json::object*> Object(const std::string& name) const;
  // The first of several accepted names present (e.g. "url" and its alias "registry").
  std::string FirstPresent(const std::vector<std::string>& names) const;

  std::string Path(const std::string& name) const { return prefix_ + name; }

 private:
  const boost::json::object& obj_;
  std::string prefix_;
};

}  // namespace kbr::api
