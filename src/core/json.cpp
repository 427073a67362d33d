#include "core/json.h"

namespace kbr::json {

Result<bj::value> Parse(std::string_view text, std::string_view what, bj::storage_ptr storage) {
  boost::system::error_code ec;
  bj::value v = bj::parse(text, ec, std::move(storage));
  if (ec) return Status::InvalidArgument(std::string(what) + ": invalid JSON (" + ec.message() + ")");
  return v;
}

namespace {

template <typename V>
V* FindImpl(V& v, std::string_view path) {
  V* cur = &v;
  while (!path.empty()) {
    auto dot = path.find('.');
    std::string_view key = path.substr(0, dot);
    auto* obj = cur->if_object();
    if (!obj) return nullptr;
    auto it = obj->find(key);
    if (it == obj->end()) return nullptr;
    cur = &it->value();
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return cur;
}

}  // namespace

const bj::value* Find(const bj::value& v, std::string_view p) { return FindImpl(v, p); }
bj::value* Find(bj::value& v, std::string_view p) { return FindImpl(v, p); }

std::string GetString(const bj::value& v, std::string_view path, std::string fallback) {
  const bj::value* f = Find(v, path);
  if (f && f->is_string()) return std::string(f->get_string());
  return fallback;
}

int64_t GetInt(const bj::value& v, std::string_view path, int64_t fallback) {
  const bj::value* f = Find(v, path);
  if (!f) return fallback;
  if (f->is_int64()) return f->get_int64();
  if (f->is_uint64()) return static_cast<int64_t>(f->get_uint64());
  if (f->is_double()) return static_cast<int64_t>(f->get_double());
  return fallback;
}

bool GetBool(const bj::value& v, std::string_view path, bool fallback) {
  const bj::value* f = Find(v, path);
  return (f && f->is_bool()) ? f->get_bool() : fallback;
}

void Set(bj::value& v, std::string_view path, bj::value value) {
  bj::value* cur = &v;
  while (true) {
    if (!cur->is_object()) *cur = bj::object();
    auto dot = path.find('.');
    std::string_view key = path.substr(0, dot);
    if (dot == std::string_view::npos) {
      cur->as_object()[key] = std::move(value);
      return;
    }
    cur = &cur->as_object()[key];
    path = path.substr(dot + 1);
  }
}

std::string Serialize(const bj::value& v) { return bj::serialize(v); }

}  // namespace kbr::json
