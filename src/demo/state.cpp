#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/json.h"
#include "demo/demo.h"

namespace kbr::demo {
namespace fs = std::filesystem;
namespace bj = boost::json;

std::string EncodeImage(const State& state, TimePoint dumped_at) {
  bj::object kv;
  for (const auto& [k, v] : state.kv) kv[k] = v;
  bj::object doc{{"counter", state.counter}, {"kv", std::move(kv)}, {"dumped_at", FormatRfc3339(dumped_at)}};
  return std::string(kImageMagic) + "\n" + json::Serialize(doc) + "\n";
}

Result<State> DecodeImage(std::string_view bytes, std::string_view origin) {
  std::string_view magic(kImageMagic);
  if (bytes.substr(0, magic.size()) != magic || bytes.size() <= magic.size() || bytes[magic.size()] != '\n') {
    return Status::InvalidArgument(std::string(origin) + ": not a kbr demo process image");
  }
  auto doc = json::Parse(bytes.substr(magic.size() + 1), origin);
  if (!doc.ok()) return doc.status();
  const bj::value* counter = json::Find(*doc, "counter");
  const bj::value* kv = json::Find(*doc, "kv");
  if (!counter || !counter->is_int64() || !kv || !kv->is_object()) {
    return Status::InvalidArgument(std::string(origin) + ": process image lacks counter or kv");
  }
  State s;
  s.counter = counter->get_int64();
  for (const auto& [k, v] : kv->as_object()) {
    if (!v.is_string()) return Status::InvalidArgument(std::string(origin) + ": kv value of '" +
                                                       std::string(k) + "' is not a string");
    s.kv[std::string(k)] = std::string(v.get_string());
  }
  return s;
}

Result<State> LoadImageFromDir(const std::string& dir) {
  for (const std::string& rel : {std::string("checkpoint/") + kPagesImage, std::string(kPagesImage)}) {
    fs::path p = fs::path(dir) / rel;
    if (!fs::exists(p)) continue;
    std::ifstream in(p, std::ios::binary);
    if (!in) return Status::PermissionDenied("cannot read '" + p.string() + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    return DecodeImage(ss.str(), p.string());
  }
  return Status::NotFound("no process image (" + std::string(kPagesImage) + ") under '" + dir + "'");
}

int64_t Store::Increment() {
  std::lock_guard<std::mutex> l(mu_);
  return ++state_.counter;
}

void Store::Put(const std::string& key, std::string value) {
  std::lock_guard<std::mutex> l(mu_);
  state_.kv[key] = std::move(value);
}

std::optional<std::string> Store::Get(const std::string& key) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = state_.kv.find(key);
  if (it == state_.kv.end()) return std::nullopt;
  return it->second;
}

State Store::Snapshot() const {
  std::lock_guard<std::mutex> l(mu_);
  return state_;
}

}  // namespace kbr::demo
