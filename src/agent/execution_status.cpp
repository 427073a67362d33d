#include "agent/execution_status.h"

#include <date/date.h>

#include "core/clock.h"
#include "core/json.h"

namespace kbr::agent {

namespace bj = boost::json;

namespace {

bj::object ToJson(const ContainerResult& r) {
  return {{"pod", r.pod},       {"container", r.container}, {"node", r.node},
          {"phase", r.phase},   {"image", r.image},         {"digest", r.digest},
          {"bytes", r.bytes},   {"durationMs", r.duration_ms}, {"message", r.message}};
}

ContainerResult FromJson(const bj::value& v) {
  return {json::GetString(v, "pod"),    json::GetString(v, "container"), json::GetString(v, "node"),
          json::GetString(v, "phase"),  json::GetString(v, "image"),     json::GetString(v, "digest"),
          json::GetInt(v, "bytes"),     json::GetInt(v, "durationMs"),   json::GetString(v, "message")};
}

const bj::array* Containers(const bj::value& status) {
  const bj::value* c = json::Find(status, "containers");
  return c && c->is_array() ? &c->as_array() : nullptr;
}

}  // namespace

bool FindContainerResult(const bj::value& status, const std::string& pod, const std::string& container,
                         ContainerResult* out) {
  if (const bj::array* cs = Containers(status)) {
    for (const auto& c : *cs) {
      if (json::GetString(c, "pod") == pod && json::GetString(c, "container") == container) {
        *out = FromJson(c);
        return true;
      }
    }
  }
  return false;
}

std::string DerivePhase(const bj::value& status, const std::vector<ExpectedContainer>& expected) {
  if (expected.empty()) return "Failed";
  int completed = 0;
  bool pushing = false, checkpointing = false;
  for (const auto& e : expected) {
    ContainerResult r;
    if (!FindContainerResult(status, e.pod, e.container, &r)) continue;
    if (r.phase == "Failed") return "Failed";
    if (r.phase == "Completed") ++completed;
    pushing |= r.phase == "Pushing";
    checkpointing |= r.phase == "Checkpointing";
  }
  if (completed == static_cast<int>(expected.size())) return "Completed";
  if (pushing) return "Pushing";
  if (checkpointing || completed > 0) return "Checkpointing";
  return "Pending";
}

bj::value MergeContainerResult(const bj::value& status_in, const ContainerResult& r,
                               const std::vector<ExpectedContainer>& expected, const std::string& now) {
  bj::object status = status_in.is_object() ? status_in.as_object() : bj::object{};
  bj::array containers;
  if (auto it = status.find("containers"); it != status.end() && it->value().is_array()) {
    for (const auto& c : it->value().as_array()) {
      if (json::GetString(c, "pod") == r.pod && json::GetString(c, "container") == r.container) continue;
      containers.push_back(c);
    }
  }
  containers.push_back(ToJson(r));
  status["containers"] = std::move(containers);
  bj::value sv = status;
  std::string phase = DerivePhase(sv, expected);
  status["phase"] = phase;
  if (!status.contains("startedAt") || status["startedAt"].as_string().empty()) status["startedAt"] = now;
  int64_t bytes = 0;
  std::string message;
  for (const auto& c : status["containers"].as_array()) {
    bytes += json::GetInt(c, "bytes");
    if (json::GetString(c, "phase") == "Failed") {
      message = json::GetString(c, "pod") + "/" + json::GetString(c, "container") + ": " +
                json::GetString(c, "message");
    }
  }
  status["bytes"] = bytes;
  status["message"] = message;
  if (phase == "Completed" || phase == "Failed") {
    status["completedAt"] = now;
    TimePoint start, end;
    if (ParseRfc3339(std::string(status["startedAt"].as_string()), &start) && ParseRfc3339(now, &end)) {
      status["durationMs"] = std::chrono::duration_cast<std::chrono::milliseconds>(end - start).count();
    }
  }
  return status;
}

}  // namespace kbr::agent
