// JSON helpers over Boost.JSON: safe typed lookups on untrusted documents and
// dotted-path access. Lookups never throw; a missing or mistyped member gives
// the fallback (or nullptr).
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace kbr::json {

namespace bj = boost::json;

// Parses text (into `storage`, default: the heap); InvalidArgument("<what>:
// invalid JSON at ...") on failure.
Result<bj::value> Parse(std::string_view text, std::string_view what = "body", bj::storage_ptr storage = {});

// The value at a dotted path ("metadata.labels.app"), or nullptr.
const bj::value* Find(const bj::value& v, std::string_view dotted_path);
bj::value* Find(bj::value& v, std::string_view dotted_path);

std::string GetString(const bj::value& v, std::string_view path, std::string fallback = "");
int64_t GetInt(const bj::value& v, std::string_view path, int64_t fallback = 0);
bool GetBool(const bj::value& v, std::string_view path, bool fallback = false);

// Sets a value at a dotted path, creating intermediate objects.
void Set(bj::value& v, std::string_view dotted_path, bj::value value);

std::string Serialize(const bj::value& v);

}  // namespace kbr::json
